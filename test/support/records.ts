/**
 * Bare values for tests of what the CLI prints from a cycle: a sample without
 * details (the lines read only names, labels and values) and an alert record
 * on web-1 with neutral figures.
 */
import type { AlertRecord } from "../../src/alert/state.js";
import type { MetricName } from "../../src/model/metrics.js";
import type { Sample } from "../../src/model/sample.js";

export const bareSample = (name: MetricName, value: number, labels: Record<string, string> = {}): Sample => ({ name, labels, value }) as Sample;

/** An alert record of `alertname` on web-1, `state`, at `severity`, every figure 1 and every time 0. */
export function alertRecord(alertname: string, labels: Record<string, string>, state: "firing" | "pending", severity: "warning" | "critical" = "warning"): AlertRecord {
  return {
    fingerprint: `${alertname}${JSON.stringify(labels)}`,
    alertname,
    labels: { alertname, hostname: "web-1", ...labels },
    display: alertname,
    unit: "%",
    state,
    severity,
    maxSeverity: severity,
    activeSince: 0,
    firingSince: state === "firing" ? 0 : null,
    criticalSince: null,
    value: 1,
    threshold: 1,
    peak: 1,
    lastNotifiedAt: null,
    updatedAt: 0,
  };
}
