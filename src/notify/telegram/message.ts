/**
 * The Telegram message of a card: the body of the Bot API's `sendMessage`
 * with `parse_mode: "HTML"`, link previews off, in a forum topic when
 * `message_thread_id` is set. Pure.
 *
 * Machine text is escaped as Telegram's HTML wants (`&`, `<`, `>`, and `"` in
 * an attribute), so no tag or link can form from it; an `@` gets a word
 * joiner after it (no `@username` mention) and a `/` starting a word one too
 * (no `/command`); control characters are shown escaped (`\n`); log lines go
 * in `<pre>`. Telegram takes 4,096 characters of text after its entities are
 * parsed (tags gone, entities one character): the message is measured so, and
 * squeezed to fit (log lines keep their end, the alerts of a group that do not
 * fit are named in one line), never refused.
 */
import { oneLine, textBlock } from "../../escape.js";
import { type Locale, messages } from "../../i18n/messages.js";
import type { ChatCard } from "../chat-card.js";
import { moreLine } from "../chat-card.js";
import { cutEscaped, fitMessage, type Squeeze, squeezedItems, squeezedSections, TONE_MARKS } from "../chat-receiver.js";
import { keepEnd } from "../cut-text.js";

/** Characters of text after entity parsing. */
export const TELEGRAM_TEXT_LIMIT = 4096;

export interface TelegramPayload {
  chat_id: number | string;
  message_thread_id?: number;
  text: string;
  parse_mode: "HTML";
  link_preview_options: { is_disabled: true };
  disable_web_page_preview: true;
}

/** Escape text for Telegram's HTML; no mention or bot command can form from it. */
export function escapeTelegram(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/@/g, "@\u2060")
    .replace(/(^|[\s(])\//g, "$1/\u2060");
}

/** What Telegram counts of an HTML text: tags gone, each entity one character. */
export function telegramLength(html: string): number {
  return html.replace(/<[^>]*>/g, "").replace(/&(?:lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/gi, "x").length;
}

const line = (raw: string, max: number) => cutEscaped(oneLine(raw), max, escapeTelegram, telegramLength);
const block = (raw: string, max: number) => cutEscaped(textBlock(raw), max, escapeTelegram, telegramLength);

function pre(raw: string, max: number, locale: Locale): string {
  const measure = (t: string) => telegramLength(escapeTelegram(textBlock(t)));
  return `<pre>${escapeTelegram(textBlock(keepEnd(raw, Math.max(1, max), measure, locale))) || " "}</pre>`;
}

function href(url: string): string {
  return url.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "%3C").replace(/>/g, "%3E");
}

function render(card: ChatCard, s: Squeeze, last: boolean): string {
  const m = messages(card.locale);
  const parts: string[] = [`<b>${TONE_MARKS[card.tone]} ${line(card.title, last ? 300 : 1000)}</b>`];
  const fields = card.fields.slice(0, s.fields);
  if (fields.length > 0) {
    const rows = fields.map((f) => `<b>${line(f.label, 100)}:</b> ${line(f.value, last ? 150 : 500)}`);
    if (card.fields.length > fields.length) rows.push(`<i>${m.t("receiver.fieldsLeftOut", { count: card.fields.length - fields.length })}</i>`);
    parts.push(rows.join("\n"));
  }
  for (const { section: sec, max } of squeezedSections(card, s, last, 3500)) {
    const head = sec.title ? `<b>${line(sec.title, 200)}</b>\n` : "";
    parts.push(head + (sec.code ? pre(sec.text, max, card.locale) : block(sec.text, max)));
  }
  const { shown, rest } = squeezedItems(card, s);
  for (const item of shown) {
    const rows = [`${TONE_MARKS[item.tone]} <b>${line(item.title, 300)}</b>`, ...item.facts.map((f) => line(f, 150))];
    if (item.link) rows[rows.length - 1] += ` · <a href="${href(item.link)}">${escapeTelegram(m.t("slack.button.openOne"))}</a>`;
    parts.push(rows.join("\n"));
  }
  if (rest.length > 0) parts.push(line(moreLine(rest, card.locale), last ? 300 : 1000));
  parts.push(`<i>${line(card.footer, 300)}</i>`);
  if (card.links.length > 0) parts.push(card.links.map((l) => `<a href="${href(l.url)}">${escapeTelegram(l.text)}</a>`).join(" · "));
  if (!last) return parts.join("\n\n");
  // The last squeeze: whole parts are left out from the end (the title stays) until the text fits.
  while (parts.length > 1 && telegramLength(parts.join("\n\n")) > TELEGRAM_TEXT_LIMIT) parts.splice(parts.length - 1, 1);
  return parts.join("\n\n");
}

/** The `sendMessage` body of a card, its text within Telegram's limit. */
export function buildTelegramMessage(card: ChatCard, to: { chatId: string; threadId?: number | undefined }): TelegramPayload {
  const text = fitMessage((s, last) => render(card, s, last), telegramLength, TELEGRAM_TEXT_LIMIT);
  const payload: TelegramPayload = {
    chat_id: /^-?\d+$/.test(to.chatId) ? Number(to.chatId) : to.chatId,
    text,
    parse_mode: "HTML",
    link_preview_options: { is_disabled: true },
    disable_web_page_preview: true,
  };
  if (to.threadId !== undefined) payload.message_thread_id = to.threadId;
  return payload;
}
