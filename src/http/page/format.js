/** Numbers, sizes, times and durations as the page shows them. */
import { locale, t } from "./i18n.js";

const num = (digits) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits });
const n0 = num(0);
const n1 = num(1);
const n2 = num(2);

export function percent(v) {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : `${n1.format(v)} %`;
}

export function number(v, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return digits === 0 ? n0.format(v) : digits === 1 ? n1.format(v) : n2.format(v);
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
export function bytes(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  let i = 0;
  let x = Math.abs(v);
  // From 1000 up, the next unit: "0.98 KiB" reads better than "1,000 B" and fits an axis.
  while (x >= 1000 && i < UNITS.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? "-" : ""}${x >= 100 || i === 0 ? n0.format(x) : x < 1 ? n2.format(x) : n1.format(x)} ${UNITS[i]}`;
}

export function rate(v) {
  return t("unit.per_s", { v: bytes(v) });
}

/** A value in the unit the API gives (`%`, `bytes`, …). */
export function valueWithUnit(v, unit) {
  if (unit === "%") return percent(v);
  if (unit === "bytes" || unit === "B") return bytes(v);
  if (unit === "bytes/s") return rate(v);
  return unit && unit !== "bool" ? `${number(v)} ${unit}` : number(v);
}

/** "3 d 4 h", "5 min", "12 s": the two largest parts. */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  const s = Math.max(0, Math.round(ms / 1000));
  const parts = [
    [Math.floor(s / 86400), "dur.d"],
    [Math.floor((s % 86400) / 3600), "dur.h"],
    [Math.floor((s % 3600) / 60), "dur.min"],
    [s % 60, "dur.s"],
  ];
  const first = parts.findIndex(([v]) => v > 0);
  if (first < 0) return t("dur.s", { v: 0 });
  return parts
    .slice(first, first + 2)
    .filter(([v]) => v > 0)
    .map(([v, key]) => t(key, { v }))
    .join(" ");
}

export function ago(at, now = Date.now()) {
  if (at === null || at === undefined) return "–";
  const d = now - at;
  if (Math.abs(d) < 1000) return t("time.now");
  return d > 0 ? t("time.ago", { d: duration(d) }) : t("time.in", { d: duration(-d) });
}

const dateTime = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
const timeOnly = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
const timeSec = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

export function when(at) {
  return at === null || at === undefined ? "–" : dateTime.format(new Date(at));
}

export function clock(at, spanMs) {
  if (spanMs > 2 * 86400_000) return dateTime.format(new Date(at));
  return spanMs < 600_000 ? timeSec.format(new Date(at)) : timeOnly.format(new Date(at));
}

/** Parses "30m", "2h", "1d", "90s" (or plain ms) to ms; null when it is not one. */
export function parseDuration(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(String(text));
  if (!m) return null;
  const k = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] ?? "ms"];
  return Math.round(Number(m[1]) * k);
}
