/**
 * History in the data directory's database: every sample a cycle records, in
 * tiers that grow coarser as they age, and the events journal.
 *
 * - `history_series`: one row per metric and labels (labels as JSON, keys
 *   sorted); points refer to it by id.
 * - `history_raw` (every sample, kept `history.raw`), `history_1m`,
 *   `history_10m`, `history_1h` (min/avg/max and the count of raw samples of
 *   each bucket, kept `history.per_minute`, `per_10_minutes`, `per_hour`):
 *   keyed by (series, t), WITHOUT ROWID, so a point costs its key and values.
 * - `history_events`: alert transitions, notifications sent, given up on or
 *   held back, container events; kept as long as the 1-hour tier.
 *
 * `HistoryStore` writes a cycle (the record stage's `HistoryJournal`) and
 * answers the queries a chart needs. A cycle's raw points are kept in memory
 * and written together about once a minute (`flushEveryMs`, of the cycles'
 * time), when the buffer is full, on close and before anything reads raw
 * points, in one transaction that does not wait for the disk: one write of a
 * few pages a minute rather than a page per series per cycle and an fsync.
 * A power cut can lose the last minute of points, never alert state or the
 * outbox (their own commits wait for the disk). Events are written at once.
 * `HistoryMaintainer.step` rolls finer tiers up into coarser ones and deletes
 * what expired, in small bounded steps (one short transaction each), so that
 * it never holds up a cycle: the runner calls it between cycles, `check`
 * after its cycle.
 */
import type Database from "better-sqlite3";
import type { LookoutConfig } from "../config/schema.js";
import { describeError } from "../errors.js";
import { log } from "../log.js";
import type { HistoryEvent } from "../model/history.js";
import type { FailedDelivery, OutboxJournal, QueuedDelivery } from "../notify/outbox.js";
import type { HistoryJournal, HistoryPoint } from "../pipeline/record.js";
import { inTransaction, reading } from "./transactions.js";

export type TierName = "raw" | "1m" | "10m" | "1h";
export type RolledTier = Exclude<TierName, "raw">;

export interface Tier {
  name: TierName;
  table: string;
  /** A point's bucket: 0 for raw (a point per sample). */
  bucketMs: number;
}

/** Finest first. Each rolled tier is made from the one before it. */
export const TIERS: readonly Tier[] = [
  { name: "raw", table: "history_raw", bucketMs: 0 },
  { name: "1m", table: "history_1m", bucketMs: 60_000 },
  { name: "10m", table: "history_10m", bucketMs: 600_000 },
  { name: "1h", table: "history_1h", bucketMs: 3_600_000 },
];

/** How long each tier is kept, ms. */
export type Retention = Record<TierName, number>;

export function retentionOf(history: LookoutConfig["history"]): Retention {
  return { raw: history.raw, "1m": history.per_minute, "10m": history.per_10_minutes, "1h": history.per_hour };
}

/** A raw sample is rolled up once its minute has been over this long (a cycle's samples are written at its end). */
const RAW_LAG_MS = 60_000;

/** A rolled-up point: a bucket's min, average and max, over `n` raw samples. */
export interface RolledPoint {
  series: number;
  t: number;
  min: number;
  avg: number;
  max: number;
  n: number;
}

export interface Series {
  id: number;
  metric: string;
  labels: Record<string, string>;
}

/** A chart's point: one bucket of `step` (or of the tier's, when coarser). */
export interface ChartPoint {
  t: number;
  min: number;
  avg: number;
  max: number;
}

export interface PointsAnswer {
  /** The tier the range was read from (finer tiers fill in what it has not rolled up yet). */
  tier: TierName;
  /** The width of each point, ms: the step asked for, or the tier's bucket when coarser. */
  stepMs: number;
  points: ChartPoint[];
}

export interface EventFilter {
  /** Kinds, whole (`container.die`) or by prefix (`container.`). */
  kinds?: readonly string[];
  subject?: string;
  /** Every one must hold. */
  labels?: Record<string, string>;
  /** At most this many, the most recent (default 1000). */
  limit?: number;
}

/** Labels as stored: JSON with its keys sorted, so a series has one spelling. */
export function labelsKey(labels: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) sorted[k] = labels[k]!;
  return JSON.stringify(sorted);
}

/** `$."key"`: a JSON path to one label, whatever its name holds. */
function labelPath(key: string): string {
  return `$."${key.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Statements prepared once per connection. */
const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();
function stmt(db: Database.Database, sql: string): Database.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let s = cache.get(sql);
  if (!s) {
    s = db.prepare(sql);
    cache.set(sql, s);
  }
  return s;
}

function tierOf(name: TierName): Tier {
  return TIERS.find((t) => t.name === name)!;
}

/** The one writer of rolled-up points: the roll-up, and the bench that fills a year straight into the tables. */
export function writeRolled(db: Database.Database, tier: RolledTier, rows: readonly RolledPoint[]): void {
  const insert = stmt(db, `INSERT OR REPLACE INTO ${tierOf(tier).table} (series, t, min, avg, max, n) VALUES (?, ?, ?, ?, ?, ?)`);
  for (const r of rows) insert.run(r.series, r.t, r.min, r.avg, r.max, r.n);
}

/** The one writer of raw points. */
export function writeRaw(db: Database.Database, rows: ReadonlyArray<{ series: number; t: number; v: number }>): void {
  const insert = stmt(db, "INSERT OR REPLACE INTO history_raw (series, t, v) VALUES (?, ?, ?)");
  for (const r of rows) insert.run(r.series, r.t, r.v);
}

export function writeEvents(db: Database.Database, events: readonly HistoryEvent[]): void {
  const insert = stmt(db, "INSERT INTO history_events (at, kind, subject, labels, data) VALUES (?, ?, ?, ?, ?)");
  for (const e of events) insert.run(e.at, e.kind, e.subject, labelsKey(e.labels), JSON.stringify(e.data));
}

export interface HistoryStoreOptions {
  /**
   * Raw points are written once the oldest one kept in memory is this much
   * older than the cycle recording (ms, of the cycles' own time; default
   * 60 000). 0 writes each cycle's points at once (`check`: one cycle per
   * process).
   */
  flushEveryMs?: number;
  /** At most this many raw points in memory: more are written at once (default 20 000). */
  maxBuffered?: number;
}

/** A cycle's points, kept until they are written. */
interface BufferedCycle {
  at: number;
  points: readonly HistoryPoint[];
}

/** The history's writes and queries on one connection. */
export class HistoryStore implements HistoryJournal {
  /** Series ids by metric and labels key, as written. */
  private readonly ids = new Map<string, number>();
  private readonly flushEveryMs: number;
  private readonly maxBuffered: number;
  /** Cycles whose raw points are not written yet, oldest first. */
  private buffer: BufferedCycle[] = [];
  private buffered = 0;
  /** Why the last write of points failed (logged once, until one works). */
  private flushFailing: string | null = null;

  constructor(
    readonly db: Database.Database,
    readonly retention: Retention,
    opts: HistoryStoreOptions = {},
  ) {
    this.flushEveryMs = opts.flushEveryMs ?? 60_000;
    this.maxBuffered = opts.maxBuffered ?? 20_000;
  }

  /** The id of a series, made if new. */
  seriesId(metric: string, labels: Record<string, string>): number {
    const key = labelsKey(labels);
    const cacheKey = `${metric}\0${key}`;
    const known = this.ids.get(cacheKey);
    if (known !== undefined) return known;
    stmt(this.db, "INSERT INTO history_series (metric, labels) VALUES (?, ?) ON CONFLICT (metric, labels) DO NOTHING").run(metric, key);
    const id = stmt(this.db, "SELECT id FROM history_series WHERE metric = ? AND labels = ?").pluck().get(metric, key) as number;
    this.ids.set(cacheKey, id);
    return id;
  }

  /** Series ids may have been deleted (the maintainer drops series left without points): look them up again. */
  forgetIds(): void {
    this.ids.clear();
  }

  /**
   * A cycle's points go to the buffer (written when it is due: see
   * `flushEveryMs`, `maxBuffered`), its events to the journal at once. Only
   * the events' write can throw: a failed write of points is logged and the
   * points dropped (`flush`).
   */
  record(at: number, points: readonly HistoryPoint[], events: readonly HistoryEvent[]): void {
    if (points.length > 0) {
      this.buffer.push({ at, points });
      this.buffered += points.length;
    }
    const oldest = this.buffer[0]?.at;
    // A clock set back (at < oldest) also writes: the buffer never spans more than flushEveryMs either way.
    if (oldest !== undefined && (this.buffered >= this.maxBuffered || Math.abs(at - oldest) >= this.flushEveryMs)) this.flush();
    this.recordEvents(events);
  }

  /** How many raw points wait in memory. */
  bufferedPoints(): number {
    return this.buffered;
  }

  /** The time of the oldest raw point waiting in memory, or null. */
  oldestBuffered(): number | null {
    return this.buffer[0]?.at ?? null;
  }

  /**
   * Writes the raw points kept in memory, in one transaction that does not
   * wait for the disk (`synchronous = NORMAL`; FULL is restored after).
   * Never throws: a failure is logged once (until a write works) and those
   * points are dropped (history never stands in a cycle's or a query's way).
   */
  flush(): void {
    if (this.buffer.length === 0) return;
    const cycles = this.buffer;
    this.buffer = [];
    this.buffered = 0;
    try {
      const full = (this.db.pragma("synchronous", { simple: true }) as number) >= 2;
      if (full) this.db.pragma("synchronous = NORMAL");
      try {
        inTransaction(this.db, () => {
          for (const c of cycles) {
            writeRaw(
              this.db,
              c.points.map((p) => ({ series: this.seriesId(p.metric, p.labels), t: c.at, v: p.value })),
            );
          }
        });
      } finally {
        if (full) this.db.pragma("synchronous = FULL");
      }
      if (this.flushFailing !== null) log.info("history points can be written again");
      this.flushFailing = null;
    } catch (err) {
      this.forgetIds(); // series made in the transaction that was rolled back are not in the table
      const why = describeError(err);
      if (why !== this.flushFailing)
        log.error("could not write the history's points; they are dropped, alerts are not affected", { error: why, points: cycles.reduce((n, c) => n + c.points.length, 0) });
      this.flushFailing = why;
    }
  }

  /** Writes what is buffered: the agent calls it before it closes the database. */
  close(): void {
    this.flush();
  }

  recordEvents(events: readonly HistoryEvent[]): void {
    if (events.length === 0) return;
    inTransaction(this.db, () => writeEvents(this.db, events));
  }

  /** The series of `metric` whose labels include every one of `labels`. */
  series(metric: string, labels: Record<string, string> = {}): Series[] {
    this.flush(); // a series seen only in buffered points is found too
    const keys = Object.keys(labels).sort();
    const where = keys.map(() => "json_extract(labels, ?) = ?").join(" AND ");
    const sql = `SELECT id, metric, labels FROM history_series WHERE metric = ?${where ? ` AND ${where}` : ""} ORDER BY id`;
    const args = [metric, ...keys.flatMap((k) => [labelPath(k), labels[k]!])];
    return reading(this.db, () =>
      (this.db.prepare(sql).all(...args) as Array<{ id: number; metric: string; labels: string }>).map((r) => ({
        id: r.id,
        metric: r.metric,
        labels: JSON.parse(r.labels) as Record<string, string>,
      })),
    );
  }

  /**
   * The tier a chart of [from, to) at `stepMs` is read from: the coarsest one
   * whose bucket is no wider than the step and that is still kept at `from`;
   * when none, the finest one kept at `from` (its bucket is then the step);
   * a range older than every tier is read from the 1-hour tier.
   */
  tierFor(from: number, stepMs: number, now: number): Tier {
    const kept = TIERS.filter((t) => from >= now - this.retention[t.name]);
    const fine = kept.filter((t) => t.bucketMs <= stepMs);
    return fine[fine.length - 1] ?? kept[0] ?? TIERS[TIERS.length - 1]!;
  }

  /**
   * A series' points in [from, to), one per `stepMs` (aligned to multiples of
   * it) with min, average (weighted by samples) and max. What the chosen tier
   * has not rolled up yet (its last bucket or so) is read from finer tiers.
   */
  points(seriesId: number, from: number, to: number, stepMs: number, now: number): PointsAnswer {
    this.flush(); // a chart never misses the points still in memory
    const tier = this.tierFor(from, stepMs, now);
    const step = Math.max(stepMs, tier.bucketMs, 1);
    return reading(this.db, () => {
      const points: Array<ChartPoint & { n: number }> = [];
      let start = from;
      // From the chosen tier down to raw: each reads up to where its roll-up has got.
      for (let i = TIERS.indexOf(tier); i >= 0 && start < to; i--) {
        const t = TIERS[i]!;
        const end = i === 0 ? to : Math.min(to, this.rolledUntil(t.name as RolledTier) ?? to);
        if (end <= start) continue;
        points.push(...this.read(t, seriesId, start, end, step));
        start = end;
      }
      // Buckets cut in two where one tier hands over to the next are merged.
      return { tier: tier.name, stepMs: step, points: mergeBuckets(points) };
    });
  }

  private read(tier: Tier, seriesId: number, from: number, to: number, step: number): Array<ChartPoint & { n: number }> {
    const sql =
      tier.name === "raw"
        ? "SELECT t - t % @step AS b, MIN(v) AS min, AVG(v) AS avg, MAX(v) AS max, COUNT(*) AS n FROM history_raw WHERE series = @series AND t >= @from AND t < @to GROUP BY b ORDER BY b"
        : `SELECT t - t % @step AS b, MIN(min) AS min, SUM(avg * n) / SUM(n) AS avg, MAX(max) AS max, SUM(n) AS n FROM ${tier.table} WHERE series = @series AND t >= @from AND t < @to GROUP BY b ORDER BY b`;
    return (stmt(this.db, sql).all({ step, series: seriesId, from, to }) as Array<{ b: number; min: number; avg: number; max: number; n: number }>).map((r) => ({
      t: r.b,
      min: r.min,
      avg: r.avg,
      max: r.max,
      n: r.n,
    }));
  }

  /** Where a rolled tier's roll-up has got: every bucket before this is written; null before its first. */
  rolledUntil(tier: RolledTier): number | null {
    return (stmt(this.db, "SELECT done_until FROM history_rollup WHERE tier = ?").pluck().get(tier) as number | undefined) ?? null;
  }

  /** Events in [from, to), oldest first (the most recent `limit` of them). */
  events(from: number, to: number, filter: EventFilter = {}): HistoryEvent[] {
    const where = ["at >= ?", "at < ?"];
    const args: unknown[] = [from, to];
    if (filter.kinds && filter.kinds.length > 0) {
      where.push(`(${filter.kinds.map(() => "(kind = ? OR (substr(?, -1) = '.' AND substr(kind, 1, length(?)) = ?))").join(" OR ")})`);
      for (const k of filter.kinds) args.push(k, k, k, k);
    }
    if (filter.subject !== undefined) {
      where.push("subject = ?");
      args.push(filter.subject);
    }
    for (const [k, v] of Object.entries(filter.labels ?? {})) {
      where.push("json_extract(labels, ?) = ?");
      args.push(labelPath(k), v);
    }
    const sql = `SELECT * FROM (SELECT id, at, kind, subject, labels, data FROM history_events WHERE ${where.join(" AND ")} ORDER BY at DESC, id DESC LIMIT ?) ORDER BY at, id`;
    args.push(filter.limit ?? 1000);
    return reading(this.db, () =>
      (this.db.prepare(sql).all(...args) as Array<{ at: number; kind: string; subject: string; labels: string; data: string }>).map((r) => ({
        at: r.at,
        kind: r.kind as HistoryEvent["kind"],
        subject: r.subject,
        labels: JSON.parse(r.labels) as Record<string, string>,
        data: JSON.parse(r.data) as Record<string, unknown>,
      })),
    );
  }
}

function mergeBuckets(points: ReadonlyArray<ChartPoint & { n: number }>): ChartPoint[] {
  const out: Array<ChartPoint & { n: number }> = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && last.t === p.t) {
      const n = last.n + p.n;
      out[out.length - 1] = { t: p.t, min: Math.min(last.min, p.min), max: Math.max(last.max, p.max), avg: (last.avg * last.n + p.avg * p.n) / n, n };
    } else out.push({ ...p });
  }
  return out.map(({ t, min, avg, max }) => ({ t, min, avg, max }));
}

export interface StepResult {
  /** Rows of finer tiers read into coarser ones. */
  rolled: number;
  /** Rows deleted (points and events past their tier's retention). */
  deleted: number;
  /** Work was left for the next step (the budget ran out). */
  more: boolean;
}

export interface MaintainerOptions {
  /** At most this many rows read and deleted per step (default 20 000). */
  maxRows?: number;
  /** For the time budget (default Date.now; a test gives its own). */
  clock?: () => number;
}

/** How many series ids a step reads at a time. */
const SERIES_BATCH = 256;

/**
 * Rolls up and deletes in small steps: `step(now, budgetMs)` does at most
 * `maxRows` rows (read to roll up, or deleted) and stops once `budgetMs` has
 * passed, in one transaction, and says whether more is left. A bucket is
 * rolled up series by series, so a step can stop in the middle of one and
 * the next goes on from there (the place is kept in `history_rollup`).
 * Nothing is deleted from a tier before the next tier has rolled it up.
 * One series' rows of one bucket are taken whole: a step whose budget is
 * smaller than that does it alone rather than never.
 */
export class HistoryMaintainer {
  private readonly maxRows: number;
  private readonly clock: () => number;
  /** Per tier: the cutoff of its last complete deletion pass, and where the pass under way is. */
  private readonly purge = new Map<string, { doneCutoff: number | null; nextSeries: number; cutoff: number | null }>();

  constructor(
    readonly store: HistoryStore,
    opts: MaintainerOptions = {},
  ) {
    this.maxRows = opts.maxRows ?? 20_000;
    this.clock = opts.clock ?? Date.now;
  }

  private get db(): Database.Database {
    return this.store.db;
  }

  step(now: number, budgetMs: number, maxRows = this.maxRows): StepResult {
    const started = this.clock();
    const out: StepResult = { rolled: 0, deleted: 0, more: false };
    const left = () => maxRows - out.rolled - out.deleted;
    const timeUp = () => this.clock() - started >= budgetMs;
    // Points still in memory whose minute may be rolled up now are written first, so that none lands behind the roll-up.
    const oldest = this.store.oldestBuffered();
    if (oldest !== null && oldest < now - RAW_LAG_MS) this.store.flush();
    inTransaction(this.db, () => {
      for (let i = 1; i < TIERS.length && !out.more; i++) {
        const r = this.rollUp(TIERS[i - 1]!, TIERS[i]!, now, left, timeUp);
        out.rolled += r.rows;
        out.more ||= r.more;
      }
      for (const tier of TIERS) {
        if (out.more) break;
        const r = this.deleteExpired(tier, now, left, timeUp);
        out.deleted += r.rows;
        out.more ||= r.more;
      }
      if (!out.more) {
        const r = this.deleteEvents(now - this.store.retention["1h"], left());
        out.deleted += r.rows;
        out.more ||= r.more;
      }
    });
    return out;
  }

  /** Until when `source`'s buckets are complete (raw: a minute ago; a rolled tier: where its roll-up got). */
  private completeUntil(source: Tier, now: number): number | null {
    return source.name === "raw" ? now - RAW_LAG_MS : this.store.rolledUntil(source.name as RolledTier);
  }

  /** The first time ≥ `from` of any series in `tier`, or null (a seek per series). */
  private nextTime(tier: Tier, from: number): number | null {
    return stmt(this.db, `SELECT MIN((SELECT t FROM ${tier.table} WHERE series = s.id AND t >= ? ORDER BY t LIMIT 1)) FROM history_series s`).pluck().get(from) as number | null;
  }

  private seriesFrom(id: number): number[] {
    return stmt(this.db, "SELECT id FROM history_series WHERE id >= ? ORDER BY id LIMIT ?").pluck().all(id, SERIES_BATCH) as number[];
  }

  private rollUp(source: Tier, target: Tier, now: number, left: () => number, timeUp: () => boolean): { rows: number; more: boolean } {
    const width = target.bucketMs;
    const complete = this.completeUntil(source, now);
    if (complete === null) return { rows: 0, more: false };
    const closed = Math.floor(complete / width) * width;
    const saved = stmt(this.db, "SELECT done_until, next_series FROM history_rollup WHERE tier = ?").get(target.name) as { done_until: number; next_series: number } | undefined;
    let doneUntil = saved?.done_until ?? null;
    let nextSeries = saved?.next_series ?? 0;
    const was = `${doneUntil}/${nextSeries}`;
    if (doneUntil === null) {
      const first = this.nextTime(source, 0);
      if (first === null) return { rows: 0, more: false };
      doneUntil = Math.floor(first / width) * width;
    }
    const save = () =>
      stmt(
        this.db,
        "INSERT INTO history_rollup (tier, done_until, next_series) VALUES (?, ?, ?) ON CONFLICT (tier) DO UPDATE SET done_until = excluded.done_until, next_series = excluded.next_series",
      ).run(target.name, doneUntil, nextSeries);
    const read =
      source.name === "raw"
        ? stmt(this.db, "SELECT v AS min, v AS avg, v AS max, 1 AS n FROM history_raw WHERE series = ? AND t >= ? AND t < ? ORDER BY t LIMIT ?")
        : stmt(this.db, `SELECT min, avg, max, n FROM ${source.table} WHERE series = ? AND t >= ? AND t < ? ORDER BY t LIMIT ?`);
    let rows = 0;
    let more = false;
    let bucketRows = 0;
    outer: while (doneUntil + width <= closed) {
      for (let ids = this.seriesFrom(nextSeries); ids.length > 0; ids = this.seriesFrom(nextSeries)) {
        for (const id of ids) {
          if (timeUp() || left() - rows <= 0) {
            more = true;
            break outer;
          }
          const budget = left() - rows;
          const got = read.all(id, doneUntil, doneUntil + width, budget + 1) as Array<{ min: number; avg: number; max: number; n: number }>;
          if (got.length > budget && rows > 0) {
            more = true; // the next step takes this series' bucket whole
            break outer;
          }
          const all = got.length > budget ? (read.all(id, doneUntil, doneUntil + width, -1) as typeof got) : got;
          if (all.length > 0) writeRolled(this.db, target.name as RolledTier, [aggregate(id, doneUntil, all)]);
          rows += all.length;
          bucketRows += all.length;
          nextSeries = id + 1;
        }
      }
      // The bucket is done for every series.
      const emptyBucket = bucketRows === 0;
      doneUntil += width;
      nextSeries = 0;
      bucketRows = 0;
      if (emptyBucket) {
        // A gap (the agent was stopped): jump to the next bucket that has anything.
        const next = this.nextTime(source, doneUntil);
        if (next === null) doneUntil = Math.max(doneUntil, closed);
        else doneUntil = Math.max(doneUntil, Math.min(Math.floor(next / width) * width, closed));
      }
    }
    if (`${doneUntil}/${nextSeries}` !== was) save();
    return { rows, more };
  }

  /**
   * Deletes `tier`'s points older than its retention (and, for a tier the
   * next one is made from, not before that one rolled them up), series by
   * series, at most the budget's rows. A pass over every series is made again
   * only once the cutoff has moved on by a bucket (a minute for raw).
   */
  private deleteExpired(tier: Tier, now: number, left: () => number, timeUp: () => boolean): { rows: number; more: boolean } {
    let cutoff = now - this.store.retention[tier.name];
    const next = TIERS[TIERS.indexOf(tier) + 1];
    if (next) cutoff = Math.min(cutoff, this.store.rolledUntil(next.name as RolledTier) ?? Number.NEGATIVE_INFINITY);
    if (!Number.isFinite(cutoff)) return { rows: 0, more: false };
    let p = this.purge.get(tier.name);
    if (!p) {
      p = { doneCutoff: null, nextSeries: 0, cutoff: null };
      this.purge.set(tier.name, p);
    }
    if (p.cutoff === null) {
      if (p.doneCutoff !== null && cutoff - p.doneCutoff < Math.max(tier.bucketMs, 60_000)) return { rows: 0, more: false };
      p.cutoff = cutoff;
      p.nextSeries = 0;
    }
    const boundary = stmt(this.db, `SELECT t FROM ${tier.table} WHERE series = ? AND t < ? ORDER BY t LIMIT 1 OFFSET ?`).pluck();
    const upTo = stmt(this.db, `DELETE FROM ${tier.table} WHERE series = ? AND t <= ?`);
    const before = stmt(this.db, `DELETE FROM ${tier.table} WHERE series = ? AND t < ?`);
    let rows = 0;
    for (let ids = this.seriesFrom(p.nextSeries); ids.length > 0; ids = this.seriesFrom(p.nextSeries)) {
      for (const id of ids) {
        const budget = left() - rows;
        if (budget <= 0 || timeUp()) return { rows, more: true };
        const last = boundary.get(id, p.cutoff, budget - 1) as number | undefined;
        if (last === undefined) {
          rows += before.run(id, p.cutoff).changes;
          p.nextSeries = id + 1;
        } else {
          rows += upTo.run(id, last).changes; // exactly `budget` rows: this series may have more
          return { rows, more: true };
        }
      }
    }
    p.doneCutoff = p.cutoff;
    p.cutoff = null;
    if (tier.name === "1h") this.dropEmptySeries();
    return { rows, more: false };
  }

  /** Series left without a point in any tier (a container gone for longer than every tier is kept). */
  private dropEmptySeries(): void {
    const gone = stmt(this.db, `DELETE FROM history_series WHERE ${TIERS.map((t) => `NOT EXISTS (SELECT 1 FROM ${t.table} WHERE series = history_series.id)`).join(" AND ")}`).run()
      .changes;
    if (gone > 0) this.store.forgetIds();
  }

  private deleteEvents(cutoff: number, budget: number): { rows: number; more: boolean } {
    if (budget <= 0) return { rows: 0, more: true };
    const rows = stmt(this.db, "DELETE FROM history_events WHERE id IN (SELECT id FROM history_events WHERE at < ? ORDER BY at LIMIT ?)").run(cutoff, budget).changes;
    return { rows, more: rows >= budget };
  }
}

function aggregate(series: number, t: number, rows: ReadonlyArray<{ min: number; avg: number; max: number; n: number }>): RolledPoint {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let n = 0;
  for (const r of rows) {
    if (r.min < min) min = r.min;
    if (r.max > max) max = r.max;
    sum += r.avg * r.n;
    n += r.n;
  }
  return { series, t, min, avg: sum / n, max, n };
}

/**
 * The outbox's journal, with the notifications sent and given up on also
 * written to the events journal (after the outbox's own write, in a
 * transaction of their own: history never stands in delivery's way; a
 * failure is logged once, until it works again).
 */
export function recordingDeliveries(journalNow: () => OutboxJournal, history: () => HistoryStore | null, clock: () => number = Date.now): OutboxJournal {
  const note = (items: readonly QueuedDelivery[], kind: "notification.sent" | "notification.given_up", failures: readonly FailedDelivery[] = []) => {
    const store = history();
    if (!store || items.length === 0) return;
    const at = clock();
    const events: HistoryEvent[] = items.map(({ entry, delivery }) => {
      const n = entry.notification;
      const failed = failures.find((f) => f.notificationId === n.id && f.receiver === delivery.receiver);
      return {
        at: failed?.at ?? at,
        kind,
        subject: n.alert.fingerprint,
        labels: n.alert.labels,
        data: { notification: n.id, kind: n.kind, receiver: delivery.receiver, attempts: delivery.attempts, ...(failed ? { error: failed.error } : {}) },
      };
    });
    try {
      store.recordEvents(events);
      if (deliveriesFailing !== null) log.info("notifications are written to the history again");
      deliveriesFailing = null;
    } catch (err) {
      const why = describeError(err);
      if (why !== deliveriesFailing) log.error("could not record a delivery in the history; delivery is not affected", { error: why });
      deliveriesFailing = why;
    }
  };
  let deliveriesFailing: string | null = null;
  return {
    delivered: (items) => {
      journalNow().delivered(items);
      note(items, "notification.sent");
    },
    attempted: (items) => journalNow().attempted(items),
    gaveUp: (items, failures) => {
      journalNow().gaveUp(items, failures);
      note(items, "notification.given_up", failures);
    },
    markReported: (failures, at, receiver) => journalNow().markReported(failures, at, receiver),
    forgetReceiversExcept: (names) => journalNow().forgetReceiversExcept(names),
  };
}
