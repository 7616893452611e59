/**
 * The agent's data directory, held for as long as it runs: its lock (one
 * agent per directory, store/lock.ts), its database and what is in it (the
 * state and outbox, the silences), and saving each cycle. A save that fails
 * (a full disk) is said once, until it works again, and never thrown; what
 * could not be saved is carried to the next save. lookout.db deleted or
 * replaced under the agent is noticed before each save and opened again.
 */

import { existsSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { describeError, LookoutError } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import { log } from "../log.js";
import type { OutboxEntry, OutboxJournal, OutboxState } from "../notify/outbox.js";
import type { AgentState } from "../pipeline/cycle-data.js";
import type { Silence } from "../silence/silence.js";
import { AgentStore, rewriteState, type StoredState } from "./agent-store.js";
import { DB_FILE, DB_FILES, type Db, databaseFileId, ensureDataDir, type FileId, openDatabase } from "./database.js";
import { AgentLock } from "./lock.js";
import { SilenceStore } from "./silences.js";
import { codeOf, DISK_FULL } from "./transactions.js";

export class AgentDatabase {
  private _db: Db;
  private _store: AgentStore;
  private silences: SilenceStore;
  private readonly lock: AgentLock;
  /** The database file the connection is on (device, inode), to see it deleted or replaced; null while none is open. */
  private dbFile: FileId | null;
  /** Silences read from a deleted database, to carry into the new one while making it fails. */
  private carriedSilences: Array<Record<string, unknown>> | null = null;
  /** Outbox entries made in cycles that could not be saved: stored with the next cycle that can be. */
  private unsaved: OutboxEntry[] = [];
  /** Why saving fails now (logged once, until it works again); null when it works. */
  private storageFailing: string | null = null;

  /** Takes the data directory's lock (LockHeldError when another agent has it) and opens its database. `command` names the holder. */
  constructor(
    readonly dataDir: string,
    command: string,
  ) {
    ensureDataDir(dataDir);
    this.lock = new AgentLock(dataDir, command);
    this.lock.acquire();
    // Released however the process ends; the kernel drops it when the process dies (store/lock.ts). The listener
    // goes with close(): a process that opens and closes data directories (tests, reloads) keeps none behind.
    process.once("exit", this.releaseAtExit);
    let db: Db | undefined;
    try {
      db = openDatabase(dataDir, { agent: true, lockExisted: this.lock.existedBefore });
      this._db = db;
      this.dbFile = databaseFileId(dataDir);
      this._store = new AgentStore(db);
    } catch (err) {
      db?.close();
      this.lock.release();
      process.removeListener("exit", this.releaseAtExit);
      throw err;
    }
    this.silences = new SilenceStore(this._db);
  }

  private readonly releaseAtExit = (): void => this.lock.release();

  /** The open database (it changes when lookout.db was deleted or replaced and is opened again). */
  get db(): Db {
    return this._db;
  }

  get store(): AgentStore {
    return this._store;
  }

  /** The outbox's journal: whichever database is open at the time of each write. */
  readonly journal = (): OutboxJournal => this._store;

  load(): StoredState {
    return this._store.load();
  }

  /** Silences in force at `now`; none (said in the log) when they cannot be read: silences must not stop alerts. */
  activeSilences(now: number): Silence[] {
    try {
      return this.silences.active(now);
    } catch (err) {
      log.error(processMessages().t("log.silencesIgnored"), { error: describeError(err) });
      return [];
    }
  }

  /**
   * A cycle's state and the outbox entries it made, in one transaction; a
   * failure is said once (until it works again) and returned, never thrown.
   * `outbox` is the whole outbox, written into a database that lost it.
   */
  save(state: AgentState, added: readonly OutboxEntry[], outbox: () => OutboxState): string | undefined {
    const toStore = [...this.unsaved.filter((e) => e.pending.length > 0), ...added];
    // Nothing to write (a quiet cycle: agent-store.ts QUIET_COMMIT_EVERY_MS): the file is looked at with the next write.
    if (toStore.length === 0 && this._store.onlyTimeChanged(state)) return undefined;
    try {
      this.checkDatabaseFile(state, outbox);
      this._store.commitCycle(state, toStore);
      this.unsaved = [];
      if (this.storageFailing !== null) log.info(processMessages().t("log.storageAgain"), { data_dir: this.dataDir });
      this.storageFailing = null;
      return undefined;
    } catch (err) {
      this.unsaved = toStore;
      const why = storageFailure(err, this.dataDir);
      if (why !== this.storageFailing) {
        log.error(processMessages().t("log.storageFailed", { why }), {
          meanwhile: processMessages().t("log.storageMeanwhile"),
        });
      }
      this.storageFailing = why;
      return why;
    }
  }

  /** Closes the database and lets another agent use the data directory. */
  close(): void {
    if (this._db.open) this._db.close();
    this.lock.release();
    process.removeListener("exit", this.releaseAtExit);
  }

  /**
   * lookout.db deleted or replaced under the agent (by hand, a cleanup job, a
   * restored backup): the connection would go on writing to a file nobody
   * reads, and `status` and `silence` would use another. Looked at before each
   * save: the agent opens the file that is there now (a new one when it was
   * deleted, given the deleted one's silences), writes what it holds in
   * memory into it, and says so loudly. (A quiet cycle that writes nothing
   * does not look: the next write does, within QUIET_COMMIT_EVERY_MS.)
   */
  private checkDatabaseFile(state: AgentState, outbox: () => OutboxState): void {
    const dataDir = this.dataDir;
    const now = databaseFileId(dataDir);
    if (this.dbFile && now && now.dev === this.dbFile.dev && now.ino === this.dbFile.ino) return;
    const path = join(dataDir, DB_FILE);
    const what = now === null ? "deleted" : "replaced";
    if (this._db.open) {
      if (now === null) {
        try {
          this.carriedSilences = this._db.prepare("SELECT * FROM silences").all() as Array<Record<string, unknown>>;
        } catch {
          this.carriedSilences = null;
        }
      }
      this._db.close();
      this.dbFile = null;
      // SQLite leaves the old file's -wal and -shm at the path: the file there now must not replay them.
      for (const f of DB_FILES.slice(1)) {
        try {
          unlinkSync(join(dataDir, f));
        } catch {
          /* not there */
        }
      }
    }
    const db = openDatabase(dataDir, { agent: true, lockExisted: false });
    try {
      rewriteState(db, { ...state, ...outbox() }, what === "deleted" || !existsSync(path) ? (this.carriedSilences ?? []) : []);
    } catch (err) {
      db.close();
      throw err;
    }
    this._db = db;
    this._store = new AgentStore(db);
    this.silences = new SilenceStore(db);
    this.dbFile = databaseFileId(dataDir);
    this.carriedSilences = null;
    this.unsaved = [];
    log.error(what === "deleted" ? processMessages().t("log.dbDeleted", { path, dataDir }) : processMessages().t("log.dbReplaced", { path }));
  }
}

/** Why the data directory cannot be written now, and what to do: the disk holding it named when it is full. */
function storageFailure(err: unknown, dataDir: string): string {
  const code = codeOf(err);
  if (DISK_FULL.has(code)) return `the disk holding ${dataDir} is full (${code}); free some space there (df -h ${dataDir})`;
  if (err instanceof LookoutError) return err.userMessage;
  return `${describeError(err)}; the disk holding ${dataDir} may be full, read-only or failing (df -h ${dataDir})`;
}
