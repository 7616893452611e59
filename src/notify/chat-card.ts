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
import { groupTitle, notificationTitle, severityText, timeFact, valueText } from "../alert/title.js";
import type { Notification } from "../model/notification.js";
import { formatBytes } from "../units.js";
import type { DashboardLinks } from "./links.js";
import { UNDELIVERED_TITLE, withNote } from "./notifier.js";

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
}

export const OPEN_LINK = "Open in Lookout";
export const SILENCE_LINK = "Silence 1 h";
const TOP_PROCESSES = 5;
const ITEM_FACTS = 3;

/** `2024-05-01 12:03 UTC`. */
export function utcText(ms: number): string {
  if (!Number.isFinite(ms)) return "unknown time";
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function toneOf(n: Notification): CardTone {
  if (n.kind === "summary" && n.alert.value === 0) return "resolved"; // all clear
  return n.kind === "resolved" ? "resolved" : n.alert.severity;
}

/** The card of one notification; `note`: what could not be delivered before (its last section). */
export function notificationCard(notification: Notification, opts: { note?: string | undefined; links?: DashboardLinks | undefined } = {}): ChatCard {
  const n = withNote(notification, opts.note);
  const a = n.alert;
  const fields: CardField[] = [
    { label: "Host", value: n.hostname },
    { label: "Severity", value: severityText(n) },
  ];
  if (a.summary === undefined) fields.push({ label: a.display, value: valueText(n) });
  fields.push(timeFact(n, utcText));
  for (const f of n.details.facts) if (f.label || f.value) fields.push({ label: f.label, value: f.value });

  const sections: CardSection[] = [];
  const top = n.details.topProcesses;
  if (top && top.processes.length > 0) {
    const shown = top.processes.slice(0, TOP_PROCESSES);
    const names = shown.map((p) => `${p.name} (${p.pid})`);
    const width = Math.max(...names.map((s) => s.length));
    const lines = shown.map(
      (p, i) => `${names[i]!.padEnd(width)} — ${top.by === "cpu" ? `${p.cpuPercent.toFixed(1)}% CPU` : `${p.memoryPercent.toFixed(1)}% memory (${formatBytes(p.rssBytes)})`}`,
    );
    sections.push({ title: `Top processes by ${top.by === "cpu" ? "CPU" : "memory"}`, text: lines.join("\n"), code: true });
  }
  for (const s of n.details.sections ?? []) if (s.title || s.text) sections.push({ title: s.title, text: s.text, code: s.code === true });

  const links: CardLink[] = [];
  if (opts.links) {
    if (n.kind === "summary") links.push({ text: OPEN_LINK, url: opts.links.summary(n) });
    else {
      links.push({ text: OPEN_LINK, url: opts.links.alert(n) });
      if (n.kind !== "resolved") links.push({ text: SILENCE_LINK, url: opts.links.silence(n) });
    }
  }
  return { title: notificationTitle(n), tone: toneOf(n), fields, sections, items: [], footer: `Lookout · alert ${a.fingerprint} · notification ${n.id}`, links, at: n.at };
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
  return {
    title: groupTitle(ordered),
    tone: toneOf(worst),
    fields: [],
    sections: opts.note ? [{ title: UNDELIVERED_TITLE, text: opts.note, code: false }] : [],
    items,
    footer: `Lookout · ${ns.length} notifications · first ${worst.id}`,
    links: opts.links ? [{ text: OPEN_LINK, url: opts.links.around(ordered) }] : [],
    at: Math.max(...ns.map((n) => n.at)),
  };
}

/** The card of `lookout test-notify`: `where` names what it went through ("this webhook", "this bot"). */
export function testCard(hostname: string, at: number, where: string, links?: DashboardLinks): ChatCard {
  return {
    title: `[${hostname}] Lookout test message`,
    tone: "test",
    fields: [],
    sections: [
      {
        title: "",
        text: `This is a test from Lookout on ${hostname}. If you can read it, ${where} works: alerts from this server will arrive here.`,
        code: false,
      },
    ],
    items: [],
    footer: `Lookout · test sent ${utcText(at)}`,
    links: links ? [{ text: OPEN_LINK, url: links.overview(at - 3_600_000, at) }] : [],
    at,
  };
}

/** The line that names the items a message had no room for: `…and 12 more: api-3, api-4, …`. Raw. */
export function moreLine(rest: readonly CardItem[]): string {
  return `…and ${rest.length} more: ${rest.map((i) => i.name).join(", ")}`;
}
