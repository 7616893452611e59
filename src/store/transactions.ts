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
  } else if (isMissingAddon(err)) {
    text = missingAddonText(err);
  } else {
    text = `cannot use ${path} (${err instanceof Error ? err.message : String(err)})`;
  }
  return new StorageError(text, { cause: err });
}

/**
 * better-sqlite3 loads its native addon when the first database opens: not built
 * (its install script did not run, or its build failed) or built for another
 * Node (NODE_MODULE_VERSION), it throws here, and the data directory is not to blame.
 */
function isMissingAddon(err: unknown): boolean {
  const message = err instanceof Error ? err.message : "";
  return /Could not locate the bindings file|NODE_MODULE_VERSION|better_sqlite3\.node/.test(message) || codeOf(err) === "ERR_DLOPEN_FAILED";
}

function missingAddonText(err: unknown): string {
  const message = err instanceof Error ? err.message : "";
  const addon = /(\/\S*\/node_modules\/better-sqlite3)\//.exec(message)?.[1];
  const where = addon ? dirname(dirname(addon)) : "Lookout's directory";
  return (
    "better-sqlite3, the database library, cannot load its native addon" +
    (/NODE_MODULE_VERSION/.test(message) ? " (built for another version of Node)" : " (it was not built)") +
    `: run npm rebuild better-sqlite3 in ${where} (as root for a global install; building it needs python3, make and g++ when no prebuilt binary downloads). ` +
    "npm 11 runs no install script in a global install unless allowed: npm install -g --allow-scripts=better-sqlite3 …"
  );
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
