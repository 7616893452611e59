/**
 * A Slack message payload drawn as HTML the way Slack's desktop client lays
 * it out (light theme), for the README's pictures (scripts/slack-picture.mjs
 * renders Lookout's real payloads with it and screenshots them). An
 * approximation of Slack's look, not Slack: only what Lookout sends is drawn
 * (a coloured attachment of Block Kit blocks: header, section text and
 * fields, context, divider, link buttons), and the mrkdwn Slack documents.
 *
 * Every string of a payload is untrusted text (it quotes process names, log
 * lines, container labels): it reaches the page only through `escapeHtml` or
 * `mrkdwnToHtml`, which escapes everything it does not itself turn into
 * markup. Pure functions, no dependency: the unit test
 * (test/docs/slack-picture.test.ts) needs neither dist/ nor a browser.
 */

/** Text for HTML, in an element or a quoted attribute. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** Slack's three entities back to characters, in one pass (`&amp;lt;` stays the text `&lt;`). */
function decodeEntities(text) {
  return text.replace(/&(amp|lt|gt);/g, (_, e) => ({ amp: "&", lt: "<", gt: ">" })[e]);
}

/** Slack text as HTML text: its entities decoded, then everything escaped. */
const textHtml = (text) => escapeHtml(decodeEntities(text));

// Placeholders for markup already made, out of the way of the emphasis rules:
// private-use characters, which the input is cleared of first so it cannot forge one.
const OPEN = "\uE000";
const CLOSE = "\uE001";
const PRIVATE_USE = /[\uE000-\uF8FF]/g;

/** Slack's emphasis: `*bold*`, `_italic_`, `~strike~`, each within a line and not inside a word. */
const EMPHASIS = [
  ["*", "b"],
  ["_", "i"],
  ["~", "s"],
].map(([mark, tag]) => {
  // Only `*` is special in a regular expression (and `\_` is not allowed with the u flag).
  const m = mark === "*" ? "\\*" : mark;
  return { re: new RegExp(`(^|[^\\p{L}\\p{N}${m}])${m}([^\\s${m}](?:[^${m}\\n]*?[^\\s${m}])?)${m}(?![\\p{L}\\p{N}${m}])`, "gu"), tag };
});

/** The words for a.m. and p.m. where the ICU may lack them. */
const DAY_PERIODS = { ko: ["오전", "오후"] };

/**
 * How a reader sees `<!date^…>`: in `timeZone`, in `locale`'s words, with
 * "today"/"yesterday" for the `_pretty` formats as seen at `now`.
 */
function formatDate(seconds, format, opts) {
  const { locale, timeZone } = opts;
  const at = new Date(seconds * 1000);
  const fmt = (o) => new Intl.DateTimeFormat(locale, { timeZone, ...o }).format(at);
  const dayOf = (d) => new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  const pretty = (plain) => {
    if (opts.now === undefined) return plain;
    const days = Math.round((Date.parse(dayOf(at)) - Date.parse(dayOf(new Date(opts.now)))) / 86_400_000);
    if (days < -1 || days > 1) return plain;
    const word = new Intl.RelativeTimeFormat(locale, { numeric: "auto" }).format(days, "day");
    return word.charAt(0).toUpperCase() + word.slice(1);
  };
  // Slack in Korean says 오전/오후; the ICU of some Node builds (78, in Node 20.20) says AM/PM there.
  const periods = DAY_PERIODS[locale.slice(0, 2)];
  const afternoon = Number(new Intl.DateTimeFormat("en-US", { timeZone, hour: "numeric", hourCycle: "h23" }).format(at)) >= 12;
  const clock = (o) =>
    new Intl.DateTimeFormat(locale, { timeZone, ...o })
      .formatToParts(at)
      .map((p) => (p.type === "dayPeriod" && periods ? periods[afternoon ? 1 : 0] : p.value))
      .join("");
  const short = () => fmt({ year: "numeric", month: "short", day: "numeric" });
  const long = () => fmt({ year: "numeric", month: "long", day: "numeric" });
  const full = () => fmt({ weekday: "long", year: "numeric", month: "long", day: "numeric" });
  const tokens = {
    date_num: () => dayOf(at),
    date: long,
    date_short: short,
    date_long: full,
    date_pretty: () => pretty(long()),
    date_short_pretty: () => pretty(short()),
    date_long_pretty: () => pretty(full()),
    time: () => clock({ hour: "numeric", minute: "2-digit" }),
    time_secs: () => clock({ hour: "numeric", minute: "2-digit", second: "2-digit" }),
  };
  // ICU 72 and later put a narrow no-break space before AM/PM; Slack writes a space, and so the pictures do on every ICU.
  return format.replace(/\{(\w+)\}/g, (whole, token) => (tokens[token] ? tokens[token]() : whole)).replace(/[\u202f\u00a0]/g, " ");
}

/** One `<…>` of mrkdwn as HTML: a date, a mention, a link; anything else is shown as the text it is. */
function controlHtml(inner, opts) {
  const bar = inner.indexOf("|");
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  const date = /^!date\^(\d+)\^([^^]*)/.exec(target);
  if (date) return `<span class="date">${escapeHtml(formatDate(Number(date[1]), decodeEntities(date[2]), opts))}</span>`;
  const special = /^!(channel|here|everyone)$/.exec(target);
  if (special) return `<span class="mention">@${special[1]}</span>`;
  if (/^[@#][A-Z0-9]+$/.test(target)) return `<span class="mention">${textHtml(label === undefined ? target : target[0] + label.replace(/^[@#]/, ""))}</span>`;
  if (/^(https?:\/\/|mailto:)/i.test(target)) return `<a href="${textHtml(target)}">${textHtml(label ?? target)}</a>`;
  return textHtml(`<${inner}>`);
}

/**
 * Slack mrkdwn as HTML: ```code blocks```, `inline code`, *bold*, _italic_,
 * ~strike~, <https://…|links>, <!date^…|…>, <!channel>; `&amp;`, `&lt;`,
 * `&gt;` shown as the characters they stand for. Line breaks stay as
 * newlines (draw it with `white-space: pre-wrap`). Nothing of `text` becomes
 * markup but what these rules make, and only http(s) and mailto links.
 * `opts`: `locale` and `timeZone` of the reader, for dates; `now`, for "Today".
 */
export function mrkdwnToHtml(text, opts = {}) {
  const o = { locale: "en-US", timeZone: "UTC", ...opts };
  const made = [];
  const hold = (html) => `${OPEN}${made.push(html) - 1}${CLOSE}`;
  let s = String(text).replace(PRIVATE_USE, "\uFFFD");
  // A code block is a block of its own: the line breaks around its fences are its edges, not blank lines.
  s = s.replace(/\n?```\n?([\s\S]*?)\n?```\n?/g, (_, body) => hold(`<pre class="code-block">${textHtml(body)}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, body) => hold(`<code>${textHtml(body)}</code>`));
  s = s.replace(/<([^<>\n]*)>/g, (_, inner) => hold(controlHtml(inner, o)));
  s = textHtml(s);
  for (const { re, tag } of EMPHASIS) s = s.replace(re, (_, before, body) => `${before}<${tag}>${body}</${tag}>`);
  return s.replace(new RegExp(`${OPEN}(\\d+)${CLOSE}`, "g"), (_, i) => made[Number(i)]);
}

/** A text object of Block Kit: plain_text escaped, mrkdwn converted. */
function textObjectHtml(t, opts) {
  if (!t || typeof t.text !== "string") return "";
  return t.type === "mrkdwn" ? mrkdwnToHtml(t.text, opts) : escapeHtml(t.text);
}

/** A link button as Slack draws it; not a link here (the picture links nowhere). */
function buttonHtml(b, opts) {
  const style = b.style === "primary" || b.style === "danger" ? ` ${b.style}` : "";
  return `<span class="button${style}">${textObjectHtml(b.text, opts)}</span>`;
}

function blockHtml(b, opts) {
  switch (b.type) {
    case "header":
      return `<div class="header">${escapeHtml(b.text?.text ?? "")}</div>`;
    case "section": {
      const text = b.text ? `<div class="mrkdwn">${textObjectHtml(b.text, opts)}</div>` : "";
      const fields = b.fields?.length ? `<div class="fields">${b.fields.map((f) => `<div class="mrkdwn">${textObjectHtml(f, opts)}</div>`).join("")}</div>` : "";
      const accessory = b.accessory?.type === "button" ? `<div class="accessory">${buttonHtml(b.accessory, opts)}</div>` : "";
      return `<div class="section"><div class="section-body">${text}${fields}</div>${accessory}</div>`;
    }
    case "context":
      return `<div class="context">${(b.elements ?? []).map((e) => `<span>${textObjectHtml(e, opts)}</span>`).join("")}</div>`;
    case "divider":
      return `<hr class="divider">`;
    case "actions":
      return `<div class="actions">${(b.elements ?? [])
        .filter((e) => e.type === "button")
        .map((e) => buttonHtml(e, opts))
        .join("")}</div>`;
    default:
      // Said, not dropped: a block Lookout starts sending shows here until this file draws it.
      return `<div class="unknown">${escapeHtml(`(a ${String(b.type)} block, not drawn)`)}</div>`;
  }
}

/** `#rrggbb` from the payload, or Slack's grey for anything else (it lands in a style attribute). */
const barColour = (c) => (typeof c === "string" && /^#[0-9a-f]{6}$/i.test(c) ? c : "#dddddd");

/** The bot's picture: an eye, Lookout's own drawing (no payload text in it). */
const AVATAR =
  '<svg class="avatar" viewBox="0 0 36 36" aria-hidden="true"><rect width="36" height="36" rx="8" fill="#1d3557"/>' +
  '<path d="M6 18c3.5-5.5 7.5-8 12-8s8.5 2.5 12 8c-3.5 5.5-7.5 8-12 8s-8.5-2.5-12-8z" fill="#f1faee"/>' +
  '<circle cx="18" cy="18" r="4.6" fill="#1d3557"/><circle cx="19.6" cy="16.4" r="1.4" fill="#f1faee"/></svg>';

/**
 * One message as Slack's desktop client shows it: the bot's picture, its name
 * with the APP badge and the time (`opts.at`, ms), the message's `text`, then
 * each attachment as a colour bar beside its blocks.
 * `opts`: `at`, `locale`, `timeZone`, `botName` (Lookout).
 */
export function slackMessageHtml(payload, opts = {}) {
  const o = { locale: "en-US", timeZone: "UTC", botName: "Lookout", ...opts };
  const time = o.at === undefined ? "" : `<span class="time">${escapeHtml(formatDate(Math.floor(o.at / 1000), "{time}", o))}</span>`;
  const dateOpts = { locale: o.locale, timeZone: o.timeZone, now: o.at };
  const text = typeof payload.text === "string" && payload.text !== "" ? `<div class="mrkdwn text">${mrkdwnToHtml(payload.text, dateOpts)}</div>` : "";
  const attachments = (payload.attachments ?? [])
    .map(
      (a) =>
        `<div class="attachment"><div class="bar" style="background:${barColour(a.color)}"></div><div class="blocks">${(a.blocks ?? []).map((b) => blockHtml(b, dateOpts)).join("")}</div></div>`,
    )
    .join("");
  return (
    `<div class="message">${AVATAR}<div class="content">` +
    `<div class="meta"><span class="name">${escapeHtml(o.botName)}</span><span class="badge">APP</span>${time}</div>` +
    `${text}${attachments}</div></div>`
  );
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1d1c1d; -webkit-font-smoothing: antialiased;
  font: 15px/1.46668 Slack-Lato, Lato, "Helvetica Neue", Helvetica, Arial, "Apple SD Gothic Neo", "Malgun Gothic", "Noto Sans CJK KR", NanumGothic, sans-serif; }
.frame { width: 700px; padding: 4px 0 12px; background: #fff; }
.channel { display: flex; align-items: center; gap: 6px; padding: 10px 20px; border-bottom: 1px solid rgba(29,28,29,.13); font-weight: 900; font-size: 16px; }
.channel .hash { color: #616061; font-weight: 400; }
.message { display: flex; gap: 8px; padding: 8px 20px; }
.avatar { flex: 0 0 36px; width: 36px; height: 36px; margin-top: 4px; }
.content { flex: 1; min-width: 0; }
.meta { display: flex; align-items: baseline; gap: 4px; }
.name { font-weight: 900; }
.badge { font-size: 10px; font-weight: 700; line-height: 1.5; padding: 0 3px; border-radius: 2px; background: rgba(29,28,29,.13); color: rgba(29,28,29,.7); position: relative; top: -1px; }
.time { font-size: 12px; color: #616061; margin-left: 2px; }
.mrkdwn { white-space: pre-wrap; overflow-wrap: anywhere; }
.text { margin-bottom: 4px; }
.attachment { display: flex; margin: 4px 0 2px; }
.bar { flex: 0 0 4px; border-radius: 8px; }
.blocks { flex: 1; min-width: 0; padding: 0 0 0 12px; display: flex; flex-direction: column; gap: 8px; }
.header { font-size: 18px; font-weight: 900; line-height: 1.33; padding-top: 2px; }
.section { display: flex; gap: 12px; align-items: flex-start; }
.section-body { flex: 1; min-width: 0; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; }
.context { font-size: 12px; color: #616061; display: flex; flex-wrap: wrap; gap: 8px; }
.context .mrkdwn, .context span { white-space: pre-wrap; overflow-wrap: anywhere; }
.divider { border: 0; border-top: 1px solid rgba(29,28,29,.13); margin: 4px 0; width: 100%; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; }
.button { display: inline-flex; align-items: center; height: 28px; padding: 0 12px; border: 1px solid rgba(29,28,29,.3); border-radius: 4px; font-size: 13px; font-weight: 700; background: #fff; white-space: nowrap; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
.button.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
a { color: #1264a3; text-decoration: none; }
b { font-weight: 700; }
code, .code-block { font-family: Monaco, Menlo, Consolas, "Courier New", "DejaVu Sans Mono", NanumGothicCoding, monospace; font-size: 12px; }
code { color: #e01e5a; background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 3px; padding: 2px 3px 1px; }
.code-block { margin: 4px 0 0; padding: 8px; background: rgba(29,28,29,.04); border: 1px solid rgba(29,28,29,.13); border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; line-height: 1.5; }
.mention { color: #1264a3; background: rgba(29,155,209,.1); border-radius: 3px; padding: 0 2px; }
.unknown { color: #616061; font-style: italic; }
`;

/**
 * A whole page: `channel`'s header over the messages' HTML (made by
 * `slackMessageHtml`). No script may run in it (its CSP), whatever a message holds.
 */
export function slackPageHtml(messagesHtml, opts = {}) {
  const o = { lang: "en", channel: "alerts", ...opts };
  return (
    `<!doctype html><html lang="${escapeHtml(o.lang)}"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    `<title>${escapeHtml(o.channel)}</title><style>${STYLE}</style></head><body><div class="frame">` +
    `<div class="channel"><span class="hash">#</span>${escapeHtml(o.channel)}</div>${messagesHtml.join("")}</div></body></html>`
  );
}
