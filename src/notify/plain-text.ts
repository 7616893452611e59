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
import { groupTitle, lastedFrom, notificationTitle, since } from "../alert/title.js";
import { oneLine, textBlock } from "../escape.js";
import type { Notification } from "../model/notification.js";
import { formatBytes, formatThreshold, formatValue } from "../units.js";
import { keepEnd, type Measure, safeEnd } from "./cut-text.js";
import { UNDELIVERED_TITLE } from "./notifier.js";

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

/** What ends a text cut at its end. */
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
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC` : "unknown time";
}

function severityLine(n: Notification): string {
  const a = n.alert;
  if (n.kind === "summary") return "Daily summary";
  if (n.kind === "resolved") return `Resolved (was ${a.maxSeverity ?? a.severity})`;
  const word = a.severity === "critical" ? "Critical" : "Warning";
  if (n.kind === "escalated") return `${word} (escalated)`;
  if (n.kind === "reminder") return `${word} (still firing)`;
  if (n.kind === "flapping") return `${word} (flapping)`;
  return word;
}

/** The fixed lines of one notification's message: severity, value, times, facts, top processes. Escaped. */
export function factLines(n: Notification): string[] {
  const a = n.alert;
  const lines = [`Host: ${oneLine(n.hostname)}`, `Severity: ${severityLine(n)}`];
  if (a.summary === undefined) {
    const threshold = `threshold ${formatThreshold(a.threshold, a.unit)}`;
    const value =
      n.kind === "resolved" ? `${formatValue(a.value, a.unit)} now, peak ${formatValue(a.peak, a.unit)} (${threshold})` : `${formatValue(a.value, a.unit)} (${threshold})`;
    lines.push(`${oneLine(a.display)}: ${value}`);
  }
  if (n.kind === "resolved") {
    const from = lastedFrom(a);
    lines.push(`Lasted: ${since(from, n.at) || "under a second"} (${utcText(from)} to ${utcText(n.at)})`);
    if (a.gone !== undefined) lines.push(`Resolved because: ${oneLine(a.gone)}`);
  } else if (n.kind !== "summary") {
    const held = since(a.activeSince, n.at);
    lines.push(`Since: ${utcText(a.activeSince)}${held ? ` (${held})` : ""}`);
  }
  for (const f of n.details.facts) if (f.label || f.value) lines.push(`${oneLine(f.label)}: ${oneLine(f.value)}`);
  const top = n.details.topProcesses;
  if (top && top.processes.length > 0) {
    lines.push(`Top processes by ${top.by === "cpu" ? "CPU" : "memory"}:`);
    for (const p of top.processes.slice(0, 5)) {
      const use = top.by === "cpu" ? `${p.cpuPercent.toFixed(1)}% CPU` : `${p.memoryPercent.toFixed(1)}% memory (${formatBytes(p.rssBytes)})`;
      lines.push(`  ${cutEnd(oneLine(p.name), 40, chars, "…")} (pid ${p.pid}): ${use}`);
    }
  }
  return lines;
}

/** One notification's message: its facts, then its sections (log output keeps its last lines), then `note`. */
function singleMessage(n: Notification, max: number, measure: Measure, note?: string): string {
  const head = factLines(n).join("\n");
  const sections = [...(n.details.sections ?? [])];
  if (note) sections.push({ title: UNDELIVERED_TITLE, text: note });
  const withTexts = (texts: readonly string[]) =>
    [head, ...sections.map((s, i) => `${s.title ? `${oneLine(s.title)}:\n` : ""}${textBlock(texts[i]!)}`)].filter((p) => p !== "").join("\n\n");
  let text = withTexts(sections.map((s) => s.text));
  if (measure(text) > max) {
    // Log lines and command output share what is left, each keeping its end: the last lines explain a crash.
    const codes = sections.filter((s) => s.code).length;
    const room = max - measure(withTexts(sections.map((s) => (s.code ? "" : s.text))));
    const each = Math.floor(Math.max(0, room) / Math.max(1, codes));
    text = withTexts(sections.map((s) => (s.code ? keepEnd(s.text, each, (t) => measure(textBlock(t))) : s.text)));
  }
  return cutEnd(text, max, measure);
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
  const line = (n: Notification) => `${n.kind === "resolved" ? "✅" : n.alert.severity === "critical" ? "🔴" : "🟠"} ${oneLine(notificationTitle(n))}`;
  const tail = note ? `\n\n${UNDELIVERED_TITLE}:\n${textBlock(note)}` : "";
  const rest = (from: number) => {
    const left = ordered.slice(from);
    if (left.length === 0) return "";
    const names = left.map((n) => oneLine(n.alert.labels.container ?? n.alert.labels.mount ?? n.alert.display)).join(", ");
    return cutEnd(`…and ${left.length} more: ${names}`, Math.max(0, Math.floor(max / 3)), measure, "…");
  };
  const lines: string[] = [];
  for (const [i, n] of ordered.entries()) {
    const candidate = [...lines, line(n)];
    const after = i + 1 < ordered.length ? `\n${rest(i + 1)}` : "";
    if (measure(candidate.join("\n") + after + tail) > max && lines.length > 0) break;
    lines.push(line(n));
  }
  const more = rest(lines.length);
  return cutEnd([...lines, ...(more ? [more] : [])].join("\n") + tail, max, measure);
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
