/**
 * The message catalogues and what renders them: `messages(locale)` is a
 * `Messages`, whose `t(key, params)` fills a catalogue text's `{name}`s and
 * whose helpers write durations, times and values the way that language does
 * ("1h 20m" / "1시간 20분", "2026-12-01T06:04:00Z" / "2026-12-01 15:04 KST").
 * A third language: one catalogue file (`Catalogue`) and one line in
 * CATALOGUES. Foundations: imports nothing above units.ts.
 */
import { formatValue, formatTime as isoTime } from "../units.js";
import type { Catalogue } from "./catalogue.js";
import { en, type MessageKey } from "./en.js";
import { koCatalogue } from "./ko-load.js";

export type { Catalogue } from "./catalogue.js";
export type { MessageKey } from "./en.js";

/** The languages messages are written in (`locale` in the config). */
export const LOCALES = ["en", "ko"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en";

/** Each language's catalogue, made when first asked for (`catalogue`): English is always there, the others cost only who speaks them. */
const CATALOGUES: Readonly<Record<Locale, () => Catalogue>> = { en: () => en, ko: koCatalogue };

const made = new Map<Locale, Catalogue>();

/** The catalogue of `locale`. */
export function catalogue(locale: Locale): Catalogue {
  let c = made.get(locale);
  if (c === undefined) {
    c = CATALOGUES[locale]();
    made.set(locale, c);
  }
  return c;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

export type Params = Readonly<Record<string, string | number>>;

/** The `{name}`s of a catalogue text, sorted and each once. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!))].sort();
}

/** Fills `{name}`s from `params`; one with no value stays as written, so a mistake shows instead of vanishing. */
export function fill(text: string, params: Params = {}): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? String(params[name]) : whole));
}

export interface Messages {
  readonly locale: Locale;
  /** The catalogue text of `key`, filled in. */
  t(key: MessageKey, params?: Params): string;
  /** Whether the catalogue has `key` (a key built from a name: `group.<alertname>.one`). */
  has(key: string): key is MessageKey;
  /** `key.one` for 1, else `key.other`, with `{count}` filled in. */
  plural(key: string, count: number, params?: Params): string;
  /** "3m", "1h 5m" / "3분", "1시간 5분": the two largest units. */
  duration(ms: number): string;
  /** A time in a message: `2026-11-30T03:12:00Z` (en, UTC); `2026-11-30 12:12 KST` (ko, the host's zone, named). */
  time(ms: number): string;
  /** A measured value with its unit: `97.2%`, `2.53 per core` / `코어당 2.53`. */
  value(value: number, unit: string): string;
  /** A threshold people wrote: `95%`, not `95.0%`. */
  threshold(value: number, unit: string): string;
  /** A whole number with the language's grouping: `1,234,567`. */
  count(n: number): string;
}

const DURATION_UNITS: Record<Locale, readonly [day: string, hour: string, minute: string, second: string, join: string]> = {
  en: ["d", "h", "m", "s", " "],
  ko: ["일", "시간", "분", "초", " "],
};

/** `3m`, `1h 5m`, `2d 4h`, `450ms` (en); `3분`, `1시간 5분`, `2일 4시간`, `450ms` (ko). */
export function formatDurationIn(locale: Locale, ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const [d, h, m, sec, join] = DURATION_UNITS[locale];
  let s = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    [d, 86400],
    [h, 3600],
    [m, 60],
    [sec, 1],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.slice(0, 2).join(join);
}

/** Zones whose usual abbreviation the ICU data of `en-US` leaves as `GMT+9`. */
const ZONE_NAMES: Record<string, string> = { "Asia/Seoul": "KST", "Asia/Tokyo": "JST", UTC: "UTC", "Etc/UTC": "UTC", "Etc/GMT": "UTC", GMT: "UTC" };

/** The host's time zone (TZ, else the system's). */
export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** `2026-12-01 15:04 KST`: the wall clock in `timeZone`, and the zone's name. */
export function formatLocalTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  }).formatToParts(new Date(ms));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  const zone = ZONE_NAMES[timeZone] ?? part("timeZoneName");
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")} ${zone}`;
}

function trimNumber(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}

class CatalogueMessages implements Messages {
  readonly #catalogue: Catalogue;
  readonly #timeZone: string | undefined;

  constructor(
    readonly locale: Locale,
    timeZone?: string,
  ) {
    this.#catalogue = catalogue(locale);
    this.#timeZone = timeZone;
  }

  t(key: MessageKey, params?: Params): string {
    return fill(this.#catalogue[key] ?? en[key], params);
  }

  has(key: string): key is MessageKey {
    return Object.hasOwn(en, key);
  }

  plural(key: string, count: number, params: Params = {}): string {
    return this.t(`${key}.${count === 1 ? "one" : "other"}` as MessageKey, { ...params, count });
  }

  duration(ms: number): string {
    return formatDurationIn(this.locale, ms);
  }

  time(ms: number): string {
    if (this.locale === "en") return isoTime(ms);
    return Number.isFinite(ms) ? formatLocalTime(ms, this.#timeZone ?? hostTimeZone()) : this.t("time.unknown");
  }

  value(value: number, unit: string): string {
    if (unit === "per_core" && Number.isFinite(value)) return this.t("value.perCore", { value: value.toFixed(2) });
    return formatValue(value, unit);
  }

  threshold(value: number, unit: string): string {
    if (!Number.isFinite(value)) return this.value(value, unit);
    if (unit === "%") return `${trimNumber(value, 1)}%`;
    if (unit === "per_core") return this.t("value.perCore", { value: trimNumber(value, 2) });
    return this.value(value, unit);
  }

  count(n: number): string {
    return n.toLocaleString(this.locale === "ko" ? "ko-KR" : "en-US");
  }
}

const cache = new Map<Locale, Messages>();

/**
 * The messages of `locale` (en when none). `timeZone` (tests) fixes the zone
 * times are shown in; else the host's, read when a time is written.
 */
export function messages(locale: Locale = DEFAULT_LOCALE, opts: { timeZone?: string } = {}): Messages {
  if (opts.timeZone !== undefined) return new CatalogueMessages(locale, opts.timeZone);
  let m = cache.get(locale);
  if (!m) {
    m = new CatalogueMessages(locale);
    cache.set(locale, m);
  }
  return m;
}
