/**
 * The mail of a notification, or of a group of them (a burst: one mail): a
 * pure function from notifications to a subject, a text part, an HTML part
 * and the threading headers. Nothing here touches the network or nodemailer.
 *
 * Machine text (host names, labels, container names, log lines) is made inert
 * for each part: in the subject and every single-line place its control
 * characters are shown escaped (`\n`, `\x1b`), so no line break reaches a
 * header (no header injection) nor forges a line; in the HTML part it is also
 * HTML-escaped, so `<img src=…>`, `<a href>` or `<script>` show as text. The
 * HTML has no remote image, no script and no style sheet: inline styles only.
 *
 * Threading: each alert's firing has an id of its own (`alertThreadId`, from
 * its fingerprint and when it started firing). A mail about one firing alert
 * goes out with that Message-ID; every later mail about the same firing (a
 * reminder, an escalation, its resolution) says In-Reply-To and References
 * that id, so mail clients show the resolution under the alert. A group's
 * mail refers to the ids of all its alerts.
 */

import { groupTitle, messagesOf, notificationTitle, severityText, timeFact, topProcessesText, valueText } from "../../alert/title.js";
import { oneLine, textBlock } from "../../escape.js";
import { sha256Hex } from "../../hash.js";
import { type Messages, messages } from "../../i18n/messages.js";
import type { Notification } from "../../model/notification.js";
import { isoTime } from "../../units.js";
import { keepEnd, safeEnd } from "../cut-text.js";
import type { DashboardLinks } from "../links.js";
import { withNote } from "../notifier.js";
import { bySeverity } from "../slack/message.js";

/** Limits Lookout keeps to (a mail has few of its own: servers take 10 MB or more, a header line 998 characters). */
export const EMAIL_LIMITS = {
  /** A subject longer than a mail list shows is cut with "…" (RFC 5322 asks for lines under 78; encoded words are folded). */
  subject: 200,
  /** One block of log lines keeps its last this many characters. */
  section: 20_000,
  /** Alerts listed one by one in a group's mail; the rest are named on one line. */
  groupShown: 100,
} as const;

const ELLIPSIS = "…";

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
  /** Without `<>`; the domain is the sender's. */
  messageId: string;
  /** The alerts' firing mails this one follows (for In-Reply-To and References), without `<>`. */
  references: string[];
}

export interface EmailMessageOptions {
  /** `subject_prefix`, put before every subject. */
  subjectPrefix?: string | undefined;
  /** The domain of the Message-IDs: the sender's (`from`). */
  domain: string;
  links?: DashboardLinks | undefined;
  /** What could not be delivered before. */
  note?: string | undefined;
}

// ---------------------------------------------------------------- text helpers

/** HTML-escaped, for text and attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Machine text for a single-line place of the HTML part. */
const htmlLine = (text: string) => escapeHtml(oneLine(text));
/** Machine text for a block of lines of the HTML part (inside <pre>). */
const htmlBlock = (text: string) => escapeHtml(textBlock(text));

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, safeEnd(text, max - ELLIPSIS.length)) + ELLIPSIS;
}

/** The subject: the prefix, then the title as Slack's header has it, one line, cut to EMAIL_LIMITS.subject. */
export function emailSubject(title: string, prefix?: string): string {
  const head = prefix ? `${oneLine(prefix).trim()} ` : "";
  return cut(head + oneLine(title), EMAIL_LIMITS.subject);
}

// ---------------------------------------------------------------- threading

/** A Message-ID's left part from any text: letters, digits and `.-_` only. */
function idPart(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 64);
}

/** The id of an alert's firing (fingerprint and start): its first mail's Message-ID, what later mails about it refer to. */
export function alertThreadId(n: Notification, domain: string): string {
  const hash = sha256Hex(`${n.alert.fingerprint}\n${n.alert.firingSince}`).slice(0, 24);
  return `lookout.alert.${hash}@${domain}`;
}

/** The domain of the sender's address, for Message-IDs; `lookout.invalid` when it has none fit for one. */
export function messageIdDomain(from: string): string {
  const m = /@([A-Za-z0-9.-]+?)\.?>?$/.exec(from.trim());
  return m?.[1] ?? "lookout.invalid";
}

function threading(ns: readonly Notification[], domain: string): { messageId: string; references: string[] } {
  const ids = [...new Set(ns.filter((n) => n.kind !== "summary").map((n) => alertThreadId(n, domain)))];
  const only = ns.length === 1 ? ns[0]! : undefined;
  if (only && only.kind === "firing") return { messageId: ids[0]!, references: [] };
  const hash = sha256Hex(ns.map((n) => n.id).join(",")).slice(0, 12);
  return { messageId: `lookout.${idPart(ns[0]?.id ?? "mail")}.${hash}@${domain}`, references: ids };
}

// ---------------------------------------------------------------- one notification

interface Field {
  label: string;
  value: string;
}

function utc(ms: number): string {
  return Number.isFinite(ms) ? `${isoTime(ms).slice(0, 19).replace("T", " ")} UTC` : "unknown time";
}

/** A time in a mail: `2024-05-01 12:03:04 UTC` in English; otherwise the host's time, its zone named (`2024-05-01 21:03 KST`). */
function timeText(ms: number, m: Messages): string {
  return m.locale === "en" ? utc(ms) : m.time(ms);
}

/** The fields of one notification, raw (each part escapes them), in its language. */
function fieldsOf(n: Notification, m: Messages): Field[] {
  const a = n.alert;
  const fields: Field[] = [
    { label: m.t("slack.field.host"), value: n.hostname },
    { label: m.t("slack.field.severity"), value: severityText(n) },
  ];
  if (a.summary === undefined) fields.push({ label: m.t("slack.field.value"), value: `${a.display}: ${valueText(n)}` });
  fields.push(timeFact(n, (ms) => timeText(ms, m)));
  for (const f of n.details.facts) if (f.label || f.value) fields.push({ label: f.label, value: f.value });
  return fields;
}

interface Section {
  title: string;
  text: string;
  code: boolean;
}

function sectionsOf(n: Notification, m: Messages): Section[] {
  const out: Section[] = [];
  const top = n.details.topProcesses;
  const table = top ? topProcessesText(top, m, (p) => cut(oneLine(p.name), 40)) : undefined;
  if (table) out.push({ ...table, code: true });
  for (const s of n.details.sections ?? []) {
    // Measured as the text part shows it: a code block's lines indented by 4.
    if (s.title || s.text) out.push({ title: s.title, text: keepEnd(s.text, EMAIL_LIMITS.section, (t) => t.length + 4 * t.split("\n").length, m.locale), code: s.code === true });
  }
  return out;
}

const COLORS = { critical: "#d50200", warning: "#f2a900", resolved: "#2eb67d", test: "#1d9bd1" } as const;

function colorOf(n: Notification): string {
  if (n.kind === "summary" && n.alert.value === 0) return COLORS.resolved;
  return n.kind === "resolved" ? COLORS.resolved : COLORS[n.alert.severity];
}

function mark(n: Notification): string {
  return n.kind === "resolved" ? "✅" : n.alert.severity === "critical" ? "🔴" : "🟠";
}

// ---------------------------------------------------------------- the two parts

/** The HTML document around a body: no remote resource, inline styles only; in another language than English, `lang` says which (fonts, screen readers). */
function htmlDocument(title: string, color: string, body: string, m: Messages): string {
  const lang = m.locale === "en" ? "" : ` lang="${m.locale}"`;
  return (
    `<!DOCTYPE html>\n<html${lang}><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${htmlLine(title)}</title></head>\n` +
    `<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1d1c1d">\n` +
    `<div style="border-left:4px solid ${color};padding-left:12px">\n<h2 style="margin:0 0 12px;font-size:17px">${htmlLine(title)}</h2>\n${body}</div>\n` +
    `<p style="color:#616061;font-size:12px;margin-top:16px">${escapeHtml(m.t("receiver.mailFooter"))}</p>\n</body></html>\n`
  );
}

function htmlFields(fields: Field[]): string {
  const rows = fields.map(
    (f) =>
      `<tr><th style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;white-space:nowrap">${htmlLine(f.label)}</th><td style="padding:2px 0">${htmlLine(f.value)}</td></tr>`,
  );
  return `<table style="border-collapse:collapse;margin-bottom:12px">\n${rows.join("\n")}\n</table>\n`;
}

function htmlSection(s: Section): string {
  const head = s.title ? `<h3 style="margin:12px 0 4px;font-size:14px">${htmlLine(s.title)}</h3>\n` : "";
  const body = s.code
    ? `<pre style="background:#f4f4f4;padding:8px;overflow-x:auto;white-space:pre-wrap;font-size:12px">${htmlBlock(s.text)}</pre>\n`
    : `<p style="white-space:pre-wrap;margin:0">${htmlBlock(s.text)}</p>\n`;
  return head + body;
}

/** A link Lookout made (the dashboard's, from `http.public_url`): its URL escaped as an attribute. */
function htmlLinks(links: Array<[string, string]>): string {
  if (links.length === 0) return "";
  return `<p>${links.map(([text, url]) => `<a href="${escapeHtml(url)}" style="margin-right:16px">${escapeHtml(text)}</a>`).join("")}</p>\n`;
}

function textFields(fields: Field[]): string {
  return fields.map((f) => `${oneLine(f.label)}: ${oneLine(f.value)}`).join("\n");
}

function textSection(s: Section): string {
  const body = textBlock(s.text);
  return `${s.title ? `${oneLine(s.title)}\n` : ""}${s.code ? body.replace(/^/gm, "    ") : body}`;
}

function textLinks(links: Array<[string, string]>): string {
  return links.map(([text, url]) => `${text}: ${url}`).join("\n");
}

function singleLinks(n: Notification, m: Messages, links?: DashboardLinks): Array<[string, string]> {
  if (!links) return [];
  const open = m.t("slack.button.open");
  if (n.kind === "summary") return [[open, links.summary(n)]];
  const out: Array<[string, string]> = [[open, links.alert(n)]];
  if (n.kind !== "resolved") out.push([m.t("slack.button.silence"), links.silence(n)]);
  return out;
}

function footer(ids: string): string {
  return `Lookout · ${ids}`;
}

/** The mail of one notification. */
function singleMail(n: Notification, opts: EmailMessageOptions): Omit<EmailContent, "messageId" | "references"> {
  const m = messagesOf(n);
  const title = notificationTitle(n);
  const fields = fieldsOf(n, m);
  const sections = sectionsOf(n, m);
  const links = singleLinks(n, m, opts.links);
  const idLine = footer(`${m.t("slack.context.alert", { fingerprint: oneLine(n.alert.fingerprint) })} · ${m.t("slack.context.notification", { id: oneLine(n.id) })}`);
  const text = [oneLine(title), "", textFields(fields), ...sections.map((s) => `\n${textSection(s)}`), ...(links.length ? ["", textLinks(links)] : []), "", idLine].join("\n");
  const html = htmlDocument(
    title,
    colorOf(n),
    htmlFields(fields) + sections.map(htmlSection).join("") + htmlLinks(links) + `<p style="color:#616061;font-size:12px">${escapeHtml(idLine)}</p>\n`,
    m,
  );
  return { subject: emailSubject(title, opts.subjectPrefix), text, html };
}

/** One line per alert of a group: its title and first facts. */
function groupEntry(n: Notification): { title: string; facts: string[] } {
  const facts = n.details.facts
    .filter((f) => f.label && f.value)
    .slice(0, 3)
    .map((f) => `${f.label}: ${f.value}`);
  return { title: notificationTitle(n), facts };
}

/**
 * The mail of notifications sent together: one mail whose subject counts them
 * as Slack's header does (`[web-1] 30 containers crashed`), then one entry per
 * alert, most severe first (at most EMAIL_LIMITS.groupShown; the rest named on
 * one line), then the note on what could not be delivered before. A single
 * notification gets its full mail.
 */
export function buildEmail(ns: readonly Notification[], opts: EmailMessageOptions): EmailContent {
  if (ns.length === 0) throw new Error("no notification to send");
  const thread = threading(ns, opts.domain);
  if (ns.length === 1) return { ...singleMail(withNote(ns[0]!, opts.note), opts), ...thread };
  const ordered = bySeverity(ns);
  const m = messagesOf(ordered[0]!);
  const title = groupTitle(ordered);
  const shown = ordered.length <= EMAIL_LIMITS.groupShown + 1 ? ordered : ordered.slice(0, EMAIL_LIMITS.groupShown);
  const rest = ordered.slice(shown.length);
  const restNames = rest.map((n) => n.alert.labels.container ?? n.alert.labels.mount ?? n.alert.display).join(m.t("list.sep"));
  const restLine = rest.length > 0 ? m.t("slack.andMore", { count: rest.length, names: restNames }) : "";
  const links: Array<[string, string]> = opts.links ? [[m.t("slack.button.open"), opts.links.around(ordered)]] : [];
  const idLine = footer(`${m.t("slack.context.count", { count: ns.length })} · ${m.t("slack.context.first", { id: oneLine(ordered[0]!.id) })}`);

  const textEntries = shown.map((n) => {
    const e = groupEntry(n);
    return [`${mark(n)} ${oneLine(e.title)}`, ...e.facts.map((f) => `   ${oneLine(f)}`)].join("\n");
  });
  const text = [
    oneLine(title),
    "",
    textEntries.join("\n\n"),
    ...(restLine ? ["", oneLine(restLine)] : []),
    ...(opts.note ? ["", m.t("notify.undelivered"), textBlock(opts.note)] : []),
    ...(links.length ? ["", textLinks(links)] : []),
    "",
    idLine,
  ].join("\n");

  const htmlEntries = shown.map((n) => {
    const e = groupEntry(n);
    const open = opts.links ? ` <a href="${escapeHtml(opts.links.alert(n))}">${escapeHtml(m.t("slack.button.openOne"))}</a>` : "";
    const facts = e.facts.map((f) => `<br><span style="color:#616061">${htmlLine(f)}</span>`).join("");
    return `<li style="margin-bottom:8px">${mark(n)} <b>${htmlLine(e.title)}</b>${open}${facts}</li>`;
  });
  const html = htmlDocument(
    title,
    colorOf(ordered[0]!),
    `<ul style="list-style:none;padding:0;margin:0 0 12px">\n${htmlEntries.join("\n")}\n</ul>\n` +
      (restLine ? `<p>${htmlLine(restLine)}</p>\n` : "") +
      (opts.note ? htmlSection({ title: m.t("notify.undelivered"), text: opts.note, code: false }) : "") +
      htmlLinks(links) +
      `<p style="color:#616061;font-size:12px">${escapeHtml(idLine)}</p>\n`,
    m,
  );
  return { subject: emailSubject(title, opts.subjectPrefix), text, html, ...thread };
}

/** The mail of `lookout test-notify`, in the words of `m` (the receiver's config's language). */
export function buildTestEmail(hostname: string, at: number, receiver: string, opts: EmailMessageOptions, m: Messages = messages()): EmailContent {
  const title = m.t("receiver.test.title", { hostname });
  const line = m.t("receiver.test.email", { hostname, receiver });
  const links: Array<[string, string]> = opts.links ? [[m.t("slack.button.open"), opts.links.overview(at - 3_600_000, at)]] : [];
  const sent = `Lookout · ${m.t("receiver.test.sent", { time: timeText(at, m) })}`;
  const text = [oneLine(title), "", oneLine(line), ...(links.length ? ["", textLinks(links)] : []), "", sent].join("\n");
  const html = htmlDocument(title, COLORS.test, `<p>${htmlLine(line)}</p>\n${htmlLinks(links)}<p style="color:#616061;font-size:12px">${escapeHtml(sent)}</p>\n`, m);
  return { subject: emailSubject(title, opts.subjectPrefix), text, html, messageId: `lookout.test.${at}@${opts.domain}`, references: [] };
}
