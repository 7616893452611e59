import { describe, expect, it } from "vitest";
import { type AlertRecord, levelOf, type StepOptions, step } from "../../src/alert/state.js";
import type { Observation } from "../../src/model/observation.js";
import { cpuObservation } from "../support/observations.js";

const MIN = 60_000;
const opts = (o: Partial<StepOptions> = {}): StepOptions => ({ repeatIntervalMs: 4 * 60 * MIN, sendResolved: true, evaluated: new Set(["host_cpu", "host_disk"]), ...o });

const cpu = cpuObservation;

/** Feeds values one per `everyMs`, returning every event kind with its severity. */
function run(values: number[], everyMs: number, o: Partial<Observation> = {}, so: Partial<StepOptions> = {}) {
  let alerts: AlertRecord[] = [];
  const events: string[] = [];
  values.forEach((v, i) => {
    const r = step(alerts, [cpu(v, o)], i * everyMs, opts(so));
    alerts = r.alerts;
    for (const e of r.events) events.push(`${i}:${e.kind}:${e.alert.severity}`);
  });
  return { alerts, events };
}

describe("alert lifecycle", () => {
  it("goes pending, fires once after `for`, and resolves once", () => {
    const { events, alerts } = run([85, 85, 85, 85, 50, 50], 30_000);
    expect(events).toEqual(["2:firing:warning", "4:resolved:warning"]);
    expect(alerts).toEqual([]);
  });

  it("fires on the first sample when for is 0", () => {
    expect(run([85], 1000, { forMs: 0 }).events).toEqual(["0:firing:warning"]);
  });

  it("does not fire when the value drops before `for` has passed, and says nothing", () => {
    expect(run([85, 70, 85, 70], 30_000).events).toEqual([]);
  });

  it("does not flap around the threshold: resolves only below threshold − hysteresis", () => {
    const { events } = run([85, 85, 85, 79, 81, 78, 80, 76, 74], 30_000);
    expect(events).toEqual(["2:firing:warning", "8:resolved:warning"]);
  });

  it("escalates warning → critical once the critical level held for `for`, and de-escalates silently", () => {
    const { events } = run([85, 85, 85, 97, 97, 97, 92, 85, 97, 97, 97, 10], 30_000);
    expect(events).toEqual(["2:firing:warning", "5:escalated:critical", "10:escalated:critical", "11:resolved:critical"]);
  });

  it("fires straight at critical when it was critical for the whole `for`", () => {
    expect(run([97, 97, 97], 30_000).events).toEqual(["2:firing:critical"]);
  });

  it("reminds every repeat_interval while firing, and never when it is 0", () => {
    const values = Array.from({ length: 10 }, () => 90);
    expect(run(values, 30 * MIN, { forMs: 0 }, { repeatIntervalMs: 60 * MIN }).events).toEqual([
      "0:firing:warning",
      "2:reminder:warning",
      "4:reminder:warning",
      "6:reminder:warning",
      "8:reminder:warning",
    ]);
    expect(run(values, 30 * MIN, { forMs: 0 }, { repeatIntervalMs: 0 }).events).toEqual(["0:firing:warning"]);
  });

  it("keeps `for` counting across restarts: the state is all it needs", () => {
    let alerts = step([], [cpu(85)], 0, opts()).alerts;
    alerts = JSON.parse(JSON.stringify(alerts)); // as saved and read back by a new process
    const r = step(alerts, [cpu(85)], MIN, opts());
    expect(r.events.map((e) => e.kind)).toEqual(["firing"]);
    const again = step(JSON.parse(JSON.stringify(r.alerts)), [cpu(85)], MIN + 10_000, opts());
    expect(again.events).toEqual([]);
  });

  it("reports peak and both times on resolve, and a resolved alert only where it fired", () => {
    const { alerts } = run([90, 99, 91], 1000, { forMs: 0 });
    const r = step(alerts, [cpu(10, { forMs: 0 })], 3000, opts());
    expect(r.events).toHaveLength(1);
    const a = r.events[0]!.alert;
    expect(a).toMatchObject({ peak: 99, value: 10, firingSince: 0, activeSince: 0, maxSeverity: "critical" });
    expect(a.labels).toEqual({ alertname: "host_cpu", hostname: "web-1", severity: "critical" });
  });

  it("does not send resolved messages when send_resolved is off", () => {
    expect(run([90, 10], 1000, { forMs: 0 }, { sendResolved: false }).events).toEqual(["0:firing:warning"]);
  });

  it("resolves an alert whose series disappeared, and keeps one whose collector did not run", () => {
    const disk: Observation = { ...cpu(97, { forMs: 0 }), fingerprint: 'host_disk{mount="/mnt"}', alertname: "host_disk", labels: { alertname: "host_disk", mount: "/mnt" } };
    const first = step([], [disk], 0, opts());
    expect(first.events.map((e) => e.kind)).toEqual(["firing"]);
    expect(step(first.alerts, [], 1000, opts({ evaluated: new Set() })).alerts).toHaveLength(1);
    const gone = step(first.alerts, [], 1000, opts());
    expect(gone.events.map((e) => e.kind)).toEqual(["resolved"]);
    expect(gone.alerts).toEqual([]);
  });

  it("keeps alerts apart by identity", () => {
    const a = { ...cpu(97, { forMs: 0 }), fingerprint: 'host_disk{mount="/"}', alertname: "host_disk" };
    const b = { ...cpu(97, { forMs: 0 }), fingerprint: 'host_disk{mount="/var"}', alertname: "host_disk" };
    const r = step([], [a, b, a], 0, opts());
    expect(r.alerts.map((x) => x.fingerprint)).toEqual(['host_disk{mount="/"}', 'host_disk{mount="/var"}']);
    expect(r.events).toHaveLength(2);
  });

  it("levelOf applies hysteresis only to firing alerts", () => {
    expect(levelOf(cpu(78), undefined)).toBe("none");
    const firing = run([85], 1000, { forMs: 0 }).alerts[0];
    expect(levelOf(cpu(78), firing)).toBe("warning");
    expect(levelOf(cpu(74.9), firing)).toBe("none");
    expect(levelOf(cpu(95), firing)).toBe("critical");
  });
});
