/**
 * Lookout's first look at a Docker (a new data directory): containers already
 * down stopped while nobody watched, so they are one notice, not a crash page
 * each; and an OOM verdict needs an OOM that Lookout saw.
 */
import { afterEach, describe, expect, it } from "vitest";
import { step } from "../../../src/alert/state.js";
import type { ContainerInspect } from "../../../src/collect/docker/api-types.js";
import { containerSamples, DockerCollector, downAtStart } from "../../../src/collect/docker/docker.js";
import { ContainerTracker, type ContainerView, newView } from "../../../src/collect/docker/tracker.js";
import { configSchema } from "../../../src/config/schema.js";
import { containerRules } from "../../../src/evaluate/container-rules.js";
import { detailsFor, evaluate } from "../../../src/evaluate/evaluate.js";
import type { MetricName } from "../../../src/model/metrics.js";
import type { Sample } from "../../../src/model/sample.js";
import { FixtureServer, fixtureJson, json } from "./fixture-server.js";

const T = 1_800_000_000_000;
const view = (o: Partial<ContainerView> = {}): ContainerView => newView("c1", { name: "web", image: "shop/web:1", startedAt: T - 3600_000, ...o });
const ev = (action: string, time: number, attributes: Record<string, string> = {}) => ({ id: "c1", action, time, attributes });

describe("the tracker on a first look (baseline)", () => {
  it("records a container found exited 137 (docker stop that ended in SIGKILL) without latching a crash, and reports its next exit", () => {
    const t = new ContainerTracker();
    const down = view({ status: "exited", exitCode: 137, finishedAt: T - 12 * 60_000 });
    expect(t.applyView(down, T, undefined, true)).toBe(false);
    expect(t.get("c1")!.crash).toBeNull();
    expect(t.get("c1")!.oom).toBeNull();
    // The same exit seen again is not news either.
    expect(t.applyView(down, T + 10_000)).toBe(false);
    expect(t.get("c1")!.crash).toBeNull();
    // Started and crashed while Lookout watched (found by inspection): reported.
    t.applyView(view({ status: "running", startedAt: T + 20_000 }), T + 20_000);
    expect(t.applyView(view({ status: "exited", exitCode: 1, startedAt: T + 20_000, finishedAt: T + 30_000 }), T + 40_000)).toBe(true);
    expect(t.get("c1")!.crash).toMatchObject({ exitCode: 1, reconciled: true });
  });

  it("without baseline, a container first seen exited within the day is still a crash (it was born since the last look)", () => {
    const t = new ContainerTracker();
    expect(t.applyView(view({ status: "exited", exitCode: 137, finishedAt: T - 60_000 }), T)).toBe(true);
    expect(t.get("c1")!.crash).toMatchObject({ exitCode: 137 });
  });
});

describe("the OOM verdict", () => {
  const value = (samples: Sample[], name: MetricName) => samples.find((s) => s.name === name)?.value;

  it("takes a SIGKILL death that Docker told before its oom for an OOM kill, and pages no crash for it meanwhile", () => {
    const t = new ContainerTracker();
    t.applyView(view({ status: "running", memoryLimit: 16 << 20 }), T);
    t.onEvent(ev("die", T + 1000, { exitCode: "137" }));
    const rec = t.get("c1")!;
    // The wait for an `oom` that may follow: not a crash yet.
    expect(value(containerSamples(rec, T + 1100, t, 600_000, null), "container_crashed")).toBe(0);
    t.onEvent(ev("oom", T + 1300));
    const after = containerSamples(t.get("c1")!, T + 2100, t, 600_000, null);
    expect(value(after, "container_crashed")).toBe(0);
    expect(value(after, "container_oom_killed")).toBe(1);
    expect(t.get("c1")!.oom).toMatchObject({ died: true, exitCode: 137, at: T + 1000 });
  });

  it("says in a crash's message that its last log lines could not be read, and why", () => {
    const t = new ContainerTracker();
    t.applyView(view({ status: "running" }), T);
    t.onEvent(ev("die", T + 1000, { exitCode: "1" }));
    t.setLogsError("c1", "Docker answered 404: no such container");
    const samples = containerSamples(t.get("c1")!, T + 1100, t, 600_000, null);
    const e = evaluate(samples, containerRules, configSchema.parse({}), "web-1");
    const crash = e.observations.find((o) => o.alertname === "container_crashed")!;
    const details = detailsFor(e, crash.fingerprint);
    expect(details.facts).toContainEqual({ label: "Last log lines", value: "could not be read: Docker answered 404: no such container" });
    expect(details.sections ?? []).toEqual([]);
  });

  it("reports a SIGKILL death without an oom as a crash once the wait is over", () => {
    const t = new ContainerTracker();
    t.applyView(view({ status: "running" }), T);
    t.onEvent(ev("die", T + 1000, { exitCode: "137" }));
    expect(value(containerSamples(t.get("c1")!, T + 1100, t, 600_000, null), "container_crashed")).toBe(0);
    expect(value(containerSamples(t.get("c1")!, T + 2100, t, 600_000, null), "container_crashed")).toBe(1);
    expect(value(containerSamples(t.get("c1")!, T + 2100, t, 600_000, null), "container_oom_killed")).toBe(0);
  });

  it("does not blame an exit on an OOMKilled flag that was already set (an earlier kill of a process in it)", () => {
    const t = new ContainerTracker();
    t.applyView(view({ status: "running", memoryLimit: 64 << 20 }), T);
    // A child process is OOM killed; the container keeps running. Docker sets its flag.
    t.onEvent(ev("oom", T + 1000));
    expect(t.get("c1")!.view.oomKilled).toBe(true);
    t.applyView(view({ status: "running", oomKilled: true, memoryLimit: 64 << 20 }), T + 2000);
    // Much later, dockerd's shutdown kills it; the flag is still set.
    const exit = view({ status: "exited", exitCode: 137, oomKilled: true, finishedAt: T + 600_000, memoryLimit: 64 << 20 });
    expect(t.applyView(exit, T + 700_000, (at) => at >= T + 590_000)).toBe(true);
    const rec = t.get("c1")!;
    expect(rec.oom?.died).not.toBe(true);
    expect(rec.crash).toMatchObject({ exitCode: 137, dockerOomFlag: true });
  });

  it("gives the verdict when the flag turns true while Lookout watches", () => {
    const t = new ContainerTracker();
    t.applyView(view({ status: "running" }), T);
    expect(t.applyView(view({ status: "exited", exitCode: 137, oomKilled: true, finishedAt: T + 5000 }), T + 6000)).toBe(true);
    expect(t.get("c1")!.oom).toMatchObject({ died: true, exitCode: 137 });
    expect(t.get("c1")!.crash).toBeNull();
  });

  it("remembers the last exit and its log lines for a restart loop's message", () => {
    const t = new ContainerTracker();
    t.applyView(view({ status: "running", restartPolicy: "always" }), T);
    t.onEvent(ev("die", T + 1000, { exitCode: "0" }));
    t.setLogs("c1", ["ready", "bye"]);
    expect(t.get("c1")!.lastExit).toEqual({ at: T + 1000, code: 0, logs: ["ready", "bye"] });
  });
});

describe("downAtStart", () => {
  it("names the containers that failed or should run, most recent exit first; not clean jobs, expected exits or never-started ones", () => {
    const t = new ContainerTracker();
    const add = (id: string, o: Partial<ContainerView>) => t.applyView(newView(id, { name: id, ...o }), T, undefined, true);
    add("web", { status: "exited", exitCode: 137, finishedAt: T - 12 * 60_000 });
    add("db", { status: "exited", exitCode: 1, finishedAt: T - 60_000, oomKilled: true });
    add("job", { status: "exited", exitCode: 0, finishedAt: T - 60_000 });
    add("cache", { status: "exited", exitCode: 0, finishedAt: T - 120_000, restartPolicy: "always" });
    add("migrate", { status: "exited", exitCode: 2, finishedAt: T - 60_000, labels: { "lookout.expect": "exit" } });
    add("fresh", { status: "created", exitCode: 0, finishedAt: null });
    add("api", { status: "running" });
    const list = downAtStart(t, new Set(["web", "db", "job", "cache", "migrate", "fresh", "api"]));
    expect(list.map((d) => d.name)).toEqual(["db", "cache", "web"]);
    expect(list[0]).toEqual({ name: "db", status: "exited", exitCode: 1, finishedAt: T - 60_000, oomFlag: true });
  });
});

describe("the Docker collector's first look", () => {
  const servers: FixtureServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.dispose();
  });

  /** A daemon with a crashed container (exit 3) and an OOM-killed one (exit 137, OOMKilled), both exited long before. */
  async function daemon(): Promise<string> {
    const crashed = fixtureJson<ContainerInspect>("inspect-crashed-exit3.json");
    const oom = fixtureJson<ContainerInspect>("inspect-oom-killed.json");
    const byId = new Map([crashed, oom].map((c) => [c.Id, c]));
    const server = new FixtureServer((req) => {
      if (req.path.endsWith("/version")) return json(fixtureJson("version.json"));
      if (req.path.endsWith("/info")) return json({ DockerRootDir: "/var/lib/docker" });
      if (req.path.endsWith("/containers/json"))
        return json([...byId.values()].map((c) => ({ Id: c.Id, Names: [c.Name], Labels: c.Config.Labels ?? {}, State: c.State.Status, Status: "Exited" })));
      const m = /\/containers\/([0-9a-f]+)\/json$/.exec(req.path);
      if (m) return byId.has(m[1]!) ? json(byId.get(m[1]!)) : json({ message: "No such container" }, 404);
      return undefined;
    });
    servers.push(server);
    return server.listen();
  }

  const config = (host: string) => configSchema.parse({ docker: { socket: host } });
  const named = (samples: Sample[], name: MetricName) => samples.filter((s) => s.name === name);

  it("reports what is down as one notice, pages no crash, and keeps the notice (then ends it) across check runs", async () => {
    const host = await daemon();
    const first = new DockerCollector({ config: config(host) });
    const now = Date.parse(fixtureJson<ContainerInspect>("inspect-crashed-exit3.json").State.FinishedAt) + 3600_000;
    const { samples } = await first.collect({ config: config(host), now, reason: "interval" });
    await first.stop();
    expect(named(samples, "container_crashed").map((s) => s.value)).toEqual([0, 0]);
    expect(named(samples, "container_oom_killed").map((s) => s.value)).toEqual([0, 0]);
    const [notice] = named(samples, "containers_down_at_start");
    expect(notice).toMatchObject({ value: 1, details: { count: 2, more: 0 } });

    // Evaluated: one warning alert whose title lists both, with exit codes and no guess about why.
    const cfg = config(host);
    const evaluation = evaluate(samples, containerRules, cfg, "web-1");
    const obs = evaluation.observations.find((o) => o.alertname === "containers_down_at_start")!;
    expect(obs.summary).toMatch(/^When Lookout started, these 2 containers were not running: /);
    expect(obs.summary).toMatch(/shop-api-1 \(exited 3, 1h ago\)/);
    expect(obs.summary).toMatch(/oom-1 \(exited 137, 1h ago, OOMKilled flag set\)/);
    expect(obs.summary).not.toMatch(/crash|out of memory/i);
    const result = step([], evaluation.observations, now, { repeatIntervalMs: 0, sendResolved: true, evaluated: evaluation.evaluated });
    expect(result.events.filter((e) => e.kind === "firing").map((e) => [e.alert.alertname, e.alert.severity])).toEqual([["containers_down_at_start", "warning"]]);

    // The next `check` (a new process, the collector restored from the data directory) keeps it for 10 minutes, then drops it.
    const second = new DockerCollector({ config: cfg });
    second.restore(JSON.parse(JSON.stringify(first.snapshot())));
    const again = await second.collect({ config: cfg, now: now + 60_000, reason: "interval" });
    expect(named(again.samples, "containers_down_at_start")).toHaveLength(1);
    expect(named(again.samples, "container_crashed").map((s) => s.value)).toEqual([0, 0]);
    const later = await second.collect({ config: cfg, now: now + 11 * 60_000, reason: "interval" });
    await second.stop();
    expect(named(later.samples, "containers_down_at_start")).toHaveLength(0);
    expect(later.covers).toContain("containers_down_at_start");
  });
});
