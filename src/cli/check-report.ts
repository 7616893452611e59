/**
 * What `lookout check` prints: one JSON object scripts rely on (its field names
 * are a contract), or a table for people. Pure.
 */
import type { CycleResult, CheckStatus } from "../agent.js";
import type { AlertRecord } from "../alert/state.js";
import { renderTable } from "./table.js";
import { formatValue } from "../units.js";

export interface CheckJson {
  status: CheckStatus;
  hostname: string;
  checked_at: string;
  metrics: Array<{ name: string; labels: Record<string, string>; value: number; unit: string }>;
  alerts: Array<{
    alertname: string;
    labels: Record<string, string>;
    state: "pending" | "firing" | "resolved";
    severity: "warning" | "critical";
    value: number;
    threshold: number;
    since: string;
  }>;
  errors: string[];
}

/** Nagios plugin convention. */
export const EXIT_CODES: Record<CheckStatus, number> = { ok: 0, warning: 1, critical: 2, unknown: 3 };

const iso = (ms: number) => new Date(ms).toISOString();

function alertJson(a: AlertRecord, state: "pending" | "firing" | "resolved", now: number): CheckJson["alerts"][number] {
  const since = state === "resolved" ? now : state === "firing" ? (a.firingSince ?? a.activeSince) : a.activeSince;
  return {
    alertname: a.alertname,
    labels: { ...a.labels, severity: a.severity },
    state,
    severity: a.severity,
    value: a.value,
    threshold: a.threshold,
    since: iso(since),
  };
}

export function checkJson(result: CycleResult, hostname: string): CheckJson {
  return {
    status: result.status,
    hostname,
    checked_at: iso(result.checkedAt),
    metrics: result.samples.map((s) => ({ name: s.name, labels: s.labels, value: s.value, unit: s.unit })),
    alerts: [
      ...result.active.map((a) => alertJson(a, a.state, result.checkedAt)),
      ...result.resolved.map((a) => alertJson(a, "resolved", result.checkedAt)),
    ],
    errors: result.errors,
  };
}


export function checkTable(result: CycleResult, hostname: string): string {
  const report = checkJson(result, hostname);
  const states = new Map<string, string>();
  for (const a of result.active) states.set(a.fingerprint, `${a.state.toUpperCase()} ${a.severity}`);
  for (const a of result.resolved) states.set(a.fingerprint, "RESOLVED");
  const rows = result.evaluation.observations.map((o) => {
    const labels = Object.entries(o.labels)
      .filter(([k]) => k !== "alertname" && k !== "hostname")
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    return [
      o.alertname,
      labels,
      formatValue(o.value, o.unit),
      String(o.warning),
      o.critical === null ? "-" : String(o.critical),
      states.get(o.fingerprint) ?? "ok",
    ];
  });
  const lines = [
    `${hostname}  ${report.checked_at}  status: ${report.status.toUpperCase()}`,
    "",
    renderTable(["RULE", "LABELS", "VALUE", "WARN", "CRIT", "STATE"], rows),
  ];
  if (result.errors.length > 0) lines.push("", ...result.errors.map((e) => `error: ${e}`));
  return lines.join("\n") + "\n";
}
