/**
 * One agent per data directory: `lookout run` and `lookout check` take the
 * data directory's lock, so two of them never evaluate and send from the same
 * state at once.
 *
 * The lock is one the kernel keeps: `agent.lock.db`, an empty SQLite file on
 * which the agent holds an exclusive transaction for as long as it runs
 * (SQLite takes POSIX fcntl locks on it). Taking it is one atomic step, so
 * agents started at the same instant never both get it; and the kernel drops
 * it when the process ends, however it ends (kill -9, a crash, a power cut), so
 * no lock is ever left behind and a pid reused by another process after a
 * reboot means nothing. Why this and not something else: a file created with
 * O_EXCL holding a pid (what Lookout did before) must be judged stale by its
 * pid and deleted to be taken over, and "check, delete, create" can never be
 * atomic (two agents taking over the same stale lock both won); a lock
 * directory or a rename has the same stale-owner problem; an abstract Unix
 * socket is per network namespace, so containers sharing the data directory
 * would not see each other's, while an fcntl lock holds for every process that
 * opens the same file. Node has no fcntl or flock of its own, and
 * better-sqlite3 is already here: no other native addon is needed.
 *
 * `agent.lock` stays what it was, a JSON note of who holds the lock (pid,
 * command, since, the boot id and the process's start time), written by the
 * holder once it has the lock, and read to name the holder when another agent
 * is refused. It decides nothing, except in one case: a note naming a running
 * Lookout of this boot (same boot id, same process start time; for a note
 * without those, a live process whose command line is Lookout's) while the
 * kernel lock is free means an agent that does not take the kernel lock
 * (an older Lookout still running after an upgrade), or one whose
 * agent.lock.db was deleted: that one is refused too. A note naming a dead
 * process, or a pid now used by something else, is taken over.
 *
 * Two rules keep the kernel lock sound: agent.lock.db is never deleted (a
 * process waiting on the old file and one creating a new file would both get
 * "the" lock), and this process never opens it except through SQLite (closing
 * any other descriptor of a file drops the process's fcntl locks on it).
 */

import { chmodSync, closeSync, existsSync, fchownSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { StorageError, said } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import { log } from "../log.js";
import { isoTime } from "../units.js";
import { openSqlite } from "./sqlite.js";
import { codeOf, DISK_FULL as FULL, storageErrorFrom } from "./transactions.js";

/** The note of who holds the lock (JSON). */
export const LOCK_FILE = "agent.lock";
/** The file the kernel lock is held on (an empty SQLite database). */
export const KERNEL_LOCK_FILE = "agent.lock.db";
/** How long taking the lock waits for a `status` that is looking whether it is held. */
const ACQUIRE_WAIT_MS = 1_000;

export interface LockInfo {
  pid: number;
  command: string;
  since: string;
  /** /proc/sys/kernel/random/boot_id when the lock was taken. */
  boot_id?: string;
  /** The holder's start time, in clock ticks after boot (/proc/PID/stat, field 22). */
  start_time?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

function bootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A process's start time in clock ticks after boot, or undefined when it cannot be read. */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
    const t = Number(fields[22 - 3]);
    return Number.isFinite(t) ? t : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the note's process is still the Lookout that wrote it (not a dead one, nor a pid reused since). */
export function isRunningLookout(info: LockInfo): boolean {
  if (info.pid <= 0 || !alive(info.pid)) return false;
  if (info.boot_id !== undefined && info.start_time !== undefined) {
    return info.boot_id === bootId() && processStartTime(info.pid) === info.start_time;
  }
  try {
    return /lookout|cli\/main\.js/.test(readFileSync(`/proc/${info.pid}/cmdline`, "utf8"));
  } catch {
    return false;
  }
}

/** What a full disk (or a quota) means for the data directory, in words. */
function diskFull(what: string, dataDir: string, code: string): StorageError {
  return new StorageError(said("storage.diskFull", { what, code, dir: dataDir }));
}

/**
 * A file Lookout creates in the data directory, mode 600; run as root in the
 * directory of an agent that runs as another user, it is given to the
 * directory's owner, so that agent can still open it.
 */
function createOwnedFile(path: string, dataDir: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (err) {
    if (codeOf(err) === "EEXIST") return false;
    throw err;
  }
  try {
    if (process.geteuid?.() === 0) {
      const dir = statSync(dataDir);
      if (dir.uid !== 0) fchownSync(fd, dir.uid, dir.gid);
    }
  } finally {
    closeSync(fd); // a new inode: this process holds no lock on it yet
  }
  return true;
}

/** How long a refused agent waits for the holder's note to name it. */
const NOTE_WAIT_MS = 1000;

export class AgentLock {
  private held: Database.Database | null = null;
  /** Whether the lock file was there before this agent took the lock: the data directory was used before. */
  existedBefore = false;
  readonly path: string;
  readonly kernelPath: string;

  constructor(
    private readonly dataDir: string,
    private readonly command: string,
  ) {
    this.path = join(dataDir, LOCK_FILE);
    this.kernelPath = join(dataDir, KERNEL_LOCK_FILE);
  }

  /** Takes the lock or throws a StorageError (exit code 3) naming who holds it. */
  acquire(): void {
    if (this.held) return;
    let db: Database.Database | undefined;
    try {
      this.existedBefore = !createOwnedFile(this.kernelPath, this.dataDir) || existsSync(this.path);
      db = openSqlite(this.kernelPath, { timeout: ACQUIRE_WAIT_MS });
      db.pragma("journal_mode = MEMORY"); // no -journal file next to it
      db.exec("BEGIN EXCLUSIVE");
    } catch (err) {
      db?.close();
      const code = codeOf(err);
      if (code.startsWith("SQLITE_BUSY") || code === "SQLITE_LOCKED") throw this.refusal(this.holder());
      if (FULL.has(code)) throw diskFull(this.kernelPath, this.dataDir, code);
      if (code === "EACCES" || code === "EPERM" || code === "EROFS" || code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN")) {
        throw new StorageError(said("storage.lock.cannotTake", { path: this.kernelPath, code, dir: this.dataDir }), {
          cause: err,
        });
      }
      throw storageErrorFrom(err, this.kernelPath);
    }
    // The kernel lock is ours. A note naming a Lookout that runs now means one that does not take it.
    const before = this.owner();
    if (before && before.pid !== process.pid && isRunningLookout(before)) {
      db.close();
      throw this.refusal(before);
    }
    const info: LockInfo = { pid: process.pid, command: this.command, since: isoTime(Date.now()), boot_id: bootId(), start_time: processStartTime(process.pid) };
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path); // readers see the old note or the new one, never half of one
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        /* not there */
      }
      db.close();
      const code = codeOf(err);
      if (FULL.has(code)) throw diskFull(this.path, this.dataDir, code);
      throw new StorageError(said("storage.lock.cannotWrite", { path: this.path, code, dir: this.dataDir }), { cause: err });
    }
    this.held = db;
    if (before && before.pid !== process.pid) {
      log.info(processMessages().t("log.lockTaken"), { pid: before.pid, command: `lookout ${before.command}`, since: before.since });
    }
  }

  get isHeld(): boolean {
    return this.held !== null;
  }

  /**
   * Who holds the kernel lock, from its note. An agent that has just taken the
   * lock writes its note a moment later: until then the note is the previous
   * holder's (or none), so it is read again for up to a second, until it names
   * a live process; then it is taken as it is.
   */
  private holder(): LockInfo | null {
    const until = Date.now() + NOTE_WAIT_MS;
    for (;;) {
      const owner = this.owner();
      if ((owner && alive(owner.pid)) || Date.now() >= until) return owner;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20); // a synchronous 20 ms pause
    }
  }

  private refusal(owner: LockInfo | null): StorageError {
    const text = owner
      ? said("storage.lock.held", { pid: owner.pid, command: owner.command, since: owner.since, dir: this.dataDir })
      : said("storage.lock.heldUnknown", { path: this.kernelPath, dir: this.dataDir });
    return new StorageError(text, { exitCode: 3 });
  }

  private owner(): LockInfo | null {
    return readNote(this.path);
  }

  release(): void {
    if (!this.held) return;
    const db = this.held;
    this.held = null;
    try {
      // Still holding the kernel lock, so no other agent has written its note yet.
      if (this.owner()?.pid === process.pid) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
    db.close();
  }
}

function readNote(path: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(path, "utf8")) as LockInfo;
    return typeof info.pid === "number" ? info : null;
  } catch {
    return null;
  }
}

/**
 * The agent that uses the data directory now, for commands that do not take
 * the lock (`status`, `silence`): its note, `{ pid: 0 … }` when it holds the
 * lock without a readable note, or null when no agent runs. Looking takes
 * SQLite's shared lock for an instant; an agent taking the lock meanwhile
 * waits for it (ACQUIRE_WAIT_MS).
 */
export function agentUsing(dataDir: string): LockInfo | null {
  const note = readNote(join(dataDir, LOCK_FILE));
  let db: Database.Database | undefined;
  try {
    db = openSqlite(join(dataDir, KERNEL_LOCK_FILE), { readonly: true, fileMustExist: true, timeout: 0 });
    db.pragma("schema_version");
  } catch (err) {
    if (String(codeOf(err)).startsWith("SQLITE_BUSY")) return note ?? { pid: 0, command: "run", since: "unknown" };
  } finally {
    db?.close();
  }
  return note && isRunningLookout(note) ? note : null;
}
