/**
 * A notification, or a burst of them, as plain text: a title and a message
 * for the push services that show text as it is (ntfy with Markdown off,
 * Gotify as text/plain, Pushover without HTML) and PagerDuty's summary. Pure.
 *
 * Machine text (host, container and mount names, labels, facts, log lines) is
 * made inert by sending it where nothing is markup, and made safe to read
 * here: a single-line place shows a newline or any control or bidi character
 * escaped (`\n`, `\x1b`: escape.ts `oneLine`), so it cannot forge a line; a
 * block of log lines keeps its own newlines (`textBlock`). `@everyone`,
 * `<@id>`, `[x](https://evil)` and HTML reach the reader as the characters
 * they are.
 *
 * Each service's limits are met here: the title and the message are cut to
 * `limits` as the service counts them (characters, or UTF-8 bytes for ntfy),
 * log output giving way first (its last lines kept), then the alerts of a
 * burst beyond what fits (named in one line), and last the text's end, with a
 * visible "… (cut)" marker. A cut never splits a character.
 */
import { groupTitle, lastedFrom, messagesOf, notificationTitle, severityText, since } from "../alert/title.js";
import { oneLine, textBlock } from "../escape.js";
import type { Messages } from "../i18n/messages.js";
import type { Notification } from "../model/notification.js";
import { formatBytes, isoTime } from "../units.js";
import { keepEnd, type Measure, safeEnd } from "./cut-text.js";

/** UTF-16 code units, as JavaScript counts. */
export const chars: Measure = (t) => t.length;
/** Unicode characters (code points), as Pushover counts. */
export const codePoints: Measure = (t) => [...t].length;
/** UTF-8 bytes, as ntfy counts its message limit. */
export const utf8Bytes: Measure = (t) => Buffer.byteLength(t, "utf8");

export interface PlainLimits {
  title: number;
  message: number;
  /** How the service counts; default UTF-16 code units. */
  measure?: Measure;
}

export interface PlainMessage {
  title: string;
  message: string;
}

/** What ends a text cut at its end (English; a message in another language says it in its own: `receiver.cut`). */
export const CUT_MARK = "… (cut)";

/** `text` within `max` as measured, ending with CUT_MARK when cut; never splits a character. */
export function cutEnd(text: string, max: number, measure: Measure = chars, mark = CUT_MARK): string {
  if (measure(text) <= max) return text;
  if (measure(mark) > max) return "";
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(text.slice(0, safeEnd(text, mid)) + mark) <= max) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, safeEnd(text, lo)).trimEnd() + mark;
}

/** `2024-05-01 12:03 UTC`. */
export function utcText(ms: number): string {
  return Number.isFinite(ms) ? `${isoTime(ms).slice(0, 16).replace("T", " ")} UTC` : "unknown time";
}

/** Its severity in words, in its language: as the chats' "Severity" field, but an escalation says so even to critical. */
function severityLine(n: Notification, m: Messages): string {
  if (n.kind !== "escalated") return severityText(n);
  return m.t("slack.severity.escalated", { word: n.alert.severity === "critical" ? m.t("slack.severity.critical") : m.t("slack.severity.warning") });
}

/** A time in a message: `2024-05-01 12:03 UTC` in English; otherwise the host's time, its zone named. */
function timeText(ms: number, m: Messages): string {
  return m.locale === "en" ? utcText(ms) : m.time(ms);
}

/** The fixed lines of one notification's message, in its language: severity, value, times, facts, top processes. Escaped. */
export function factLines(n: Notification): string[] {
  const a = n.alert;
  const m = messagesOf(n);
  const lines = [`${m.t("slack.field.host")}: ${oneLine(n.hostname)}`, `${m.t("slack.field.severity")}: ${severityLine(n, m)}`];
  if (a.summary === undefined) {
    const threshold = m.t("slack.threshold", { threshold: m.threshold(a.threshold, a.unit) });
    const value =
      n.kind === "resolved"
        ? m.t("receiver.plainValueResolved", { value: m.value(a.value, a.unit), peak: m.value(a.peak, a.unit), threshold })
        : m.t("slack.valueFiring", { value: m.value(a.value, a.unit), threshold });
    lines.push(`${oneLine(a.display)}: ${value}`);
  }
  if (n.kind === "resolved") {
    const from = lastedFrom(a);
    const lasted = m.t("receiver.plainLasted", { lasted: since(from, n.at, m) || m.t("slack.underASecond"), from: timeText(from, m), to: timeText(n.at, m) });
    lines.push(`${m.t("slack.field.lasted")}: ${lasted}`);
    if (a.gone !== undefined) lines.push(`${m.t("receiver.resolvedBecause")}: ${oneLine(a.gone)}`);
  } else if (n.kind !== "summary") {
    const held = since(a.activeSince, n.at, m);
    lines.push(`${m.t("slack.field.since")}: ${m.t("slack.since", { date: timeText(a.activeSince, m), held: held ? m.t("slack.sinceHeld", { duration: held }) : "" })}`);
  }
  for (const f of n.details.facts) if (f.label || f.value) lines.push(`${oneLine(f.label)}: ${oneLine(f.value)}`);
  const top = n.details.topProcesses;
  if (top && top.processes.length > 0) {
    lines.push(`${top.by === "cpu" ? m.t("slack.topProcesses.cpu") : m.t("slack.topProcesses.memory")}:`);
    for (const p of top.processes.slice(0, 5)) {
      const use =
        top.by === "cpu"
          ? m.t("slack.process.cpu", { percent: p.cpuPercent.toFixed(1) })
          : m.t("slack.process.memory", { percent: p.memoryPercent.toFixed(1), bytes: formatBytes(p.rssBytes) });
      lines.push(`  ${m.t("receiver.plainProcess", { name: cutEnd(oneLine(p.name), 40, chars, "…"), pid: p.pid, use })}`);
    }
  }
  return lines;
}

/** One notification's message: its facts, then its sections (log output keeps its last lines), then `note`. */
function singleMessage(n: Notification, max: number, measure: Measure, note?: string): string {
  const m = messagesOf(n);
  const head = factLines(n).join("\n");
  const sections = [...(n.details.sections ?? [])];
  if (note) sections.push({ title: m.t("notify.undelivered"), text: note });
  const withTexts = (texts: readonly string[]) =>
    [head, ...sections.map((s, i) => `${s.title ? `${oneLine(s.title)}:\n` : ""}${textBlock(texts[i]!)}`)].filter((p) => p !== "").join("\n\n");
  let text = withTexts(sections.map((s) => s.text));
  if (measure(text) > max) {
    // Log lines and command output share what is left, each keeping its end: the last lines explain a crash.
    const codes = sections.filter((s) => s.code).length;
    const room = max - measure(withTexts(sections.map((s) => (s.code ? "" : s.text))));
    const each = Math.floor(Math.max(0, room) / Math.max(1, codes));
    text = withTexts(sections.map((s) => (s.code ? keepEnd(s.text, each, (t) => measure(textBlock(t)), m.locale) : s.text)));
  }
  return cutEnd(text, max, measure, m.t("receiver.cut"));
}

const ORDER = { critical: 0, warning: 1 } as const;

/** Most severe first, resolved last; otherwise in the order they came. */
export function bySeverity(ns: readonly Notification[]): Notification[] {
  const rank = (n: Notification) => (n.kind === "resolved" ? 2 : ORDER[n.alert.severity]);
  return ns
    .map((n, i) => ({ n, i }))
    .sort((x, y) => rank(x.n) - rank(y.n) || x.i - y.i)
    .map((x) => x.n);
}

/** A burst's message: one line per alert, most severe first, as many as fit; the rest named in one line; then `note`. */
function groupMessage(ns: readonly Notification[], max: number, measure: Measure, note?: string): string {
  const ordered = bySeverity(ns);
  const m = messagesOf(ordered[0] ?? {});
  const line = (n: Notification) => `${n.kind === "resolved" ? "✅" : n.alert.severity === "critical" ? "🔴" : "🟠"} ${oneLine(notificationTitle(n))}`;
  const tail = note ? `\n\n${m.t("notify.undelivered")}:\n${textBlock(note)}` : "";
  const rest = (from: number) => {
    const left = ordered.slice(from);
    if (left.length === 0) return "";
    const names = left.map((n) => oneLine(n.alert.labels.container ?? n.alert.labels.mount ?? n.alert.display)).join(m.t("list.sep"));
    return cutEnd(m.t("slack.andMore", { count: left.length, names }), Math.max(0, Math.floor(max / 3)), measure, "…");
  };
  const lines: string[] = [];
  for (const [i, n] of ordered.entries()) {
    const candidate = [...lines, line(n)];
    const after = i + 1 < ordered.length ? `\n${rest(i + 1)}` : "";
    if (measure(candidate.join("\n") + after + tail) > max && lines.length > 0) break;
    lines.push(line(n));
  }
  const more = rest(lines.length);
  return cutEnd([...lines, ...(more ? [more] : [])].join("\n") + tail, max, measure, m.t("receiver.cut"));
}

/** The title and message of `ns` (one notification, or a burst as one message) within `limits`; `note`: what could not be delivered before. */
export function plainMessage(ns: readonly Notification[], limits: PlainLimits, note?: string): PlainMessage {
  const measure = limits.measure ?? chars;
  if (ns.length === 1) {
    const n = ns[0]!;
    return { title: cutEnd(oneLine(notificationTitle(n)), limits.title, measure, "…"), message: singleMessage(n, limits.message, measure, note) };
  }
  return { title: cutEnd(oneLine(groupTitle(bySeverity(ns))), limits.title, measure, "…"), message: groupMessage(ns, limits.message, measure, note) };
}

/** The most severe state among `ns`, for a service's priority: critical, warning, resolved when every one is, info for the daily summary. */
export function worstState(ns: readonly Notification[]): "critical" | "warning" | "resolved" | "info" {
  if (ns.length > 0 && ns.every((n) => n.kind === "summary")) return "info";
  if (ns.length > 0 && ns.every((n) => n.kind === "resolved")) return "resolved";
  return ns.some((n) => n.kind !== "resolved" && n.alert.severity === "critical") ? "critical" : "warning";
}
