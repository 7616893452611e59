/**
 * History in the data directory's database: every sample a cycle records, in
 * tiers that grow coarser as they age, and the events journal.
 *
 * Layout (migration 4; packing in store/history-packing.ts), chosen by
 * measuring (bench/history.mjs, docs/benchmarks.md section 11): a row per
 * point (series, t) cost ~754 MiB for a year of 50 containers, a write of
 * ~5 000 B-tree rows a minute (110–180 ms) and roll-up steps of 60 ms.
 *
 * - `history_series`: one row per metric and labels (labels as JSON, keys
 *   sorted); ids are never reused (AUTOINCREMENT).
 * - `history_head`: the raw points not rolled up yet (the last hour or two),
 *   one row per cycle holding every series' value: writing a cycle is one
 *   row whatever the number of containers.
 * - `history_chunks`: one row per (tier, series, chunk): an hour of a
 *   series' raw samples, an hour of its 1-minute min/avg/max, a day of its
 *   10-minute ones, a week of its hours, packed and deflated. A 30-day chart
 *   of one series reads about 30 rows; a flat series costs almost nothing.
 *   A tier keeps whole chunks: at least its retention, at most one chunk
 *   span more.
 * - `history_events`: alert transitions, notifications sent, given up on or
 *   held back, container events; kept as long as the 1-hour tier.
 *
 * `HistoryStore` writes a cycle (the record stage's `HistoryJournal`) and
 * answers the queries a chart needs. A cycle's points are written as one head
 * row at the end of the cycle (the agent's `flushEveryMs: 0`; the store can
 * also keep cycles in memory and write them together: `flushEveryMs`,
 * `maxBuffered`, always before anything reads points and on close), in a
 * transaction that does not wait for the disk. A power cut can lose the last
 * cycles of points, never alert state or the outbox (their own commits wait
 * for the disk). Events are written at once, the same way.
 * `HistoryMaintainer.step` turns each closed hour of the head into chunks (raw
 * and 1-minute), rolls chunks up into coarser ones and deletes what expired,
 * in steps of a few milliseconds, so that it never holds up a cycle: the
 * runner calls it between cycles, `check` after its cycle.
 */

import type Database from "better-sqlite3";
import { monotonicMs } from "../clock.js";
import type { LookoutConfig } from "../config/schema.js";
import { describeError } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import { log } from "../log.js";
import type { HistoryEvent } from "../model/history.js";
import type { FailedDelivery, OutboxJournal, QueuedDelivery } from "../notify/outbox.js";
import type { HistoryJournal, HistoryPoints } from "../pipeline/record.js";
import { redact } from "../secrets.js";
import {
  type ChunkPoints,
  packHead,
  packRaw,
  packRawOf,
  packRolled,
  type RawTimes,
  rawTimes,
  rollUp,
  rollUpRaw,
  unpackIds,
  unpackRaw,
  unpackRolled,
  unpackValues,
} from "./history-packing.js";
import { statement } from "./statements.js";
import { inTransaction, reading, setSynchronous, synchronousLevel } from "./transactions.js";

export type TierName = "raw" | "1m" | "10m" | "1h";
export type RolledTier = Exclude<TierName, "raw">;

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export interface Tier {
  name: TierName;
  /** A point's bucket: 0 for raw (a point per sample). */
  bucketMs: number;
  /** The span of one chunk (one row of one series). Each divides the next: a coarser chunk is rolled up from whole finer ones. */
  chunkMs: number;
}

/**
 * Finest first. Each rolled tier is made from the one before it (the 1-minute
 * one from the head, with the raw chunks). Chunk spans: big enough that a
 * chunk packs well and a chart reads few rows, small enough that a tier is not
 * long behind (what it has not rolled up yet is read from finer tiers) and
 * what is kept past retention stays small.
 */
export const TIERS: readonly Tier[] = [
  { name: "raw", bucketMs: 0, chunkMs: HOUR },
  { name: "1m", bucketMs: MIN, chunkMs: HOUR },
  { name: "10m", bucketMs: 10 * MIN, chunkMs: DAY },
  { name: "1h", bucketMs: HOUR, chunkMs: 7 * DAY },
];

/** How long each tier is kept, ms. */
export type Retention = Record<TierName, number>;

export function retentionOf(history: LookoutConfig["history"]): Retention {
  return { raw: history.raw, "1m": history.per_minute, "10m": history.per_10_minutes, "1h": history.per_hour };
}

/** A head hour is rolled up once it has been over this long (a cycle's samples are written at its end, and up to a minute later). */
const RAW_LAG_MS = 2 * MIN;

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

function tierOf(name: TierName): Tier {
  return TIERS.find((t) => t.name === name)!;
}

/**
 * Runs `fn` in one transaction that does not wait for the disk
 * (`synchronous = NORMAL` in WAL: safe against a crash of Lookout; a power cut
 * loses at most the last writes), FULL restored after: history is not worth an
 * fsync on the event loop.
 */
function withoutWaitingForDisk<T>(db: Database.Database, fn: () => T): T {
  const full = synchronousLevel(db) >= 2;
  if (full) setSynchronous(db, "NORMAL");
  try {
    return inTransaction(db, fn);
  } finally {
    if (full) setSynchronous(db, "FULL");
  }
}

/** Ids lists found without repeats: a cycle's list is the last one's while its series stay the same (`HistoryStore.record`), and is never changed once complete. */
const withoutRepeats = new WeakSet<Uint32Array>();

/** Whether a series id is there twice (sorted copy: no object per id, this runs every cycle; a list found without, once). */
function hasRepeats(ids: Uint32Array): boolean {
  if (withoutRepeats.has(ids)) return false;
  const sorted = ids.slice().sort();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return true;
  withoutRepeats.add(ids);
  return false;
}

/**
 * One cycle's points to the head, ids in the order given (a cycle's series
 * come in the same order each time, so consecutive rows' ids are the same
 * BLOB); a series given twice keeps its last value; a row already at `t` is
 * merged with.
 */
export function writeHead(db: Database.Database, t: number, points: ReadonlyArray<{ series: number; v: number }>): void {
  const ids = new Uint32Array(points.length);
  const vals = new Float64Array(points.length);
  for (let i = 0; i < points.length; i++) {
    ids[i] = points[i]!.series;
    vals[i] = points[i]!.v;
  }
  writeHeadRow(db, t, ids, vals);
}

/** `writeHead` of ids and values as they are stored: `vals[i]` is the value of series `ids[i]` (the agent's cycles make no object per point). */
export function writeHeadRow(db: Database.Database, t: number, ids: Uint32Array, vals: Float64Array): void {
  const old = statement(db, "SELECT ids, vals FROM history_head WHERE t = ?").get(t) as { ids: Buffer; vals: Buffer } | undefined;
  if (old || hasRepeats(ids)) {
    const byId = new Map<number, number>();
    if (old) {
      const oldIds = unpackIds(old.ids);
      const oldVals = unpackValues(old.vals);
      for (let i = 0; i < oldIds.length; i++) byId.set(oldIds[i]!, oldVals[i]!);
    }
    for (let i = 0; i < ids.length; i++) byId.set(ids[i]!, vals[i]!);
    ids = Uint32Array.from(byId.keys());
    vals = Float64Array.from(byId.values());
  }
  const packed = packHead(ids, vals);
  statement(db, "INSERT OR REPLACE INTO history_head (t, ids, vals) VALUES (?, ?, ?)").run(t, packed.ids, packed.values);
}

/** The one writer of chunks: the roll-up, and the bench that fills a year straight into the table. */
export function writeChunk(db: Database.Database, tier: TierName, series: number, start: number, points: ChunkPoints): void {
  const t = tierOf(tier);
  writePacked(db, tier, series, start, tier === "raw" ? packRaw(start, points.t, points.avg) : packRolled(start, t.bucketMs, points));
}

/** A chunk already packed. */
function writePacked(db: Database.Database, tier: TierName, series: number, start: number, data: Buffer): void {
  statement(db, "INSERT OR REPLACE INTO history_chunks (tier, series, start, data) VALUES (?, ?, ?, ?)").run(tier, series, start, data);
}

/** A chunk's points. */
export function readChunk(tier: TierName, start: number, data: Uint8Array): ChunkPoints {
  return tier === "raw" ? unpackRaw(start, data) : unpackRolled(start, tierOf(tier).bucketMs, data);
}

/** The points of `p` in [from, to) (they are sorted by time). */
function within(p: ChunkPoints, from: number, to: number): ChunkPoints {
  let lo = 0;
  while (lo < p.t.length && p.t[lo]! < from) lo++;
  let hi = lo;
  while (hi < p.t.length && p.t[hi]! < to) hi++;
  if (lo === 0 && hi === p.t.length) return p;
  const cut = (a: ArrayLike<number>) => Array.prototype.slice.call(a, lo, hi) as number[];
  return { t: cut(p.t), min: cut(p.min), avg: cut(p.avg), max: cut(p.max), n: p.n ? cut(p.n) : null };
}

export function writeEvents(db: Database.Database, events: readonly HistoryEvent[]): void {
  const insert = statement(db, "INSERT INTO history_events (at, kind, subject, labels, data) VALUES (?, ?, ?, ?, ?)");
  for (const e of events) insert.run(e.at, e.kind, e.subject, labelsKey(e.labels), JSON.stringify(e.data));
}

export interface HistoryStoreOptions {
  /**
   * Points are written once the oldest one kept in memory is this much older
   * than the cycle recording (ms, of the cycles' own time; default 60 000).
   * 0 writes each cycle's points at once (`check`: one cycle per process).
   */
  flushEveryMs?: number;
  /** At most this many points in memory: more are written at once (default 20 000). */
  maxBuffered?: number;
}

/**
 * A cycle's points, kept until they are written: as the head row they become
 * (series ids and values), not as the points given, which would each live a
 * minute and so outlast V8's young generation (copied twice, then kept in the
 * old one until a full collection).
 */
interface BufferedCycle {
  at: number;
  ids: Uint32Array;
  vals: Float64Array;
  /** Points of series without an id yet (new ones: made when written, in the transaction), by their place in `ids`. */
  pending: Array<{ at: number; metric: string; labels: Record<string, string> }> | null;
}

/** The key of every series without labels (host-wide ones): each sample has an `{}` of its own, made anew each cycle. */
const NO_LABELS: Record<string, string> = Object.freeze({});

function hasLabels(labels: Record<string, string>): boolean {
  for (const _ in labels) return true;
  return false;
}

/** The history's writes and queries on one connection. */
export class HistoryStore implements HistoryJournal {
  /** Series ids by metric and labels key, as written. */
  private readonly ids = new Map<string, number>();
  /** Labels keys by labels object (`labelsKey` sorts and serialises). */
  private readonly keys = new WeakMap<Record<string, string>, string>();
  /** Series ids by labels object and metric: a container's labels object is the same from cycle to cycle (collect/docker/docker.ts `containerLabels`). */
  private byLabels = new WeakMap<Record<string, string>, Map<string, number>>();
  private readonly flushEveryMs: number;
  private readonly maxBuffered: number;
  /**
   * The series of the last cycle whose ids were all known, by position, and
   * their ids: a cycle of the same series in the same order (most cycles: a
   * container's samples share one labels object) takes the same ids list
   * without looking each up.
   */
  private last: { metrics: string[]; labels: Record<string, string>[]; ids: Uint32Array } | null = null;
  /** Cycles whose points are not written yet, oldest first. */
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
    return this.knownId(metric, labels) ?? this.lookUpSeries(metric, labels);
  }

  /** The id of a series already known to this store (no query); undefined when it is not. */
  private knownId(metric: string, labelsGiven: Record<string, string>): number | undefined {
    const labels = hasLabels(labelsGiven) ? labelsGiven : NO_LABELS;
    let byMetric = this.byLabels.get(labels);
    const seen = byMetric?.get(metric);
    if (seen !== undefined) return seen;
    // A container's samples share one labels object: its key is made once, not once per sample (this runs for every point of every cycle).
    let key = this.keys.get(labels);
    if (key === undefined) {
      key = labelsKey(labels);
      this.keys.set(labels, key);
    }
    const known = this.ids.get(`${metric}\0${key}`);
    if (known === undefined) return undefined;
    if (!byMetric) {
      byMetric = new Map();
      this.byLabels.set(labels, byMetric);
    }
    byMetric.set(metric, known);
    return known;
  }

  private lookUpSeries(metric: string, labels: Record<string, string>): number {
    const key = labelsKey(labels);
    statement(this.db, "INSERT INTO history_series (metric, labels) VALUES (?, ?) ON CONFLICT (metric, labels) DO NOTHING").run(metric, key);
    const id = statement(this.db, "SELECT id FROM history_series WHERE metric = ? AND labels = ?").pluck().get(metric, key) as number;
    this.ids.set(`${metric}\0${key}`, id);
    return id;
  }

  /** Adds to `into` the ids of the series whose points wait in memory (the maintainer keeps them). */
  bufferedIds(into: Set<number>): void {
    for (const c of this.buffer) for (const id of c.ids) into.add(id);
  }

  /** Series ids may have been deleted (the maintainer drops series left without points): look them up again. */
  forgetIds(): void {
    this.last = null;
    this.ids.clear();
    this.byLabels = new WeakMap();
  }

  /**
   * A cycle's points go to the buffer (written when it is due: see
   * `flushEveryMs`, `maxBuffered`), its events to the journal at once. Only
   * the events' write can throw: a failed write of points is logged and the
   * points dropped (`flush`).
   */
  record(at: number, points: HistoryPoints, events: readonly HistoryEvent[]): void {
    if (points.length > 0) {
      const vals = points.values.slice(0, points.length);
      const { metrics, labels } = points;
      let ids = this.sameSeriesIds(points);
      let pending: BufferedCycle["pending"] = null;
      if (ids === null) {
        ids = new Uint32Array(points.length);
        for (let i = 0; i < points.length; i++) {
          const id = this.knownId(metrics[i]!, labels[i]!);
          if (id !== undefined) ids[i] = id;
          else {
            pending ??= [];
            pending.push({ at: i, metric: metrics[i]!, labels: labels[i]! });
          }
        }
        // Kept for the next cycle only when complete (a pending id is filled in when written).
        this.last = pending === null ? { metrics: metrics.slice(0, points.length), labels: labels.slice(0, points.length).map((l) => (hasLabels(l) ? l : NO_LABELS)), ids } : null;
      }
      this.buffer.push({ at, ids, vals, pending });
      this.buffered += points.length;
    }
    const oldest = this.buffer[0]?.at;
    // A clock set back (at < oldest) also writes: the buffer never spans more than flushEveryMs either way.
    if (oldest !== undefined && (this.buffered >= this.maxBuffered || Math.abs(at - oldest) >= this.flushEveryMs)) this.flush();
    this.recordEvents(events);
  }

  /** The last cycle's ids list, when `points` are the same series in the same order; else null. */
  private sameSeriesIds(points: HistoryPoints): Uint32Array | null {
    const last = this.last;
    if (last === null || last.ids.length !== points.length) return null;
    const { metrics, labels } = points;
    for (let i = 0; i < points.length; i++) {
      if (metrics[i] !== last.metrics[i]) return null;
      // Host-wide samples have an `{}` of their own each cycle: kept as NO_LABELS.
      const was = last.labels[i];
      if (labels[i] !== was && (was !== NO_LABELS || hasLabels(labels[i]!))) return null;
    }
    return last.ids;
  }

  /** How many points wait in memory. */
  bufferedPoints(): number {
    return this.buffered;
  }

  /** The time of the oldest point waiting in memory, or null. */
  oldestBuffered(): number | null {
    return this.buffer[0]?.at ?? null;
  }

  /**
   * Writes the points kept in memory to the head, a row per cycle, in one
   * transaction that does not wait for the disk. Never throws: a failure is
   * logged once (until a write works) and those points are dropped (history
   * never stands in a cycle's or a query's way).
   */
  flush(): void {
    if (this.buffer.length === 0) return;
    const cycles = this.buffer;
    this.buffer = [];
    this.buffered = 0;
    try {
      withoutWaitingForDisk(this.db, () => {
        for (const c of cycles) {
          for (const p of c.pending ?? []) c.ids[p.at] = this.seriesId(p.metric, p.labels);
          writeHeadRow(this.db, c.at, c.ids, c.vals);
        }
      });
      if (this.flushFailing !== null) log.info(processMessages().t("log.history.pointsAgain"));
      this.flushFailing = null;
    } catch (err) {
      this.forgetIds(); // series made in the transaction that was rolled back are not in the table
      const why = describeError(err);
      if (why !== this.flushFailing) log.error(processMessages().t("log.history.pointsFailed"), { error: why, points: cycles.reduce((n, c) => n + c.ids.length, 0) });
      this.flushFailing = why;
    }
  }

  /** Writes what is buffered: the agent calls it before it closes the database. */
  close(): void {
    this.flush();
  }

  recordEvents(events: readonly HistoryEvent[]): void {
    if (events.length === 0) return;
    withoutWaitingForDisk(this.db, () => writeEvents(this.db, events));
  }

  /** The series known (of `metric`, when given) whose labels include every one of `labels`, by id. */
  series(metric?: string, labels: Record<string, string> = {}): Series[] {
    this.flush(); // a series seen only in buffered points is found too
    const keys = Object.keys(labels).sort();
    const where = [...(metric === undefined ? [] : ["metric = ?"]), ...keys.map(() => "json_extract(labels, ?) = ?")];
    const sql = `SELECT id, metric, labels FROM history_series${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id`;
    const args = [...(metric === undefined ? [] : [metric]), ...keys.flatMap((k) => [labelPath(k), labels[k]!])];
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
   * has not rolled up yet (its last chunk or so) is read from finer tiers, and
   * raw points not rolled up from the head.
   */
  points(seriesId: number, from: number, to: number, stepMs: number, now: number): PointsAnswer {
    this.flush(); // a chart never misses the points still in memory
    const tier = this.tierFor(from, stepMs, now);
    const step = Math.max(stepMs, tier.bucketMs, 1);
    return reading(this.db, () => {
      const parts: ChunkPoints[] = [];
      let start = from;
      // From the chosen tier down to raw: each reads up to where its roll-up has got.
      for (let i = TIERS.indexOf(tier); i > 0 && start < to; i--) {
        const t = TIERS[i]!;
        const until = this.rolledUntil(t.name as RolledTier);
        if (until === null) continue; // nothing rolled up yet: the finer tiers have it all
        const end = Math.min(to, until);
        if (end <= start) continue;
        parts.push(...this.readChunks(t, seriesId, start, end));
        start = end;
      }
      if (start < to) {
        const chunked = this.rolledUntil("1m"); // raw chunks are written with the 1-minute ones
        const end = Math.min(to, chunked ?? start);
        if (end > start) parts.push(...this.readChunks(TIERS[0]!, seriesId, start, end));
        parts.push(this.readHead(seriesId, Math.max(start, end), to));
      }
      const b = rollUp(parts, step);
      return { tier: tier.name, stepMs: step, points: b.t.map((t, k) => ({ t, min: b.min[k]!, avg: b.avg[k]!, max: b.max[k]! })) };
    });
  }

  private readChunks(tier: Tier, seriesId: number, from: number, to: number): ChunkPoints[] {
    const rows = statement(this.db, "SELECT start, data FROM history_chunks WHERE tier = ? AND series = ? AND start > ? AND start < ? ORDER BY start").all(
      tier.name,
      seriesId,
      from - tier.chunkMs,
      to,
    ) as Array<{ start: number; data: Buffer }>;
    return rows.map((r) => within(readChunk(tier.name, r.start, r.data), from, to));
  }

  /** A series' raw points in the head, in [from, to): SQLite cuts each row's value out, by the series' place in the row's ids. */
  private readHead(seriesId: number, from: number, to: number): ChunkPoints {
    const t: number[] = [];
    const v: number[] = [];
    const lists = statement(this.db, "SELECT DISTINCT ids FROM history_head WHERE t >= ? AND t < ?").pluck().all(from, to) as Buffer[];
    for (const ids of lists) {
      const k = unpackIds(ids).indexOf(seriesId);
      if (k < 0) continue;
      const rows = statement(this.db, "SELECT t, substr(vals, ?, 8) AS v FROM history_head WHERE t >= ? AND t < ? AND ids = ?").all(k * 8 + 1, from, to, ids) as Array<{
        t: number;
        v: Buffer;
      }>;
      for (const r of rows) {
        t.push(r.t);
        v.push(r.v.readDoubleLE(0));
      }
    }
    if (lists.length > 1) {
      const order = t.map((_, i) => i).sort((a, b) => t[a]! - t[b]!);
      const ts = order.map((i) => t[i]!);
      const vs = order.map((i) => v[i]!);
      return { t: ts, min: vs, avg: vs, max: vs, n: null };
    }
    return { t, min: v, avg: v, max: v, n: null };
  }

  /** Where a rolled tier's roll-up has got: every chunk span before this is written (for 1m, the raw chunks too); null before its first. */
  rolledUntil(tier: RolledTier): number | null {
    return (statement(this.db, "SELECT done_until FROM history_rollup WHERE tier = ?").pluck().get(tier) as number | undefined) ?? null;
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

export interface StepResult {
  /** Rows read (head rows, chunks) and chunks written by the roll-up. */
  rolled: number;
  /** Rows deleted (head rows rolled up, chunks and events past their retention). */
  deleted: number;
  /** Work was left for the next step (the budget ran out). */
  more: boolean;
}

export interface MaintainerOptions {
  /** At most this many rows read, written or deleted per step (default 5 000). */
  maxRows?: number;
  /** For the time budget (default clock.ts monotonicMs; a test gives its own). */
  clock?: () => number;
  /** At most about this many of the head's values held at once by a roll-up (default HEAD_WINDOW_VALUES). */
  windowValues?: number;
}

/**
 * An hour of the head is rolled up a batch of series at a time, so that the
 * values held while it is (for the minutes its steps take) stay about this
 * many: 1 MiB of float64s, whatever the number of containers. Each batch reads
 * the hour's rows again (what SQLite gives is whole rows); for 20 containers
 * at 2 s (320 series, 72 a batch) that is 5 batches.
 */
export const HEAD_WINDOW_VALUES = 131_072;

/** How many series ids a step reads at a time. */
const SERIES_BATCH = 256;
/** Head rows read at a time (a row holds a cycle: ~12 bytes a series). */
const HEAD_ROWS_PER_READ = 30;
/** Rows deleted at a time. */
const DELETE_BATCH = 100;

/**
 * A step's budget: rows (read, written, deleted) and time. Time is looked at
 * between units of work: the step stops when the longest unit seen so far
 * would no longer fit, so that it overruns its budget rarely and by little.
 */
class StepBudget {
  rows = 0;
  private readonly started: number;
  private last: number;
  private longest = 0;

  constructor(
    private readonly maxRows: number,
    private readonly budgetMs: number,
    private readonly clock: () => number,
  ) {
    this.started = clock();
    this.last = this.started;
  }

  /** Whether to stop before the next unit. */
  spent(): boolean {
    if (this.rows >= this.maxRows) return true;
    const t = this.clock();
    this.longest = Math.max(this.longest, t - this.last);
    this.last = t;
    return t - this.started + this.longest >= this.budgetMs;
  }

  /** Rows the budget still has (at least 1: a unit is never split to nothing). */
  room(): number {
    return Math.max(1, this.maxRows - this.rows);
  }
}

/**
 * The head hour being rolled up, read into memory a few rows a step, as the
 * rows came: consecutive rows with the same series (most of an hour's: the
 * same ids BLOB) are one run, with each series' place in them looked up once.
 * A series' times and values are gathered from the runs when its chunks are
 * written (into typed arrays of the right length: pushing every point of
 * every series into lists as the rows were read was most of the roll-up's
 * own work under --lite-mode).
 */
interface HeadWindow {
  start: number;
  /** The next head row to read is at this time or later; null once every row of the hour is read. */
  nextT: number | null;
  runs: HeadRun[];
  /** The times of the series found in the same runs ("1" for a run a series is in, "0" for one it is not), once every row is read. */
  times: Map<string, RawTimes>;
  /** Rows of the hour not read yet (counted when the window opened). */
  rowsLeft: number;
  /** Rows in the hour (0: a gap). */
  rows: number;
  /** The batch of series it holds: ids from `lo`, below `hi` (null: to the last). */
  lo: number;
  hi: number | null;
}

/**
 * Consecutive head rows with the same series in the same order, the batch's
 * values of them in one array (row after row, `picks.length` values each):
 * one allocation for the run, not thousands of small ones (one a row) held
 * for the minutes the hour takes to roll up.
 */
interface HeadRun {
  ids: Buffer;
  /** Each series of the batch: its place in the run's values (row by row). */
  places: Map<number, number>;
  /** Where each of them is in a head row's values. */
  picks: Int32Array;
  t: number[];
  /** Row r's values are `values[r * picks.length …]`; room for more rows at the end. */
  values: Float64Array;
}

/** Adds the batch's values of a head row (`vals`: float64s) to a run, making room for `more` rows (at least 16) when it has none. */
function addRow(run: HeadRun, t: number, vals: Buffer, more: number): void {
  const width = run.picks.length;
  const at = run.t.length * width;
  if (at + width > run.values.length) {
    const bigger = new Float64Array(at + Math.max(16, more) * width);
    bigger.set(run.values.subarray(0, at));
    run.values = bigger;
  }
  // A view when SQLite's buffer is aligned for float64s, else a copy.
  const row = vals.byteOffset % 8 === 0 ? new Float64Array(vals.buffer, vals.byteOffset, vals.length / 8) : unpackValues(vals);
  const { picks, values } = run;
  for (let i = 0; i < width; i++) values[at + i] = row[picks[i]!]!;
  run.t.push(t);
}

/**
 * A series' points in the head window, in time order (the runs are), with
 * their times as raw chunks' `RawTimes`: one object for all the series found
 * in the same runs (all of them, most often: containers there the whole
 * hour), so that what is worked out from the times alone (the packed time
 * column, the 1-minute buckets) is worked out once for each such group.
 */
function gatherSeries(w: HeadWindow, id: number): { times: RawTimes; v: Float64Array } {
  let pattern = "";
  let count = 0;
  for (const run of w.runs) {
    if (run.places.has(id)) {
      pattern += "1";
      count += run.t.length;
    } else pattern += "0";
  }
  let times = w.times.get(pattern);
  if (!times) {
    const t = new Float64Array(count);
    let j = 0;
    for (const run of w.runs) if (run.places.has(id)) for (let r = 0; r < run.t.length; r++) t[j++] = run.t[r]!;
    times = rawTimes(w.start, t);
    w.times.set(pattern, times);
  }
  const v = new Float64Array(count);
  let j = 0;
  for (const run of w.runs) {
    const k = run.places.get(id);
    if (k === undefined) continue;
    const { values } = run;
    const width = run.picks.length;
    const rows = run.t.length;
    for (let r = 0, at = k; r < rows; r++, at += width) v[j++] = values[at]!;
  }
  return { times, v };
}

/**
 * Rolls up and deletes in small steps: `step(now, budgetMs)` works until
 * `budgetMs` has passed (or `maxRows` rows), in one transaction that does not
 * wait for the disk, and says whether more is left. Its units are small: a
 * few head rows read, one series' chunk rolled up, a hundred rows deleted.
 *
 * - head → raw and 1-minute chunks, an hour at a time once it has been over
 *   for `RAW_LAG_MS`: the hour's rows are read into memory a few at a time,
 *   then each series' chunks are written, series by series;
 * - 1-minute chunks → 10-minute ones a day at a time, 10-minute → 1-hour a
 *   week at a time, series by series, each from the finer tier's chunks of
 *   the span;
 * - deletion of whole chunks past their tier's retention (never before the
 *   next tier has rolled them up), of head rows once rolled up, of events.
 *
 * Where each roll-up is (`done_until`, `next_series`) is kept in
 * `history_rollup`, so a step can stop in the middle of a span and the next
 * (or the next process's) goes on from there.
 */
export class HistoryMaintainer {
  private readonly maxRows: number;
  private readonly clock: () => number;
  private readonly windowValues: number;
  private window: HeadWindow | null = null;

  constructor(
    readonly store: HistoryStore,
    opts: MaintainerOptions = {},
  ) {
    this.maxRows = opts.maxRows ?? 5_000;
    this.clock = opts.clock ?? monotonicMs;
    this.windowValues = opts.windowValues ?? HEAD_WINDOW_VALUES;
  }

  private get db(): Database.Database {
    return this.store.db;
  }

  step(now: number, budgetMs: number, maxRows = this.maxRows): StepResult {
    const budget = new StepBudget(maxRows, budgetMs, this.clock);
    const out: StepResult = { rolled: 0, deleted: 0, more: false };
    // Points still in memory whose hour may be rolled up now are written first, so that none lands behind the roll-up.
    const oldest = this.store.oldestBuffered();
    if (oldest !== null && oldest < now - RAW_LAG_MS) this.store.flush();
    withoutWaitingForDisk(this.db, () => {
      const passes: Array<() => boolean> = [
        () => this.rollHead(now, budget),
        () => this.rollChunks(TIERS[1]!, TIERS[2]!, budget),
        () => this.rollChunks(TIERS[2]!, TIERS[3]!, budget),
      ];
      for (const pass of passes) if (!out.more) out.more = pass();
      out.rolled = budget.rows;
      const deletions: Array<() => boolean> = [
        () => this.deleteRows("history_head", "t", this.store.rolledUntil("1m"), null, budget),
        ...TIERS.map((t) => () => this.deleteChunks(t, now, budget)),
        () => this.deleteRows("history_events", "at", now - this.store.retention["1h"], null, budget),
      ];
      for (const del of deletions) if (!out.more) out.more = del();
      out.deleted = budget.rows - out.rolled;
    });
    return out;
  }

  private cursor(tier: RolledTier): { doneUntil: number | null; nextSeries: number } {
    const saved = statement(this.db, "SELECT done_until, next_series FROM history_rollup WHERE tier = ?").get(tier) as { done_until: number; next_series: number } | undefined;
    return { doneUntil: saved?.done_until ?? null, nextSeries: saved?.next_series ?? 0 };
  }

  private saveCursor(tier: RolledTier, doneUntil: number, nextSeries: number): void {
    statement(
      this.db,
      "INSERT INTO history_rollup (tier, done_until, next_series) VALUES (?, ?, ?) ON CONFLICT (tier) DO UPDATE SET done_until = excluded.done_until, next_series = excluded.next_series",
    ).run(tier, doneUntil, nextSeries);
  }

  /** Head hours into raw and 1-minute chunks. */
  private rollHead(now: number, budget: StepBudget): boolean {
    const width = TIERS[0]!.chunkMs;
    const closed = Math.floor((now - RAW_LAG_MS) / width) * width;
    let { doneUntil, nextSeries } = this.cursor("1m");
    const was = `${doneUntil}/${nextSeries}`;
    const nextHeadRow = (from: number) => statement(this.db, "SELECT MIN(t) FROM history_head WHERE t >= ?").pluck().get(from) as number | null;
    if (doneUntil === null) {
      const first = nextHeadRow(Number.MIN_SAFE_INTEGER);
      if (first === null) return false;
      doneUntil = Math.floor(first / width) * width;
    }
    let more = false;
    outer: while (doneUntil + width <= closed) {
      let w = this.window;
      if (!w || w.start !== doneUntil || nextSeries < w.lo || (w.hi !== null && nextSeries >= w.hi)) {
        // The hour's rows, counted once: a run makes room for all that are left when it starts (most hours are one run).
        const rows = statement(this.db, "SELECT COUNT(*) FROM history_head WHERE t >= ? AND t < ?")
          .pluck()
          .get(doneUntil, doneUntil + width) as number;
        // The batch: as many series (known ones, from nextSeries on) as keep the values held under windowValues.
        const perBatch = Math.max(16, Math.floor(this.windowValues / Math.max(1, rows)));
        const hi = statement(this.db, "SELECT id FROM history_series WHERE id >= ? ORDER BY id LIMIT 1 OFFSET ?").pluck().get(nextSeries, perBatch) as number | undefined;
        w = { start: doneUntil, nextT: doneUntil, runs: [], times: new Map(), rowsLeft: rows, rows, lo: nextSeries, hi: hi ?? null };
        this.window = w;
      }
      while (w.nextT !== null) {
        if (budget.spent()) {
          more = true;
          break outer;
        }
        const limit = Math.min(HEAD_ROWS_PER_READ, budget.room());
        const got = statement(this.db, "SELECT t, ids, vals FROM history_head WHERE t >= ? AND t < ? ORDER BY t LIMIT ?").all(w.nextT, doneUntil + width, limit) as Array<{
          t: number;
          ids: Buffer;
          vals: Buffer;
        }>;
        for (const r of got) {
          // A row whose values do not match its series (never written so) is passed over.
          if (r.vals.length !== r.ids.length * 2) continue;
          // Consecutive cycles mostly have the same series: one run, their places looked up once.
          let run = w.runs[w.runs.length - 1];
          if (!run?.ids.equals(r.ids)) {
            // The run before ends here: it keeps only the room its rows take.
            if (run && run.values.length > run.t.length * run.picks.length) run.values = run.values.slice(0, run.t.length * run.picks.length);
            const ids = unpackIds(r.ids);
            const places = new Map<number, number>();
            const picks: number[] = [];
            for (let k = 0; k < ids.length; k++) {
              const id = ids[k]!;
              if (id < w.lo || (w.hi !== null && id >= w.hi)) continue;
              // A series twice in a row (never written so: writeHead keeps the last) keeps its last place.
              const place = places.get(id);
              if (place === undefined) {
                places.set(id, picks.length);
                picks.push(k);
              } else picks[place] = k;
            }
            run = { ids: r.ids, places, picks: Int32Array.from(picks), t: [], values: new Float64Array(0) };
            w.runs.push(run);
          }
          addRow(run, r.t, r.vals, w.rowsLeft);
          w.rowsLeft = Math.max(0, w.rowsLeft - 1);
        }
        budget.rows += got.length;
        w.nextT = got.length < limit ? null : got[got.length - 1]!.t + 1;
      }
      // Series dropped meanwhile are not written again (their points are forgotten with them). Only the batch's are asked for.
      const known = new Set(statement(this.db, "SELECT id FROM history_series WHERE id >= ? AND (? IS NULL OR id < ?)").pluck().all(nextSeries, w.hi, w.hi) as number[]);
      const inWindow = new Set<number>();
      for (const run of w.runs) for (const id of run.places.keys()) inWindow.add(id);
      const ids = [...inWindow].filter((id) => id >= nextSeries && known.has(id)).sort((a, b) => a - b);
      for (const id of ids) {
        if (budget.spent()) {
          more = true;
          break outer;
        }
        const { times, v } = gatherSeries(w, id);
        writePacked(this.db, "raw", id, doneUntil, packRawOf(times, v));
        writeChunk(this.db, "1m", id, doneUntil, rollUpRaw(times, v, TIERS[1]!.bucketMs));
        budget.rows += 2;
        nextSeries = id + 1;
      }
      this.window = null;
      if (w.hi !== null) {
        // The next batch of this hour: its rows are read again.
        nextSeries = w.hi;
        continue;
      }
      const empty = w.rows === 0;
      doneUntil += width;
      nextSeries = 0;
      if (empty) {
        // A gap (the agent was stopped): jump to the next hour that has anything.
        const next = nextHeadRow(doneUntil);
        doneUntil = next === null ? Math.max(doneUntil, closed) : Math.max(doneUntil, Math.min(Math.floor(next / width) * width, closed));
      }
    }
    if (`${doneUntil}/${nextSeries}` !== was) this.saveCursor("1m", doneUntil, nextSeries);
    return more;
  }

  /** `source`'s chunks into `target`'s, a target chunk span at a time, series by series. */
  private rollChunks(source: Tier, target: Tier, budget: StepBudget): boolean {
    const width = target.chunkMs;
    const complete = this.store.rolledUntil(source.name as RolledTier);
    if (complete === null) return false;
    const closed = Math.floor(complete / width) * width;
    let { doneUntil, nextSeries } = this.cursor(target.name as RolledTier);
    const was = `${doneUntil}/${nextSeries}`;
    const nextChunk = (from: number) => statement(this.db, "SELECT MIN(start) FROM history_chunks WHERE tier = ? AND start >= ?").pluck().get(source.name, from) as number | null;
    if (doneUntil === null) {
      const first = nextChunk(Number.MIN_SAFE_INTEGER);
      if (first === null) return false;
      doneUntil = Math.floor(first / width) * width;
    }
    const read = statement(this.db, "SELECT start, data FROM history_chunks WHERE tier = ? AND series = ? AND start >= ? AND start < ? ORDER BY start");
    let more = false;
    outer: while (doneUntil + width <= closed) {
      let spanRows = 0;
      for (let ids = this.seriesFrom(nextSeries); ids.length > 0; ids = this.seriesFrom(nextSeries)) {
        for (const id of ids) {
          if (budget.spent()) {
            more = true;
            break outer;
          }
          const got = read.all(source.name, id, doneUntil, doneUntil + width) as Array<{ start: number; data: Buffer }>;
          if (got.length > 0) {
            const parts = got.map((r) => readChunk(source.name, r.start, r.data));
            writeChunk(this.db, target.name, id, doneUntil, rollUp(parts, target.bucketMs));
            budget.rows += got.length + 1;
            spanRows += got.length;
          }
          nextSeries = id + 1;
        }
      }
      doneUntil += width;
      nextSeries = 0;
      if (spanRows === 0) {
        // A gap, or a span begun in an earlier step: jump to the next span that has anything (never past one that has).
        const next = nextChunk(doneUntil);
        doneUntil = next === null ? Math.max(doneUntil, closed) : Math.max(doneUntil, Math.min(Math.floor(next / width) * width, closed));
      }
    }
    if (`${doneUntil}/${nextSeries}` !== was) this.saveCursor(target.name as RolledTier, doneUntil, nextSeries);
    return more;
  }

  private seriesFrom(id: number): number[] {
    return statement(this.db, "SELECT id FROM history_series WHERE id >= ? ORDER BY id LIMIT ?").pluck().all(id, SERIES_BATCH) as number[];
  }

  /**
   * Deletes `tier`'s chunks wholly older than its retention (and, for a tier
   * the next one is made from, not before that one rolled them up); once the
   * 1-hour tier has let some go, the series left without any point.
   */
  private deleteChunks(tier: Tier, now: number, budget: StepBudget): boolean {
    let cutoff = now - this.store.retention[tier.name];
    const next = TIERS[TIERS.indexOf(tier) + 1];
    // Raw chunks are not rolled up (the head is): only the 1-minute and 10-minute ones wait for the next tier.
    if (next && tier.name !== "raw") cutoff = Math.min(cutoff, this.store.rolledUntil(next.name as RolledTier) ?? Number.NEGATIVE_INFINITY);
    if (!Number.isFinite(cutoff)) return false;
    const before = budget.rows;
    const more = this.deleteRows("history_chunks", "start", cutoff - tier.chunkMs + 1, tier.name, budget);
    if (tier.name === "1h" && budget.rows > before && !more) this.dropEmptySeries();
    return more;
  }

  /** Rows of `table` with `column` < `before` (and of `tier`), `DELETE_BATCH` at a time. */
  private deleteRows(table: string, column: string, before: number | null, tier: TierName | null, budget: StepBudget): boolean {
    if (before === null) return false;
    const key = table === "history_chunks" ? "rowid" : column === "t" ? "t" : "id";
    const del = statement(
      this.db,
      `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${tier ? "tier = @tier AND " : ""}${column} < @before ORDER BY ${column} LIMIT @limit)`,
    );
    for (;;) {
      if (budget.spent()) return true;
      const limit = Math.min(DELETE_BATCH, budget.room());
      const n = del.run({ before, limit, ...(tier ? { tier } : {}) }).changes;
      budget.rows += n;
      if (n < limit) return false;
    }
  }

  /** Series left without a point in any chunk or head row (a container gone for longer than every tier is kept). */
  private dropEmptySeries(): void {
    const inHead = new Set<number>();
    for (const ids of statement(this.db, "SELECT DISTINCT ids FROM history_head").pluck().all() as Buffer[]) for (const id of unpackIds(ids)) inHead.add(id);
    // And those of points still in memory: their ids were taken when recorded, and would name a deleted series when written.
    this.store.bufferedIds(inHead);
    const empty = statement(
      this.db,
      `SELECT id FROM history_series s WHERE NOT EXISTS (SELECT 1 FROM history_chunks c WHERE c.tier IN (${TIERS.map((t) => `'${t.name}'`).join(", ")}) AND c.series = s.id)`,
    )
      .pluck()
      .all() as number[];
    const gone = empty.filter((id) => !inHead.has(id));
    const del = statement(this.db, "DELETE FROM history_series WHERE id = ?");
    for (const id of gone) del.run(id);
    if (gone.length > 0) this.store.forgetIds();
  }
}

/**
 * The outbox's journal, with the notifications sent and given up on also
 * written to the events journal (after the outbox's own write, in a
 * transaction of their own: history never stands in delivery's way; a
 * failure is logged once, until it works again).
 */
export function recordingDeliveries(journalNow: () => OutboxJournal, history: () => HistoryStore | null, clock: () => number = Date.now): OutboxJournal {
  const note = (all: readonly QueuedDelivery[], kind: "notification.sent" | "notification.given_up", failures: readonly FailedDelivery[] = [], answer?: string) => {
    const store = history();
    // A re-send of a firing alert's state (Notification.resend) is not news: the history keeps the notifications.
    const items = all.filter((q) => !q.entry.notification.resend);
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
        data: {
          notification: n.id,
          kind: n.kind,
          receiver: delivery.receiver,
          attempts: delivery.attempts,
          ...(failed ? { error: failed.error } : {}),
          // Redacted when it was made; once more here, as it goes into the data directory.
          ...(answer !== undefined ? { answer: redact(answer) } : {}),
        },
      };
    });
    try {
      store.recordEvents(events);
      if (deliveriesFailing !== null) log.info(processMessages().t("log.history.deliveriesAgain"));
      deliveriesFailing = null;
    } catch (err) {
      const why = describeError(err);
      if (why !== deliveriesFailing) log.error(processMessages().t("log.history.deliveryFailed"), { error: why });
      deliveriesFailing = why;
    }
  };
  let deliveriesFailing: string | null = null;
  return {
    delivered: (items, answer) => {
      if (answer === undefined) journalNow().delivered(items);
      else journalNow().delivered(items, answer);
      note(items, "notification.sent", [], answer);
    },
    attempted: (items) => journalNow().attempted(items),
    gaveUp: (items, failures) => {
      journalNow().gaveUp(items, failures);
      note(items, "notification.given_up", failures);
    },
    markReported: (failures, at, receiver) => journalNow().markReported(failures, at, receiver),
    forgetReceiversExcept: (names) => journalNow().forgetReceiversExcept(names),
    superseded: (items) => journalNow().superseded?.(items),
  };
}
