/**
 * History on real SQLite in a temporary data directory, at times the tests
 * choose (nothing waits): points written to the head a row per cycle, turned
 * into packed raw and 1-minute chunks an hour at a time, rolled up into
 * 10-minute (a day a chunk) and 1-hour (a week a chunk) min/avg/max; each
 * tier's retention; roll-up and deletion in steps of bounded size and time;
 * which tier a chart reads; the packing; the events journal and its filters;
 * points kept in memory and written together when the store is told to.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateRawSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { setLogSink } from "../../src/log.js";
import { HistoryPoints } from "../../src/pipeline/record.js";
import { type Db, openDatabase } from "../../src/store/database.js";
import { HistoryMaintainer, HistoryStore, type Retention, readChunk, retentionOf, type TierName } from "../../src/store/history.js";
import { type ChunkPoints, packColumns, packRaw, packRawOf, rawTimes, rollUp, rollUpRaw, unpackColumns, unpackIds, unpackRaw } from "../../src/store/history-packing.js";
import { statement } from "../../src/store/statements.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** The start of a week (weeks count from the epoch): a chunk of every tier starts here. */
const T0 = Math.floor(Date.UTC(2026, 10, 1) / WEEK) * WEEK;
const DEFAULTS = retentionOf(configSchema.parse({}).history);

function rig(retention: Retention = DEFAULTS, maxRows?: number) {
  const db: Db = openDatabase(join(mkdtempSync(join(tmpdir(), "lookout-history-")), "data"));
  const store = new HistoryStore(db, retention, { flushEveryMs: 0 }); // each cycle written at once: these tests count rows
  const maintainer = new HistoryMaintainer(store, maxRows === undefined ? { clock: () => 0 } : { maxRows, clock: () => 0 });
  const count = (table: string, where = "1") => db.prepare(`SELECT COUNT(*) FROM ${table} WHERE ${where}`).pluck().get() as number;
  /** A chunk's points, as plain arrays; undefined when there is none. */
  const chunk = (tier: TierName, series: number, start: number) => {
    const r = db.prepare("SELECT data FROM history_chunks WHERE tier = ? AND series = ? AND start = ?").get(tier, series, start) as { data: Buffer } | undefined;
    return r ? plain(readChunk(tier, start, r.data)) : undefined;
  };
  /** Every chunk of a tier, as [series, start, points]. */
  const chunks = (tier: TierName) =>
    (db.prepare("SELECT series, start, data FROM history_chunks WHERE tier = ? ORDER BY series, start").all(tier) as Array<{ series: number; start: number; data: Buffer }>).map(
      (r) => [r.series, r.start, plain(readChunk(tier, r.start, r.data))] as const,
    );
  /** Steps until nothing is left, with a budget of time that never runs out (the clock stands still). */
  const settle = (now: number) => {
    let steps = 0;
    for (;;) {
      steps++;
      const r = maintainer.step(now, 1000);
      if (!r.more) return steps;
      if (steps > 10_000) throw new Error("never settles");
    }
  };
  return { db, store, maintainer, count, chunk, chunks, settle };
}

function plain(p: ChunkPoints) {
  return { t: Array.from(p.t), min: Array.from(p.min), avg: Array.from(p.avg), max: Array.from(p.max), n: p.n ? Array.from(p.n) : null };
}

/** Every `everyMs` in [from, to), one sample of cpu (value from `value`) for each of `series` containers. */
function fill(store: HistoryStore, from: number, to: number, everyMs: number, value: (t: number) => number, series = 1) {
  for (let t = from; t < to; t += everyMs) {
    store.record(t, HistoryPoints.of(Array.from({ length: series }, (_, i) => ({ metric: "container_cpu", labels: { container: `c${i}` }, value: value(t) }))), []);
  }
}

describe("history tiers", () => {
  it("keeps every sample in the head, then packs each closed hour into a raw chunk and 1-minute min/avg/max, then 10 minutes and an hour weighted by samples", () => {
    const { store, settle, count, chunk } = rig();
    const values = [1, 2, 3, 4, 5, 9];
    // Minute 0: six samples; minute 1: one sample of 100 (a cycle or two missed).
    for (const [i, v] of values.entries()) store.record(T0 + i * 10_000, HistoryPoints.of([{ metric: "host_cpu", labels: {}, value: v }]), []);
    store.record(T0 + MIN + 5_000, HistoryPoints.of([{ metric: "host_cpu", labels: {}, value: 100 }]), []);
    expect(count("history_head")).toBe(7);

    // An hour is rolled up once it has been over for two minutes; its head rows go then.
    settle(T0 + HOUR + MIN);
    expect(count("history_chunks")).toBe(0);
    expect(count("history_head")).toBe(7);
    settle(T0 + HOUR + 2 * MIN);
    expect(count("history_head")).toBe(0);
    const times = [...values.map((_, i) => T0 + i * 10_000), T0 + MIN + 5_000];
    expect(chunk("raw", 1, T0)).toEqual({ t: times, min: [...values, 100], avg: [...values, 100], max: [...values, 100], n: null });
    expect(chunk("1m", 1, T0)).toEqual({ t: [T0, T0 + MIN], min: [1, 100], avg: [4, 100], max: [9, 100], n: [6, 1] });
    // 10 minutes from the minutes, once the day is rolled up: the average is of the 7 samples (124 / 7), not of the two minutes' averages.
    settle(T0 + DAY - MIN);
    expect(count("history_chunks", "tier = '10m'")).toBe(0);
    settle(T0 + DAY + HOUR + 2 * MIN);
    expect(chunk("10m", 1, T0)).toEqual({ t: [T0], min: [1], avg: [124 / 7], max: [100], n: [7] });
    // An hour from the 10 minutes, once the week is rolled up.
    settle(T0 + WEEK + HOUR + 2 * MIN);
    expect(chunk("1h", 1, T0)).toEqual({ t: [T0], min: [1], avg: [124 / 7], max: [100], n: [7] });
    // Nothing is rolled up twice; the minutes went after their 7 days.
    settle(T0 + 2 * WEEK);
    expect(count("history_chunks", "tier = '1m'")).toBe(0);
    expect(count("history_chunks", "tier = '10m'")).toBe(1);
    expect(count("history_chunks", "tier = '1h'")).toBe(1);
  });

  it("rolls each series up apart, in the same chunks", () => {
    const { store, settle, chunks } = rig();
    fill(store, T0, T0 + 3 * MIN, 30_000, (t) => (t - T0) / 30_000, 3);
    store.record(T0 + 4 * MIN, HistoryPoints.of([{ metric: "container_cpu", labels: { container: "c1" }, value: 50 }]), []);
    settle(T0 + 2 * HOUR);
    const oneMinute = chunks("1m");
    expect(oneMinute.map(([series, start]) => [series, start])).toEqual([
      [1, T0],
      [2, T0],
      [3, T0],
    ]);
    expect(oneMinute[0]![2]).toEqual({ t: [T0, T0 + MIN, T0 + 2 * MIN], min: [0, 2, 4], avg: [0.5, 2.5, 4.5], max: [1, 3, 5], n: [2, 2, 2] });
    expect(oneMinute[1]![2].t).toEqual([T0, T0 + MIN, T0 + 2 * MIN, T0 + 4 * MIN]);
    expect(oneMinute[1]![2].avg).toEqual([0.5, 2.5, 4.5, 50]);
  });

  it("keeps each tier's whole chunks for its retention, never deleting what the next tier has not rolled up yet", () => {
    const retention: Retention = { raw: HOUR, "1m": DAY, "10m": 2 * DAY, "1h": 30 * DAY };
    const { store, settle, db, count } = rig(retention);
    fill(store, T0, T0 + 10 * DAY, 10 * MIN, (t) => (t - T0) / MIN);
    const starts = (tier: string) => db.prepare("SELECT DISTINCT start FROM history_chunks WHERE tier = ? ORDER BY start").pluck().all(tier) as number[];
    const now = T0 + 10 * DAY + 30 * MIN;
    settle(now);
    // raw: the chunks that end within the last hour; 1m: within the last day.
    expect(starts("raw")).toEqual([T0 + 10 * DAY - HOUR]);
    expect(starts("1m")).toEqual(Array.from({ length: 24 }, (_, i) => T0 + 9 * DAY + i * HOUR));
    // 10m: 2 days, and day 7 too: its week is not rolled up into hours yet.
    expect(starts("10m")).toEqual([T0 + 7 * DAY, T0 + 8 * DAY, T0 + 9 * DAY]);
    expect(starts("1h")).toEqual([T0]);
    // Once the second week is rolled up, its days go.
    settle(T0 + 14 * DAY + 2 * HOUR);
    expect(starts("10m")).toEqual([]);
    expect(starts("1h")).toEqual([T0, T0 + WEEK]);
    // Past every tier's retention, the chunks go, and with them the series.
    settle(T0 + 60 * DAY);
    expect(count("history_chunks")).toBe(0);
    expect(count("history_series")).toBe(0);
    // A series recorded again after its row went is made again, with a new id (ids are never reused).
    store.record(T0 + 61 * DAY, HistoryPoints.of([{ metric: "container_cpu", labels: { container: "c0" }, value: 1 }]), []);
    expect(db.prepare("SELECT id FROM history_series").pluck().all()).toEqual([2]);
    const [s] = store.series("container_cpu");
    expect(store.points(s!.id, T0 + 61 * DAY, T0 + 61 * DAY + MIN, 1, T0 + 61 * DAY + MIN).points.map((p) => p.avg)).toEqual([1]);
  });

  it("keeps a series whose points are only in the head when it drops those left without points", () => {
    const retention: Retention = { raw: HOUR, "1m": DAY, "10m": 7 * DAY, "1h": 30 * DAY };
    const { store, settle, count } = rig(retention);
    store.record(T0, HistoryPoints.of([{ metric: "container_cpu", labels: { container: "old" }, value: 1 }]), []);
    settle(T0 + 2 * HOUR);
    // 40 days later the old series' last chunk goes; a new one has points only in the head.
    store.record(T0 + 40 * DAY, HistoryPoints.of([{ metric: "container_cpu", labels: { container: "new" }, value: 2 }]), []);
    settle(T0 + 40 * DAY + 30 * MIN);
    expect(store.series().map((s) => s.labels.container)).toEqual(["new"]);
    expect(count("history_head")).toBe(1);
  });

  it("keeps a series whose points wait in memory when it drops those left without points (their ids are taken when recorded)", () => {
    const retention: Retention = { raw: HOUR, "1m": DAY, "10m": 7 * DAY, "1h": 30 * DAY };
    const db: Db = openDatabase(join(mkdtempSync(join(tmpdir(), "lookout-history-")), "data"));
    const store = new HistoryStore(db, retention, { flushEveryMs: HOUR });
    const maintainer = new HistoryMaintainer(store, { clock: () => 0 });
    const settle = (now: number) => {
      for (let i = 0; i < 10_000 && maintainer.step(now, 1000).more; i++);
    };
    store.record(T0, HistoryPoints.of([{ metric: "container_cpu", labels: { container: "old" }, value: 1 }]), []);
    store.flush();
    settle(T0 + 20 * DAY);
    expect(db.prepare("SELECT tier FROM history_chunks").pluck().all()).toEqual(["1h"]);
    // 40 days later the series' last chunk goes, while a new point of it waits in memory (less than the 2 minutes after which a step writes it first).
    store.record(T0 + 40 * DAY, HistoryPoints.of([{ metric: "container_cpu", labels: { container: "old" }, value: 2 }]), []);
    expect(store.bufferedPoints()).toBe(1);
    settle(T0 + 40 * DAY + MIN);
    store.flush();
    const series = db.prepare("SELECT id FROM history_series").pluck().all() as number[];
    const inHead = (db.prepare("SELECT ids FROM history_head").pluck().all() as Buffer[]).flatMap((b) => [...unpackIds(b)]);
    expect(inHead.length).toBe(1);
    for (const id of inHead) expect(series).toContain(id);
    const [s] = store.series("container_cpu");
    expect(store.points(s!.id, T0 + 40 * DAY, T0 + 40 * DAY + MIN, 1, T0 + 40 * DAY + MIN).points.map((p) => p.avg)).toEqual([2]);
  });

  it("head rows older than the raw retention wait for their roll-up before they go", () => {
    const retention: Retention = { raw: HOUR, "1m": DAY, "10m": 7 * DAY, "1h": 30 * DAY };
    const { store, maintainer, count } = rig(retention, 1_000_000);
    fill(store, T0, T0 + 2 * HOUR, 60_000, () => 5);
    // One step with no time at all rolls nothing up: nothing may be deleted either.
    expect(maintainer.step(T0 + 3 * HOUR, 0)).toEqual({ rolled: 0, deleted: 0, more: true });
    expect(count("history_head")).toBe(120);
  });

  it("works in steps of a bounded number of rows, which together do what one big step does", () => {
    const small = rig(DEFAULTS, 10);
    const big = rig(DEFAULTS);
    for (const r of [small, big]) fill(r.store, T0, T0 + 2 * DAY, 5 * MIN, (t) => (t / 1000) % 17, 7);
    const now = T0 + 2 * DAY + HOUR;
    const steps: Array<{ rolled: number; deleted: number }> = [];
    for (;;) {
      const s = small.maintainer.step(now, 1000);
      steps.push(s);
      // A unit of work is not split: one series' day of 24 one-minute chunks and the chunk made of them.
      expect(s.rolled + s.deleted).toBeLessThanOrEqual(10 + 25);
      if (!s.more) break;
    }
    expect(steps.length).toBeGreaterThan(50);
    big.settle(now);
    for (const tier of ["raw", "1m", "10m", "1h"] as const) expect(small.chunks(tier)).toEqual(big.chunks(tier));
    expect(small.count("history_chunks", "tier = '1m'")).toBe(7 * 48);
    expect(small.count("history_chunks", "tier = '10m'")).toBe(7 * 2);
  });

  it("stops when its time budget is spent (before a unit that would not fit), and goes on from there at the next step", () => {
    let clock = 0;
    const { store, db, count } = rig();
    const maintainer = new HistoryMaintainer(store, {
      clock: () => {
        clock += 1; // each look at the clock costs 1 ms
        return clock;
      },
    });
    fill(store, T0, T0 + 10 * MIN, 10_000, () => 1, 20);
    const first = maintainer.step(T0 + 2 * HOUR, 8);
    expect(first.more).toBe(true);
    // Head rows read (60) and a few series' two chunks, not all 20.
    expect(first.rolled).toBeGreaterThan(60);
    expect(first.rolled).toBeLessThan(60 + 40);
    const cursor = db.prepare("SELECT done_until, next_series FROM history_rollup WHERE tier = '1m'").get() as { done_until: number; next_series: number };
    expect(cursor.done_until).toBe(T0);
    expect(cursor.next_series).toBeGreaterThan(1);
    // A new maintainer (another process: check from cron) goes on from the saved place.
    const next = new HistoryMaintainer(store, { clock: () => 0 });
    while (next.step(T0 + 2 * HOUR, 8).more);
    expect(count("history_chunks", "tier = '1m'")).toBe(20);
    expect(count("history_chunks", "tier = 'raw'")).toBe(20);
  });

  it("skips a gap (the agent was stopped for days) without a step per empty span", () => {
    const { store, maintainer, count } = rig(DEFAULTS, 1_000);
    fill(store, T0, T0 + 2 * MIN, 30_000, () => 1);
    fill(store, T0 + 10 * DAY, T0 + 10 * DAY + 2 * MIN, 30_000, () => 2);
    const r = maintainer.step(T0 + 10 * DAY + 2 * HOUR, 1000);
    expect(r.more).toBe(false);
    // The first hour's minutes went once rolled up into 10 minutes and 7 days old.
    expect(count("history_chunks", "tier = '1m'")).toBe(1);
    expect(count("history_chunks", "tier = '10m'")).toBe(1);
    expect(count("history_chunks", "tier = '1h'")).toBe(1);
  });
});

describe("packing", () => {
  it("gives back exactly the values it was given: float64, whole and fractional, counters past 2^53 / 1000, negatives", () => {
    const t = Array.from({ length: 360 }, (_, i) => T0 + i * 10_000 + (i % 3));
    const v = t.map((_, i) => [0.1 * i, 1e11 + i * 20_001, -3.75, Math.PI * i, 2 ** 52 + i, Number.MIN_VALUE][i % 6]!);
    expect(plain(unpackRaw(T0, packRaw(T0, t, v)))).toEqual({ t, min: v, avg: v, max: v, n: null });
    const cols = { ints: [Int32Array.from([5, -7, 2 ** 31 - 1, 0])], floats: [Float64Array.from([1.5, 1.5, Number.MAX_VALUE, -0])] };
    const back = unpackColumns(packColumns(cols));
    expect(Array.from(back.ints[0]!)).toEqual([5, -7, 2 ** 31 - 1, 0]);
    expect(Array.from(back.floats[0]!)).toEqual([1.5, 1.5, Number.MAX_VALUE, -0]);
  });

  it("lays out the same bytes whatever the count of points (four at a time when it is a multiple of 4, one by one otherwise)", () => {
    // The layout as history-packing.ts describes it, byte by byte: ints delta-coded, floats XOR-ed with the one before, each
    // column's byte b of every element together.
    const reference = (ints: Int32Array[], floats: Float64Array[]): Buffer => {
      const n = ints[0]?.length ?? floats[0]!.length;
      const out: number[] = [];
      for (const col of ints) {
        const d = new Int32Array(n);
        for (let i = 0; i < n; i++) d[i] = col[i]! - (i > 0 ? col[i - 1]! : 0);
        const bytes = new Uint8Array(d.buffer);
        for (let b = 0; b < 4; b++) for (let i = 0; i < n; i++) out.push(bytes[i * 4 + b]!);
      }
      for (const col of floats) {
        const bytes = new Uint8Array(col.buffer);
        for (let b = 0; b < 8; b++) for (let i = 0; i < n; i++) out.push(bytes[i * 8 + b]! ^ (i > 0 ? bytes[(i - 1) * 8 + b]! : 0));
      }
      return Buffer.from(out);
    };
    let seed = 11;
    const next = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    for (const n of [1, 2, 3, 4, 5, 7, 8, 12, 13, 360, 361, 1800]) {
      const ints = [Int32Array.from({ length: n }, () => Math.floor((next() - 0.5) * 2 ** 32)), Int32Array.from({ length: n }, (_, i) => i * 2000)];
      const floats = [Float64Array.from({ length: n }, () => Math.round(next() * 10_000) / 100), Float64Array.from({ length: n }, () => 1e11 + next() * 1e6)];
      const packed = packColumns({ ints, floats });
      expect(inflateRawSync(packed.subarray(6)).equals(reference(ints, floats)), `n = ${n}`).toBe(true);
      const back = unpackColumns(packed);
      expect(back.ints.map((c) => Array.from(c))).toEqual(ints.map((c) => Array.from(c)));
      expect(back.floats.map((c) => Array.from(c))).toEqual(floats.map((c) => Array.from(c)));
    }
  });

  it("rolls a raw series up into buckets exactly as the general roll-up does", () => {
    let seed = 5;
    const next = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    for (const [n, gapMs] of [
      [1, 2000],
      [2, 60_000],
      [7, 2000],
      [1800, 2000],
      [500, 7_919], // buckets of uneven counts, and empty ones skipped
    ] as const) {
      const t = Array.from({ length: n }, (_, i) => T0 + i * gapMs + (i % 3));
      const times = rawTimes(T0, t);
      // Two series of the same times, the second using what the first worked out from them; and another bucket width.
      for (let k = 0; k < 2; k++) {
        const v = t.map(() => (next() < 0.2 ? -1 : Math.round(next() * 1e6) / 100));
        expect(rollUpRaw(times, v, MIN), `n = ${n}, series ${k}`).toEqual(rollUp([{ t, min: v, avg: v, max: v, n: null }], MIN));
        expect(rollUpRaw(times, v, 10 * MIN), `n = ${n}, series ${k}, 10 min`).toEqual(rollUp([{ t, min: v, avg: v, max: v, n: null }], 10 * MIN));
        expect(packRawOf(times, v).equals(packRaw(T0, t, v)), `n = ${n}, series ${k}, packed`).toBe(true);
      }
    }
    expect(rollUpRaw(rawTimes(T0, []), [], MIN)).toEqual(rollUp([{ t: [], min: [], avg: [], max: [], n: null }], MIN));
    // Each result's bucket times are its own: changing one changes no other.
    const times = rawTimes(T0, [T0, T0 + MIN]);
    const first = rollUpRaw(times, [1, 2], MIN);
    first.t[0] = -1;
    expect(rollUpRaw(times, [3, 4], MIN).t).toEqual([T0, T0 + MIN]);
  });

  it("packs an hour of a flat series at 10 s into a few bytes, and of a noisy one into no more than its float64s", () => {
    const t = Array.from({ length: 360 }, (_, i) => T0 + i * 10_000);
    expect(
      packRaw(
        T0,
        t,
        t.map(() => 536_870_912),
      ).length,
    ).toBeLessThan(60);
    let seed = 7;
    const noise = t.map(() => {
      seed = (seed * 16_807) % 2_147_483_647;
      return Math.round((seed / 2_147_483_647) * 10_000) / 100;
    });
    expect(packRaw(T0, t, noise).length).toBeLessThan(360 * 8);
  });
});

describe("history queries", () => {
  it("finds series by metric and any of their labels, or lists them all", () => {
    const { store } = rig();
    store.record(
      T0,
      HistoryPoints.of([
        { metric: "container_memory", labels: { container: "web-1", image: "shop/web:1", compose_project: "shop" }, value: 10 },
        { metric: "container_memory", labels: { container: "db-1", image: "postgres:16", compose_project: "shop" }, value: 20 },
        { metric: "container_cpu", labels: { container: "web-1", image: "shop/web:1" }, value: 1 },
        { metric: "host_disk", labels: { mount: '/weird"path' }, value: 50 },
      ]),
      [],
    );
    expect(store.series("container_memory").map((s) => s.labels.container)).toEqual(["web-1", "db-1"]);
    expect(store.series("container_memory", { container: "db-1" })).toEqual([
      { id: 2, metric: "container_memory", labels: { compose_project: "shop", container: "db-1", image: "postgres:16" } },
    ]);
    expect(store.series("container_memory", { compose_project: "shop", container: "web-1" }).map((s) => s.id)).toEqual([1]);
    expect(store.series("container_memory", { container: "nope" })).toEqual([]);
    expect(store.series("host_disk", { mount: '/weird"path' })).toHaveLength(1);
    expect(store.series().map((s) => s.metric)).toEqual(["container_memory", "container_memory", "container_cpu", "host_disk"]);
    expect(store.series(undefined, { container: "web-1" }).map((s) => s.metric)).toEqual(["container_memory", "container_cpu"]);
  });

  it("picks the coarsest tier no wider than the step that still holds the range's start", () => {
    const { store } = rig();
    const now = T0 + 400 * DAY;
    const tier = (rangeMs: number, stepMs: number) => store.tierFor(now - rangeMs, stepMs, now).name;
    expect(tier(HOUR, 10_000)).toBe("raw");
    expect(tier(HOUR, MIN)).toBe("1m");
    expect(tier(24 * HOUR, 5 * MIN)).toBe("1m");
    expect(tier(7 * DAY, 10 * MIN)).toBe("10m");
    expect(tier(30 * DAY, HOUR)).toBe("1h");
    expect(tier(30 * DAY, 2 * HOUR)).toBe("1h");
    // A step finer than any tier that still holds the range: the finest that does.
    expect(tier(30 * DAY, MIN)).toBe("10m");
    expect(tier(3 * DAY, 10_000)).toBe("1m");
    // Older than every tier: the hours.
    expect(tier(800 * DAY, MIN)).toBe("1h");
  });

  it("answers a chart from the tier it picked, and what that tier has not rolled up yet from finer tiers and the head", () => {
    const { store, settle, db } = rig();
    // Two days, a sample a minute; each 10 minutes holds one value: its index.
    const index = (t: number) => Math.floor((t - T0) / (10 * MIN));
    fill(store, T0, T0 + 2 * DAY, MIN, index);
    const now = T0 + 2 * DAY;
    settle(now);
    const done = (tier: string) => db.prepare("SELECT done_until FROM history_rollup WHERE tier = ?").pluck().get(tier);
    // Day 1 is in 10-minute chunks; the day after it in 1-minute ones up to the last closed hour; the last hour or so in the head only.
    expect([done("10m"), done("1m")]).toEqual([T0 + DAY, T0 + 2 * DAY - HOUR]);
    const [s] = store.series("container_cpu");
    const chart = store.points(s!.id, T0, now, 10 * MIN, now);
    expect(chart.tier).toBe("10m");
    expect(chart.stepMs).toBe(10 * MIN);
    expect(chart.points.map((p) => [(p.t - T0) / (10 * MIN), p.min, p.avg, p.max])).toEqual(Array.from({ length: 288 }, (_, i) => [i, i, i, i]));
    // A step wider than the tier's bucket: buckets of the step, averages weighted.
    const hours = store.points(s!.id, T0, T0 + 2 * HOUR, HOUR, now);
    expect(hours.points).toEqual([
      { t: T0, min: 0, avg: 2.5, max: 5 },
      { t: T0 + HOUR, min: 6, avg: 8.5, max: 11 },
    ]);
    // Across the hand-overs: 10-minute chunks, 1-minute ones, the head.
    const late = store.points(s!.id, T0 + DAY - HOUR, now, 6 * HOUR, now);
    const from = T0 + DAY - HOUR;
    const expected = [-6, 0, 6, 12, 18].map((h) => {
      const b = T0 + DAY + h * HOUR;
      return [b, index(Math.max(b, from)), index(Math.min(b + 6 * HOUR, now) - MIN)];
    });
    expect(late.points.map((p) => [p.t, p.min, p.max])).toEqual(expected);
    // Raw, for the last 5 minutes, from the head.
    const raw = store.points(s!.id, now - 5 * MIN, now, 10_000, now);
    expect(raw.tier).toBe("raw");
    expect(raw.points.map((p) => p.t)).toEqual([1, 2, 3, 4, 5].map((i) => now - (6 - i) * MIN));
    // Raw from raw chunks and the head, across their hand-over.
    const across = store.points(s!.id, now - 2 * HOUR, now, 10_000, now);
    expect(across.points).toHaveLength(120);
    expect(across.points.every((p, i) => p.t === now - 2 * HOUR + i * MIN && p.avg === index(p.t))).toBe(true);
  });

  it("a chart of a store that has rolled nothing up yet reads the head", () => {
    const { store } = rig();
    fill(store, T0, T0 + 30 * MIN, MIN, () => 3);
    const [s] = store.series("container_cpu");
    expect(store.points(s!.id, T0, T0 + HOUR, 10 * MIN, T0 + HOUR).points.map((p) => [p.t, p.avg])).toEqual([0, 1, 2].map((i) => [T0 + i * 10 * MIN, 3]));
  });

  it("two cycles at the same time land in one head row, the later value winning for a series given twice", () => {
    const { store, count } = rig();
    store.record(T0, HistoryPoints.of([{ metric: "a", labels: {}, value: 1 }]), []);
    store.record(
      T0,
      HistoryPoints.of([
        { metric: "b", labels: {}, value: 2 },
        { metric: "a", labels: {}, value: 5 },
      ]),
      [],
    );
    expect(count("history_head")).toBe(1);
    const [a] = store.series("a");
    const [b] = store.series("b");
    expect(store.points(a!.id, T0, T0 + 1, 1, T0 + 1).points.map((p) => p.avg)).toEqual([5]);
    expect(store.points(b!.id, T0, T0 + 1, 1, T0 + 1).points.map((p) => p.avg)).toEqual([2]);
  });

  it("a list refilled each cycle keeps each series' points apart, as its series stay, move, change and repeat", () => {
    const { store } = rig();
    const web = { container: "web" };
    const db1 = { container: "db" };
    const list = new HistoryPoints();
    const cycle = (at: number, points: Array<[string, Record<string, string>, number]>) => {
      list.clear();
      for (const [m, l, v] of points) list.add(m, l, v);
      list.trim();
      store.record(at, list, []);
    };
    cycle(T0, [
      ["cpu", web, 1],
      ["cpu", db1, 2],
      ["host", {}, 3],
    ]);
    cycle(T0 + 1000, [
      ["cpu", web, 11],
      ["cpu", db1, 12],
      ["host", {}, 13],
    ]); // the same series (host's `{}` a new one)
    cycle(T0 + 2000, [
      ["cpu", db1, 22],
      ["cpu", web, 21],
      ["host", {}, 23],
    ]); // the same series, moved
    cycle(T0 + 3000, [
      ["cpu", web, 31],
      ["mem", db1, 34],
      ["host", {}, 33],
    ]); // one new
    cycle(T0 + 4000, [
      ["cpu", web, 41],
      ["cpu", web, 45],
      ["host", {}, 43],
    ]); // one twice: the last value
    const values = (metric: string, labels: Record<string, string>) => {
      const [series] = store.series(metric, labels);
      return store.points(series!.id, T0, T0 + 5000, 1, T0 + 5000).points.map((p) => p.avg);
    };
    expect(values("cpu", web)).toEqual([1, 11, 21, 31, 45]);
    expect(values("cpu", db1)).toEqual([2, 12, 22]);
    expect(values("mem", db1)).toEqual([34]);
    expect(values("host", {})).toEqual([3, 13, 23, 33, 43]);
  });

  it("rolls up an hour whose rows' series come, go and move, each series' chunks holding its own points, read a few rows a step", () => {
    const { store, chunk, settle } = rig(DEFAULTS, 3); // 3 rows a step: the hour is read over many steps
    const [a, b, c, d, e] = [{ container: "a" }, { container: "b" }, { container: "c" }, { container: "d" }, { container: "e" }];
    const rows: Array<[number, Array<[Record<string, string>, number]>]> = [];
    for (let i = 0; i < 40; i++) {
      // a always; b for the first 25 rows, then gone; c from row 10, before a from row 20; d the first 10, e the last 10
      const points: Array<[Record<string, string>, number]> = [];
      if (i >= 20) points.push([c, 300 + i]);
      points.push([a, 100 + i]);
      if (i < 25) points.push([b, 200 + i]);
      if (i >= 10 && i < 20) points.push([c, 300 + i]);
      // d and e: as many points each, at other times
      if (i < 10) points.push([d, 400 + i]);
      if (i >= 30) points.push([e, 500 + i]);
      rows.push([T0 + i * 30_000, points]);
    }
    for (const [at, points] of rows) store.record(at, HistoryPoints.of(points.map(([labels, value]) => ({ metric: "container_cpu", labels, value }))), []);
    settle(T0 + 2 * HOUR);
    for (const [labels, base, from, to] of [
      [a, 100, 0, 40],
      [b, 200, 0, 25],
      [c, 300, 10, 40],
      [d, 400, 0, 10],
      [e, 500, 30, 40],
    ] as const) {
      const [series] = store.series("container_cpu", labels);
      const raw = chunk("raw", series!.id, T0)!;
      const want = Array.from({ length: to - from }, (_, k) => from + k);
      expect(raw.t, labels.container).toEqual(want.map((i) => T0 + i * 30_000));
      expect(raw.avg, labels.container).toEqual(want.map((i) => base + i));
      expect(chunk("1m", series!.id, T0)!.n, labels.container).toEqual(rollUp([{ t: raw.t, min: raw.avg, avg: raw.avg, max: raw.avg, n: null }], MIN).n);
    }
  });

  it("rolls up an hour of many series a batch at a time (each batch reading the rows again) into the chunks it makes in one", () => {
    const make = (windowValues?: number) => {
      const db: Db = openDatabase(join(mkdtempSync(join(tmpdir(), "lookout-history-")), "data"));
      const store = new HistoryStore(db, DEFAULTS, { flushEveryMs: 0 });
      for (let i = 0; i < 20; i++) {
        // 40 series; some come late, some leave early, their order moves
        const points = Array.from({ length: 40 }, (_, k) => ({ metric: `m${k % 4}`, labels: { container: `c${k}` }, value: k * 1000 + i }))
          .filter((p) => !(p.labels.container === "c7" && i < 5) && !(p.labels.container === "c33" && i > 12))
          .sort((a, b) => (i % 2 ? a.value - b.value : b.value - a.value));
        store.record(T0 + i * 60_000, HistoryPoints.of(points), []);
      }
      const maintainer = new HistoryMaintainer(store, windowValues === undefined ? { clock: () => 0, maxRows: 7 } : { clock: () => 0, maxRows: 7, windowValues });
      let steps = 0;
      while (maintainer.step(T0 + 2 * HOUR, 1000).more) if (++steps > 10_000) throw new Error("never settles");
      return { steps, chunks: db.prepare("SELECT tier, series, start, hex(data) AS data FROM history_chunks ORDER BY tier, series, start").all() };
    };
    const whole = make();
    const batched = make(1); // 16 series a batch: 3 batches
    expect(batched.chunks.length).toBe(80);
    expect(batched.chunks).toEqual(whole.chunks);
    expect(batched.steps).toBeGreaterThan(whole.steps); // the rows were read again
  });

  it("a series given twice in one cycle keeps its last value, once in the row", () => {
    const { store, db } = rig();
    store.record(
      T0,
      HistoryPoints.of([
        { metric: "a", labels: {}, value: 1 },
        { metric: "b", labels: {}, value: 2 },
        { metric: "a", labels: {}, value: 3 },
      ]),
      [],
    );
    const row = db.prepare("SELECT ids, vals FROM history_head").get() as { ids: Buffer; vals: Buffer };
    expect(unpackIds(row.ids).length).toBe(2);
    const [a] = store.series("a");
    expect(store.points(a!.id, T0, T0 + 1, 1, T0 + 1).points.map((p) => p.avg)).toEqual([3]);
  });
});

describe("the events journal", () => {
  it("returns events of a time range, filtered by kind (whole or by prefix), subject and labels, at most the latest `limit`", () => {
    const { store } = rig();
    const web = { container: "web-1", image: "shop/web:2" };
    store.record(T0, HistoryPoints.of([]), [
      { at: T0, kind: "container.start", subject: "web-1", labels: web, data: {} },
      { at: T0 + 1000, kind: "container.die", subject: "web-1", labels: web, data: { exitCode: 3, cause: "crash" } },
      {
        at: T0 + 2000,
        kind: "alert.firing",
        subject: 'container_crashed{container="web-1"}',
        labels: { alertname: "container_crashed", container: "web-1" },
        data: { severity: "critical" },
      },
      { at: T0 + 3000, kind: "container.die", subject: "db-1", labels: { container: "db-1" }, data: { exitCode: 137 } },
    ]);
    const kinds = (events: Array<{ kind: string }>) => events.map((e) => e.kind);
    expect(kinds(store.events(T0, T0 + 10_000))).toEqual(["container.start", "container.die", "alert.firing", "container.die"]);
    expect(kinds(store.events(T0 + 500, T0 + 3000))).toEqual(["container.die", "alert.firing"]);
    expect(store.events(T0, T0 + 10_000, { kinds: ["container.die"], subject: "web-1" })).toEqual([
      { at: T0 + 1000, kind: "container.die", subject: "web-1", labels: web, data: { exitCode: 3, cause: "crash" } },
    ]);
    expect(kinds(store.events(T0, T0 + 10_000, { kinds: ["container."] }))).toEqual(["container.start", "container.die", "container.die"]);
    expect(kinds(store.events(T0, T0 + 10_000, { kinds: ["container"] }))).toEqual([]);
    expect(kinds(store.events(T0, T0 + 10_000, { labels: { container: "web-1" } }))).toEqual(["container.start", "container.die", "alert.firing"]);
    expect(store.events(T0, T0 + 10_000, { limit: 2 }).map((e) => e.at)).toEqual([T0 + 2000, T0 + 3000]);
  });

  it("keeps events as long as the 1-hour tier", () => {
    const { store, settle, count } = rig({ ...DEFAULTS, "1h": 30 * DAY });
    store.record(T0, HistoryPoints.of([]), [{ at: T0, kind: "container.start", subject: "a", labels: {}, data: {} }]);
    store.record(T0 + 20 * DAY, HistoryPoints.of([]), [{ at: T0 + 20 * DAY, kind: "container.start", subject: "b", labels: {}, data: {} }]);
    settle(T0 + 31 * DAY);
    expect(count("history_events")).toBe(1);
  });
});

describe("points kept in memory", () => {
  afterEach(() => setLogSink(() => undefined));

  /** A store as `run` has it (points written once the oldest is a minute old), unless `opts` says otherwise. */
  function buffered(opts: { maxBuffered?: number } = {}) {
    const db: Db = openDatabase(join(mkdtempSync(join(tmpdir(), "lookout-history-")), "data"));
    const store = new HistoryStore(db, DEFAULTS, { flushEveryMs: MIN, ...opts });
    /** Points written: 4 bytes of id each, in the head rows. */
    const count = () => db.prepare("SELECT COALESCE(SUM(length(ids)), 0) / 4 FROM history_head").pluck().get() as number;
    const cycle = (at: number, n = 2) =>
      store.record(at, HistoryPoints.of(Array.from({ length: n }, (_, i) => ({ metric: "container_cpu", labels: { container: `c${i}` }, value: at / 1000 }))), []);
    return { db, store, count, cycle };
  }

  it("are not written before the oldest is flushEveryMs old, then all at once", () => {
    const { store, count, cycle } = buffered();
    for (let t = T0; t < T0 + MIN; t += 10_000) cycle(t);
    expect(count()).toBe(0);
    expect(store.bufferedPoints()).toBe(12);
    cycle(T0 + MIN);
    expect(count()).toBe(14);
    expect(store.bufferedPoints()).toBe(0);
    // The next minute starts from the next cycle.
    cycle(T0 + MIN + 10_000);
    expect(count()).toBe(14);
  });

  it("are written by close", () => {
    const { store, count, cycle } = buffered();
    cycle(T0);
    cycle(T0 + 10_000);
    expect(count()).toBe(0);
    store.close();
    expect(count()).toBe(4);
  });

  it("are seen by a query right after the cycle that recorded them", () => {
    const { store, cycle } = buffered();
    cycle(T0);
    cycle(T0 + 10_000, 3); // c2 is a series only the buffer knows yet
    const [c2] = store.series("container_cpu", { container: "c2" });
    expect(c2).toBeDefined();
    const [c0] = store.series("container_cpu", { container: "c0" });
    expect(store.points(c0!.id, T0, T0 + MIN, 1, T0 + MIN).points.map((p) => [p.t, p.avg])).toEqual([
      [T0, T0 / 1000],
      [T0 + 10_000, (T0 + 10_000) / 1000],
    ]);
    // A query of a store whose points were written already reads them as before.
    cycle(T0 + 20_000);
    expect(store.points(c2!.id, T0, T0 + MIN, 1, T0 + MIN).points.map((p) => p.t)).toEqual([T0 + 10_000]);
  });

  it("are written once the buffer holds maxBuffered of them, whatever their age", () => {
    const { store, count, cycle } = buffered({ maxBuffered: 10 });
    cycle(T0, 4);
    cycle(T0 + 1_000, 4);
    expect(count()).toBe(0);
    cycle(T0 + 2_000, 4);
    expect(count()).toBe(12);
    expect(store.bufferedPoints()).toBe(0);
  });

  it("are written before the roll-up closes their hour, so none lands behind it", () => {
    const { db, store, cycle } = buffered();
    const maintainer = new HistoryMaintainer(store);
    cycle(T0 + HOUR - 30_000);
    // Not a minute old in the cycles' time, but its hour is rolled up at T0 + 1 h 2 min: it is written first.
    maintainer.step(T0 + HOUR + 2 * MIN, 1000);
    expect(db.prepare("SELECT series, start FROM history_chunks WHERE tier = '1m' ORDER BY series").all()).toEqual([
      { series: 1, start: T0 },
      { series: 2, start: T0 },
    ]);
    // Points whose hour is still open stay in memory.
    cycle(T0 + HOUR + 2 * MIN + 5_000);
    maintainer.step(T0 + HOUR + 2 * MIN + 10_000, 1000);
    expect(store.bufferedPoints()).toBe(2);
  });

  it("are written without waiting for the disk (synchronous = NORMAL), then FULL again", () => {
    const { db, store, cycle } = buffered();
    cycle(T0);
    const pragmas: string[] = [];
    // Read and set on statements prepared once (store/transactions.ts synchronousLevel, setSynchronous): watch those.
    for (const source of ["synchronous", "synchronous = NORMAL", "synchronous = FULL"]) {
      const st = statement(db, `PRAGMA ${source}`);
      for (const method of ["run", "get"] as const) {
        const call = st[method].bind(st);
        st[method] = ((...args: unknown[]) => {
          pragmas.push(source);
          return call(...args);
        }) as never;
      }
    }
    store.flush();
    expect(pragmas).toEqual(["synchronous", "synchronous = NORMAL", "synchronous = FULL"]);
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
  });

  it("a write that fails does not throw: it is logged once, its points are dropped, and the next write works again", () => {
    const logs: string[] = [];
    setLogSink((l) => logs.push(l));
    const { db, store, count, cycle } = buffered();
    db.exec("CREATE TEMP TRIGGER full_disk BEFORE INSERT ON history_head BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    cycle(T0);
    expect(() => cycle(T0 + MIN)).not.toThrow();
    expect(store.bufferedPoints()).toBe(0);
    cycle(T0 + MIN + 10_000);
    expect(() => store.close()).not.toThrow();
    expect(logs.filter((l) => l.includes("could not write the history's points")).length).toBe(1);
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    db.exec("DROP TRIGGER full_disk");
    cycle(T0 + 2 * MIN);
    store.flush();
    expect(count()).toBe(2);
    expect(logs.some((l) => l.includes("history points can be written again"))).toBe(true);
    // The series made in the failed write were rolled back with it: the points written after are under series that exist.
    const [c1] = store.series("container_cpu", { container: "c1" });
    expect(store.points(c1!.id, T0, T0 + 3 * MIN, 1, T0 + 3 * MIN).points.map((p) => p.t)).toEqual([T0 + 2 * MIN]);
    const ids = db.prepare("SELECT ids FROM history_head").pluck().all() as Buffer[];
    const known = new Set(db.prepare("SELECT id FROM history_series").pluck().all());
    expect(ids.flatMap((b) => Array.from(unpackIds(b))).every((id) => known.has(id))).toBe(true);
  });
});
