/**
 * The Microsoft Teams message of a card: what a Workflows (Power Automate)
 * "When a Teams webhook request is received" flow takes and posts — a message
 * with one Adaptive Card (version 1.4) attachment. Pure.
 *
 *   { type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive",
 *     content: { type: "AdaptiveCard", version: "1.4", body: [...], actions: [...] } }] }
 *
 * A TextBlock's text is a markdown subset (bold, italic, lists, `[x](url)`);
 * a TextRun's is never markdown. So machine text (host names, labels, log
 * lines) goes only into TextRuns of RichTextBlocks, where `[x](https://evil)`,
 * `**`, `<at>` and HTML are plain characters; its control characters are shown
 * escaped (`\n`), log lines keep their own lines in a monospace run. The card
 * is coloured by severity (a Container's style). Teams takes about 28 KB per
 * message: the serialized JSON is measured and squeezed (log lines keep their
 * end, the alerts of a group that do not fit are named in one line) to stay
 * under TEAMS_MAX_BYTES, never refused.
 */
import { oneLine, textBlock } from "../../escape.js";
import { messages } from "../../i18n/messages.js";
import type { CardTone, ChatCard } from "../chat-card.js";
import { moreLine } from "../chat-card.js";
import { cutEscaped, fitMessage, type Squeeze, squeezedItems, squeezedSections, TONE_MARKS } from "../chat-receiver.js";
import { keepEnd } from "../cut-text.js";

/** Teams refuses a message of about 28 KB; a margin below it. */
export const TEAMS_MAX_BYTES = 27_000;
export const ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive";

export interface TextRun {
  type: "TextRun";
  text: string;
  weight?: "Bolder";
  size?: "Small" | "Large";
  isSubtle?: boolean;
  fontType?: "Monospace";
  selectAction?: OpenUrl;
}

export interface RichTextBlock {
  type: "RichTextBlock";
  inlines: TextRun[];
  spacing?: "Small" | "Medium";
}

export interface OpenUrl {
  type: "Action.OpenUrl";
  title: string;
  url: string;
}

export interface TeamsContainer {
  type: "Container";
  style: "attention" | "warning" | "good" | "accent";
  bleed: true;
  items: RichTextBlock[];
}

export type TeamsElement = RichTextBlock | TeamsContainer;

export interface AdaptiveCard {
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json";
  type: "AdaptiveCard";
  version: "1.4";
  fallbackText: string;
  msteams: { width: "Full" };
  body: TeamsElement[];
  actions?: OpenUrl[];
}

export interface TeamsPayload {
  type: "message";
  attachments: Array<{ contentType: typeof ADAPTIVE_CARD; contentUrl: null; content: AdaptiveCard }>;
}

const STYLES: Record<CardTone, TeamsContainer["style"]> = { critical: "attention", warning: "warning", resolved: "good", test: "accent" };

/** Machine text for one line of a TextRun: control characters shown escaped, cut to `max` characters. */
export function teamsLine(raw: string, max: number): string {
  return cutEscaped(oneLine(raw), max, (t) => t);
}

function run(text: string, style: Omit<TextRun, "type" | "text"> = {}): TextRun {
  return { type: "TextRun", text, ...style };
}

function rich(...inlines: TextRun[]): RichTextBlock {
  return { type: "RichTextBlock", inlines };
}

const URL_MAX = 2000;

function render(card: ChatCard, s: Squeeze, last: boolean): TeamsPayload {
  const m = messages(card.locale);
  const body: TeamsElement[] = [
    {
      type: "Container",
      style: STYLES[card.tone],
      bleed: true,
      items: [rich(run(`${TONE_MARKS[card.tone]} ${teamsLine(card.title, last ? 300 : 1000)}`, { weight: "Bolder", size: "Large" }))],
    },
  ];
  const fields = card.fields.slice(0, s.fields);
  for (const f of fields) body.push(rich(run(`${teamsLine(f.label, 100)}: `, { weight: "Bolder" }), run(teamsLine(f.value, last ? 200 : 1000))));
  if (card.fields.length > fields.length) body.push(rich(run(m.t("receiver.fieldsLeftOut", { count: card.fields.length - fields.length }), { isSubtle: true })));
  for (const { section: sec, max } of squeezedSections(card, s, last, 8000)) {
    const inlines: TextRun[] = [];
    if (sec.title) inlines.push(run(`${teamsLine(sec.title, 200)}\n`, { weight: "Bolder" }));
    inlines.push(
      sec.code
        ? run(textBlock(keepEnd(sec.text, max, (t) => textBlock(t).length, card.locale)) || " ", { fontType: "Monospace" })
        : run(cutEscaped(textBlock(sec.text), max, (t) => t) || " "),
    );
    body.push(rich(...inlines));
  }
  const { shown, rest } = squeezedItems(card, s);
  for (const item of shown) {
    const inlines = [run(`${TONE_MARKS[item.tone]} ${teamsLine(item.title, 300)}`, { weight: "Bolder" })];
    if (item.facts.length > 0) inlines.push(run(`\n${item.facts.map((f) => teamsLine(f, 150)).join("\n")}`));
    if (item.link && item.link.length <= URL_MAX) {
      const open = m.t("slack.button.openOne");
      inlines.push(run(" · "), run(open, { selectAction: { type: "Action.OpenUrl", title: open, url: item.link } }));
    }
    body.push(rich(...inlines));
  }
  if (rest.length > 0) body.push(rich(run(teamsLine(moreLine(rest, card.locale), last ? 300 : 2000))));
  body.push(rich(run(teamsLine(card.footer, 300), { isSubtle: true, size: "Small" })));
  const content: AdaptiveCard = {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: "1.4",
    fallbackText: teamsLine(card.title, 300),
    msteams: { width: "Full" },
    body,
  };
  const actions = card.links.filter((l) => l.url.length <= URL_MAX).map((l): OpenUrl => ({ type: "Action.OpenUrl", title: l.text, url: l.url }));
  if (actions.length > 0) content.actions = actions;
  const payload: TeamsPayload = { type: "message", attachments: [{ contentType: ADAPTIVE_CARD, contentUrl: null, content }] };
  // The last squeeze: elements are left out from the end (the title stays) until it fits.
  while (last && body.length > 1 && teamsSize(payload) > TEAMS_MAX_BYTES) body.splice(body.length - 1, 1);
  return payload;
}

/** The bytes Teams counts: the serialized JSON. */
export function teamsSize(p: TeamsPayload): number {
  return Buffer.byteLength(JSON.stringify(p), "utf8");
}

/** The Workflows body of a card, within TEAMS_MAX_BYTES. */
export function buildTeamsMessage(card: ChatCard): TeamsPayload {
  return fitMessage((s, last) => render(card, s, last), teamsSize, TEAMS_MAX_BYTES);
}
