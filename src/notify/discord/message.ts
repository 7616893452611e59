/**
 * The Discord message of a card: the JSON a webhook's execute endpoint takes
 * (`POST /api/webhooks/{id}/{token}`): the title as `content`, one embed
 * coloured by severity (title, fields, a description with the sections, the
 * alerts of a group and the links, a footer, a timestamp), and
 * `allowed_mentions: { parse: [] }` so nothing in it can ping anyone. Pure.
 *
 * Machine text is escaped for Discord's markdown: every markdown character
 * (`\ * _ ~ ` | > # - [ ] ( ) < :`) gets a backslash, which Discord hides, so
 * `[x](https://evil)` shows as typed, `<@123>` and `<#1>` stay text, URLs are
 * not linked; `@everyone` and `@here` get a zero-width space after the `@`;
 * control characters are shown escaped (`\n`); log lines go in ``` blocks
 * whose fences they cannot close. Discord's limits are kept after escaping:
 * content 2,000; per embed title 256, description 4,096, 25 fields of name
 * 256 and value 1,024, footer 2,048; 6,000 across the embed. What does not fit
 * is cut with "…" or named in a line ("…and 12 more: …"), never refused.
 */
import { oneLine, textBlock } from "../../escape.js";
import { type Locale, type Messages, messages } from "../../i18n/messages.js";
import { isoTime } from "../../units.js";
import type { CardItem, ChatCard } from "../chat-card.js";
import { moreLine } from "../chat-card.js";
import { cutEscaped, fitMessage, type Squeeze, squeezedItems, squeezedSections, TONE_COLORS, TONE_MARKS } from "../chat-receiver.js";
import { keepEnd } from "../cut-text.js";

export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  total: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
} as const;

export interface DiscordEmbed {
  title: string;
  description?: string;
  color: number;
  fields?: Array<{ name: string; value: string; inline?: boolean }>;
  footer?: { text: string };
  timestamp?: string;
}

export interface DiscordPayload {
  content: string;
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: never[] };
}

/** Escape text for Discord's markdown; a mention of everyone can never form. */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\*_~`|>#\-[\]()<:]/g, "\\$&").replace(/@/g, "@\u200b");
}

/** Machine text for one line (a title, a field): control characters shown escaped, markdown inert, cut to `max`. */
export function discordLine(raw: string, max: number): string {
  return cutEscaped(oneLine(raw), max, escapeDiscord);
}

/** Machine text for a block of lines: its newlines stay. */
export function discordBlock(raw: string, max: number): string {
  return cutEscaped(textBlock(raw), max, escapeDiscord);
}

/** No two backticks in a row, so text cannot close (or open) a ``` block. */
function noFence(text: string): string {
  return text.replace(/`{2,}/g, (run) => run.split("").join("\u200b"));
}

/** Inside a ``` block nothing is markdown; a mention of everyone still gets its zero-width space. */
const codeText = (raw: string) => noFence(textBlock(raw)).replace(/@/g, "@\u200b");

/** A ``` block of `raw` within `max` characters, its end kept (a crash's last log lines explain it). */
function codeBlock(raw: string, max: number, locale: Locale): string {
  const budget = Math.max(0, max - 8);
  const inner = codeText(keepEnd(raw, budget, (t) => codeText(t).length, locale)).slice(-budget) || " ";
  return `\`\`\`\n${inner}\n\`\`\``;
}

/** A link Discord shows as its text: the URL's parentheses encoded so it cannot end the link early. */
function link(text: string, url: string): string {
  return `[${escapeDiscord(text)}](${url.replace(/\(/g, "%28").replace(/\)/g, "%29").replace(/\s/g, encodeURIComponent)})`;
}

const LINK_MAX = 1000;

function itemText(item: CardItem, s: Squeeze, m: Messages): string {
  const lines = [`${TONE_MARKS[item.tone]} **${discordLine(item.title, s.items > 10 ? 200 : DISCORD_LIMITS.title)}**`];
  for (const f of item.facts) lines.push(discordLine(f, s.items > 10 ? 120 : 200));
  if (item.link && item.link.length <= LINK_MAX) lines[lines.length - 1] += ` · ${link(m.t("slack.button.openOne"), item.link)}`;
  return lines.join("\n");
}

function embedSize(e: DiscordEmbed): number {
  return e.title.length + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0) + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
}

function render(card: ChatCard, s: Squeeze, last: boolean): DiscordPayload {
  const m = messages(card.locale);
  const parts: string[] = [];
  const fields = card.fields.slice(0, Math.min(s.fields, DISCORD_LIMITS.fields));
  if (card.fields.length > fields.length) parts.push(`_${m.t("receiver.fieldsLeftOut", { count: card.fields.length - fields.length })}_`);
  for (const { section: sec, max } of squeezedSections(card, s, last, 3000)) {
    const head = sec.title ? `**${discordLine(sec.title, 200)}**\n` : "";
    parts.push(head + (sec.code ? codeBlock(sec.text, max, card.locale) : discordBlock(sec.text, max)));
  }
  const { shown, rest } = squeezedItems(card, s);
  parts.push(...shown.map((i) => itemText(i, s, m)));
  if (rest.length > 0) parts.push(discordLine(moreLine(rest, card.locale), last ? 300 : 1000));
  const links = card.links.filter((l) => l.url.length <= LINK_MAX).map((l) => link(l.text, l.url));
  if (links.length > 0) parts.push(links.join(" · "));

  const embed: DiscordEmbed = { title: discordLine(card.title, DISCORD_LIMITS.title), color: TONE_COLORS[card.tone] };
  const description = parts.join("\n\n");
  // The last squeeze: whole parts are left out from the end until the description fits.
  if (description) embed.description = last ? fitParts(parts, DISCORD_LIMITS.description - 200) : description;
  if (fields.length > 0) {
    embed.fields = fields.map((f) => {
      const value = discordLine(f.value, last ? 200 : DISCORD_LIMITS.fieldValue) || "\u200b";
      return { name: discordLine(f.label, last ? 100 : DISCORD_LIMITS.fieldName) || "\u200b", value, inline: value.length <= 60 };
    });
  }
  // The footer shows no markdown: plain, control characters escaped.
  embed.footer = { text: cutPlain(oneLine(card.footer).replace(/@/g, "@\u200b"), last ? 200 : 500) };
  if (Number.isFinite(card.at)) embed.timestamp = isoTime(card.at);
  return { content: discordLine(card.title, last ? 300 : DISCORD_LIMITS.content), embeds: [embed], allowed_mentions: { parse: [] } };
}

function cutPlain(text: string, max: number): string {
  return cutEscaped(text, max, (t) => t);
}

/** The parts, joined, with whole parts left out from the end until they fit in `max`. */
function fitParts(parts: string[], max: number): string {
  const kept = [...parts];
  while (kept.length > 0 && kept.join("\n\n").length > max) kept.pop();
  return kept.join("\n\n");
}

/** The size Discord counts against its limits; over a limit: Infinity. */
export function discordSize(p: DiscordPayload): number {
  if (p.content.length > DISCORD_LIMITS.content || p.embeds.length > DISCORD_LIMITS.embeds) return Number.POSITIVE_INFINITY;
  for (const e of p.embeds) if ((e.description?.length ?? 0) > DISCORD_LIMITS.description || (e.fields?.length ?? 0) > DISCORD_LIMITS.fields) return Number.POSITIVE_INFINITY;
  return p.embeds.reduce((n, e) => n + embedSize(e), 0);
}

/** The Discord message of a card, within every limit. */
export function buildDiscordMessage(card: ChatCard): DiscordPayload {
  return fitMessage((s, last) => render(card, s, last), discordSize, DISCORD_LIMITS.total);
}
