import { describe, expect, it } from "vitest";
import { applySilences } from "../../src/alert/silencing.js";
import { type AlertRecord, type StepOptions, step } from "../../src/alert/state.js";
import type { Observation } from "../../src/model/observation.js";

const opts: StepOptions = { repeatIntervalMs: 0, sendResolved: true, evaluated: new Set(["container_crashed"]) };
const obs = (value: number, container = "db-1"): Observation => ({
  fingerprint: `container_crashed{container="${container}"}`,
  alertname: "container_crashed",
  labels: { alertname: "container_crashed", container, hostname: "h" },
  display: `Container ${container} crashed`,
  unit: "bool",
  value,
  warning: 1,
  critical: 1,
  forMs: 0,
  hysteresis: 0,
});

/** Runs cycles of values with a silence on db-1 while `silenced(i)`; returns what is sent. */
function run(values: number[], silenced: (i: number) => boolean, others: number[] = []) {
  let alerts: AlertRecord[] = [];
  const sent: string[] = [];
  values.forEach((v, i) => {
    const observations = [obs(v), ...(others[i] !== undefined ? [obs(others[i]!, "web-1")] : [])];
    const r = step(alerts, observations, i * 1000, opts);
    const s = applySilences(r.alerts, r.events, r.resolved, (a) => (silenced(i) && a.labels.container === "db-1" ? "s1" : undefined), i * 1000);
    alerts = s.alerts;
    for (const e of s.events) sent.push(`${i}:${e.kind}:${e.alert.labels.container}`);
  });
  return sent;
}

describe("applySilences", () => {
  it("holds a firing back while silenced and sends it when the silence ends if it still fires", () => {
    expect(run([1, 1, 1, 1], (i) => i < 2)).toEqual(["2:firing:db-1"]);
  });

  it("sends nothing at all for an alert that fired and resolved within the silence", () => {
    expect(run([1, 1, 0, 0], (i) => i < 3)).toEqual([]);
  });

  it("still sends the resolved message of an alert announced before the silence", () => {
    expect(run([1, 1, 0], (i) => i >= 1)).toEqual(["0:firing:db-1", "2:resolved:db-1"]);
  });

  it("touches only the alerts the silence matches", () => {
    expect(run([1, 1], () => true, [1, 1])).toEqual(["0:firing:web-1"]);
  });
});
