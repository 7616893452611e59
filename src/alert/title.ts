/**
 * The one-line title of a notification, in raw text (receivers escape it):
 * `[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m`. Used by Slack's header
 * and fallback and by `lookout run`'s stdout; and its severity in words, for the
 * receivers' "Severity" field, its value and how long it has been on.
 */

import { formatDuration } from "../config/duration.js";
import { type GroupNouns, isMetricName, METRICS, type MetricDefinition } from "../model/metrics.js";
import { DAILY_SUMMARY_ALERTNAME, type Notification } from "../model/notification.js";
import { formatThreshold, formatValue } from "../units.js";

/** How long from `from` to `to`, or "" under a second. */
export function since(from: number, to: number): string {
  const ms = to - from;
  return ms >= 1000 ? formatDuration(ms) : "";
}

/** When an alert started, for "lasted": what it reports happened at causedAt (events); a level from when it fired. */
export function lastedFrom(a: Notification["alert"]): number {
  return a.summary !== undefined && a.causedAt !== undefined && a.causedAt <= a.firingSince ? a.causedAt : a.firingSince;
}

const SEVERITY_WORD = { warning: "WARNING", critical: "CRITICAL" } as const;

/** The one-line title (raw text, not escaped): header, fallback and notification text. */
export function notificationTitle(n: Notification): string {
  const a = n.alert;
  const host = `[${n.hostname}]`;
  if (n.kind === "summary") return `${host} DAILY SUMMARY: ${a.summary ?? ""}`;
  if (n.kind === "flapping") {
    const within = a.flapWithinMs !== undefined ? ` in ${formatDuration(a.flapWithinMs)}` : "";
    return `${host} FLAPPING: ${a.display} fired ${a.flapCount ?? "many"} times${within}; no more messages about it until it has been stable that long`;
  }
  if (n.kind === "resolved" && a.gone !== undefined) {
    const lasted = since(a.firingSince, n.at);
    const peak = a.summary === undefined ? `, peak ${formatValue(a.peak, a.unit)}` : "";
    return `${host} RESOLVED: ${a.display}: ${a.gone}${lasted || peak ? ` (${lasted ? `lasted ${lasted}` : ""}${lasted ? peak : peak.slice(2)})` : ""}`;
  }
  if (a.summary !== undefined) {
    if (n.kind === "resolved") {
      // An event lasted from when it happened (a crash, the first check Docker failed), not from when it fired.
      const lasted = since(lastedFrom(a), n.at);
      return `${host} RESOLVED: ${a.display}${lasted ? ` (lasted ${lasted})` : ""}`;
    }
    const word = n.kind === "reminder" ? "STILL FIRING" : n.kind === "escalated" ? `${SEVERITY_WORD[a.severity]} (escalated)` : SEVERITY_WORD[a.severity];
    return `${host} ${word}: ${a.summary}`;
  }
  if (n.kind === "resolved") {
    const lasted = since(a.firingSince, n.at);
    return `${host} RESOLVED: ${a.display} ${formatValue(a.value, a.unit)}` + `${lasted ? ` after ${lasted}` : ""} (peak ${formatValue(a.peak, a.unit)})`;
  }
  const held = since(a.activeSince, n.at);
  const subject = `${a.display} ${formatValue(a.value, a.unit)} (threshold ${formatThreshold(a.threshold, a.unit)})` + (held ? ` for ${held}` : "");
  switch (n.kind) {
    case "escalated":
      return a.severity === "critical" ? `${host} CRITICAL (was warning): ${subject}` : `${host} ${SEVERITY_WORD[a.severity]} (escalated): ${subject}`;
    case "reminder":
      return `${host} STILL FIRING: ${subject}`;
    default: // firing
      return `${host} ${SEVERITY_WORD[a.severity]}: ${subject}`;
  }
}

/** What one and N alerts of one name are, in a group's title: a metric's nouns (model/metrics.ts), or the daily summary's. */
function groupNouns(alertname: string): GroupNouns | undefined {
  if (alertname === DAILY_SUMMARY_ALERTNAME) return ["daily summary", "daily summaries"];
  if (!isMetricName(alertname)) return undefined;
  const metric: MetricDefinition = METRICS[alertname];
  return metric.nouns;
}

/**
 * The title of several notifications sent as one message:
 * `[web-1] 5 containers crashed, 1 disk filling up, 2 resolved`. Raw text.
 */
export function groupTitle(ns: readonly Notification[]): string {
  const host = ns[0] ? `[${ns[0].hostname}]` : "";
  const counts = new Map<string, number>();
  let resolved = 0;
  for (const n of ns) {
    if (n.kind === "resolved") resolved++;
    else counts.set(n.alert.alertname, (counts.get(n.alert.alertname) ?? 0) + 1);
  }
  const parts = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([name, c]) => {
      const noun = groupNouns(name);
      if (noun) return c === 1 && noun[0] === noun[1] ? noun[0] : `${c} ${c === 1 ? noun[0] : noun[1]}`;
      return `${c} × ${name}`;
    });
  if (resolved > 0) parts.push(`${resolved} resolved`);
  return `${host} ${parts.join(", ")}`;
}

/** A notification's severity in words, for a message's "Severity" field: `Critical (escalated)`, `Resolved (was critical)`. */
export function severityText(n: Notification): string {
  const a = n.alert;
  const word = a.severity === "critical" ? "Critical" : "Warning";
  switch (n.kind) {
    case "resolved":
      return `Resolved (was ${a.maxSeverity ?? a.severity})`;
    case "escalated":
      return a.severity === "critical" ? "Critical (was warning)" : `${word} (escalated)`;
    case "reminder":
      return `${word} (still firing)`;
    case "flapping":
      return `${word} (flapping)`;
    case "summary":
      return "Daily summary";
    default:
      return word;
  }
}

/** What the alert measured, raw: `97.2% (threshold 95%)`; resolved, `12% now · peak 97.2% (threshold 95%)`. */
export function valueText(n: Notification): string {
  const a = n.alert;
  const threshold = `threshold ${formatThreshold(a.threshold, a.unit)}`;
  return n.kind === "resolved" ? `${formatValue(a.value, a.unit)} now · peak ${formatValue(a.peak, a.unit)} (${threshold})` : `${formatValue(a.value, a.unit)} (${threshold})`;
}

/** How long it has been on: "Since" a time (and for how long) while firing, "Lasted" how long (from, to) resolved; `date` writes a time. */
export function timeFact(n: Notification, date: (ms: number) => string): { label: "Since" | "Lasted"; value: string } {
  const a = n.alert;
  if (n.kind === "resolved") {
    const from = lastedFrom(a);
    return { label: "Lasted", value: `${since(from, n.at) || "under a second"} (from ${date(from)} to ${date(n.at)})` };
  }
  const held = since(a.activeSince, n.at);
  return { label: "Since", value: `${date(a.activeSince)}${held ? ` (${held})` : ""}` };
}
