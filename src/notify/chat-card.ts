/**
 * What a chat message says, before any chat's markup: the one content model
 * the Discord, Telegram and Teams receivers render, each with its own escaping
 * and its own limits. Pure. Every text here is RAW (machine text included):
 * a renderer escapes each piece for its markup and cuts it to its limits.
 *
 * One notification is a card with fields (host, severity, value, since, its
 * facts), its sections (top processes, log lines, the note on what could not
 * be delivered before) and links. A group (a burst) is one card whose items
 * are its alerts, most severe first: a renderer shows as many as fit and
 * names the rest in one line (`moreLine`).
 */
import { groupTitle, messagesOf, notificationTitle, severityText, timeFact, topProcessesText, valueText } from "../alert/title.js";
import { type Locale, type MessageKey, type Messages, messages } from "../i18n/messages.js";
import { localeOf, type Notification } from "../model/notification.js";
import { isoTime } from "../units.js";
import type { DashboardLinks } from "./links.js";
import { withNote } from "./notifier.js";

export type CardTone = "critical" | "warning" | "resolved" | "test";

export interface CardField {
  label: string;
  value: string;
}

export interface CardSection {
  title: string;
  text: string;
  /** Preformatted (log lines, a table of processes): a long one keeps its end. */
  code: boolean;
}

/** One alert of a group. */
export interface CardItem {
  tone: CardTone;
  title: string;
  /** Its first facts, `label: value`. */
  facts: string[];
  /** What names it in the "…and N more" line: its container, mount or display name. */
  name: string;
  /** Its own view on the dashboard (with `http.public_url`). */
  link?: string;
}

export interface CardLink {
  text: string;
  url: string;
}

export interface ChatCard {
  title: string;
  tone: CardTone;
  fields: CardField[];
  sections: CardSection[];
  items: CardItem[];
  /** The small print: `Lookout · alert … · notification …`. */
  footer: string;
  links: CardLink[];
  /** When it happened (ms). */
  at: number;
  /** The language of its fixed words: a renderer writes its own ("Open", "…and 12 more") in it too. */
  locale: Locale;
}

/** The links' words in English (the catalogue's `slack.button.open` and `slack.button.silence`). */
export const OPEN_LINK = messages("en").t("slack.button.open");
export const SILENCE_LINK = messages("en").t("slack.button.silence");
const ITEM_FACTS = 3;

/** `2024-05-01 12:03 UTC`. */
export function utcText(ms: number): string {
  if (!Number.isFinite(ms)) return "unknown time";
  return `${isoTime(ms).slice(0, 16).replace("T", " ")} UTC`;
}

/** A time in a card: `2024-05-01 12:03 UTC` in English; otherwise the host's time, its zone named (`2024-05-01 21:03 KST`). */
function timeText(ms: number, m: Messages): string {
  return m.locale === "en" ? utcText(ms) : m.time(ms);
}

function toneOf(n: Notification): CardTone {
  if (n.kind === "summary" && n.alert.value === 0) return "resolved"; // all clear
  return n.kind === "resolved" ? "resolved" : n.alert.severity;
}

/** The card of one notification; `note`: what could not be delivered before (its last section). */
export function notificationCard(notification: Notification, opts: { note?: string | undefined; links?: DashboardLinks | undefined } = {}): ChatCard {
  const n = withNote(notification, opts.note);
  const a = n.alert;
  const m = messagesOf(n);
  const fields: CardField[] = [
    { label: m.t("slack.field.host"), value: n.hostname },
    { label: m.t("slack.field.severity"), value: severityText(n) },
  ];
  if (a.summary === undefined) fields.push({ label: a.display, value: valueText(n) });
  fields.push(timeFact(n, (ms) => timeText(ms, m)));
  for (const f of n.details.facts) if (f.label || f.value) fields.push({ label: f.label, value: f.value });

  const sections: CardSection[] = [];
  const top = n.details.topProcesses;
  const table = top ? topProcessesText(top, m, (p) => p.name) : undefined;
  if (table) sections.push({ ...table, code: true });
  for (const s of n.details.sections ?? []) if (s.title || s.text) sections.push({ title: s.title, text: s.text, code: s.code === true });

  const links: CardLink[] = [];
  if (opts.links) {
    const open = m.t("slack.button.open");
    if (n.kind === "summary") links.push({ text: open, url: opts.links.summary(n) });
    else {
      links.push({ text: open, url: opts.links.alert(n) });
      if (n.kind !== "resolved") links.push({ text: m.t("slack.button.silence"), url: opts.links.silence(n) });
    }
  }
  const footer = ["Lookout", m.t("slack.context.alert", { fingerprint: a.fingerprint }), m.t("slack.context.notification", { id: n.id })].join(" · ");
  return { title: notificationTitle(n), tone: toneOf(n), fields, sections, items: [], footer, links, at: n.at, locale: m.locale };
}

const RANK: Record<string, number> = { critical: 0, warning: 1 };

/** Most severe first: firing critical, firing warning, then resolved; otherwise in order. */
function bySeverity(ns: readonly Notification[]): Notification[] {
  const rank = (n: Notification) => (n.kind === "resolved" ? 2 : (RANK[n.alert.severity] ?? 1));
  return ns
    .map((n, i) => ({ n, i }))
    .sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i)
    .map((x) => x.n);
}

/**
 * Several notifications as one card (a burst), most severe first; a single
 * one gets its full card. The note on what could not be delivered before is
 * its last section.
 */
export function groupCard(ns: readonly Notification[], opts: { note?: string | undefined; links?: DashboardLinks | undefined } = {}): ChatCard {
  if (ns.length === 1) return notificationCard(ns[0]!, opts);
  const ordered = bySeverity(ns);
  const items: CardItem[] = ordered.map((n) => {
    const item: CardItem = {
      tone: toneOf(n),
      title: notificationTitle(n),
      facts: n.details.facts
        .filter((f) => f.label && f.value)
        .slice(0, ITEM_FACTS)
        .map((f) => `${f.label}: ${f.value}`),
      name: n.alert.labels.container ?? n.alert.labels.mount ?? n.alert.display,
    };
    if (opts.links) item.link = opts.links.alert(n);
    return item;
  });
  const worst = ordered[0]!;
  const m = messagesOf(worst);
  return {
    title: groupTitle(ordered),
    tone: toneOf(worst),
    fields: [],
    sections: opts.note ? [{ title: m.t("notify.undelivered"), text: opts.note, code: false }] : [],
    items,
    footer: ["Lookout", m.t("slack.context.count", { count: ns.length }), m.t("slack.context.first", { id: worst.id })].join(" · "),
    links: opts.links ? [{ text: m.t("slack.button.open"), url: opts.links.around(ordered) }] : [],
    at: Math.max(...ns.map((n) => n.at)),
    locale: localeOf(worst),
  };
}

/**
 * The card of `lookout test-notify` in the words of `m` (the receiver's
 * config's language): `where` names what it went through ("this webhook",
 * "this bot and chat").
 */
export function testCard(hostname: string, at: number, where: MessageKey, links?: DashboardLinks, m: Messages = messages()): ChatCard {
  return {
    title: m.t("receiver.test.title", { hostname }),
    tone: "test",
    fields: [],
    sections: [{ title: "", text: m.t("receiver.test.text", { hostname, where: m.t(where) }), code: false }],
    items: [],
    footer: `Lookout · ${m.t("receiver.test.sent", { time: timeText(at, m) })}`,
    links: links ? [{ text: m.t("slack.button.open"), url: links.overview(at - 3_600_000, at) }] : [],
    at,
    locale: m.locale,
  };
}

/** The line that names the items a message had no room for: `…and 12 more: api-3, api-4, …`, in the card's language. Raw. */
export function moreLine(rest: readonly CardItem[], locale: Locale = "en"): string {
  const m = messages(locale);
  return m.t("slack.andMore", { count: rest.length, names: rest.map((i) => i.name).join(m.t("list.sep")) });
}
