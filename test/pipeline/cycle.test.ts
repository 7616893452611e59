/**
 * The cycle's stages together (pipeline/cycle.ts), with fake collectors, an
 * in-memory outbox journal, fake storage and a test clock: no CLI, no /proc,
 * no SQLite. Each test drives cycles at the times it chooses.
 */
import { describe, expect, it } from "vitest";
import type { Collector } from "../../src/collect/collector.js";
import type { LoadedConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { HOST_CPU } from "../../src/model/metrics.js";
import { type Sample, sampleOf } from "../../src/model/sample.js";
import { Outbox, type OutboxEntry, type OutboxJournal } from "../../src/notify/outbox.js";
import { routesFrom } from "../../src/notify/routing.js";
import { CollectStage } from "../../src/pipeline/collect.js";
import { type CycleParts, runCycle } from "../../src/pipeline/cycle.js";
import type { AgentState, ReceiverInfo } from "../../src/pipeline/cycle-data.js";
import type { Silence } from "../../src/silence/silence.js";

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);
const MIN = 60_000;

function loadedWith(config: Record<string, unknown>): LoadedConfig {
  return { config: configSchema.parse(config), path: null, warnings: [], dataDir: "/nonexistent", hostname: "web-1", hostRoot: "/nonexistent" };
}

/** Only the host CPU rule, warning 80 / critical 95, after 1 minute. */
const CPU_ONLY = {
  host: {
    cpu: { warning: 80, critical: 95, for: "1m" },
    memory: { enabled: false },
    swap: { enabled: false },
    load: { enabled: false },
    disk: { enabled: false },
    inodes: { enabled: false },
    reboot: { enabled: false },
  },
};

/** A collector that reports what the test sets, or throws what it sets. */
function fakeCollector(name: string, samples: () => Sample[] | Error): Collector & { runs: number } {
  const c = {
    name,
    runs: 0,
    async collect() {
      c.runs++;
      const out = samples();
      if (out instanceof Error) throw out;
      return out;
    },
    snapshot: () => ({ runs: c.runs }),
  };
  return c;
}

const cpu = (value: number): Sample => sampleOf(HOST_CPU, value, { user: value, system: 0, iowait: 0, steal: 0, windowMs: 1000 });

/** A rig of fake parts: the journal records each write, `persist` each save. */
function rig(opts: { config?: Record<string, unknown>; receivers?: ReceiverInfo[]; collectors: Collector[]; silences?: Silence[]; persistFails?: string }) {
  const loaded = loadedWith(opts.config ?? CPU_ONLY);
  const receivers = opts.receivers ?? [{ name: "team", minSeverity: "warning" as const, summaryByDefault: true }];
  const writes: string[] = [];
  const journal: OutboxJournal = {
    delivered: () => writes.push("delivered"),
    attempted: () => writes.push("attempted"),
    gaveUp: () => writes.push("gaveUp"),
    markReported: () => writes.push("markReported"),
    forgetReceiversExcept: () => writes.push("forget"),
  };
  const outbox = new Outbox({ outbox: [], failed: [] }, () => journal);
  const saved: Array<{ state: AgentState; added: readonly OutboxEntry[] }> = [];
  const topAsked: string[] = [];
  let state: AgentState = { alerts: [], collectors: {}, lastCycleAt: null, flap: {}, inhibitors: {}, summary: null };
  let clock = T0;
  const parts: CycleParts = {
    settings: {
      loaded,
      routes: routesFrom(
        loaded.config,
        receivers.map((r) => r.name),
      ),
      receivers,
    },
    collect: new CollectStage(opts.collectors),
    outbox,
    silences: () => opts.silences ?? [],
    topProcesses: async (by) => {
      topAsked.push(by);
      return [{ pid: 4242, name: "stress", cpu: 97.5, memoryBytes: 1024 }] as never;
    },
    persist: (s, added) => {
      saved.push({ state: s, added });
      return opts.persistFails;
    },
    clock: () => clock,
  };
  return {
    parts,
    outbox,
    saved,
    topAsked,
    writes,
    get state() {
      return state;
    },
    /** One cycle at `at`. */
    async cycle(at: number, collectOpts = {}) {
      clock = at;
      const out = await runCycle(parts, state, at, collectOpts);
      state = out.state;
      return out.result;
    },
  };
}

describe("the cycle's stages", () => {
  it("skipQuiet (run) observes only what can change an alert, and says and keeps exactly what observing everything does", async () => {
    const config = { host: { ...CPU_ONLY.host, cpu: { warning: 80, critical: 95, for: "1m", hysteresis: 5 } } };
    let value = 0;
    const all = rig({ config, collectors: [fakeCollector("host", () => [cpu(value)])] });
    const quiet = rig({ config, collectors: [fakeCollector("host", () => [cpu(value)])] });
    quiet.parts.skipQuiet = true;
    // Quiet, pending, firing, escalated, within the hysteresis, resolved, quiet, then pending again and gone quiet before its `for`.
    const values = [10, 20, 85, 86, 97, 98, 90, 78, 60, 10, 88, 50, 40];
    const observed: number[] = [];
    for (const [i, v] of values.entries()) {
      value = v;
      const at = T0 + i * MIN;
      const a = await all.cycle(at);
      const b = await quiet.cycle(at);
      expect(b.notifications.map((n) => [n.kind, n.alert.severity, n.alert.value])).toEqual(a.notifications.map((n) => [n.kind, n.alert.severity, n.alert.value]));
      expect(b.active.map((x) => [x.state, x.severity])).toEqual(a.active.map((x) => [x.state, x.severity]));
      expect(quiet.state.alerts).toEqual(all.state.alerts);
      expect(a.evaluation.observations).toHaveLength(1); // check's table lists the quiet sample too
      observed.push(b.evaluation.observations.length);
    }
    expect(all.saved.flatMap((x) => x.added.map((e) => e.notification.kind))).toEqual(["firing", "escalated", "resolved"]);
    // Observed while above a threshold or while an alert was held (78 is below 80 - 5 only after the alert was held).
    expect(observed).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0]);
  });

  it("raises an alert after its `for`, queues it once for each receiver it meets the min_severity of, with the top processes, and stores each cycle", async () => {
    const r = rig({
      collectors: [fakeCollector("host", () => [cpu(88)])],
      receivers: [
        { name: "team", minSeverity: "warning" },
        { name: "pager", minSeverity: "critical" },
      ],
    });
    const first = await r.cycle(T0);
    expect(first.active.map((a) => [a.alertname, a.state])).toEqual([["host_cpu", "pending"]]);
    expect(first.notifications).toEqual([]);
    expect(first.status).toBe("ok");
    const fired = await r.cycle(T0 + MIN + 1);
    expect(fired.status).toBe("warning");
    expect(fired.notifications.map((n) => [n.kind, n.alert.alertname])).toEqual([["firing", "host_cpu"]]);
    expect(fired.notifications[0]!.details.topProcesses).toMatchObject({ by: "cpu", processes: [{ pid: 4242 }] });
    expect(r.topAsked).toEqual(["cpu"]);
    // Queued for the warning receiver only; stored with the state change that made it.
    expect(r.outbox.entries.map((e) => e.pending.map((d) => d.receiver))).toEqual([["team"]]);
    expect(r.saved).toHaveLength(2);
    expect(r.saved[1]!.added.map((e) => e.notification.id)).toEqual([fired.notifications[0]!.id]);
    expect(r.saved[1]!.state.alerts[0]).toMatchObject({ state: "firing", told: ["team"] });
    expect(r.saved[1]!.state.collectors.host).toEqual({ savedAt: T0 + MIN + 1, data: { runs: 2 } });
    // Still firing: nothing more is said.
    const again = await r.cycle(T0 + 2 * MIN);
    expect(again.notifications).toEqual([]);
    expect(r.outbox.pendingCount()).toBe(1);
  });

  it("holds back what a silence covers, and says it once the silence is over if it still fires", async () => {
    const silence: Silence = { id: "abcd1234", matchers: ["alertname=host_cpu"], startsAt: T0, endsAt: T0 + 3 * MIN, comment: "deploy", createdBy: "test", createdAt: T0 };
    const r = rig({ collectors: [fakeCollector("host", () => [cpu(99)])], silences: [silence] });
    await r.cycle(T0);
    const held = await r.cycle(T0 + MIN + 1);
    expect(held.active[0]).toMatchObject({ state: "firing", suppressed: true });
    expect(held.notifications).toEqual([]);
    expect(r.outbox.entries).toEqual([]);
    const after = await r.cycle(T0 + 3 * MIN + 1);
    expect(after.notifications.map((n) => [n.kind, n.alert.severity])).toEqual([["firing", "critical"]]);
  });

  it("reports a collector that fails, keeps the others' samples, and says unknown when nothing was measured", async () => {
    let broken = true;
    const docker = fakeCollector("docker", () => (broken ? new Error("socket gone") : []));
    const r = rig({ collectors: [fakeCollector("host", () => [cpu(10)]), docker] });
    const out = await r.cycle(T0);
    expect(out.errors).toEqual(["docker: socket gone"]);
    expect(out.samples.map((s) => s.name)).toEqual(["host_cpu"]);
    expect(out.status).toBe("ok");
    const none = rig({ collectors: [fakeCollector("host", () => new Error("no /proc"))] });
    expect((await none.cycle(T0)).status).toBe("unknown");
    broken = false;
    expect((await r.cycle(T0 + MIN)).errors).toEqual([]);
  });

  it("runs only the collectors an event cycle asks for and reuses the others' last samples", async () => {
    let load = 10;
    const host = fakeCollector("host", () => [cpu(load)]);
    const docker = fakeCollector("docker", () => []);
    const r = rig({ collectors: [host, docker] });
    await r.cycle(T0);
    load = 99;
    const out = await r.cycle(T0 + 1000, { reason: "event", only: new Set(["docker"]) });
    expect([host.runs, docker.runs]).toEqual([1, 2]);
    expect(out.samples.find((s) => s.name === "host_cpu")!.value).toBe(10);
  });

  it("tells a receiver added after an alert fired, once, marked Sent late", async () => {
    const r = rig({ collectors: [fakeCollector("host", () => [cpu(88)])] });
    await r.cycle(T0);
    await r.cycle(T0 + MIN + 1);
    expect(r.outbox.entries).toHaveLength(1);
    const receivers: ReceiverInfo[] = [
      { name: "team", minSeverity: "warning" },
      { name: "ops", minSeverity: "info" },
    ];
    r.parts.settings = { ...r.parts.settings, receivers, routes: routesFrom(r.parts.settings.loaded.config, ["team", "ops"]) };
    const late = await r.cycle(T0 + 2 * MIN);
    expect(late.notifications).toEqual([]); // nothing new happened; the late message is not a new event
    const entry = r.outbox.entries[1]!;
    expect(entry.pending.map((d) => d.receiver)).toEqual(["ops"]);
    expect(entry.notification.details.facts).toContainEqual(expect.objectContaining({ label: "Sent late" }));
    expect(r.state.alerts[0]!.told).toEqual(["team", "ops"]);
    await r.cycle(T0 + 3 * MIN);
    expect(r.outbox.entries).toHaveLength(2);
  });

  it("still queues, and returns, what a cycle found when it cannot be saved, and says why", async () => {
    const r = rig({ collectors: [fakeCollector("host", () => [cpu(99)])], persistFails: "the disk holding /data is full (ENOSPC)" });
    await r.cycle(T0);
    const out = await r.cycle(T0 + MIN + 1);
    expect(out.storageError).toMatch(/full/);
    expect(out.errors).toContain("data directory: the disk holding /data is full (ENOSPC)");
    expect(out.notifications).toHaveLength(1);
    expect(r.outbox.pendingCount()).toBe(1);
  });

  it("sends the daily summary when due to the receivers that take it by default, and counts again from then", async () => {
    const at = new Date(T0);
    const hhmm = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
    const r = rig({
      config: { ...CPU_ONLY, notify: { daily_summary: hhmm } },
      collectors: [fakeCollector("host", () => [cpu(10)])],
      receivers: [
        { name: "chat", minSeverity: "warning", summaryByDefault: true },
        { name: "hook", minSeverity: "warning" },
      ],
    });
    const out = await r.cycle(T0 + 1000);
    expect(out.notifications.map((n) => n.kind)).toEqual(["summary"]);
    expect(r.outbox.entries.map((e) => e.pending.map((d) => d.receiver))).toEqual([["chat"]]);
    expect(r.state.summary).toMatchObject({ lastSentAt: T0 + 1000, fired: 0 });
    expect((await r.cycle(T0 + 2000)).notifications).toEqual([]);
  });

  it("takes the collectors' memory every cycle for check, and for run only every snapshotEveryMs", async () => {
    const host = fakeCollector("host", () => [cpu(10)]);
    const paced = new CollectStage([host], 60_000);
    const at = [T0, T0 + 2000, T0 + 4000, T0 + 60_000, T0 + 62_000];
    const taken: boolean[] = [];
    for (const t of at) taken.push("host" in (await paced.run(loadedWith(CPU_ONLY).config, t)).snapshots);
    expect(taken).toEqual([true, false, false, true, false]);
    const every = new CollectStage([host]);
    expect("host" in (await every.run(loadedWith(CPU_ONLY).config, T0)).snapshots).toBe(true);
    expect("host" in (await every.run(loadedWith(CPU_ONLY).config, T0 + 1)).snapshots).toBe(true);
    expect(paced.snapshots(T0 + 63_000)).toEqual({ host: { savedAt: T0 + 63_000, data: { runs: host.runs } } });
  });
});
