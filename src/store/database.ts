/**
 * The embedded database: one SQLite file, `lookout.db`, in the data directory,
 * holding alert state, the outbox of notifications, failed deliveries and
 * silences. WAL mode, so `lookout status` and `lookout silence` read and write
 * while `lookout run` works; `synchronous=FULL`, so a committed notification
 * survives a power cut, not only a kill -9. Migrations run at open
 * (store/migrations.ts).
 *
 * better-sqlite3 (v12: v13 needs Node 22) because it is synchronous: a state
 * change and the notifications it causes are written in one transaction with
 * no await in between, so nothing else can interleave. It builds from source
 * with node-gyp when no prebuilt binary can be downloaded (about a minute).
 */
import Database from "better-sqlite3";
import { closeSync, existsSync, fchownSync, mkdirSync, openSync, statSync, accessSync, constants } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { StorageError } from "../errors.js";
import { BUSY_TIMEOUT_MS, codeOf, storageErrorFrom } from "./transactions.js";
import { MIGRATIONS, migrate, type Migration } from "./migrations.js";

export const DB_FILE = "lookout.db";
export type Db = Database.Database;

/**
 * mkdir -p, one level at a time: Node 20's `mkdirSync(…, { recursive: true })`
 * never returns for a path under /proc (it retries ENOENT forever), and a
 * mistyped --data-dir must get an answer, not a hang.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err; // another process made it first
    }
  }
}

/** Creates the data directory if missing and checks it is writable. */
export function ensureDataDir(dataDir: string): void {
  try {
    makeDirs(dataDir);
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    throw new StorageError(
      `cannot use data directory ${dataDir} (${codeOf(err)}): create it and make it writable by the user that runs Lookout, or pass --data-dir DIR`,
      { cause: err },
    );
  }
}

/**
 * Creates the database file with mode 600 before SQLite does (SQLite would use
 * the umask). Run as root (`sudo lookout silence add`) against the data
 * directory of an agent that runs as another user, the new file goes to the
 * directory's owner, so the agent can still open it. SQLite itself gives its
 * -wal and -shm files the database file's owner when run as root.
 */
function createFile(path: string, dataDir: string): void {
  const fd = openSync(path, "a", 0o600);
  try {
    if (process.geteuid?.() === 0) {
      const dir = statSync(dataDir);
      if (dir.uid !== 0) fchownSync(fd, dir.uid, dir.gid);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Turns WAL on (it stays on, in the file). Two processes opening a new
 * database at once can get SQLITE_BUSY here without SQLite waiting its busy
 * timeout, so it is retried for as long.
 */
function enableWal(db: Db): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma("journal_mode = WAL");
      return;
    } catch (err) {
      if (!String(codeOf(err)).startsWith("SQLITE_BUSY") || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 20);
    }
  }
}

export interface OpenOptions {
  /** Migrations to apply; the real list unless a test says otherwise. */
  migrations?: readonly Migration[];
}

/** Opens (creating and migrating as needed) the data directory's database. */
export function openDatabase(dataDir: string, opts: OpenOptions = {}): Db {
  ensureDataDir(dataDir);
  const path = join(dataDir, DB_FILE);
  let db: Db | undefined;
  try {
    createFile(path, dataDir);
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    enableWal(db);
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    migrate(db, opts.migrations ?? MIGRATIONS, { dataDir });
    return db;
  } catch (err) {
    db?.close();
    throw storageErrorFrom(err, path);
  }
}

/** Opens the database for one command (`status`, `silence …`), runs `fn`, and closes it. */
export function withDatabase<T>(dataDir: string, fn: (db: Db) => T): T {
  const db = openDatabase(dataDir);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
