/**
 * What `lookout check` prints: one JSON object scripts rely on (its field names
 * are a contract), or a table for people. Pure.
 */
import type { CheckStatus, CycleResult } from "../agent.js";
import type { AlertRecord } from "../alert/state.js";
import { oneLine } from "../escape.js";
import { processMessages } from "../i18n/current.js";
import type { Messages } from "../i18n/messages.js";
import { METRICS } from "../model/metrics.js";
import { isoTime } from "../units.js";
import { cut, renderTable, SCREEN_WIDTH, wrapAfter } from "./table.js";
import { instantText } from "./times.js";

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

function alertJson(a: AlertRecord, state: "pending" | "firing" | "resolved", now: number): CheckJson["alerts"][number] {
  const since = state === "resolved" ? now : state === "firing" ? (a.firingSince ?? a.activeSince) : a.activeSince;
  return {
    alertname: a.alertname,
    labels: { ...a.labels, severity: a.severity },
    state,
    severity: a.severity,
    value: a.value,
    threshold: a.threshold,
    since: isoTime(since),
  };
}

export function checkJson(result: CycleResult, hostname: string): CheckJson {
  return {
    status: result.status,
    hostname,
    checked_at: isoTime(result.checkedAt),
    metrics: result.samples.map((s) => ({ name: s.name, labels: s.labels, value: s.value, unit: METRICS[s.name].unit })),
    alerts: [...result.active.map((a) => alertJson(a, a.state, result.checkedAt)), ...result.resolved.map((a) => alertJson(a, "resolved", result.checkedAt))],
    errors: result.errors,
  };
}

export interface CheckTableOptions {
  /** Every row, the ok container rows too (`check --all`). */
  all?: boolean;
  /** The language of the table's words (the process's by default); the cells' machine text stays as it is. */
  messages?: Messages;
}

/** An alert's state as a table cell: `FIRING warning`, `RESOLVED` / `경고 발생`, `복구`. */
export function stateText(m: Messages, state: "pending" | "firing" | "resolved", severity: "warning" | "critical"): string {
  if (state === "resolved") return m.t("cli.state.resolved");
  return m.t(state === "firing" ? "cli.state.firing" : "cli.state.pending", { severity: m.t(`severity.${severity}`) });
}

/**
 * The table for people: host rows and every row that is not ok; container rows
 * that are ok are counted in one line (all rows with `all`). Fits
 * SCREEN_WIDTH columns: long cells are cut with `…` (`--json` has them whole),
 * and every cell is escaped to one line.
 */
export function checkTable(result: CycleResult, hostname: string, opts: CheckTableOptions = {}): string {
  const m = opts.messages ?? processMessages();
  const states = new Map<string, string>();
  for (const a of result.active) states.set(a.fingerprint, stateText(m, a.state, a.severity));
  for (const a of result.resolved) states.set(a.fingerprint, stateText(m, "resolved", a.severity));
  let hidden = 0;
  const rows: string[][] = [];
  for (const o of result.evaluation.observations) {
    const state = states.get(o.fingerprint);
    if (!opts.all && state === undefined && o.labels.container !== undefined) {
      hidden++;
      continue;
    }
    rows.push([o.alertname, labelsText(o.labels), m.value(o.value, o.unit), String(o.warning), o.critical === null ? "-" : String(o.critical), state ?? m.t("cli.state.ok")]);
  }
  const header = m.t("cli.check.header", { hostname: oneLine(hostname), at: instantText(m, result.checkedAt), status: m.t(`cli.check.status.${result.status}`) });
  const columns = (["rule", "labels", "value", "warn", "crit", "state"] as const).map((c) => m.t(`cli.column.${c}`));
  const lines = [cut(header, SCREEN_WIDTH), "", renderTable(columns, rows, { maxWidth: SCREEN_WIDTH })];
  if (hidden > 0) lines.push(m.plural("cli.check.hiddenOk", hidden));
  if (result.errors.length > 0) lines.push("", ...result.errors.flatMap((e) => wrapAfter(m.t("cli.errorPrefix"), e, SCREEN_WIDTH)));
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
