/**
 * The record stage (pipeline/record.ts) and its wiring: a cycle's fresh
 * samples and events reach the history (real SQLite in a temp dir, at the
 * times the test chooses); a journal that fails costs the cycle nothing and
 * is said once; `history.enabled: false` writes nothing; notifications sent
 * and given up on reach the events journal through the outbox's journal.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Agent, HISTORY_IDLE_MS } from "../../src/agent.js";
import type { Collector } from "../../src/collect/collector.js";
import { loadConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { setLogSink } from "../../src/log.js";
import type { ContainerEvent } from "../../src/model/history.js";
import { CONTAINER_MEMORY, CONTAINER_MEMORY_LIMIT, HOST_CPU, HOST_DISK, HOST_DISK_READ, HOST_DISK_SIZE, HOST_NETWORK_RECEIVE } from "../../src/model/metrics.js";
import { type Sample, sampleOf } from "../../src/model/sample.js";
import { Outbox, type OutboxJournal } from "../../src/notify/outbox.js";
import { routesFrom } from "../../src/notify/routing.js";
import { CollectStage } from "../../src/pipeline/collect.js";
import { type CycleParts, runCycle } from "../../src/pipeline/cycle.js";
import type { AgentState } from "../../src/pipeline/cycle-data.js";
import { type HistoryJournal, type HistoryPoints, historyPoints, historyRecorder } from "../../src/pipeline/record.js";
import { openDatabase } from "../../src/store/database.js";
import { HistoryStore, recordingDeliveries, retentionOf } from "../../src/store/history.js";
import { sampleNotification } from "../support/sample-notification.js";

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

let logs: string[] = [];
beforeEach(() => {
  logs = [];
  setLogSink((l) => logs.push(l));
});
afterEach(() => setLogSink(() => undefined));

const cpu = (value: number): Sample => sampleOf(HOST_CPU, value, { user: value, system: 0, iowait: 0, steal: 0, windowMs: 1000 });

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

function historyStore(): HistoryStore {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "lookout-record-")), "data"));
  return new HistoryStore(db, retentionOf(configSchema.parse({}).history));
}

/** Cycles with fake collectors, no receivers' network, and `journal` as the history. */
function rig(collectors: Collector[], journal: HistoryJournal | null) {
  const config = configSchema.parse(CPU_ONLY);
  const loaded = { config, path: null, warnings: [], dataDir: "/nonexistent", hostname: "web-1", hostRoot: "/nonexistent" };
  const receivers = [{ name: "team", minSeverity: "warning" as const }];
  const noJournal: OutboxJournal = { delivered() {}, attempted() {}, gaveUp() {}, markReported() {}, forgetReceiversExcept() {} };
  let clock = T0;
  const parts: CycleParts = {
    settings: { loaded, routes: routesFrom(config, ["team"]), receivers },
    collect: new CollectStage(collectors),
    outbox: new Outbox({ outbox: [], failed: [] }, () => noJournal),
    silences: () => [],
    topProcesses: async () => [],
    persist: () => undefined,
    clock: () => clock,
    history: journal ? historyRecorder(() => journal) : null,
  };
  let state: AgentState = { alerts: [], collectors: {}, lastCycleAt: null, flap: {}, inhibitors: {}, summary: null };
  return {
    async cycle(at: number, opts = {}) {
      clock = at;
      const out = await runCycle(parts, state, at, opts);
      state = out.state;
      return out.result;
    },
  };
}

describe("the record stage", () => {
  it("records each cycle's samples, and an alert's firing and resolving as events", async () => {
    const store = historyStore();
    let value = 88;
    const r = rig([{ name: "host", collect: async () => [cpu(value)] }], store);
    await r.cycle(T0);
    await r.cycle(T0 + MIN);
    value = 10;
    await r.cycle(T0 + 2 * MIN);
    const [series] = store.series(HOST_CPU);
    expect(store.points(series!.id, T0, T0 + 3 * MIN, 1, T0 + 3 * MIN).points.map((p) => [p.t, p.avg])).toEqual([
      [T0, 88],
      [T0 + MIN, 88],
      [T0 + 2 * MIN, 10],
    ]);
    const events = store.events(T0, T0 + 3 * MIN, { kinds: ["alert."] });
    expect(events.map((e) => [e.at, e.kind, e.subject])).toEqual([
      [T0 + MIN, "alert.firing", 'host_cpu{hostname="web-1"}'],
      [T0 + 2 * MIN, "alert.resolved", 'host_cpu{hostname="web-1"}'],
    ]);
    expect(events[0]!.data).toMatchObject({ alertname: "host_cpu", severity: "warning", value: 88, threshold: 80, unit: "%" });
    expect(events[0]!.labels).toMatchObject({ alertname: "host_cpu", hostname: "web-1" });
  });

  it("records only the samples of the collectors that ran (an early cycle reuses the others'), and their events", async () => {
    const store = historyStore();
    const die: ContainerEvent = { kind: "die", at: T0 + 500, labels: { container: "web-1", image: "shop/web:1" }, exitCode: 3, cause: "crash" };
    let pending: ContainerEvent[] = [];
    const docker: Collector = { name: "docker", collect: async () => ({ samples: [], events: pending.splice(0) }) };
    const r = rig([{ name: "host", collect: async () => [cpu(5)] }, docker], store);
    await r.cycle(T0);
    pending = [die];
    await r.cycle(T0 + 1000, { reason: "event", only: new Set(["docker"]) });
    const [series] = store.series(HOST_CPU);
    expect(store.points(series!.id, T0, T0 + MIN, 1, T0 + MIN).points.map((p) => p.t)).toEqual([T0]);
    expect(store.events(T0, T0 + MIN)).toEqual([{ at: T0 + 500, kind: "container.die", subject: "web-1", labels: die.labels, data: { exitCode: 3, cause: "crash" } }]);
  });

  it("keeps a cycle whole when the history cannot be written, and says so once until it can", async () => {
    let failing = true;
    let written = 0;
    const journal: HistoryJournal = {
      record() {
        if (failing) throw new Error("database or disk is full");
        written++;
      },
    };
    let value = 88;
    const r = rig([{ name: "host", collect: async () => [cpu(value)] }], journal);
    await r.cycle(T0);
    const fired = await r.cycle(T0 + MIN);
    expect(fired.status).toBe("warning");
    expect(fired.notifications.map((n) => n.kind)).toEqual(["firing"]);
    value = 10;
    const resolved = await r.cycle(T0 + 2 * MIN);
    expect(resolved.notifications.map((n) => n.kind)).toEqual(["resolved"]);
    expect(logs.filter((l) => l.includes("could not record this check in the history")).length).toBe(1);
    failing = false;
    await r.cycle(T0 + 3 * MIN);
    expect(written).toBe(1);
    expect(logs.some((l) => l.includes("history can be written again"))).toBe(true);
  });

  it("keeps the host's network and disk rates per device, as any sample", () => {
    const store = historyStore();
    const details = { bytes: 5e9, packets: 4e6, errors: 0, drops: 0, windowMs: 10_000 };
    const samples = [
      sampleOf(HOST_NETWORK_RECEIVE, 1_250_000, details, { device: "eth0" }),
      sampleOf(HOST_NETWORK_RECEIVE, 4096, details, { device: "bond0.100" }),
      sampleOf(HOST_DISK_READ, 1_048_576, { bytes: 7e9, ops: 1e6, ms: 5e5, windowMs: 10_000 }, { device: "nvme0n1" }),
    ];
    expect(historyPoints(samples).toArray()).toEqual([
      { metric: HOST_NETWORK_RECEIVE, labels: { device: "eth0" }, value: 1_250_000 },
      { metric: HOST_NETWORK_RECEIVE, labels: { device: "bond0.100" }, value: 4096 },
      { metric: HOST_DISK_READ, labels: { device: "nvme0n1" }, value: 1_048_576 },
    ]);
    store.record(T0, historyPoints(samples), []);
    expect(store.series(HOST_NETWORK_RECEIVE).map((x) => x.labels)).toEqual([{ device: "eth0" }, { device: "bond0.100" }]);
    const [eth0] = store.series(HOST_NETWORK_RECEIVE, { device: "eth0" });
    expect(store.points(eth0!.id, T0, T0 + MIN, 1, T0 + MIN).points.map((p) => p.avg)).toEqual([1_250_000]);
  });

  it("fills one list of points again each cycle, and the store keeps each cycle's own values", () => {
    const seen: Array<{ at: number; points: ReturnType<HistoryPoints["toArray"]>; list: HistoryPoints }> = [];
    const recorder = historyRecorder(() => ({ record: (at, points) => seen.push({ at, points: points.toArray(), list: points }) }));
    const disk = (mount: string, v: number) => sampleOf(HOST_DISK, v, { device: "/dev/vda1", fstype: "ext4", sizeBytes: 100, usedBytes: v, freeBytes: 100 - v }, { mount });
    recorder(T0, [cpu(50), disk("/", 10), disk("/var", 20)], []);
    recorder(T0 + 2000, [cpu(60), cpu(Number.NaN)], []);
    expect(seen[1]!.list).toBe(seen[0]!.list);
    expect(seen.map((c) => c.points.map((p) => [p.metric, p.labels.mount ?? "", p.value]))).toEqual([
      [
        [HOST_CPU, "", 50],
        [HOST_DISK, "/", 10],
        [HOST_DISK_SIZE, "/", 100],
        [HOST_DISK, "/var", 20],
        [HOST_DISK_SIZE, "/var", 100],
      ],
      [[HOST_CPU, "", 60]], // NaN is no point
    ]);
    // What the last fill no longer holds is let go of.
    expect(seen[1]!.list.labels).toHaveLength(1);

    const store = historyStore(); // buffers a minute of cycles: each must be its own copy, not the list's
    const write = historyRecorder(() => store);
    for (let i = 0; i < 3; i++) write(T0 + i * 2000, [cpu(10 * (i + 1))], []);
    store.close();
    const [series] = store.series(HOST_CPU);
    expect(store.points(series!.id, T0, T0 + MIN, 1, T0 + MIN).points.map((p) => p.avg)).toEqual([10, 20, 30]);
  });

  it("keeps what a chart needs from a sample's details as series of their own (a container's memory limit)", () => {
    const labels = { container: "web-1", image: "shop/web:1" };
    const points = historyPoints([sampleOf(CONTAINER_MEMORY, 25, { usageBytes: 64 << 20, limitBytes: 256 << 20, limited: true }, labels)]);
    expect(points.toArray()).toEqual([
      { metric: CONTAINER_MEMORY, labels, value: 25 },
      { metric: CONTAINER_MEMORY_LIMIT, labels, value: 256 << 20 },
    ]);
  });
});

describe("notifications in the events journal", () => {
  it("records a notification sent, and one given up on with why, after the outbox's own write", () => {
    const store = historyStore();
    const writes: string[] = [];
    const inner: OutboxJournal = {
      delivered: () => writes.push("delivered"),
      attempted: () => writes.push("attempted"),
      gaveUp: () => writes.push("gaveUp"),
      markReported: () => writes.push("markReported"),
      forgetReceiversExcept: () => writes.push("forget"),
    };
    let now = T0;
    const journal = recordingDeliveries(
      () => inner,
      () => store,
      () => now,
    );
    const outbox = new Outbox({ outbox: [], failed: [] }, () => journal);
    const a = sampleNotification({ id: "n-a" });
    const b = sampleNotification({ id: "n-b", kind: "resolved" });
    outbox.enqueue(a, ["team"], T0);
    outbox.enqueue(b, ["team", "pager"], T0);
    now = T0 + 1000;
    outbox.delivered(outbox.queueOf("team"));
    outbox.giveUp(outbox.queueOf("pager"), "pager", "404 no_service: the webhook was removed", T0 + 5000);
    expect(writes).toEqual(["delivered", "gaveUp"]);
    const events = store.events(T0, T0 + MIN, { kinds: ["notification."] });
    expect(events.map((e) => [e.at, e.kind, e.data.notification, e.data.receiver, e.data.error])).toEqual([
      [T0 + 1000, "notification.sent", "n-a", "team", undefined],
      [T0 + 1000, "notification.sent", "n-b", "team", undefined],
      [T0 + 5000, "notification.given_up", "n-b", "pager", "404 no_service: the webhook was removed"],
    ]);
    expect(events[2]!.subject).toBe(b.alert.fingerprint);
  });

  it("a history that cannot be written does not stop delivery's own journal", () => {
    const writes: string[] = [];
    const inner: OutboxJournal = {
      delivered: () => writes.push("delivered"),
      attempted: () => writes.push("attempted"),
      gaveUp: () => writes.push("gaveUp"),
      markReported: () => writes.push("markReported"),
      forgetReceiversExcept: () => writes.push("forget"),
    };
    const broken = {
      recordEvents() {
        throw new Error("disk I/O error");
      },
    } as unknown as HistoryStore;
    const outbox = new Outbox({ outbox: [], failed: [] }, () =>
      recordingDeliveries(
        () => inner,
        () => broken,
      ),
    );
    outbox.enqueue(sampleNotification(), ["team"], T0);
    outbox.delivered(outbox.queueOf("team"));
    expect(writes).toEqual(["delivered"]);
    expect(outbox.pendingCount()).toBe(0);
    expect(logs.some((l) => l.includes("could not record a delivery in the history"))).toBe(true);
  });
});

describe("history.enabled in the agent", () => {
  async function agentRun(historyYaml: string) {
    const dir = mkdtempSync(join(tmpdir(), "lookout-history-agent-"));
    const config = join(dir, "lookout.yaml");
    writeFileSync(config, `host:\n  cpu: { warning: 1, critical: null, for: 0s }\n${historyYaml}`, { mode: 0o600 });
    const loaded = loadConfig({ configPath: config, dataDir: join(dir, "data"), env: {} });
    const host: Collector = { name: "host", collect: async () => [cpu(50)] };
    const agent = new Agent(loaded, { command: "check", collectors: [host], notifiers: [] });
    try {
      await agent.cycle(T0);
      await agent.cycle(T0 + MIN);
      const heads = agent.db.prepare("SELECT COUNT(*) FROM history_head").pluck().get() as number;
      agent.maintainHistory(T0 + 2 * HOUR, 1000);
      const count = (t: string, where = "1") => agent.db.prepare(`SELECT COUNT(*) FROM ${t} WHERE ${where}`).pluck().get() as number;
      return {
        history_series: count("history_series"),
        history_head: heads,
        raw: count("history_chunks", "tier = 'raw'"),
        "1m": count("history_chunks", "tier = '1m'"),
        history_events: count("history_events"),
        history_rollup: count("history_rollup"),
      };
    } finally {
      await agent.close();
    }
  }

  it("after a step that found nothing to do, tries the next HISTORY_IDLE_MS later, not after every cycle", async () => {
    expect(HISTORY_IDLE_MS).toBe(MIN);
    const dir = mkdtempSync(join(tmpdir(), "lookout-history-agent-"));
    const config = join(dir, "lookout.yaml");
    writeFileSync(config, "host:\n  cpu: { warning: 1, critical: null, for: 0s }\n", { mode: 0o600 });
    const loaded = loadConfig({ configPath: config, dataDir: join(dir, "data"), env: {} });
    const host: Collector = { name: "host", collect: async () => [cpu(50)] };
    const agent = new Agent(loaded, { command: "run", collectors: [host], notifiers: [] });
    const chunks = () => agent.db.prepare("SELECT COUNT(*) FROM history_chunks").pluck().get() as number;
    try {
      await agent.cycle(T0);
      // The hour T0 is rolled up from T0 + 1 h + 2 min (RAW_LAG_MS): just before, nothing to do.
      const due = T0 + HOUR + 2 * MIN;
      expect(agent.maintainHistory(due - 10_000, 1000)).toBe(false);
      expect(agent.maintainHistory(due + 10_000, 1000)).toBe(false); // not tried: within a minute of the idle step
      expect(chunks()).toBe(0);
      agent.maintainHistory(due + 50_000, 1000); // a minute after the idle step
      expect(chunks()).toBe(2); // the hour's raw and 1-minute chunks
    } finally {
      await agent.close();
    }
  });

  it("records cycles and rolls them up when on (the default)", async () => {
    const counts = await agentRun("");
    expect(counts.history_series).toBe(1);
    expect(counts.history_head).toBe(2);
    expect(counts.raw).toBe(1);
    expect(counts["1m"]).toBe(1);
    expect(counts.history_events).toBe(1); // host_cpu firing
  });

  it("run and check write each cycle's points at the end of the cycle, one head row each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-history-agent-"));
    const config = join(dir, "lookout.yaml");
    writeFileSync(config, "host:\n  cpu: { warning: 90, critical: null, for: 0s }\n", { mode: 0o600 });
    const loaded = loadConfig({ configPath: config, dataDir: join(dir, "data"), env: {} });
    const host: Collector = { name: "host", collect: async () => [cpu(50)] };
    const heads = (agent: Agent) => agent.db.prepare("SELECT COUNT(*) FROM history_head").pluck().get() as number;
    const run = new Agent(loaded, { command: "run", collectors: [host], notifiers: [] });
    await run.cycle(T0);
    await run.cycle(T0 + 10_000);
    expect(heads(run)).toBe(2);
    const [series] = run.history()!.series(HOST_CPU);
    expect(run.history()!.points(series!.id, T0, T0 + MIN, 1, T0 + MIN).points).toHaveLength(2);
    await run.close();
    const check = new Agent(loaded, { command: "check", collectors: [host], notifiers: [] });
    try {
      await check.cycle(T0 + 30_000);
      expect(heads(check)).toBe(3);
    } finally {
      await check.close();
    }
  });

  it("writes nothing when history.enabled is false", async () => {
    expect(await agentRun("history:\n  enabled: false\n")).toEqual({ history_series: 0, history_head: 0, raw: 0, "1m": 0, history_events: 0, history_rollup: 0 });
  });
});
