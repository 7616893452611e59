/**
 * How the CLI writes a moment for people. English keeps what its output has
 * always shown (scripts and tests read it): the full UTC ISO time, or the
 * local wall clock with its offset. Another language writes the host's wall
 * clock with the zone named, as `Messages.time` does (`2026-12-01 15:04 KST`).
 */
import type { Messages } from "../i18n/messages.js";
import { isoTime } from "../units.js";

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-11-25 18:40 +01:00`: local time, as people read it, with its offset. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())} ${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A moment something happened (a check, an alert): `2026-12-01T06:04:30.123Z` in English. */
export function instantText(m: Messages, ms: number): string {
  return m.locale === "en" ? isoTime(ms) : m.time(ms);
}

/** A moment people plan around (a silence's end, a maintenance window): `2026-12-01 15:04 +09:00` in English. */
export function localTimeText(m: Messages, ms: number): string {
  return m.locale === "en" ? formatLocalTime(ms) : m.time(ms);
}
