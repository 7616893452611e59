/**
 * What `lookout check` prints: one JSON object scripts rely on (its field names
 * are a contract), or a table for people. Pure.
 */
import type { CheckStatus, CycleResult } from "../agent.js";
import type { AlertRecord } from "../alert/state.js";
import { oneLine } from "../escape.js";
import { METRICS } from "../model/metrics.js";
import { formatValue } from "../units.js";
import { cut, renderTable, SCREEN_WIDTH, wrapAfter } from "./table.js";

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
    metrics: result.samples.map((s) => ({ name: s.name, labels: s.labels, value: s.value, unit: METRICS[s.name].unit })),
    alerts: [...result.active.map((a) => alertJson(a, a.state, result.checkedAt)), ...result.resolved.map((a) => alertJson(a, "resolved", result.checkedAt))],
    errors: result.errors,
  };
}

export interface CheckTableOptions {
  /** Every row, the ok container rows too (`check --all`). */
  all?: boolean;
}

/**
 * The table for people: host rows and every row that is not ok; container rows
 * that are ok are counted in one line (all rows with `all`). Fits
 * SCREEN_WIDTH columns: long cells are cut with `…` (`--json` has them whole),
 * and every cell is escaped to one line.
 */
export function checkTable(result: CycleResult, hostname: string, opts: CheckTableOptions = {}): string {
  const report = checkJson(result, hostname);
  const states = new Map<string, string>();
  for (const a of result.active) states.set(a.fingerprint, `${a.state.toUpperCase()} ${a.severity}`);
  for (const a of result.resolved) states.set(a.fingerprint, "RESOLVED");
  let hidden = 0;
  const rows: string[][] = [];
  for (const o of result.evaluation.observations) {
    const state = states.get(o.fingerprint) ?? "ok";
    if (!opts.all && state === "ok" && o.labels.container !== undefined) {
      hidden++;
      continue;
    }
    rows.push([o.alertname, labelsText(o.labels), formatValue(o.value, o.unit), String(o.warning), o.critical === null ? "-" : String(o.critical), state]);
  }
  const lines = [
    cut(`${oneLine(hostname)}  ${report.checked_at}  status: ${report.status.toUpperCase()}`, SCREEN_WIDTH),
    "",
    renderTable(["RULE", "LABELS", "VALUE", "WARN", "CRIT", "STATE"], rows, { maxWidth: SCREEN_WIDTH }),
  ];
  if (hidden > 0) lines.push(`${hidden} container check${hidden === 1 ? "" : "s"} ok (lookout check --all lists them)`);
  if (result.errors.length > 0) lines.push("", ...result.errors.flatMap((e) => wrapAfter("error: ", e, SCREEN_WIDTH)));
  return lines.join("\n") + "\n";
}

/** Labels a table leaves out: the same on every row (alertname has its column), or only describing what `container` names. */
const NOT_IN_TABLES = new Set(["alertname", "hostname", "severity"]);
const DESCRIBE_A_CONTAINER = new Set(["image", "compose_project", "compose_service"]);

/**
 * An alert's labels as a table cell, what tells it from the others of its
 * name: `mount=/data`, `container=web-1` (a container's image and compose
 * labels are in --json).
 */
export function labelsText(labels: Record<string, string>): string {
  const container = labels.container !== undefined;
  return Object.entries(labels)
    .filter(([k]) => !NOT_IN_TABLES.has(k) && !(container && DESCRIBE_A_CONTAINER.has(k)))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
