/**
 * Transactions and what SQLite's errors mean for the user. Every write to the
 * database goes through `inTransaction`, so an SQLite error reaches the user as
 * a StorageError with what to do, never as an SqliteError and its stack.
 */

import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { LookoutError, StorageError } from "../errors.js";

/** How long a writer waits for another process's transaction (a silence added while run commits a cycle). */
export const BUSY_TIMEOUT_MS = 5_000;

/** The code of an SQLite or file error (`SQLITE_BUSY`, `ENOENT`), "error" when it has none. */
export function codeOf(err: unknown): string {
  return (err as { code?: string }).code ?? "error";
}

/** Codes that mean no more can be written: a full disk (ENOSPC, SQLITE_FULL), a quota (EDQUOT), a file size limit (EFBIG). */
export const DISK_FULL: ReadonlySet<string> = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT", "EFBIG"]);

/** What an SQLite or file error means for the user, and what to do. */
export function storageErrorFrom(err: unknown, path: string): LookoutError {
  if (err instanceof LookoutError) return err;
  const code = codeOf(err);
  let text: string;
  if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_") || code === "SQLITE_LOCKED") {
    text = `${path} is busy: another Lookout process held it for more than ${BUSY_TIMEOUT_MS / 1000} s; try again`;
  } else if (DISK_FULL.has(code)) {
    const dir = dirname(path);
    text = `cannot write ${path} (${code}): the disk holding the data directory ${dir} is full; free some space there (df -h ${dir}), or give Lookout a --data-dir on another disk`;
  } else if (code === "SQLITE_READONLY" || code.startsWith("SQLITE_READONLY_") || code === "EACCES" || code === "EPERM" || code === "EROFS") {
    text = `cannot write ${path} (${code}): run Lookout as the user that owns the data directory, or pass --data-dir DIR`;
  } else if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT_")) {
    text = `${path} is damaged or not a Lookout database (${code}); move it aside (this forgets alert state, queued notifications and silences) and start again`;
  } else if (code === "SQLITE_CANTOPEN" || code.startsWith("SQLITE_CANTOPEN_")) {
    text = `cannot open ${path} (${code}): check that the data directory exists and is writable`;
  } else if (code.startsWith("SQLITE_IOERR")) {
    const dir = dirname(path);
    text = `cannot read or write ${path} (${code}): the disk holding the data directory ${dir} is likely full, read-only or failing; check df -h ${dir} and the kernel log (dmesg)`;
  } else {
    text = `cannot use ${path} (${err instanceof Error ? err.message : String(err)})`;
  }
  return new StorageError(text, { cause: err });
}

/** Runs `fn` in one immediate transaction (writers queue, readers go on); SQLite errors become StorageErrors. */
export function inTransaction<T>(db: Database.Database, fn: () => T): T {
  try {
    return db.transaction(fn).immediate();
  } catch (err) {
    throw storageErrorFrom(err, db.name);
  }
}

/** Runs a read; SQLite errors become StorageErrors. */
export function reading<T>(db: Database.Database, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw storageErrorFrom(err, db.name);
  }
}
