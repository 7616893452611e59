/**
 * The Slack message of a notification: a pure function from a Notification to
 * the JSON an incoming webhook takes. One attachment (for the colour bar) that
 * holds Block Kit blocks, and a top-level `text` that notifications and old
 * clients show.
 *
 * Everything that came from the machine (host name, labels, process names, log
 * lines…) is escaped before it goes into mrkdwn, so it can neither mention
 * (`<!channel>`) nor link (`<https://…|…>`), and its control characters are
 * shown escaped (`\n`, `\x1b`), so it cannot forge a line: `slackLine` for a
 * single-line place, `slackBlock` for a block of lines. Slack's limits are
 * enforced here, after escaping: an over-long text is cut with "…", so Slack
 * never refuses a message for its size.
 *
 * With the dashboard's links (`http.public_url`, notify/links.ts), a message
 * ends with link buttons (an `actions` block before the context): "Open in
 * Lookout" and, while the alert fires, "Silence 1 h"; a group has one "Open
 * in Lookout" and an "Open" beside each alert shown. Without them, the
 * message is what it always was.
 */

import { groupTitle, messagesOf, notificationTitle, severityText, timeFact, topProcessesText, valueText } from "../../alert/title.js";
import { oneLine, textBlock } from "../../escape.js";
import { type Messages, messages } from "../../i18n/messages.js";
import type { Notification } from "../../model/notification.js";
import { isoTime } from "../../units.js";
import { keepEnd, safeEnd } from "../cut-text.js";
import type { DashboardLinks } from "../links.js";
import { withNote } from "../notifier.js";

export interface SlackPlainText {
  type: "plain_text";
  text: string;
  emoji?: boolean;
}

export interface SlackMrkdwn {
  type: "mrkdwn";
  text: string;
  /** true: Slack does not auto-link URLs, channel names or mentions in the text. */
  verbatim?: boolean;
}

export type SlackText = SlackPlainText | SlackMrkdwn;

export interface SlackHeaderBlock {
  type: "header";
  text: SlackPlainText;
}

export interface SlackSectionBlock {
  type: "section";
  text?: SlackMrkdwn;
  fields?: SlackMrkdwn[];
  /** A link button beside the text (one alert of a group: its own view). */
  accessory?: SlackButton;
}

/**
 * A link button: it opens `url` in the browser. No interactivity endpoint is
 * needed (Slack may still post the click to the app's Request URL, when it has
 * one, and Lookout does not need it).
 */
export interface SlackButton {
  type: "button";
  text: SlackPlainText;
  url: string;
  /** Unique within its block. */
  action_id: string;
}

export interface SlackActionsBlock {
  type: "actions";
  elements: SlackButton[];
}

export interface SlackContextBlock {
  type: "context";
  elements: SlackMrkdwn[];
}

export type SlackBlock = SlackHeaderBlock | SlackSectionBlock | SlackContextBlock | SlackActionsBlock;

export interface SlackAttachment {
  /** The colour bar, `#rrggbb`. */
  color: string;
  /** Plain summary for clients that cannot show blocks. */
  fallback: string;
  blocks: SlackBlock[];
}

export interface SlackPayload {
  /** Fallback and notification text (the title). mrkdwn, escaped. */
  text: string;
  attachments: SlackAttachment[];
}

/** Block Kit limits (docs.slack.dev, "Blocks" reference). */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  blocks: 50,
  contextElements: 10,
  contextText: 3000,
  messageText: 3000,
  /** Elements of one actions block. */
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
} as const;

export const SLACK_COLORS = {
  critical: "#d50200",
  warning: "#f2a900",
  resolved: "#2eb67d",
  test: "#1d9bd1",
} as const;

const ELLIPSIS = "…";
const PROCESS_NAME_MAX = 40;
const SECTION_TITLE_MAX = 200;
const FIELD_LABEL_MAX = 200;

// ---------------------------------------------------------------- text helpers

/**
 * Escape machine text for mrkdwn: `&`, `<`, `>` become entities (Slack's
 * documented escaping), and a bare `@channel`/`@here`/`@everyone` gets an
 * invisible word joiner so it can never be read as a mention either.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/@(channel|here|everyone)\b/gi, "@\u2060$1");
}

/**
 * Machine text for a single-line place (a title, a field, a fact, a name):
 * a newline or any other control character is shown escaped, not obeyed, so it
 * cannot start a line that looks like Lookout's own.
 */
export function slackLine(text: string): string {
  return escapeMrkdwn(oneLine(text));
}

/**
 * Machine text for a block of lines (log lines, health-check output): its own
 * newlines and tabs stay, every other control character is shown escaped.
 */
export function slackBlock(text: string): string {
  return escapeMrkdwn(textBlock(text));
}

/** Raw title for a plain_text header: one line, cut to Slack's limit (after escaping). */
function headerText(title: string): SlackPlainText {
  return { type: "plain_text", text: cutPlain(oneLine(title), SLACK_LIMITS.headerText) };
}

/** No two backticks in a row, so text cannot close (or open) a ``` block. */
export function neutraliseBackticks(text: string): string {
  return text.replace(/`{2,}/g, (run) => run.split("").join("\u200b"));
}

/** Cut plain text to `max` characters, ending with "…" when cut. */
export function cutPlain(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < ELLIPSIS.length) return "";
  return text.slice(0, safeEnd(text, max - ELLIPSIS.length)) + ELLIPSIS;
}

/**
 * Cut escaped mrkdwn to `max` characters, ending with "…" when cut. Never cuts
 * inside an entity (`&amp;`) or inside a control sequence Lookout wrote
 * (`<!date^…|…>`; machine text has no raw `<` left after escaping).
 */
export function cutMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < ELLIPSIS.length) return "";
  let end = safeEnd(text, max - ELLIPSIS.length);
  const amp = text.lastIndexOf("&", end - 1);
  if (amp !== -1 && amp > end - 6) {
    const semi = text.indexOf(";", amp);
    if (semi === -1 || semi >= end) end = amp;
  }
  const lt = text.lastIndexOf("<", end - 1);
  if (lt !== -1) {
    const gt = text.indexOf(">", lt);
    if (gt === -1 || gt >= end) end = lt;
  }
  return text.slice(0, end) + ELLIPSIS;
}

function mrkdwn(text: string, max: number): SlackMrkdwn {
  return { type: "mrkdwn", text: cutMrkdwn(text, max), verbatim: true };
}

// ---------------------------------------------------------------- values

/** `2024-05-01 12:03 UTC`: what a client that cannot localise dates shows (English); the host's time, its zone named, otherwise. */
function fallbackTime(ms: number, m: Messages): string {
  if (m.locale !== "en") return m.time(ms);
  return `${isoTime(ms).slice(0, 16).replace("T", " ")} UTC`;
}

/** A time every reader sees in their own time zone (Slack's date formatting). */
function slackDate(ms: number, m: Messages): string {
  if (!Number.isFinite(ms)) return m.t("slack.unknownTime");
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallbackTime(ms, m)}>`;
}

// ---------------------------------------------------------------- title

function colorOf(n: Notification): string {
  if (n.kind === "summary" && n.alert.value === 0) return SLACK_COLORS.resolved; // all clear
  return n.kind === "resolved" ? SLACK_COLORS.resolved : SLACK_COLORS[n.alert.severity];
}

// ---------------------------------------------------------------- blocks

/** A field: bold label over its value. Both arguments are already mrkdwn. */
function field(label: string, value: string): SlackMrkdwn {
  return mrkdwn(label ? `*${cutMrkdwn(label, FIELD_LABEL_MAX)}*\n${value}` : value, SLACK_LIMITS.fieldText);
}

function fieldSections(fields: SlackMrkdwn[]): SlackSectionBlock[] {
  const out: SlackSectionBlock[] = [];
  for (let i = 0; i < fields.length; i += SLACK_LIMITS.sectionFields) {
    out.push({ type: "section", fields: fields.slice(i, i + SLACK_LIMITS.sectionFields) });
  }
  return out;
}

function textSection(text: string): SlackSectionBlock {
  return { type: "section", text: mrkdwn(text, SLACK_LIMITS.sectionText) };
}

/** Machine text as it shows inside a ``` block. */
function codeText(text: string): string {
  return neutraliseBackticks(slackBlock(text));
}

/**
 * A titled ``` block whose closing fence survives any cut. `title` and `body`
 * are raw. A body too long keeps its end (a crash's last log lines explain
 * it): its first lines go, and a line too long is cut in its middle.
 */
function codeSection(title: string, body: string, m: Messages): SlackSectionBlock {
  const head = title ? `*${cutMrkdwn(slackLine(title), SECTION_TITLE_MAX)}*\n` : "";
  const open = "```\n";
  const close = "\n```";
  const budget = SLACK_LIMITS.sectionText - head.length - open.length - close.length;
  const inner = cutMrkdwn(codeText(keepEnd(body, budget, (t) => codeText(t).length, m.locale)), budget) || " ";
  return textSection(`${head}${open}${inner}${close}`);
}

function processesSection(top: NonNullable<Notification["details"]["topProcesses"]>, m: Messages): SlackSectionBlock | undefined {
  // One line per process: a newline in a name must not add a row to the table.
  const table = topProcessesText(top, m, (p) => cutPlain(oneLine(p.name), PROCESS_NAME_MAX));
  return table && codeSection(table.title, table.text, m);
}

/** Keep header + body + the links (when any) + context within Slack's block limit. */
function capBlocks(m: Messages, header: SlackBlock, body: SlackBlock[], context: SlackBlock, actions?: SlackActionsBlock): SlackBlock[] {
  const tail = actions ? [actions, context] : [context];
  const room = SLACK_LIMITS.blocks - 1 - tail.length;
  if (body.length <= room) return [header, ...body, ...tail];
  const kept = body.slice(0, room - 1);
  const left = body.length - kept.length;
  kept.push(textSection(m.plural("slack.blocksLeftOut", left, { max: SLACK_LIMITS.blocks })));
  return [header, ...kept, ...tail];
}

/** A link button; none when its URL is longer than Slack takes (a label value of thousands of characters). */
function linkButton(text: string, url: string, actionId: string): SlackButton | undefined {
  if (url.length > SLACK_LIMITS.buttonUrl) return undefined;
  return { type: "button", text: { type: "plain_text", text: cutPlain(text, SLACK_LIMITS.buttonText) }, url, action_id: actionId };
}

/** One actions block of link buttons (at most Slack's 25); none without a button. */
function actionsBlock(buttons: ReadonlyArray<SlackButton | undefined>): SlackActionsBlock | undefined {
  const elements = buttons.filter((b): b is SlackButton => b !== undefined).slice(0, SLACK_LIMITS.actionsElements);
  return elements.length > 0 ? { type: "actions", elements } : undefined;
}

/** The buttons' words in English (the catalogue's `slack.button.open` and `slack.button.silence`). */
export const OPEN_BUTTON = messages("en").t("slack.button.open");
export const SILENCE_BUTTON = messages("en").t("slack.button.silence");

/**
 * The buttons of one notification's message: "Open in Lookout" (the
 * alert's view; the day's overview for the daily summary) and, while it
 * fires, "Silence 1 h" (the dashboard's silence form, filled in).
 */
function notificationActions(n: Notification, links: DashboardLinks, m: Messages): SlackActionsBlock | undefined {
  const open = m.t("slack.button.open");
  if (n.kind === "summary") return actionsBlock([linkButton(open, links.summary(n), "open")]);
  return actionsBlock([linkButton(open, links.alert(n), "open"), n.kind === "resolved" ? undefined : linkButton(m.t("slack.button.silence"), links.silence(n), "silence")]);
}

function contextBlock(parts: string[]): SlackContextBlock {
  return { type: "context", elements: [mrkdwn(parts.join(" · "), SLACK_LIMITS.contextText)] };
}

/** `title` is raw (titles are built from machine text). */
function payload(title: string, color: string, blocks: SlackBlock[]): SlackPayload {
  const text = cutMrkdwn(slackLine(title), SLACK_LIMITS.messageText);
  return { text, attachments: [{ color, fallback: text, blocks }] };
}

/** What a message may add: links to the dashboard (`http.public_url`). */
export interface SlackMessageOptions {
  links?: DashboardLinks | undefined;
}

/** The Slack message of a notification. Pure: same input, same output. */
export function buildSlackMessage(n: Notification, opts: SlackMessageOptions = {}): SlackPayload {
  const a = n.alert;
  const m = messagesOf(n);
  const title = notificationTitle(n);
  const header: SlackHeaderBlock = { type: "header", text: headerText(title) };

  const valueField = `${slackLine(a.display)}: ${slackLine(valueText(n))}`;
  const time = timeFact(n, (ms) => slackDate(ms, m));
  const timeField = field(time.label, time.value);

  // An event (a crash) has no value worth showing: its title says what happened.
  const fields: SlackMrkdwn[] = [
    field(m.t("slack.field.host"), slackLine(n.hostname)),
    field(m.t("slack.field.severity"), slackLine(severityText(n))),
    ...(a.summary === undefined ? [field(m.t("slack.field.value"), valueField)] : []),
    timeField,
  ];
  for (const fact of n.details.facts) {
    if (!fact.label && !fact.value) continue;
    fields.push(field(slackLine(fact.label), slackLine(fact.value) || " "));
  }

  const body: SlackBlock[] = [...fieldSections(fields)];
  const top = n.details.topProcesses ? processesSection(n.details.topProcesses, m) : undefined;
  if (top) body.push(top);
  for (const s of n.details.sections ?? []) {
    if (s.code) {
      body.push(codeSection(s.title, s.text, m));
    } else if (s.title || s.text) {
      const head = s.title ? `*${cutMrkdwn(slackLine(s.title), SECTION_TITLE_MAX)}*` : "";
      body.push(textSection([head, slackBlock(s.text)].filter(Boolean).join("\n")));
    }
  }

  const context = contextBlock(["Lookout", m.t("slack.context.alert", { fingerprint: slackLine(a.fingerprint) }), m.t("slack.context.notification", { id: slackLine(n.id) })]);
  const actions = opts.links ? notificationActions(n, opts.links, m) : undefined;
  return payload(title, colorOf(n), capBlocks(m, header, body, context, actions));
}

/**
 * The message of `lookout test-notify`, in the words of `m` (the receiver's
 * config's language); with `links`, a button to the dashboard's overview of
 * the last hour.
 */
export function buildSlackTestMessage(hostname: string, at: number, links?: DashboardLinks, m: Messages = messages()): SlackPayload {
  const title = m.t("receiver.test.title", { hostname });
  const header: SlackHeaderBlock = { type: "header", text: headerText(title) };
  const body = textSection(m.t("receiver.test.slack", { hostname: `*${slackLine(hostname)}*` }));
  const context = contextBlock(["Lookout", m.t("receiver.test.sent", { time: slackDate(at, m) })]);
  const actions = links ? actionsBlock([linkButton(m.t("slack.button.open"), links.overview(at - 3_600_000, at), "open")]) : undefined;
  return payload(title, SLACK_COLORS.test, actions ? [header, body, actions, context] : [header, body, context]);
}

// ---------------------------------------------------------------- groups

const RANK: Record<string, number> = { critical: 0, warning: 1 };

/** Most severe first: firing critical, firing warning, then resolved; otherwise in order. */
export function bySeverity(ns: readonly Notification[]): Notification[] {
  const rank = (n: Notification) => (n.kind === "resolved" ? 2 : (RANK[n.alert.severity] ?? 1));
  return ns
    .map((n, i) => ({ n, i }))
    .sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i)
    .map((x) => x.n);
}

/** One alert of a group: its title and its first facts, in one section; with `links`, a button to its own view beside them. */
function groupSection(n: Notification, m: Messages, links?: DashboardLinks): SlackSectionBlock {
  const mark = n.kind === "resolved" ? "✅" : n.alert.severity === "critical" ? "🔴" : "🟠";
  const facts = n.details.facts
    .filter((f) => f.label && f.value)
    .slice(0, 3)
    .map((f) => `${slackLine(f.label)}: ${slackLine(f.value)}`);
  const section = textSection([`${mark} *${slackLine(notificationTitle(n))}*`, ...facts].join("\n"));
  const open = links ? linkButton(m.t("slack.button.openOne"), links.alert(n), "open") : undefined;
  return open ? { ...section, accessory: open } : section;
}

/**
 * Several notifications as one message: a header with counts, then one
 * section per alert, most severe first, within Slack's 50-block limit (the rest
 * named in one line), and `note` (what could not be delivered before) after
 * them. A single notification gets the full message instead. With `links`,
 * each alert shown has an "Open" button to its own view, and one "Open in
 * Lookout" goes to the overview over the group's times (a silence is made
 * from one alert's own message or the dashboard).
 */
export function buildSlackGroupMessage(ns: readonly Notification[], opts: { note?: string } & SlackMessageOptions = {}): SlackPayload {
  if (ns.length === 1) return buildSlackMessage(withNote(ns[0]!, opts.note), opts.links ? { links: opts.links } : {});
  const ordered = bySeverity(ns);
  const m = messagesOf(ordered[0] ?? {});
  const title = groupTitle(ordered);
  const header: SlackHeaderBlock = { type: "header", text: headerText(title) };
  const actions = opts.links ? actionsBlock([linkButton(m.t("slack.button.open"), opts.links.around(ordered), "open")]) : undefined;
  const room = SLACK_LIMITS.blocks - 3 - (opts.note ? 1 : 0) - (actions ? 1 : 0); // header, the "more" line, the note, the links, context
  const shown = ordered.length <= room + 1 ? ordered : ordered.slice(0, room);
  const body: SlackBlock[] = shown.map((n) => groupSection(n, m, opts.links));
  const rest = ordered.slice(shown.length);
  if (rest.length > 0) {
    const names = rest.map((n) => n.alert.labels.container ?? n.alert.labels.mount ?? n.alert.display);
    body.push(textSection(cutMrkdwn(m.t("slack.andMore", { count: rest.length, names: names.map(slackLine).join(m.t("list.sep")) }), SLACK_LIMITS.sectionText)));
  }
  if (opts.note) body.push(textSection(`*${m.t("notify.undelivered")}*\n${slackBlock(opts.note)}`));
  const context = contextBlock(["Lookout", m.t("slack.context.count", { count: ns.length }), m.t("slack.context.first", { id: slackLine(ordered[0]!.id) })]);
  const worst = ordered[0]!;
  return payload(title, colorOf(worst), [header, ...body, ...(actions ? [actions] : []), context]);
}
