/**
 * Transactions and what SQLite's errors mean for the user. Every write to the
 * database goes through `inTransaction`, so an SQLite error reaches the user as
 * a StorageError with what to do, never as an SqliteError and its stack.
 */

import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { LookoutError, type Said, StorageError, said } from "../errors.js";
import { statement } from "./statements.js";

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
  const dir = dirname(path);
  let text: string | Said;
  if (code === "SQLITE_BUSY" || code.startsWith("SQLITE_BUSY_") || code === "SQLITE_LOCKED") {
    text = said("storage.busy", { path, seconds: BUSY_TIMEOUT_MS / 1000 });
  } else if (DISK_FULL.has(code)) {
    text = said("storage.diskFull", { what: path, code, dir });
  } else if (code === "SQLITE_READONLY" || code.startsWith("SQLITE_READONLY_") || code === "EACCES" || code === "EPERM" || code === "EROFS") {
    text = said("storage.readOnly", { path, code });
  } else if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT_")) {
    text = said("storage.corrupt", { path, code });
  } else if (code === "SQLITE_CANTOPEN" || code.startsWith("SQLITE_CANTOPEN_")) {
    text = said("storage.cantOpen", { path, code });
  } else if (code.startsWith("SQLITE_IOERR")) {
    text = said("storage.ioError", { path, code, dir });
  } else if (isMissingAddon(err)) {
    text = missingAddonText(err);
  } else {
    text = said("storage.failed", { path, detail: err instanceof Error ? err.message : String(err) });
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
    // Nested in another: a savepoint, as better-sqlite3's transaction functions do (rare: not worth doing by hand).
    if (db.inTransaction) return db.transaction(fn).immediate();
    // What `db.transaction(fn).immediate()` does, on statements prepared once: making a transaction function makes four
    // wrappers and defines five properties on each, which under --lite-mode was most of a quiet cycle's commit.
    statement(db, "BEGIN IMMEDIATE").run();
    try {
      const result = fn();
      if (result && typeof (result as { then?: unknown }).then === "function") throw new TypeError("Transaction function cannot return a promise");
      statement(db, "COMMIT").run();
      return result;
    } catch (err) {
      if (db.inTransaction) statement(db, "ROLLBACK").run();
      throw err;
    }
  } catch (err) {
    throw storageErrorFrom(err, db.name);
  }
}

/**
 * `PRAGMA synchronous = …`, on a statement prepared once (`db.pragma` prepares
 * its statement on every call): a cycle's commit sets it and sets it back.
 */
export function setSynchronous(db: Database.Database, mode: "NORMAL" | "FULL"): void {
  statement(db, mode === "NORMAL" ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL").run();
}

/** `PRAGMA synchronous`'s value now (0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA), on a statement prepared once. */
export function synchronousLevel(db: Database.Database): number {
  return (statement(db, "PRAGMA synchronous").get() as { synchronous: number }).synchronous;
}

/** Runs a read; SQLite errors become StorageErrors. */
export function reading<T>(db: Database.Database, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw storageErrorFrom(err, db.name);
  }
}
