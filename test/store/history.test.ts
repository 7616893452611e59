/**
 * History on real SQLite in a temporary data directory, at times the tests
 * choose (nothing waits): points kept raw and rolled up into 1-minute,
 * 10-minute and 1-hour min/avg/max; each tier's retention; roll-up and
 * deletion in steps of bounded size; which tier a chart reads; the events
 * journal and its filters; raw points kept in memory and written about once
 * a minute.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { setLogSink } from "../../src/log.js";
import { type Db, openDatabase } from "../../src/store/database.js";
import { HistoryMaintainer, HistoryStore, type Retention, retentionOf } from "../../src/store/history.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Midnight: a bucket of every tier starts here. */
const T0 = Date.UTC(2026, 10, 1);
const DEFAULTS = retentionOf(configSchema.parse({}).history);

function rig(retention: Retention = DEFAULTS, maxRows?: number) {
  const db: Db = openDatabase(join(mkdtempSync(join(tmpdir(), "lookout-history-")), "data"));
  const store = new HistoryStore(db, retention, { flushEveryMs: 0 }); // each cycle written at once: these tests count rows
  const maintainer = new HistoryMaintainer(store, maxRows === undefined ? {} : { maxRows, clock: () => 0 });
  const count = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  const rows = (table: string) => db.prepare(`SELECT series, t, min, avg, max, n FROM ${table} ORDER BY series, t`).all();
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
  return { db, store, maintainer, count, rows, settle };
}

/** Every `everyMs` in [from, to), one sample of cpu (value from `value`) for each of `series` containers. */
function fill(store: HistoryStore, from: number, to: number, everyMs: number, value: (t: number) => number, series = 1) {
  for (let t = from; t < to; t += everyMs) {
    store.record(
      t,
      Array.from({ length: series }, (_, i) => ({ metric: "container_cpu", labels: { container: `c${i}` }, value: value(t) })),
      [],
    );
  }
}

describe("history tiers", () => {
  it("keeps every sample raw, and rolls each closed minute up into min/avg/max, then 10 minutes and an hour weighted by samples", () => {
    const { store, settle, rows, count } = rig();
    const values = [1, 2, 3, 4, 5, 9];
    // Minute 0: six samples; minute 1: one sample of 100 (a cycle or two missed).
    for (const [i, v] of values.entries()) store.record(T0 + i * 10_000, [{ metric: "host_cpu", labels: {}, value: v }], []);
    store.record(T0 + MIN + 5_000, [{ metric: "host_cpu", labels: {}, value: 100 }], []);
    expect(count("history_raw")).toBe(7);

    // A minute is rolled up once it has been over for a minute.
    settle(T0 + MIN + 59_000);
    expect(count("history_1m")).toBe(0);
    settle(T0 + 2 * MIN + 30_000);
    expect(rows("history_1m")).toEqual([{ series: 1, t: T0, min: 1, avg: 4, max: 9, n: 6 }]);
    settle(T0 + 3 * MIN);
    expect(rows("history_1m")).toEqual([
      { series: 1, t: T0, min: 1, avg: 4, max: 9, n: 6 },
      { series: 1, t: T0 + MIN, min: 100, avg: 100, max: 100, n: 1 },
    ]);
    // 10 minutes from the minutes: the average is of the 7 samples (124 / 7), not of the two minutes' averages.
    settle(T0 + 12 * MIN);
    expect(rows("history_10m")).toEqual([{ series: 1, t: T0, min: 1, avg: 124 / 7, max: 100, n: 7 }]);
    // An hour from the 10 minutes, once the hour's last 10 minutes are rolled up.
    settle(T0 + HOUR + 11 * MIN);
    expect(rows("history_1h")).toEqual([{ series: 1, t: T0, min: 1, avg: 124 / 7, max: 100, n: 7 }]);
    // Nothing is rolled up twice.
    settle(T0 + 2 * HOUR + 11 * MIN);
    expect(count("history_1m")).toBe(2);
    expect(count("history_10m")).toBe(1);
    expect(count("history_1h")).toBe(1);
  });

  it("keeps each tier for its retention, never deleting what the next tier has not rolled up yet", () => {
    const retention: Retention = { raw: HOUR, "1m": 2 * HOUR, "10m": 4 * HOUR, "1h": DAY };
    const { store, settle, db, count } = rig(retention);
    fill(store, T0, T0 + 6 * HOUR, 30_000, (t) => (t - T0) / MIN);
    const oldest = (table: string) => db.prepare(`SELECT MIN(t) FROM ${table}`).pluck().get() as number;
    const now = T0 + 6 * HOUR + 30 * MIN;
    settle(now);
    // raw: the last hour; 1m: 2 hours; 10m: 4 hours (rounded to their buckets); 1h: all 6 hours.
    expect(oldest("history_raw")).toBe(now - HOUR);
    expect(oldest("history_1m")).toBe(now - 2 * HOUR);
    expect(oldest("history_10m")).toBe(now - 4 * HOUR);
    expect(oldest("history_1h")).toBe(T0);
    expect(count("history_1h")).toBe(6);
    // A day later the hours go too, and with them the series.
    settle(T0 + 6 * HOUR + DAY);
    expect(count("history_1h")).toBe(0);
    expect(count("history_series")).toBe(0);
    // A series recorded again after its row went is made again.
    store.record(T0 + 2 * DAY, [{ metric: "container_cpu", labels: {}, value: 1 }], []);
    expect(count("history_series")).toBe(1);
    expect(db.prepare("SELECT COUNT(*) FROM history_raw r JOIN history_series s ON s.id = r.series").pluck().get()).toBe(1);
  });

  it("raw points older than their retention wait for their roll-up before they go", () => {
    const retention: Retention = { raw: HOUR, "1m": DAY, "10m": DAY, "1h": DAY };
    const { store, maintainer, count } = rig(retention, 1_000_000);
    fill(store, T0, T0 + 2 * HOUR, 60_000, () => 5);
    // One step with no time at all rolls nothing up: nothing may be deleted either.
    expect(maintainer.step(T0 + 3 * HOUR, 0)).toEqual({ rolled: 0, deleted: 0, more: true });
    expect(count("history_raw")).toBe(120);
  });

  it("works in steps of at most N rows, which together do what one big step does", () => {
    const small = rig(DEFAULTS, 25);
    const big = rig(DEFAULTS);
    for (const r of [small, big]) fill(r.store, T0, T0 + 30 * MIN, 10_000, (t) => (t / 1000) % 17, 7);
    const now = T0 + 40 * MIN;
    const steps: Array<{ rolled: number; deleted: number }> = [];
    for (;;) {
      const s = small.maintainer.step(now, 1000);
      steps.push(s);
      expect(s.rolled + s.deleted).toBeLessThanOrEqual(25);
      if (!s.more) break;
    }
    // 7 series × 180 raw samples, then 7 × 30 minutes into 10 minutes: far more than one step's 25.
    expect(steps.length).toBeGreaterThan(50);
    expect(steps.reduce((n, s) => n + s.rolled, 0)).toBe(7 * 180 + 7 * 30);
    big.settle(now);
    for (const table of ["history_1m", "history_10m", "history_1h"]) expect(small.rows(table)).toEqual(big.rows(table));
    expect(small.count("history_1m")).toBe(7 * 30);
  });

  it("stops when its time budget is spent, and goes on from there at the next step", () => {
    let clock = 0;
    const { store, db, count } = rig();
    const maintainer = new HistoryMaintainer(store, {
      clock: () => {
        clock += 1; // each look at the clock costs 1 ms
        return clock;
      },
    });
    fill(store, T0, T0 + 10 * MIN, 10_000, () => 1, 20);
    const first = maintainer.step(T0 + 20 * MIN, 5);
    expect(first.more).toBe(true);
    expect(first.rolled).toBeGreaterThan(0);
    expect(first.rolled).toBeLessThan(20 * 60);
    const cursor = db.prepare("SELECT done_until, next_series FROM history_rollup WHERE tier = '1m'").get();
    expect(cursor).toMatchObject({ done_until: T0 });
    while (maintainer.step(T0 + 20 * MIN, 5).more);
    expect(count("history_1m")).toBe(20 * 10);
  });

  it("skips a gap (the agent was stopped for days) without a step per empty bucket", () => {
    const { store, maintainer, count } = rig(DEFAULTS, 1_000);
    fill(store, T0, T0 + 2 * MIN, 30_000, () => 1);
    fill(store, T0 + 3 * DAY, T0 + 3 * DAY + 2 * MIN, 30_000, () => 2);
    const r = maintainer.step(T0 + 3 * DAY + 5 * MIN, 1000);
    expect(r.more).toBe(false);
    expect(count("history_1m")).toBe(4);
  });
});

describe("history queries", () => {
  it("finds series by metric and any of their labels", () => {
    const { store } = rig();
    store.record(
      T0,
      [
        { metric: "container_memory", labels: { container: "web-1", image: "shop/web:1", compose_project: "shop" }, value: 10 },
        { metric: "container_memory", labels: { container: "db-1", image: "postgres:16", compose_project: "shop" }, value: 20 },
        { metric: "container_cpu", labels: { container: "web-1", image: "shop/web:1" }, value: 1 },
        { metric: "host_disk", labels: { mount: '/weird"path' }, value: 50 },
      ],
      [],
    );
    expect(store.series("container_memory").map((s) => s.labels.container)).toEqual(["web-1", "db-1"]);
    expect(store.series("container_memory", { container: "db-1" })).toEqual([
      { id: 2, metric: "container_memory", labels: { compose_project: "shop", container: "db-1", image: "postgres:16" } },
    ]);
    expect(store.series("container_memory", { compose_project: "shop", container: "web-1" }).map((s) => s.id)).toEqual([1]);
    expect(store.series("container_memory", { container: "nope" })).toEqual([]);
    expect(store.series("host_disk", { mount: '/weird"path' })).toHaveLength(1);
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

  it("answers a chart from the tier it picked, and what that tier has not rolled up yet from finer ones", () => {
    const { store, settle } = rig();
    fill(store, T0, T0 + 2 * HOUR, 10_000, (t) => Math.floor((t - T0) / (10 * MIN)));
    const now = T0 + 2 * HOUR;
    settle(now); // the last minute is not rolled up yet, the last 10 minutes neither
    const [s] = store.series("container_cpu");
    const chart = store.points(s!.id, T0, now, 10 * MIN, now);
    expect(chart.tier).toBe("10m");
    expect(chart.stepMs).toBe(10 * MIN);
    expect(chart.points).toHaveLength(12);
    // Each 10 minutes holds one value, its index: min = avg = max, including the last, read from minutes and raw.
    expect(chart.points.map((p) => [(p.t - T0) / (10 * MIN), p.min, p.avg, p.max])).toEqual(Array.from({ length: 12 }, (_, i) => [i, i, i, i]));
    // A step wider than the tier's bucket: buckets of the step, averages weighted.
    const hours = store.points(s!.id, T0, now, HOUR, now);
    expect(hours.points).toEqual([
      { t: T0, min: 0, avg: 2.5, max: 5 },
      { t: T0 + HOUR, min: 6, avg: 8.5, max: 11 },
    ]);
    // Raw, for the last 5 minutes at 30 s.
    const raw = store.points(s!.id, now - 5 * MIN, now, 30_000, now);
    expect(raw.tier).toBe("raw");
    expect(raw.points).toHaveLength(10);
  });
});

describe("the events journal", () => {
  it("returns events of a time range, filtered by kind (whole or by prefix), subject and labels, at most the latest `limit`", () => {
    const { store } = rig();
    const web = { container: "web-1", image: "shop/web:2" };
    store.record(
      T0,
      [],
      [
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
      ],
    );
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
    store.record(T0, [], [{ at: T0, kind: "container.start", subject: "a", labels: {}, data: {} }]);
    store.record(T0 + 20 * DAY, [], [{ at: T0 + 20 * DAY, kind: "container.start", subject: "b", labels: {}, data: {} }]);
    settle(T0 + 31 * DAY);
    expect(count("history_events")).toBe(1);
  });
});

describe("raw points kept in memory", () => {
  afterEach(() => setLogSink(() => undefined));

  /** A store as `run` has it (points written once the oldest is a minute old), unless `opts` says otherwise. */
  function buffered(opts: { maxBuffered?: number } = {}) {
    const db: Db = openDatabase(join(mkdtempSync(join(tmpdir(), "lookout-history-")), "data"));
    const store = new HistoryStore(db, DEFAULTS, { flushEveryMs: MIN, ...opts });
    const count = () => db.prepare("SELECT COUNT(*) FROM history_raw").pluck().get() as number;
    const cycle = (at: number, n = 2) =>
      store.record(
        at,
        Array.from({ length: n }, (_, i) => ({ metric: "container_cpu", labels: { container: `c${i}` }, value: at / 1000 })),
        [],
      );
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

  it("are written before the roll-up closes their minute, so none lands behind it", () => {
    const { db, store, cycle } = buffered();
    const maintainer = new HistoryMaintainer(store);
    cycle(T0 + 30_000);
    // Not a minute old in the cycles' time, but its minute is rolled up at T0 + 2 min: it is written first.
    maintainer.step(T0 + 2 * MIN, 1000);
    expect(db.prepare("SELECT t, n FROM history_1m ORDER BY series").all()).toEqual([
      { t: T0, n: 1 },
      { t: T0, n: 1 },
    ]);
    // Points whose minute is still open stay in memory.
    cycle(T0 + 2 * MIN + 5_000);
    maintainer.step(T0 + 2 * MIN + 10_000, 1000);
    expect(store.bufferedPoints()).toBe(2);
  });

  it("are written without waiting for the disk (synchronous = NORMAL), then FULL again", () => {
    const { db, store, cycle } = buffered();
    cycle(T0);
    const pragmas: string[] = [];
    const pragma = db.pragma.bind(db);
    vi.spyOn(db, "pragma").mockImplementation((source: string, opts?: Parameters<typeof pragma>[1]) => {
      pragmas.push(source);
      return pragma(source, opts);
    });
    store.flush();
    expect(pragmas).toEqual(["synchronous", "synchronous = NORMAL", "synchronous = FULL"]);
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
  });

  it("a write that fails does not throw: it is logged once, its points are dropped, and the next write works again", () => {
    const logs: string[] = [];
    setLogSink((l) => logs.push(l));
    const { db, store, count, cycle } = buffered();
    db.exec("CREATE TEMP TRIGGER full_disk BEFORE INSERT ON history_raw BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
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
    expect(db.prepare("SELECT COUNT(*) FROM history_raw WHERE series NOT IN (SELECT id FROM history_series)").pluck().get()).toBe(0);
  });
});
