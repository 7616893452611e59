/**
 * The agent's memory in the database: active alerts, collectors' last
 * counters, flap memory, the outbox and failed deliveries. The agent works on
 * an in-memory AgentState (it alone writes these tables: it holds agent.lock)
 * and writes through here:
 * - `commitCycle`: a cycle's state change and the notifications it caused, in
 *   one transaction: either both are on disk or neither is;
 * - `delivered`, `attempted`, `gaveUp`: the outbox's journal, one short
 *   transaction per answer, so the window between a receiver's 2xx and the
 *   notification leaving the outbox is one SQLite commit.
 */
import type Database from "better-sqlite3";
import type { FlapMemory, FlapRecord } from "../alert/flapping.js";
import type { InhibitorMemory } from "../alert/inhibition.js";
import type { AlertRecord } from "../alert/state.js";
import type { Notification } from "../model/notification.js";
import type { SummaryCounts } from "../notify/daily-summary.js";
import { FAILED_KEPT, type FailedDelivery, type OutboxEntry, type OutboxJournal, type OutboxState, type QueuedDelivery } from "../notify/outbox.js";
import type { AgentState } from "../pipeline/cycle-data.js";
import { statement } from "./statements.js";
import { inTransaction, reading, setSynchronous } from "./transactions.js";

/** Everything stored: the agent's state and its outbox. */
export type StoredState = AgentState & OutboxState;

export function emptyState(): StoredState {
  return { alerts: [], collectors: {}, outbox: [], failed: [], lastCycleAt: null, flap: {}, inhibitors: {}, summary: null };
}

// Row writers, used in transactions by the store and by the import of Lookout 0.1's files.

export function writeAlerts(db: Database.Database, alerts: readonly AlertRecord[]): void {
  statement(db, "DELETE FROM alerts").run();
  const insert = statement(db, "INSERT INTO alerts (fingerprint, record) VALUES (?, ?)");
  for (const a of alerts) insert.run(a.fingerprint, JSON.stringify(a));
}

export function writeCollectors(db: Database.Database, collectors: AgentState["collectors"]): void {
  const upsert = statement(
    db,
    "INSERT INTO collector_state (collector, saved_at, data) VALUES (?, ?, ?) ON CONFLICT (collector) DO UPDATE SET saved_at = excluded.saved_at, data = excluded.data",
  );
  for (const [name, c] of Object.entries(collectors)) upsert.run(name, c.savedAt, JSON.stringify(c.data ?? null));
}

export function writeFlap(db: Database.Database, flap: FlapMemory): void {
  statement(db, "DELETE FROM flap").run();
  const insert = statement(db, "INSERT INTO flap (fingerprint, data) VALUES (?, ?)");
  for (const [fp, r] of Object.entries(flap)) insert.run(fp, JSON.stringify(r));
}

export function writeMeta(db: Database.Database, key: string, value: unknown): void {
  statement(db, "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, JSON.stringify(value));
}

/**
 * Inserts outbox entries in order (a notification's seq is the order it was
 * made in). Rows are found again by the notification's id and the receiver:
 * nothing in memory holds a row number.
 */
export function insertOutbox(db: Database.Database, entries: readonly OutboxEntry[]): void {
  const note = statement(db, "INSERT INTO notifications (id, created_at, body) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING");
  const delivery = statement(
    db,
    "INSERT OR REPLACE INTO deliveries (notification_seq, receiver, attempts, next_attempt_at, first_attempt_at, last_error) VALUES ((SELECT seq FROM notifications WHERE id = ?), ?, ?, ?, ?, ?)",
  );
  for (const e of entries) {
    note.run(e.notification.id, e.notification.at, JSON.stringify(e.notification));
    for (const d of e.pending) delivery.run(e.notification.id, d.receiver, d.attempts, d.nextAttemptAt, d.firstAttemptAt, d.lastError);
  }
}

export function insertFailed(db: Database.Database, failures: readonly FailedDelivery[]): void {
  const insert = db.prepare("INSERT INTO failed_deliveries (notification_id, receiver, title, error, at, reported_at) VALUES (?, ?, ?, ?, ?, ?)");
  for (const f of failures) {
    insert.run(f.notificationId, f.receiver, f.title, f.error, f.at, f.reportedAt ?? null);
    // Only when there is something to write: the import of Lookout 0.1's files runs before reported_to exists (migration 3).
    if (f.reportedTo && Object.keys(f.reportedTo).length > 0) writeReportedTo(db, f);
  }
  db.prepare("DELETE FROM failed_deliveries WHERE seq <= (SELECT MAX(seq) FROM failed_deliveries) - ?").run(FAILED_KEPT);
}

function writeReportedTo(db: Database.Database, f: FailedDelivery): void {
  db.prepare("UPDATE failed_deliveries SET reported_at = ?, reported_to = ? WHERE notification_id = ? AND receiver = ?").run(
    f.reportedAt ?? null,
    JSON.stringify(f.reportedTo ?? {}),
    f.notificationId,
    f.receiver,
  );
}

/** A stored reported_to, or {} when it is not one. */
function parseReportedTo(text: string | undefined): Record<string, number> {
  try {
    const v = JSON.parse(text ?? "{}") as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, number>) : {};
  } catch {
    return {};
  }
}

interface DeliveryRow {
  seq: number;
  body: string;
  receiver: string;
  attempts: number;
  next_attempt_at: number;
  first_attempt_at: number | null;
  last_error: string | null;
}

interface FailedRow {
  seq: number;
  notification_id: string;
  receiver: string;
  title: string;
  error: string;
  at: number;
  reported_at: number | null;
  reported_to?: string;
}

/** Reads the whole agent state and outbox (for `run`/`check` at start, and `status`). */
export function readState(db: Database.Database): StoredState {
  return reading(db, () => {
    const state = emptyState();
    state.alerts = (db.prepare("SELECT record FROM alerts ORDER BY fingerprint").pluck().all() as string[]).map((r) => JSON.parse(r) as AlertRecord);
    for (const row of db.prepare("SELECT collector, saved_at, data FROM collector_state").all() as Array<{ collector: string; saved_at: number; data: string }>) {
      state.collectors[row.collector] = { savedAt: row.saved_at, data: JSON.parse(row.data) as unknown };
    }
    for (const row of db.prepare("SELECT fingerprint, data FROM flap").all() as Array<{ fingerprint: string; data: string }>) {
      state.flap[row.fingerprint] = JSON.parse(row.data) as FlapRecord;
    }
    const meta = (key: string): unknown => {
      const v = db.prepare("SELECT value FROM meta WHERE key = ?").pluck().get(key) as string | undefined;
      return v === undefined ? undefined : (JSON.parse(v) as unknown);
    };
    state.lastCycleAt = (meta("last_cycle_at") as number | null | undefined) ?? null;
    state.inhibitors = (meta("inhibitors") as InhibitorMemory | undefined) ?? {};
    state.summary = (meta("daily_summary") as SummaryCounts | undefined) ?? null;
    const rows = db
      .prepare(
        `SELECT n.seq, n.body, d.receiver, d.attempts, d.next_attempt_at, d.first_attempt_at, d.last_error
           FROM notifications n JOIN deliveries d ON d.notification_seq = n.seq
          ORDER BY n.seq, d.receiver`,
      )
      .all() as DeliveryRow[];
    let entry: OutboxEntry | undefined;
    let seq: number | undefined;
    for (const r of rows) {
      if (seq !== r.seq) {
        seq = r.seq;
        entry = { notification: JSON.parse(r.body) as Notification, pending: [] };
        state.outbox.push(entry);
      }
      entry!.pending.push({ receiver: r.receiver, attempts: r.attempts, nextAttemptAt: r.next_attempt_at, firstAttemptAt: r.first_attempt_at, lastError: r.last_error });
    }
    state.failed = (db.prepare("SELECT * FROM failed_deliveries ORDER BY seq").all() as FailedRow[]).map((f) => {
      const reportedTo = parseReportedTo(f.reported_to);
      return {
        notificationId: f.notification_id,
        receiver: f.receiver,
        title: f.title,
        error: f.error,
        at: f.at,
        reportedAt: f.reported_at,
        ...(Object.keys(reportedTo).length > 0 ? { reportedTo } : {}),
      };
    });
    return state;
  });
}

/**
 * What the last commit on this connection wrote of each part of the state
 * (parts that rarely change: alert records, flap memory, inhibitors, the
 * summary's counts as their JSON; each collector's saved memory as the
 * object itself, kept by the collect stage until it takes a new one).
 */
interface Written {
  alerts?: string;
  flap?: string;
  inhibitors?: string;
  summary?: string;
  collectors: Map<string, AgentState["collectors"][string]>;
  /** The time of the last check written. */
  lastCycleAt?: number | null;
}

/**
 * A cycle that changed nothing but the time of the last check writes it at
 * most this often (`lookout run` at an interval under 10 s): a transaction
 * per 2 s cycle for that one row was a tenth of a quiet cycle's CPU. Only
 * `lookout status` reads it from the database (the HTTP API has the agent's
 * own); any other change is written with its cycle, as before.
 */
export const QUIET_COMMIT_EVERY_MS = 10_000;

/** The parts of the state written as JSON, whose text tells whether they changed (`Written`). */
interface PartsJson {
  alerts: string;
  flap: string;
  inhibitors: string;
  summary: string;
}

/** The agent's tables; the outbox's journal (notify/outbox.ts). */
export class AgentStore implements OutboxJournal {
  /**
   * Only the agent writes these tables (it holds agent.lock), so what it
   * last committed is what they hold: a part that did not change since is
   * not written again (most cycles change only the time of the last check).
   */
  private written: Written = { collectors: new Map() };
  /** `jsonOf`'s last answer, and the state it is of. */
  private made: { state: AgentState; json: PartsJson } | null = null;

  constructor(readonly db: Database.Database) {}

  load(): StoredState {
    return readState(this.db);
  }

  /**
   * A cycle's state change and the notifications it caused, in one
   * transaction. One that queued notifications waits for the disk (the
   * database's `synchronous = FULL`): once it returns, they survive a power
   * cut. One that queued nothing (most cycles: counters, last check time) is
   * written without waiting (`NORMAL`: in WAL mode, safe when Lookout crashes
   * or is killed, and after a power cut only that state is lost, which the
   * next cycle measures again); the next commit that waits makes it durable too.
   * Parts unchanged since the last commit are left as they are.
   */
  commitCycle(state: AgentState, added: readonly OutboxEntry[]): void {
    if (added.length === 0 && this.onlyTimeChanged(state)) return;
    const waitForDisk = added.length > 0;
    if (!waitForDisk) setSynchronous(this.db, "NORMAL");
    try {
      const written = inTransaction(this.db, () => {
        const last = this.written;
        const next: Written = { collectors: new Map(last.collectors) };
        // JSON made in the transaction (or by the quiet check just before, of this state): a value it cannot hold fails
        // the commit as a StorageError.
        const json = this.jsonOf(state);
        next.alerts = json.alerts;
        if (next.alerts !== last.alerts) writeAlerts(this.db, state.alerts);
        for (const [name, c] of Object.entries(state.collectors)) {
          if (last.collectors.get(name) === c) continue;
          writeCollectors(this.db, { [name]: c });
          next.collectors.set(name, c);
        }
        next.flap = json.flap;
        if (next.flap !== last.flap) writeFlap(this.db, state.flap);
        writeMeta(this.db, "last_cycle_at", state.lastCycleAt);
        next.lastCycleAt = state.lastCycleAt;
        next.inhibitors = json.inhibitors;
        if (next.inhibitors !== last.inhibitors) writeMeta(this.db, "inhibitors", state.inhibitors);
        next.summary = json.summary;
        if (next.summary !== last.summary) writeMeta(this.db, "daily_summary", state.summary);
        insertOutbox(this.db, added);
        return next;
      });
      // Only once committed: a rolled-back commit wrote nothing.
      this.written = written;
    } finally {
      this.made = null;
      if (!waitForDisk) setSynchronous(this.db, "FULL");
    }
  }

  /**
   * The state's parts as JSON, made once for the quiet check and the commit
   * that follows it (agent-db.ts asks before it looks at the file; the commit
   * asks again), and kept for that state object only until that commit ends.
   * Throws as JSON.stringify does.
   */
  private jsonOf(state: AgentState): PartsJson {
    if (this.made?.state === state) return this.made.json;
    const json: PartsJson = {
      alerts: JSON.stringify(state.alerts),
      flap: JSON.stringify(state.flap),
      inhibitors: JSON.stringify(state.inhibitors),
      summary: JSON.stringify(state.summary),
    };
    this.made = { state, json };
    return json;
  }

  /**
   * Whether `state` differs from what was last committed only by a time of
   * the last check less than QUIET_COMMIT_EVERY_MS after the one written (and
   * not before it: a clock set back is written). False when unsure (a value
   * JSON cannot hold: the commit says what is wrong). A commit of such a
   * state without outbox entries writes nothing.
   */
  onlyTimeChanged(state: AgentState): boolean {
    const last = this.written;
    const at = state.lastCycleAt;
    if (last.lastCycleAt === undefined || last.lastCycleAt === null || at === null || at < last.lastCycleAt || at - last.lastCycleAt >= QUIET_COMMIT_EVERY_MS) return false;
    for (const [name, c] of Object.entries(state.collectors)) if (last.collectors.get(name) !== c) return false;
    let json: PartsJson;
    try {
      json = this.jsonOf(state);
    } catch {
      return false;
    }
    const quiet = json.alerts === last.alerts && json.flap === last.flap && json.inhibitors === last.inhibitors && json.summary === last.summary;
    if (quiet) this.made = null; // no commit follows
    return quiet;
  }

  /** Receivers accepted these: they leave the outbox (and a notification every receiver accepted, with them). */
  delivered(items: readonly QueuedDelivery[]): void {
    this.removeDeliveries(items, () => undefined);
  }

  /** Replaced by a newer state of their alert before they were sent: they leave the outbox. */
  superseded(items: readonly QueuedDelivery[]): void {
    this.removeDeliveries(items, () => undefined);
  }

  /** Attempts that failed and will be retried: their counts, next time and error. */
  attempted(items: readonly QueuedDelivery[]): void {
    inTransaction(this.db, () => {
      const update = this.db.prepare(
        "UPDATE deliveries SET attempts = ?, next_attempt_at = ?, first_attempt_at = ?, last_error = ? WHERE notification_seq = (SELECT seq FROM notifications WHERE id = ?) AND receiver = ?",
      );
      for (const { entry, delivery: d } of items) update.run(d.attempts, d.nextAttemptAt, d.firstAttemptAt, d.lastError, entry.notification.id, d.receiver);
    });
  }

  /** Given up on (a final error, or give_up_after passed): out of the outbox, into failed_deliveries. */
  gaveUp(items: readonly QueuedDelivery[], failures: readonly FailedDelivery[]): void {
    this.removeDeliveries(items, () => insertFailed(this.db, failures));
  }

  /**
   * A message that said these could not be delivered was accepted: by
   * `receiver`, whose acceptance is written with each failure's reportedTo and
   * reportedAt as they now are (the dispatcher sets them); without a receiver,
   * they are reported to all at `at`.
   */
  markReported(failures: readonly FailedDelivery[], at: number, receiver?: string): void {
    inTransaction(this.db, () => {
      const update = this.db.prepare("UPDATE failed_deliveries SET reported_at = ? WHERE notification_id = ? AND receiver = ?");
      for (const f of failures) {
        if (receiver === undefined) update.run(at, f.notificationId, f.receiver);
        else writeReportedTo(this.db, f);
      }
    });
  }

  /** Drops what waits for receivers no longer configured (they cannot receive it). */
  forgetReceiversExcept(names: ReadonlySet<string>): void {
    inTransaction(this.db, () => {
      const receivers = this.db.prepare("SELECT DISTINCT receiver FROM deliveries").pluck().all() as string[];
      const drop = this.db.prepare("DELETE FROM deliveries WHERE receiver = ?");
      for (const r of receivers) if (!names.has(r)) drop.run(r);
      this.db.prepare("DELETE FROM notifications WHERE seq NOT IN (SELECT notification_seq FROM deliveries)").run();
    });
  }

  private removeDeliveries(items: readonly QueuedDelivery[], also: () => void): void {
    inTransaction(this.db, () => {
      const seqOf = this.db.prepare("SELECT seq FROM notifications WHERE id = ?").pluck();
      const del = this.db.prepare("DELETE FROM deliveries WHERE notification_seq = ? AND receiver = ?");
      const orphan = this.db.prepare("DELETE FROM notifications WHERE seq = ? AND NOT EXISTS (SELECT 1 FROM deliveries WHERE notification_seq = ?)");
      for (const { entry, delivery } of items) {
        const seq = seqOf.get(entry.notification.id) as number | undefined;
        if (seq === undefined) continue; // made in a cycle that could not be saved
        del.run(seq, delivery.receiver);
        orphan.run(seq, seq);
      }
      also();
    });
  }
}

/**
 * Writes the agent's whole in-memory state into a database that lost it (the
 * agent's lookout.db was deleted or replaced while it ran): alert state,
 * collectors, flap memory, the outbox and failed deliveries replace what the
 * file holds; `silences` (rows of the deleted file's table) are added to its own.
 */
export function rewriteState(db: Database.Database, state: StoredState, silences: ReadonlyArray<Record<string, unknown>> = []): void {
  inTransaction(db, () => {
    writeAlerts(db, state.alerts);
    db.prepare("DELETE FROM collector_state").run();
    writeCollectors(db, state.collectors);
    writeFlap(db, state.flap);
    writeMeta(db, "last_cycle_at", state.lastCycleAt);
    writeMeta(db, "inhibitors", state.inhibitors);
    writeMeta(db, "daily_summary", state.summary);
    db.prepare("DELETE FROM deliveries").run();
    db.prepare("DELETE FROM notifications").run();
    insertOutbox(
      db,
      state.outbox.filter((e) => e.pending.length > 0),
    );
    db.prepare("DELETE FROM failed_deliveries").run();
    insertFailed(db, state.failed);
    for (const row of silences) {
      const cols = Object.keys(row);
      if (cols.length === 0) continue;
      db.prepare(`INSERT OR IGNORE INTO silences (${cols.map((c) => `"${c.replace(/"/g, '""')}"`).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).run(
        ...cols.map((c) => row[c]),
      );
    }
  });
}
