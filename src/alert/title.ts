/**
 * The one-line title of a notification, in raw text (receivers escape it):
 * `[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m`. Used by Slack's header
 * and fallback and by `lookout run`'s stdout. In the notification's language
 * (`Notification.locale`): `[web-1] 심각: CPU 97.2% (임계값 95%), 3분째 지속`;
 * and its severity in words, for the receivers' "Severity" field, its value and
 * how long it has been on (English for now: Slack's own are in slack/message.ts).
 */

import { type Messages, messages } from "../i18n/messages.js";
import { localeOf, type Notification, type ProcessUsage } from "../model/notification.js";
import { formatBytes } from "../units.js";

/** How long from `from` to `to`, or "" under a second; in the words of `m` (English by default). */
export function since(from: number, to: number, m: Messages = messages()): string {
  const ms = to - from;
  return ms >= 1000 ? m.duration(ms) : "";
}

/** When an alert started, for "lasted": what it reports happened at causedAt (events); a level from when it fired. */
export function lastedFrom(a: Notification["alert"]): number {
  return a.summary !== undefined && a.causedAt !== undefined && a.causedAt <= a.firingSince ? a.causedAt : a.firingSince;
}

/** The words of a notification's language. */
export function messagesOf(n: Pick<Notification, "locale">): Messages {
  return messages(localeOf(n));
}

function severityWord(m: Messages, severity: "warning" | "critical"): string {
  return severity === "critical" ? m.t("title.word.critical") : m.t("title.word.warning");
}

/** " (lasted 5m, peak 97.0%)", " (lasted 5m)", " (peak 97.0%)" or "". */
function extra(m: Messages, parts: string[]): string {
  const shown = parts.filter(Boolean);
  return shown.length > 0 ? m.t("title.extra", { text: shown.join(m.t("list.sep")) }) : "";
}

/** The one-line title (raw text, not escaped): header, fallback and notification text. */
export function notificationTitle(n: Notification): string {
  const a = n.alert;
  const m = messagesOf(n);
  const line = (word: string, text: string) => m.t("title.line", { hostname: n.hostname, word, text });
  if (n.kind === "summary") return line(m.t("title.word.summary"), a.summary ?? "");
  if (n.kind === "flapping") {
    const within = a.flapWithinMs !== undefined ? m.t("title.flapping.within", { duration: m.duration(a.flapWithinMs) }) : "";
    return line(m.t("title.word.flapping"), m.t("title.flapping", { display: a.display, times: a.flapCount ?? m.t("title.flapping.many"), within }));
  }
  const resolved = m.t("title.word.resolved");
  if (n.kind === "resolved" && a.gone !== undefined) {
    const lasted = since(a.firingSince, n.at, m);
    const peak = a.summary === undefined ? m.t("title.peak", { value: m.value(a.peak, a.unit) }) : "";
    return line(resolved, m.t("title.gone", { display: a.display, gone: a.gone, extra: extra(m, [lasted ? m.t("title.lasted", { duration: lasted }) : "", peak]) }));
  }
  if (a.summary !== undefined) {
    if (n.kind === "resolved") {
      // An event lasted from when it happened (a crash, the first check Docker failed), not from when it fired.
      const lasted = since(lastedFrom(a), n.at, m);
      return line(resolved, m.t("title.resolvedEvent", { display: a.display, extra: extra(m, [lasted ? m.t("title.lasted", { duration: lasted }) : ""]) }));
    }
    const word =
      n.kind === "reminder"
        ? m.t("title.word.stillFiring")
        : n.kind === "escalated"
          ? m.t("title.word.escalated", { word: severityWord(m, a.severity) })
          : severityWord(m, a.severity);
    return line(word, a.summary);
  }
  if (n.kind === "resolved") {
    const lasted = since(a.firingSince, n.at, m);
    return line(
      resolved,
      m.t("title.resolvedLevel", {
        display: a.display,
        value: m.value(a.value, a.unit),
        after: lasted ? m.t("title.after", { duration: lasted }) : "",
        peak: m.value(a.peak, a.unit),
      }),
    );
  }
  const held = since(a.activeSince, n.at, m);
  const subject = m.t("title.subject", {
    display: a.display,
    value: m.value(a.value, a.unit),
    threshold: m.threshold(a.threshold, a.unit),
    held: held ? m.t("title.held", { duration: held }) : "",
  });
  switch (n.kind) {
    case "escalated":
      return a.severity === "critical" ? line(m.t("title.word.wasWarning"), subject) : line(m.t("title.word.escalated", { word: severityWord(m, a.severity) }), subject);
    case "reminder":
      return line(m.t("title.word.stillFiring"), subject);
    default: // firing
      return line(severityWord(m, a.severity), subject);
  }
}

/** "5 containers crashed" / "컨테이너 비정상 종료 5건": what `count` alerts of one name are in a group's title. */
function groupPart(m: Messages, alertname: string, count: number): string {
  if (m.has(`group.${alertname}.one`)) return m.plural(`group.${alertname}`, count);
  return m.t("group.unknownName", { count, name: alertname });
}

/**
 * The title of several notifications sent as one message:
 * `[web-1] 5 containers crashed, 1 disk filling up, 2 resolved`. Raw text.
 */
export function groupTitle(ns: readonly Notification[]): string {
  const m = ns[0] ? messagesOf(ns[0]) : messages();
  const host = ns[0] ? `[${ns[0].hostname}]` : "";
  const counts = new Map<string, number>();
  let resolved = 0;
  for (const n of ns) {
    if (n.kind === "resolved") resolved++;
    else counts.set(n.alert.alertname, (counts.get(n.alert.alertname) ?? 0) + 1);
  }
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([name, c]) => groupPart(m, name, c));
  if (resolved > 0) parts.push(m.t("group.resolved", { count: resolved }));
  return `${host} ${parts.join(m.t("list.sep"))}`;
}

/** A notification's severity in words, for a message's "Severity" field: `Critical (escalated)`, `Resolved (was critical)` (in its language). */
export function severityText(n: Notification): string {
  const m = messagesOf(n);
  const a = n.alert;
  const severity = n.kind === "resolved" ? (a.maxSeverity ?? a.severity) : a.severity;
  const word = severity === "critical" ? m.t("slack.severity.critical") : m.t("slack.severity.warning");
  switch (n.kind) {
    case "resolved":
      return m.t("slack.severity.resolved", { severity: severity === "critical" ? m.t("severity.critical") : m.t("severity.warning") });
    case "escalated":
      return severity === "critical" ? m.t("slack.severity.wasWarning") : m.t("slack.severity.escalated", { word });
    case "reminder":
      return m.t("slack.severity.stillFiring", { word });
    case "flapping":
      return m.t("slack.severity.flapping", { word });
    case "summary":
      return m.t("slack.severity.summary");
    default:
      return word;
  }
}

/** What the alert measured, raw: `97.2% (threshold 95%)`; resolved, `12% now · peak 97.2% (threshold 95%)` (in its language). */
export function valueText(n: Notification): string {
  const m = messagesOf(n);
  const a = n.alert;
  const threshold = m.t("slack.threshold", { threshold: m.threshold(a.threshold, a.unit) });
  return n.kind === "resolved"
    ? m.t("slack.valueResolved", { value: m.value(a.value, a.unit), peak: m.value(a.peak, a.unit), threshold })
    : m.t("slack.valueFiring", { value: m.value(a.value, a.unit), threshold });
}

/** How long it has been on: "Since" a time (and for how long) while firing, "Lasted" how long (from, to) resolved; `date` writes a time. */
export function timeFact(n: Notification, date: (ms: number) => string): { label: string; value: string } {
  const m = messagesOf(n);
  const a = n.alert;
  if (n.kind === "resolved") {
    const from = lastedFrom(a);
    const lasted = since(from, n.at, m);
    return { label: m.t("slack.field.lasted"), value: m.t("slack.lasted", { lasted: lasted || m.t("slack.underASecond"), from: date(from), to: date(n.at) }) };
  }
  const held = since(a.activeSince, n.at, m);
  return { label: m.t("slack.field.since"), value: m.t("slack.since", { date: date(a.activeSince), held: held ? m.t("slack.sinceHeld", { duration: held }) : "" }) };
}

/** The top processes a message shows at most. */
export const TOP_PROCESSES = 5;

/**
 * The top-processes table every receiver shows, as a title and its lines
 * (one per process, names padded to one width): `name(p)` writes a process's
 * name as the receiver's markup needs it (cut, escaped), with its pid.
 */
export function topProcessesText(
  top: NonNullable<Notification["details"]["topProcesses"]>,
  m: Messages,
  name: (p: ProcessUsage) => string,
): { title: string; text: string } | undefined {
  const shown = top.processes.slice(0, TOP_PROCESSES);
  if (shown.length === 0) return undefined;
  const names = shown.map((p) => `${name(p)} (${p.pid})`);
  const width = Math.max(...names.map((s) => s.length));
  const lines = shown.map(
    (p, i) =>
      `${names[i]!.padEnd(width)} — ${
        top.by === "cpu"
          ? m.t("slack.process.cpu", { percent: p.cpuPercent.toFixed(1) })
          : m.t("slack.process.memory", { percent: p.memoryPercent.toFixed(1), bytes: formatBytes(p.rssBytes) })
      }`,
  );
  return { title: top.by === "cpu" ? m.t("slack.topProcesses.cpu") : m.t("slack.topProcesses.memory"), text: lines.join("\n") };
}
