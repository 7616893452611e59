/**
 * The run loop's timing rules on a test clock (no real waiting): a cycle at
 * start and then every interval, an early cycle of just the collector that saw
 * a change (one for a burst, after the debounce), never two cycles at once,
 * delivery kicked after each cycle, the heartbeat after each regular one, and
 * a reload applied between cycles, never during one. The real process (`lookout
 * run`, signals, Docker events) is tested end to end in test/cli and
 * test/integration.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Agent, CycleResult } from "../src/agent.js";
import { setLogSink } from "../src/log.js";
import type { Heartbeat } from "../src/notify/heartbeat.js";
import { HISTORY_STEP_MS, Runner } from "../src/runner.js";
import { ManualClock } from "./support/clock.js";

const T0 = Date.parse("2026-03-01T12:00:00Z");

interface Cycle {
  at: number;
  end?: number;
  reason: string;
  only?: string[];
}

function fakeAgent(clock: ManualClock, opts: { cycleMs?: number } = {}) {
  const cycles: Cycle[] = [];
  const drains: number[] = [];
  const changed = new Map<string, () => void>();
  const collectors = ["host", "docker"].map((name) => ({ name, watch: (cb: () => void) => void changed.set(name, cb) }));
  let stopped = false;
  const maintained: Array<[number, number]> = [];
  const agent = {
    collectors,
    async cycle(now: number, o: { reason: string; only?: ReadonlySet<string> }): Promise<CycleResult> {
      const c: Cycle = { at: now, reason: o.reason, ...(o.only ? { only: [...o.only] } : {}) };
      cycles.push(c);
      if (opts.cycleMs) await clock.sleep(opts.cycleMs);
      c.end = clock.now();
      return {} as CycleResult;
    },
    dispatcher: { drain: async (deadline: number) => void drains.push(deadline) },
    maintainHistory: (now: number, budgetMs: number) => void maintained.push([now, budgetMs]),
    async stopCollectors() {
      stopped = true;
    },
  };
  return { agent: agent as unknown as Agent, cycles, drains, maintained, change: (name: string) => changed.get(name)!(), stopped: () => stopped };
}

function fakeHeartbeat() {
  const beats: number[] = [];
  return {
    heartbeat: {
      beat: async (now: number) => {
        beats.push(now);
        return true;
      },
    } as unknown as Heartbeat,
    beats,
  };
}

const logs: string[] = [];
let stop: AbortController;
beforeEach(() => {
  logs.length = 0;
  setLogSink((l) => logs.push(l));
  stop = new AbortController();
});
afterEach(() => stop.abort());

describe("Runner (on a test clock)", () => {
  it("checks at once, then every interval; pings the heartbeat after each; kicks delivery up to the next check", async () => {
    const clock = new ManualClock(T0);
    const { agent, cycles, drains, maintained, stopped } = fakeAgent(clock);
    const { heartbeat, beats } = fakeHeartbeat();
    const runner = new Runner(agent, 10_000, stop.signal, heartbeat, { clock });
    const running = runner.run();
    await clock.settle();
    expect(cycles.map((c) => c.at)).toEqual([T0]);
    await clock.advance(9_999);
    expect(cycles).toHaveLength(1);
    await clock.advance(1);
    expect(cycles.map((c) => c.at)).toEqual([T0, T0 + 10_000]);
    await clock.advance(20_000);
    expect(cycles.map((c) => [c.at - T0, c.reason])).toEqual([
      [0, "interval"],
      [10_000, "interval"],
      [20_000, "interval"],
      [30_000, "interval"],
    ]);
    expect(beats).toEqual(cycles.map((c) => c.at));
    expect(drains).toEqual(cycles.map((c) => c.at + 10_000));
    // A small step of the history's roll-up after each regular cycle.
    expect(maintained).toEqual(cycles.map((c) => [c.at, HISTORY_STEP_MS]));
    stop.abort();
    await running;
    expect(stopped()).toBe(true);
  });

  it("a burst of changes makes one early check of just that collector, 100 ms after the first; the interval keeps its beat", async () => {
    const clock = new ManualClock(T0);
    const { agent, cycles, change } = fakeAgent(clock);
    const { heartbeat, beats } = fakeHeartbeat();
    const running = new Runner(agent, 10_000, stop.signal, heartbeat, { clock }).run();
    await clock.advance(1_000);
    change("docker");
    await clock.advance(50);
    change("docker");
    change("docker");
    await clock.advance(49);
    expect(cycles).toHaveLength(1);
    await clock.advance(1);
    expect(cycles.map((c) => [c.at - T0, c.reason, c.only])).toEqual([
      [0, "interval", undefined],
      [1_100, "event", ["docker"]],
    ]);
    await clock.advance(8_900);
    expect(cycles.map((c) => [c.at - T0, c.reason])).toEqual([
      [0, "interval"],
      [1_100, "event"],
      [10_000, "interval"],
    ]);
    expect(beats).toEqual([T0, T0 + 10_000]); // only regular checks ping
    stop.abort();
    await running;
  });

  it("never runs two checks at once: a change during a check is checked when it is over", async () => {
    const clock = new ManualClock(T0);
    const { agent, cycles, change } = fakeAgent(clock, { cycleMs: 5_000 });
    const running = new Runner(agent, 10_000, stop.signal, null, { clock }).run();
    await clock.advance(1_000);
    change("host");
    change("docker");
    await clock.advance(8_999);
    expect(cycles.map((c) => [c.at - T0, c.end === undefined ? "running" : c.end - T0, c.reason, c.only?.sort()])).toEqual([
      [0, 5_000, "interval", undefined],
      [5_000, "running", "event", ["docker", "host"]],
    ]);
    await clock.advance(6_001);
    expect(cycles.map((c) => [c.at - T0, c.end! - T0])).toEqual([
      [0, 5_000],
      [5_000, 10_000],
      [10_000, 15_000],
    ]);
    for (let i = 1; i < cycles.length; i++) expect(cycles[i]!.at).toBeGreaterThanOrEqual(cycles[i - 1]!.end!);
    stop.abort();
    await clock.advance(5_000);
    await running;
  });

  it("applies a reload between checks, never during one, and the new interval from then on", async () => {
    const clock = new ManualClock(T0);
    const { agent, cycles } = fakeAgent(clock, { cycleMs: 2_000 });
    const runner = new Runner(agent, 60_000, stop.signal, null, { clock });
    const running = runner.run();
    const applied: number[] = [];
    await clock.advance(1_000); // during the first check
    runner.requestReload(() => {
      applied.push(clock.now());
      expect(cycles.every((c) => c.end !== undefined)).toBe(true);
      runner.configure(5_000, null);
    });
    await clock.advance(1_000);
    expect(applied).toEqual([T0 + 2_000]); // when the check was over
    await clock.advance(12_000);
    // The next check within the new interval of the reload, then every new interval (counted from each check's start).
    expect(cycles.map((c) => c.at - T0)).toEqual([0, 7_000, 12_000]);
    // While it sleeps, a reload is applied at once; one that throws leaves the runner going.
    await clock.advance(1_000);
    runner.requestReload(() => {
      applied.push(clock.now());
      throw new Error("bad configuration");
    });
    await clock.settle();
    expect(applied).toEqual([T0 + 2_000, T0 + 15_000]);
    expect(logs.join("\n")).toMatch(/configuration not reloaded: the one in use stays/);
    await clock.advance(5_000);
    expect(cycles.map((c) => c.at - T0)).toEqual([0, 7_000, 12_000, 17_000]);
    stop.abort();
    await clock.advance(2_000);
    await running;
  });
});
