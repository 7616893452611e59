/**
 * Each endpoint of docs/api.md on a real server over a real Agent (fake
 * collectors, real SQLite): its happy path, its 400s, and the answers every
 * endpoint shares (404, 405, 413, headers, a 500 without a stack that the
 * agent survives).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DockerError } from "../../src/collect/docker/engine.js";
import { loadPolicyChecks } from "../../src/collect/docker/policy.js";
import { setLogSink } from "../../src/log.js";
import { SilenceStore } from "../../src/store/silences.js";
import { sampleNotification } from "../support/sample-notification.js";
import { cpuSample, diskSample, JSON_HEADERS, type Rig, startRig, T0 } from "./rig.js";

// Labels and overrides are checked by code loaded on demand (collect/docker/policy.ts): loaded here as a report would.
beforeAll(loadPolicyChecks);

const MIN = 60_000;
let rig: Rig | null = null;
let logs: string[] = [];
beforeEach(() => {
  logs = [];
  setLogSink((l) => logs.push(l));
});
afterEach(async () => {
  await rig?.close();
  rig = null;
  setLogSink(() => undefined);
});

async function started(opts: Parameters<typeof startRig>[0] = {}): Promise<Rig> {
  rig = await startRig(opts);
  return rig;
}

describe("GET /api/v1/status", () => {
  it("says the host, its containers, the agent and Docker as the last check saw them", async () => {
    const r = await started();
    const before = await r.request("GET", "/api/v1/status");
    expect(before.json).toMatchObject({ hostname: "web-1", last_cycle_at: null, status: "unknown", docker: { reachable: null } });
    await r.cycle(T0);
    r.setNow(T0 + 5000);
    const a = await r.request("GET", "/api/v1/status");
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(a.headers["cache-control"]).toBe("no-store");
    expect(a.headers["x-content-type-options"]).toBe("nosniff");
    expect(a.json).toMatchObject({
      hostname: "web-1",
      started_at: T0 - MIN,
      uptime_ms: MIN + 5000,
      interval_ms: 10_000,
      last_cycle_at: T0,
      status: "ok",
      docker: { reachable: true, error: null },
      host: { cpu_percent: 12.5, disks: [{ mount: "/", used_percent: 71.3, device: "/dev/sda1" }] },
      containers: { total: 2, running: 1, unhealthy: 0, not_running: 1 },
      alerts: { firing: 0, pending: 0 },
    });
    expect(typeof a.json.version).toBe("string");
    expect(a.json.metrics).toContainEqual({ name: "host_cpu", labels: {}, value: 12.5, unit: "%" });
  });
});

describe("GET /api/v1/containers", () => {
  it("lists every watched container with its state, figures, restarts and compose names", async () => {
    const r = await started();
    await r.cycle(T0);
    const a = await r.request("GET", "/api/v1/containers");
    expect(a.status).toBe(200);
    expect(a.json.containers.map((c: { name: string }) => c.name)).toEqual(["db", "shop-web-1"]);
    expect(a.json.containers[1]).toEqual({
      name: "shop-web-1",
      id: "a1b2c3d4e5f6",
      image: "nginx:1.27",
      state: "running",
      health: "healthy",
      started_at: T0 - 3600_000,
      finished_at: null,
      exit_code: 0,
      restarts: 2,
      restart_policy: "unless-stopped",
      cpu_percent: 3.2,
      cpu_cores: 4,
      cpu_limited: false,
      memory_bytes: 53687091,
      memory_limit_bytes: 512 * 1024 * 1024,
      memory_limited: true,
      memory_percent: 10,
      compose_project: "shop",
      compose_service: "web",
      oom_killed: false,
      labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "web" },
      policy: {
        rules: {
          crashed: { enabled: true, severity: "critical", log_lines: 20, resolve_after: 60_000 },
          oom_killed: { enabled: true, resolve_after: 60_000 },
          unhealthy: { enabled: true, severity: "warning", for: 0 },
          restart_loop: { enabled: true, severity: "critical", restarts: 3, within: 600_000 },
          not_running: { enabled: true, severity: "critical", for: 30_000 },
          cpu: { enabled: true, warning: 80, critical: null, for: 120_000, hysteresis: 5 },
          memory: { enabled: true, warning: 90, critical: null, for: 60_000, hysteresis: 5 },
        },
        problems: [],
      },
    });
    expect(a.json.containers[0]).toMatchObject({ name: "db", state: "exited", exit_code: 1, cpu_percent: null, memory_percent: null, compose_project: null });
  });

  it("says each container's labels as Docker gives them, its rule settings from config, overrides and labels, the refused ones, and an OOM kill held", async () => {
    const r = await started({
      yaml: `containers:\n  cpu: { warning: 70 }\n  overrides:\n    - match: name=db\n      not_running: { enabled: false }\n      restart_loop: { within: 15m }\n`,
    });
    const hostile = "\u001b[31m<img src=x onerror=alert(1)>\u202e\n";
    r.docker.views = [
      { ...r.docker.views[1]!, labels: { "lookout.memory.warning": "75", "lookout.cpu.for": "soon", "lookout.unhealthy.for": "2m", note: hostile } },
      r.docker.views[0]!,
    ];
    r.docker.oom.add(r.docker.views[0]!.id);
    await r.cycle(T0);
    const a = await r.request("GET", "/api/v1/containers");
    const db = a.json.containers.find((c: { name: string }) => c.name === "db");
    expect(db.oom_killed).toBe(true);
    expect(a.json.containers.find((c: { name: string }) => c.name === "shop-web-1").oom_killed).toBe(false);
    expect(db.labels.note).toBe(hostile); // JSON-escaped on the wire, the same text once parsed
    expect(a.text).not.toContain("<img src=x onerror=alert(1)>\n");
    expect(db.policy.rules.cpu).toEqual({ enabled: true, warning: 70, critical: null, for: 120_000, hysteresis: 5 });
    expect(db.policy.rules.memory.warning).toBe(75);
    expect(db.policy.rules.unhealthy.for).toBe(120_000);
    expect(db.policy.rules.not_running.enabled).toBe(false);
    expect(db.policy.rules.restart_loop.within).toBe(900_000);
    expect(db.policy.problems).toEqual([expect.stringMatching(/^label lookout\.cpu\.for="soon": /)]);
    expect(a.json.containers.find((c: { name: string }) => c.name === "shop-web-1").policy.rules.not_running.enabled).toBe(true);
  });

  it("gives a container's last lines, control characters escaped, tail bounded 1..1000", async () => {
    const r = await started();
    const a = await r.request("GET", "/api/v1/containers/shop-web-1/logs?tail=2");
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ container: "shop-web-1", tail: 2, lines: ["\\x1b[31mred\\x1b[0m", "four"] });
    expect(r.docker.asked).toEqual([{ name: "shop-web-1", tail: 2 }]);
    expect((await r.request("GET", "/api/v1/containers/shop-web-1/logs")).json.tail).toBe(200);
    for (const tail of ["0", "1001", "abc", "-1", "1.5"]) {
      const bad = await r.request("GET", `/api/v1/containers/shop-web-1/logs?tail=${tail}`);
      expect(bad.status, tail).toBe(400);
      expect(bad.json.error).toMatch(/^tail: expected a whole number from 1 to 1000/);
    }
    expect((await r.request("GET", "/api/v1/containers/shop-web-1/logs?tail=1&tail=2")).status).toBe(400);
    expect((await r.request("GET", "/api/v1/containers/nope/logs")).status).toBe(404);
    expect((await r.request("GET", "/api/v1/containers/-rm/logs")).status).toBe(400);
    // `..` is a path segment to URL parsing: /api/v1/containers/%2e%2e/logs is /api/v1/logs.
    expect((await r.request("GET", "/api/v1/containers/%2e%2e/logs")).status).toBe(404);
    expect((await r.request("GET", "/api/v1/containers/%E0%A4%A/logs")).status).toBe(400);
  });

  it("says 502 when Docker does not answer, with Docker's reason", async () => {
    const r = await started();
    r.docker.fail = new DockerError("cannot reach Docker at /var/run/docker.sock; is it running?", { kind: "unreachable" });
    const a = await r.request("GET", "/api/v1/containers/shop-web-1/logs");
    expect(a.status).toBe(502);
    expect(a.json.error).toMatch(/^Docker did not give the logs: cannot reach Docker/);
  });
});

describe("GET /api/v1/alerts and /api/v1/events", () => {
  it("gives the active alerts and their history from the events journal", async () => {
    const r = await started();
    r.host.samples = [cpuSample(90)];
    await r.cycle(T0);
    r.setNow(T0 + MIN);
    const a = await r.request("GET", "/api/v1/alerts");
    expect(a.status).toBe(200);
    expect(a.json.active).toHaveLength(1);
    expect(a.json.active[0]).toMatchObject({ alertname: "host_cpu", state: "firing", severity: "warning", value: 90, threshold: 80, unit: "%", firing_since: T0, silenced: false });
    expect(a.json.history.map((e: { kind: string }) => e.kind)).toEqual(["alert.firing"]);
    expect(a.json.history[0].at).toBe(T0);
    const old = await r.request("GET", `/api/v1/alerts?from=${T0 - 10 * MIN}&to=${T0 - MIN}`);
    expect(old.json.history).toEqual([]);
    expect((await r.request("GET", "/api/v1/alerts?from=-2h&to=2026-12-01T11:00:00Z")).json.history).toHaveLength(1);
  });

  it("refuses a range that ends before it starts, and times it cannot read", async () => {
    const r = await started();
    const backwards = await r.request("GET", `/api/v1/alerts?from=${T0}&to=${T0 - 1}`);
    expect(backwards.status).toBe(400);
    expect(backwards.json.error).toMatch(/^from must be before to/);
    const garbage = await r.request("GET", "/api/v1/events?from=yesterday");
    expect(garbage.status).toBe(400);
    expect(garbage.json.error).toMatch(/^from: expected ms since the epoch, an ISO 8601 date/);
    expect((await r.request("GET", "/api/v1/events?limit=0")).status).toBe(400);
    expect((await r.request("GET", "/api/v1/events?limit=1001")).status).toBe(400);
    expect((await r.request("GET", "/api/v1/events?kind=rm%20-rf")).status).toBe(400);
  });

  it("filters events by container and kind, most recent `limit` of them, oldest first", async () => {
    const r = await started();
    const history = r.agent.history()!;
    const web = { container: "shop-web-1", image: "nginx:1.27" };
    history.recordEvents([
      { at: T0 - 3 * MIN, kind: "container.die", subject: "shop-web-1", labels: web, data: { exitCode: 137, cause: "oom" } },
      { at: T0 - 2 * MIN, kind: "container.start", subject: "shop-web-1", labels: web, data: {} },
      { at: T0 - MIN, kind: "container.die", subject: "db", labels: { container: "db", image: "postgres:16" }, data: { exitCode: 1 } },
    ]);
    const all = await r.request("GET", "/api/v1/events");
    expect(all.json.events.map((e: { at: number }) => e.at)).toEqual([T0 - 3 * MIN, T0 - 2 * MIN, T0 - MIN]);
    const web1 = await r.request("GET", "/api/v1/events?container=shop-web-1");
    expect(web1.json.events).toHaveLength(2);
    expect(web1.json.events[0]).toEqual({ at: T0 - 3 * MIN, kind: "container.die", subject: "shop-web-1", labels: web, data: { exitCode: 137, cause: "oom" } });
    const dies = await r.request("GET", "/api/v1/events?kind=container.die&limit=1");
    expect(dies.json.events.map((e: { subject: string }) => e.subject)).toEqual(["db"]);
    const prefix = await r.request("GET", "/api/v1/events?kind=container.&container=db");
    expect(prefix.json.events).toHaveLength(1);
  });

  it("says 409 when the history is off", async () => {
    const r = await started({ yaml: "history: { enabled: false }" });
    const a = await r.request("GET", "/api/v1/events");
    expect(a.status).toBe(409);
    expect(a.json.error).toMatch(/history.enabled: false/);
    expect((await r.request("GET", "/api/v1/alerts")).json.history).toEqual([]);
  });
});

describe("GET /api/v1/history", () => {
  it("gives a metric's series with min/avg/max per step, filtered by labels", async () => {
    const r = await started();
    for (let i = 0; i < 6; i++) {
      r.host.samples = [cpuSample(10 + i), diskSample("/", 50), diskSample("/data", 80 + i)];
      await r.cycle(T0 + i * 10_000);
    }
    r.setNow(T0 + MIN);
    const a = await r.request("GET", `/api/v1/history?metric=host_cpu&from=${T0}&to=${T0 + MIN}&step=30s`);
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ metric: "host_cpu", unit: "%", from: T0, to: T0 + MIN, step_ms: 30_000, tier: "raw", truncated: false });
    expect(a.json.series).toEqual([
      {
        labels: {},
        points: [
          { t: T0, min: 10, avg: 11, max: 12 },
          { t: T0 + 30_000, min: 13, avg: 14, max: 15 },
        ],
      },
    ]);
    const disks = await r.request("GET", `/api/v1/history?metric=host_disk&from=${T0}&to=${T0 + MIN}&step=60000`);
    expect(disks.json.series.map((s: { labels: Record<string, string> }) => s.labels.mount).sort()).toEqual(["/", "/data"]);
    for (const q of ["labels=mount=/data", "labels=mount%3D%2Fdata", "labels=mount=/data,mount=/data"]) {
      const one = await r.request("GET", `/api/v1/history?metric=host_disk&${q}&from=${T0}&to=${T0 + MIN}&step=30s`);
      expect(one.json.series, q).toEqual([
        {
          labels: { mount: "/data" },
          points: [
            { t: T0, min: 80, avg: 81, max: 82 },
            { t: T0 + 30_000, min: 83, avg: 84, max: 85 },
          ],
        },
      ]);
    }
    const none = await r.request("GET", `/api/v1/history?metric=host_disk&labels=mount=/nope&from=${T0}&to=${T0 + MIN}`);
    expect(none.json).toMatchObject({ series: [], tier: null });
  });

  it("names what is wrong with a query", async () => {
    const r = await started();
    const cases: Array<[string, RegExp]> = [
      ["", /^metric: required/],
      ["metric=nope", /^metric: no metric is named "nope"/],
      ["metric=host_cpu&step=10ms", /^step: expected a duration of at least 1s/],
      ["metric=host_cpu&step=soon", /^step: expected a duration/],
      ["metric=host_cpu&from=-30d&step=1s", /^step: 1000 ms makes more than 5000 points/],
      ["metric=host_cpu&labels=mount", /^labels: expected label=value pairs/],
      ["metric=host_cpu&labels=a=1&labels=a=2", /^labels: a is given twice/],
      ["metric=host_cpu&metric=host_disk", /^metric: given 2 times/],
    ];
    for (const [q, error] of cases) {
      const a = await r.request("GET", `/api/v1/history?${q}`);
      expect(a.status, q).toBe(400);
      expect(a.json.error, q).toMatch(error);
      expect(Object.keys(a.json), q).toEqual(["error"]);
    }
  });
});

describe("/api/v1/silences", () => {
  it("adds, lists and ends silences in the store `lookout silence` uses", async () => {
    const r = await started();
    const added = await r.request("POST", "/api/v1/silences", {
      headers: JSON_HEADERS,
      body: JSON.stringify({ matchers: ["container=db", "alertname=container_*"], duration: "2h", comment: "migration", created_by: "alice" }),
    });
    expect(added.status).toBe(201);
    const s = added.json.silence;
    expect(s).toMatchObject({
      matchers: ["container=db", "alertname=container_*"],
      starts_at: T0,
      ends_at: T0 + 2 * 3600_000,
      comment: "migration",
      created_by: "alice",
      created_at: T0,
    });
    expect(s.id).toMatch(/^[0-9a-f]{8}$/);
    expect(added.json.warnings).toEqual([]);
    // The CLI's store sees it.
    expect(new SilenceStore(r.agent.db).list(T0).map((x) => x.id)).toEqual([s.id]);

    const byEnd = await r.request("POST", "/api/v1/silences", { headers: JSON_HEADERS, body: JSON.stringify({ matchers: ["contianer=x"], ends_at: "2026-12-01T11:00:00Z" }) });
    expect(byEnd.status).toBe(201);
    expect(byEnd.json.silence).toMatchObject({ ends_at: T0 + 3600_000, created_by: "api", comment: "" });
    expect(byEnd.json.warnings[0]).toMatch(/no alert has a label "contianer"/);

    const list = await r.request("GET", "/api/v1/silences");
    expect(list.json.silences.map((x: { id: string }) => x.id)).toEqual([byEnd.json.silence.id, s.id]);
    expect(list.json.maintenance).toEqual([]);

    const ended = await r.request("DELETE", `/api/v1/silences/${s.id}`, { headers: { "X-Lookout-Request": "1" } });
    expect(ended.status).toBe(200);
    expect(ended.json.silence).toMatchObject({ id: s.id, ends_at: T0 });
    expect((await r.request("GET", "/api/v1/silences")).json.silences).toHaveLength(1);
    expect((await r.request("DELETE", `/api/v1/silences/${s.id}`, { headers: { "X-Lookout-Request": "1" } })).status).toBe(404);
    expect((await r.request("DELETE", "/api/v1/silences/xyz", { headers: { "X-Lookout-Request": "1" } })).status).toBe(400);
  });

  it("shows the maintenance windows in force", async () => {
    const r = await started({ yaml: 'maintenance: [{ cron: "* * * * *", duration: 1h, match: "container=db", comment: backups }]' });
    r.setNow(Date.now());
    const list = await r.request("GET", "/api/v1/silences");
    expect(list.json.maintenance).toMatchObject([{ id: "maintenance[0]", matchers: ["container=db"], comment: "backups" }]);
  });

  it("names the field that is wrong in a new silence", async () => {
    const r = await started();
    const cases: Array<[unknown, RegExp]> = [
      [[], /^body: expected a JSON object/],
      [{ matchers: [], duration: "1h" }, /^matchers: expected a list of 1 to 20/],
      [{ matchers: "container=db", duration: "1h" }, /^matchers: expected a list/],
      [{ matchers: ["nolabel"], duration: "1h" }, /^matchers\[0\]: expected label=value/],
      [{ matchers: ["container=db"] }, /^give duration .* or ends_at/],
      [{ matchers: ["container=db"], duration: "1h", ends_at: T0 + 1 }, /^give duration .* or ends_at/],
      [{ matchers: ["container=db"], duration: "soon" }, /^duration: expected a duration above 0/],
      [{ matchers: ["container=db"], duration: 0 }, /^duration: expected a duration above 0/],
      [{ matchers: ["container=db"], duration: "400d" }, /^duration: at most 365 days/],
      [{ matchers: ["container=db"], ends_at: T0 - 1 }, /^ends_at: .* is not in the future/],
      [{ matchers: ["container=db"], ends_at: "tomorrow" }, /^ends_at: expected ms since the epoch/],
      [{ matchers: ["container=db"], duration: "1h", comment: 5 }, /^comment: expected a text of at most 500/],
      [{ matchers: ["container=db"], duration: "1h", who: "x" }, /^"who": unknown field/],
    ];
    for (const [body, error] of cases) {
      const a = await r.request("POST", "/api/v1/silences", { headers: JSON_HEADERS, body: JSON.stringify(body) });
      expect(a.status, JSON.stringify(body)).toBe(400);
      expect(a.json.error, JSON.stringify(body)).toMatch(error);
    }
    const notJson = await r.request("POST", "/api/v1/silences", { headers: JSON_HEADERS, body: "{matchers:" });
    expect(notJson.json).toEqual({ error: "body: not valid JSON" });
    expect(new SilenceStore(r.agent.db).list(T0)).toEqual([]);
  });

  it("refuses a body over 64 KiB with 413", async () => {
    const r = await started();
    const big = JSON.stringify({ matchers: ["container=db"], duration: "1h", comment: "x".repeat(70 * 1024) });
    const a = await r.request("POST", "/api/v1/silences", { headers: JSON_HEADERS, body: big });
    expect(a.status).toBe(413);
    expect(a.json.error).toMatch(/larger than 64 KiB/);
  });
});

describe("GET /api/v1/notifications", () => {
  it("gives queued deliveries with their next attempt, given-up ones with why, delivered ones from the journal", async () => {
    const r = await started();
    const outbox = r.agent.outbox;
    const queued = sampleNotification({ id: "n-queued", at: T0 - 2 * MIN });
    const delivered = sampleNotification({ id: "n-sent", at: T0 - 3 * MIN });
    const failed = sampleNotification({ id: "n-failed", at: T0 - 4 * MIN });
    outbox.enqueue(queued, ["team"], T0 - 2 * MIN);
    outbox.enqueue(delivered, ["team"], T0 - 3 * MIN);
    outbox.enqueue(failed, ["pager"], T0 - 4 * MIN);
    const [q] = outbox.queueOf("team");
    outbox.attempted([q!], T0 - MIN);
    outbox.retryAt([q!], T0 + MIN, "the receiver answered 500; tried again later");
    outbox.delivered([outbox.queueOf("team")[1]!]);
    outbox.giveUp(outbox.queueOf("pager"), "pager", "the receiver answered 404: check its URL", T0 - 30_000);

    // The journal notes a delivery at the wall clock's time (store/history.ts recordingDeliveries).
    const a = await r.request("GET", `/api/v1/notifications?from=${T0 - 3600_000}&to=${Date.now() + 3600_000}`);
    expect(a.status).toBe(200);
    const byState = (state: string) => a.json.notifications.filter((n: { state: string }) => n.state === state);
    expect(byState("queued")).toEqual([
      expect.objectContaining({ id: "n-queued", receiver: "team", attempts: 1, next_attempt_at: T0 + MIN, answer: "the receiver answered 500; tried again later", kind: "firing" }),
    ]);
    expect(byState("queued")[0].title).toMatch(/CPU/);
    expect(byState("failed")).toEqual([
      expect.objectContaining({ id: "n-failed", receiver: "pager", at: T0 - 30_000, answer: "the receiver answered 404: check its URL", reported_at: null }),
    ]);
    expect(byState("delivered")).toEqual([expect.objectContaining({ id: "n-sent", receiver: "team", answer: "accepted", kind: "firing" })]);
    expect(a.json.notifications.map((n: { state: string }) => n.state)).toEqual(["queued", "delivered", "failed"]);
    expect((await r.request("GET", "/api/v1/notifications?limit=x")).status).toBe(400);
  });
});

describe("every endpoint", () => {
  it("answers 404 for an unknown path, 405 with Allow for a wrong method", async () => {
    const r = await started();
    const unknown = await r.request("GET", "/api/v1/nope");
    expect(unknown.status).toBe(404);
    expect(Object.keys(unknown.json)).toEqual(["error"]);
    const wrong = await r.request("PUT", "/api/v1/status", { headers: JSON_HEADERS, body: "{}" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe("GET, HEAD");
    const del = await r.request("POST", "/api/v1/silences/abcdef12", { headers: JSON_HEADERS, body: "{}" });
    expect(del.status).toBe(405);
    expect(del.headers.allow).toBe("DELETE");
  });

  it("a failing handler is a 500 without a stack, logged; the server and the agent go on", async () => {
    const r = await started({
      source: (s) => ({
        ...s,
        lastResult: () => {
          throw new Error("boom at /secret/place");
        },
      }),
    });
    const a = await r.request("GET", "/api/v1/status");
    expect(a.status).toBe(500);
    expect(a.json).toEqual({ error: "internal error (please report it); the agent goes on" });
    expect(a.text).not.toMatch(/boom|at .*\.ts/);
    expect(logs.join("\n")).toMatch(/http: a request failed \(please report it\).*boom/);
    expect((await r.request("GET", "/api/v1/silences")).status).toBe(200);
    await r.cycle(T0);
  });

  it("refuses a request Node cannot parse with 400 and goes on", async () => {
    const r = await started();
    const { connect } = await import("node:net");
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(r.port, "127.0.0.1", () => s.write("NOT HTTP AT ALL\r\n\r\n"));
      let text = "";
      s.on("data", (d) => (text += d.toString()));
      s.on("end", () => resolve(text));
      s.on("error", reject);
      s.setTimeout(5000, () => s.destroy(new Error("no answer")));
    });
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    expect((await r.request("GET", "/healthz")).status).toBe(200);
  });
});

describe("GET /healthz", () => {
  it("is 200 while cycles run, 503 once none completed for 2 intervals and a minute", async () => {
    const r = await started();
    const starting = await r.request("GET", "/healthz", { token: null });
    expect(starting.json).toMatchObject({ status: "starting", last_cycle_at: null });
    await r.cycle(T0);
    r.setNow(T0 + 4000);
    const ok = await r.request("GET", "/healthz", { token: null });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ status: "ok", last_cycle_at: T0, last_cycle_age_ms: 4000, interval_ms: 10_000, stalled_after_ms: 80_000 });
    r.setNow(T0 + 80_001);
    const stalled = await r.request("GET", "/healthz", { token: null });
    expect(stalled.status).toBe(503);
    expect(stalled.json.status).toBe("stalled");
  });
});

describe("the dashboard's files", () => {
  it("serves index.html at / and the files beside it, with the CSP; nothing outside the page directory", async () => {
    const root = mkdtempSync(join(tmpdir(), "lookout-page-"));
    const page = join(root, "page");
    mkdirSync(join(page, "assets"), { recursive: true });
    writeFileSync(join(page, "index.html"), "<!doctype html><title>dash</title>");
    writeFileSync(join(page, "assets", "app.js"), "console.log(1)");
    writeFileSync(join(page, ".env"), "SECRET=1");
    writeFileSync(join(root, "outside.txt"), "no");
    const r = await started({ pageDir: page });
    const index = await r.request("GET", "/");
    expect(index.status).toBe(200);
    expect(index.text).toContain("<title>dash</title>");
    expect(index.headers["content-security-policy"]).toMatch(/^default-src 'self'/);
    expect(index.headers["x-content-type-options"]).toBe("nosniff");
    const js = await r.request("GET", "/assets/app.js");
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    for (const p of ["/.env", "/../outside.txt", "/%2e%2e/outside.txt", "/assets/../../outside.txt", "/nope.js"]) {
      expect((await r.request("GET", p)).status, p).toBe(404);
    }
    expect((await r.request("POST", "/", { headers: JSON_HEADERS, body: "{}" })).status).toBe(405);
  });

  it("says where the API is when the dashboard is not installed", async () => {
    const r = await started({ pageDir: join(tmpdir(), "lookout-no-such-page-dir") });
    const a = await r.request("GET", "/");
    expect(a.status).toBe(200);
    expect(a.text).toContain("/api/v1/");
  });
});
