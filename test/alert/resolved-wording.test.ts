/**
 * What a resolved or restart-loop message says: the threshold that paged, how
 * long an outage really lasted, and why a container keeps restarting.
 */
import { describe, expect, it } from "vitest";
import { type AlertRecord, step } from "../../src/alert/state.js";
import { notificationTitle } from "../../src/alert/title.js";
import { configSchema } from "../../src/config/schema.js";
import { containerRules } from "../../src/evaluate/container-rules.js";
import { detailsFor, evaluate } from "../../src/evaluate/evaluate.js";
import type { Sample } from "../../src/model/sample.js";
import { cpuObservation } from "../support/observations.js";
import { sampleNotification, T0 } from "../support/sample-notification.js";

const MIN = 60_000;
const opts = { repeatIntervalMs: 0, sendResolved: true, evaluated: new Set(["host_cpu"]) };
const cpu = (value: number) => cpuObservation(value, { forMs: 0 });

describe("a resolved message", () => {
  it("quotes the critical threshold of an alert that paged as critical, even after it fell back to warning first", () => {
    let alerts: AlertRecord[] = [];
    const kinds: string[] = [];
    let resolvedThreshold: number | undefined;
    [97, 97, 85, 40].forEach((v, i) => {
      const r = step(alerts, [cpu(v)], T0 + i * MIN, opts);
      alerts = r.alerts;
      for (const e of r.events) {
        kinds.push(`${e.kind}:${e.alert.severity}`);
        if (e.kind === "resolved") resolvedThreshold = e.alert.threshold;
      }
    });
    expect(kinds).toEqual(["firing:critical", "resolved:warning"]);
    expect(resolvedThreshold).toBe(95);
  });

  it("says an event lasted from when it happened: Docker unreachable from the first failed check, not from when it fired", () => {
    const n = sampleNotification({
      kind: "resolved",
      at: T0 + 50_000,
      alert: { alertname: "docker_unreachable", display: "Docker is reachable again", summary: "Docker is reachable again", causedAt: T0, firingSince: T0 + 30_000 },
    });
    expect(notificationTitle(n)).toBe("[web-1] RESOLVED: Docker is reachable again (lasted 50s)");
    // A cause earlier than its firing is only taken for events; a level alert lasted from when it fired.
    const level = sampleNotification({ kind: "resolved", at: T0 + 5 * MIN, alert: { causedAt: T0, firingSince: T0 + MIN, value: 40 } });
    expect(notificationTitle(level)).toMatch(/after 4m/);
  });

  it("docker_unreachable's rule takes its start from the first failed check", () => {
    const s: Sample = { name: "docker_unreachable", labels: {}, value: 1, details: { error: "connect ENOENT", since: T0, host: "unix:///var/run/docker.sock" } };
    const e = evaluate([s], containerRules, configSchema.parse({ docker: { enabled: true } }), "web-1");
    expect(e.observations[0]!.causedAt).toBe(T0);
  });
});

describe("a restart loop's message", () => {
  it("gives the last exit code with its meaning and the last log lines, as a crash's does", () => {
    const loop: Sample = {
      name: "container_restart_loop",
      labels: { container: "api", image: "shop/api:1" },
      value: 4,
      meta: {},
      details: {
        restartPolicy: "always",
        restartCount: 9,
        withinMs: 600_000,
        lastExit: { code: 1, at: T0 },
        logs: ["connecting to db", "FATAL: db unreachable"],
        writesTo: [],
      },
    };
    const e = evaluate([loop], containerRules, configSchema.parse({}), "h");
    const details = detailsFor(e, e.observations[0]!.fingerprint);
    expect(details.facts[0]).toEqual({ label: "Last exit code", value: "1: application error (at 2024-05-01T12:00:00Z)" });
    expect(details.sections).toEqual([{ title: "Last log lines", text: "connecting to db\nFATAL: db unreachable", code: true }]);
  });
});
