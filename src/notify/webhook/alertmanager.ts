/**
 * Alertmanager's webhook body (version 4), built from Lookout notifications.
 * Pure. Existing consumers of Alertmanager's `webhook_config` (PagerDuty and
 * Opsgenie bridges, chat relays, ticket creators) read it unchanged.
 *
 * Field names follow https://prometheus.io/docs/alerting/latest/configuration/#webhook_config:
 *
 *   { version, groupKey, truncatedAlerts, status, receiver, groupLabels,
 *     commonLabels, commonAnnotations, externalURL,
 *     alerts: [{ status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint }] }
 *
 * Lookout adds nothing outside that shape: what it knows beyond labels goes
 * into annotations (free-form strings in Alertmanager too). With
 * `http.public_url`, `externalURL` is the dashboard, each alert's
 * `generatorURL` its view there (the container at the alert's time, else the
 * overview around it; the day's overview for the daily summary), and a firing
 * alert's `silence_url` annotation the dashboard's silence form filled in for
 * it. Without, they stay "" and absent, as before.
 */

import { messagesOf, notificationTitle } from "../../alert/title.js";
import { sha256Hex } from "../../hash.js";
import type { Notification } from "../../model/notification.js";
import { formatBytes, formatThreshold, formatValue, isoTime } from "../../units.js";
import { keepEnd } from "../cut-text.js";
import type { DashboardLinks } from "../links.js";

export type AlertmanagerStatus = "firing" | "resolved";

export interface AlertmanagerAlert {
  status: AlertmanagerStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** RFC 3339: when the alert started firing. */
  startsAt: string;
  /** RFC 3339: when it resolved; Go's zero time while it fires. */
  endsAt: string;
  generatorURL: string;
  /** 16 hex characters, stable for the alert's identity. */
  fingerprint: string;
}

export interface AlertmanagerWebhook {
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
  status: AlertmanagerStatus;
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

export interface AlertmanagerPayloadOptions {
  /** The receiver's name (`receiver` in the body). */
  receiver: string;
  /** A link back to whatever sent the alerts; "" when none (default: the dashboard, with `links`). */
  externalUrl?: string;
  /** Links to the dashboard (`http.public_url`). */
  links?: DashboardLinks | undefined;
  /** Whether a firing alert gets a `silence_url` annotation (with `links`); not for a test message. Default true. */
  silenceLinks?: boolean;
}

/** What Alertmanager sends as `endsAt` for an alert that still fires (Go's zero time). */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

/**
 * Longest description per alert, so one alert with long log output cannot
 * make a huge body. Log output is what gives way, keeping its last lines.
 */
const MAX_DESCRIPTION_CHARS = 8_000;

/** Alertmanager's fingerprint form: 16 hex characters (here: the start of sha256 of Lookout's identity). */
export function alertFingerprint(identity: string): string {
  return sha256Hex(identity).slice(0, 16);
}

function iso(ms: number): string {
  return isoTime(ms);
}

/** A label set as Alertmanager writes one: `{a="1", b="2"}`, names sorted. */
function labelSetString(labels: Record<string, string>): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(", ")}}`;
}

function sortedLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k]!;
  return out;
}

/** The key/value pairs every record holds with the same value. */
function common(records: Array<Record<string, string>>): Record<string, string> {
  const [first, ...rest] = records;
  if (first === undefined) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) {
    if (rest.every((r) => Object.hasOwn(r, k) && r[k] === v)) out[k] = v;
  }
  return out;
}

/**
 * What people read of an alert, in the notification's language (its labels,
 * and the `value`, `threshold` and `peak` annotations scripts read, are the
 * same in every language).
 */
function description(n: Notification): string {
  const a = n.alert;
  const m = messagesOf(n);
  const lines: string[] = [];
  if (a.summary === undefined) {
    lines.push(`${m.t("slack.field.value")}: ${m.value(a.value, a.unit)}`);
    lines.push(`${m.t("receiver.threshold")}: ${m.threshold(a.threshold, a.unit)}`);
    if (n.kind === "resolved") lines.push(`${m.t("receiver.peak")}: ${m.value(a.peak, a.unit)}`);
  }
  if (a.gone !== undefined) lines.push(`${m.t("receiver.resolvedBecause")}: ${a.gone}`);
  for (const f of n.details.facts) lines.push(`${f.label}: ${f.value}`);
  const top = n.details.topProcesses;
  if (top && top.processes.length > 0) {
    lines.push(`${top.by === "cpu" ? m.t("slack.topProcesses.cpu") : m.t("slack.topProcesses.memory")}:`);
    for (const p of top.processes) {
      const args = { name: p.name, pid: p.pid, cpu: p.cpuPercent.toFixed(1), memory: p.memoryPercent.toFixed(1), bytes: formatBytes(p.rssBytes) };
      lines.push(`  ${m.t("receiver.processBytes", args)}`);
    }
  }
  const sections = n.details.sections ?? [];
  const withTexts = (texts: readonly string[]) => [...lines, ...sections.flatMap((s, i) => ["", `${s.title}:`, texts[i]!])].join("\n");
  let text = withTexts(sections.map((s) => s.text));
  if (text.length > MAX_DESCRIPTION_CHARS) {
    // Log lines and command output (code sections) share what is left, each keeping its end: the last lines explain a crash.
    const codes = sections.filter((s) => s.code).length;
    const room = MAX_DESCRIPTION_CHARS - withTexts(sections.map((s) => (s.code ? "" : s.text))).length;
    const each = Math.floor(Math.max(0, room) / Math.max(1, codes));
    text = withTexts(sections.map((s) => (s.code ? keepEnd(s.text, each, undefined, m.locale) : s.text)));
  }
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : text;
}

function annotations(n: Notification, silenceUrl?: string): Record<string, string> {
  const a = n.alert;
  const out: Record<string, string> = {
    summary: notificationTitle(n),
    description: description(n),
  };
  if (a.summary === undefined) {
    out.value = formatValue(a.value, a.unit);
    out.threshold = formatThreshold(a.threshold, a.unit);
    if (n.kind === "resolved") out.peak = formatValue(a.peak, a.unit);
  }
  if (silenceUrl !== undefined) out.silence_url = silenceUrl;
  return out;
}

/** One Alertmanager alert for one notification; with `links`, its `generatorURL` (and `silence_url` while it fires). */
export function alertmanagerAlert(n: Notification, links?: DashboardLinks, silenceLinks = true): AlertmanagerAlert {
  const a = n.alert;
  const resolved = n.kind === "resolved";
  const generatorURL = links ? (n.kind === "summary" ? links.summary(n) : links.alert(n)) : "";
  const silenceUrl = links && silenceLinks && !resolved && n.kind !== "summary" ? links.silence(n) : undefined;
  return {
    status: resolved ? "resolved" : "firing",
    labels: sortedLabels({ ...a.labels, alertname: a.labels.alertname ?? a.alertname, severity: a.labels.severity ?? a.severity, hostname: a.labels.hostname ?? n.hostname }),
    annotations: annotations(n, silenceUrl),
    startsAt: iso(a.firingSince),
    endsAt: resolved ? iso(n.at) : ZERO_TIME,
    generatorURL,
    fingerprint: alertFingerprint(a.fingerprint),
  };
}

/**
 * The webhook body for `notifications` (one alert each). `status` is
 * "resolved" only when every alert is resolved. `groupKey` is
 * `{}:` + the labels the alerts share, severity left out, so the firing and
 * the resolved body of one alert carry the same key (consumers dedupe on it).
 */
export function alertmanagerPayload(notifications: Notification[], opts: AlertmanagerPayloadOptions): AlertmanagerWebhook {
  const alerts = notifications.map((n) => alertmanagerAlert(n, opts.links, opts.silenceLinks ?? true));
  const commonLabels = common(alerts.map((a) => a.labels));
  const commonAnnotations = common(alerts.map((a) => a.annotations));
  const { severity: _severity, ...keyLabels } = commonLabels;
  const status: AlertmanagerStatus = alerts.length > 0 && alerts.every((a) => a.status === "resolved") ? "resolved" : "firing";
  return {
    version: "4",
    groupKey: `{}:${labelSetString(keyLabels)}`,
    truncatedAlerts: 0,
    status,
    receiver: opts.receiver,
    groupLabels: {},
    commonLabels,
    commonAnnotations,
    externalURL: opts.externalUrl ?? opts.links?.base ?? "",
    alerts,
  };
}
