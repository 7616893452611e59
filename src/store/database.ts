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

import { accessSync, chmodSync, closeSync, constants, existsSync, fchownSync, mkdirSync, openSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type Database from "better-sqlite3";
import { StorageError, said } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import { log } from "../log.js";
import { isoTime } from "../units.js";
import { agentUsing, KERNEL_LOCK_FILE, LOCK_FILE } from "./lock.js";
import { MIGRATIONS, type Migration, migrate } from "./migrations.js";
import { openSqlite } from "./sqlite.js";
import { BUSY_TIMEOUT_MS, codeOf, storageErrorFrom } from "./transactions.js";

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
    throw new StorageError(said("storage.dataDir", { dir: dataDir, code: codeOf(err) }), {
      cause: err,
    });
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
  /**
   * Who opens it: the agent (`run`, `check`, holding agent.lock) makes a new
   * database where the old one is gone and says so loudly; a command (`status`,
   * `silence`: the default) refuses to, in a data directory an agent has used,
   * so that what it writes never lands in a new empty file the agent does not read.
   */
  agent?: boolean;
  /** For the agent: whether the data directory's lock file was there before it took the lock (the directory was used before). */
  lockExisted?: boolean;
}

/** The database's files: the main file, then SQLite's write-ahead log and its index. */
export const DB_FILES = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`] as const;

/**
 * Tightens the database files to mode 600: they hold alert state, queued
 * notifications (hostnames, container names, log lines) and silences. A file
 * made by an older Lookout, by hand or under another umask may be 644. A file
 * owned by another user is left alone (only its owner or root may chmod it).
 */
export function tightenModes(dataDir: string): void {
  for (const name of DB_FILES) {
    const path = join(dataDir, name);
    try {
      const st = statSync(path);
      if ((st.mode & 0o077) !== 0 && (st.uid === process.geteuid?.() || process.geteuid?.() === 0)) chmodSync(path, st.mode & 0o700);
    } catch {
      /* not there, or not ours: nothing to tighten */
    }
  }
}

/** The device and inode of the database file, to tell when it is deleted or replaced under an open connection. */
export interface FileId {
  dev: number;
  ino: number;
}

export function databaseFileId(dataDir: string): FileId | null {
  try {
    const st = statSync(join(dataDir, DB_FILE));
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

/**
 * A write-ahead log or index left without its database (lookout.db deleted):
 * SQLite would replay that log into a new empty database and damage it, so it
 * goes aside first (renamed `…-wal.orphaned-<time>`). Returns the files moved.
 */
export function moveOrphansAside(dataDir: string): string[] {
  if (existsSync(join(dataDir, DB_FILE))) return [];
  const moved: string[] = [];
  const stamp = isoTime(Date.now()).replace(/[:.]/g, "-");
  for (const name of DB_FILES.slice(1)) {
    const path = join(dataDir, name);
    if (!existsSync(path)) continue;
    renameSync(path, `${path}.orphaned-${stamp}`);
    moved.push(`${name}.orphaned-${stamp}`);
  }
  return moved;
}

/**
 * lookout.db is missing from a data directory that was used (an agent's lock
 * files are there, or the database's own -wal/-shm): it was deleted or moved.
 * The agent makes a new one and says so; a command refuses, saying what to do.
 */
function whenMissing(dataDir: string, path: string, agent: boolean, lockExisted: boolean): void {
  if (existsSync(path)) return;
  const leftovers = DB_FILES.slice(1).filter((f) => existsSync(join(dataDir, f)));
  // The agent made the lock files itself just before: they say something only if they were there before.
  const used = leftovers.length > 0 || (agent ? lockExisted : [LOCK_FILE, KERNEL_LOCK_FILE].some((f) => existsSync(join(dataDir, f))));
  if (!used) return; // a new data directory
  if (!agent) {
    const holder = agentUsing(dataDir);
    if (holder) {
      const text =
        holder.pid > 0 ? said("storage.missing.agent", { path, pid: holder.pid, command: holder.command, dir: dataDir }) : said("storage.missing.anAgent", { path, dir: dataDir });
      throw new StorageError(text, { exitCode: 3 });
    }
    const there = [...leftovers, LOCK_FILE].filter((f) => existsSync(join(dataDir, f))).join(", ");
    throw new StorageError(said("storage.missing", { path, there }), { exitCode: 3 });
  }
  let moved: string[] = [];
  try {
    moved = moveOrphansAside(dataDir);
  } catch (err) {
    throw storageErrorFrom(err, path);
  }
  log.error(processMessages().t("log.dbMissing", { path }), {
    moved_aside: moved.length > 0 ? moved.join(",") : undefined,
    to_keep_them: processMessages().t("log.dbMissing.keep"),
  });
}

/**
 * SQLite's page cache for a connection, KiB (`PRAGMA cache_size`): SQLite's
 * own default. better-sqlite3 builds SQLite with 16 MiB, and the agent's one
 * connection kept what it read: an hour's roll-up reads the whole history
 * head (~14 MiB for 20 containers at 2 s), a chart a month of chunks, and the
 * process's memory grew by as much for good (docs/benchmarks.md section 13:
 * `lookout run` went from 55 to 75 MiB with the roll-up's hour held whole as
 * well). The agent's own reads and writes are a handful of pages a cycle; what
 * the cache does not hold is read again from the kernel's.
 */
export const PAGE_CACHE_KIB = 2048;

/** Opens (creating and migrating as needed) the data directory's database. */
export function openDatabase(dataDir: string, opts: OpenOptions = {}): Db {
  ensureDataDir(dataDir);
  const path = join(dataDir, DB_FILE);
  whenMissing(dataDir, path, opts.agent === true, opts.lockExisted === true);
  let db: Db | undefined;
  try {
    createFile(path, dataDir);
    tightenModes(dataDir);
    db = openSqlite(path, { timeout: BUSY_TIMEOUT_MS });
    enableWal(db);
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    migrate(db, opts.migrations ?? MIGRATIONS, { dataDir });
    tightenModes(dataDir);
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
