/**
 * The query string's parameters, checked: each reader returns the value or
 * throws a 400 whose reason names the parameter, what was expected and what
 * came. Times are ms since the epoch, ISO 8601 dates or a duration back from
 * now (`-1h`); durations are ms or text like `5m` (docs/api.md).
 */
import { parseDuration } from "../config/duration.js";
import { said } from "../errors.js";
import { isoTime } from "../units.js";
import { badRequest } from "./respond.js";

/** The longest text quoted back in a reason. */
const QUOTED = 60;

export function quoted(text: string): string {
  return JSON.stringify(text.length > QUOTED ? `${text.slice(0, QUOTED - 3)}...` : text);
}

/** The one value of `name`, or undefined; given twice is an error (which one was meant?). */
export function single(q: URLSearchParams, name: string): string | undefined {
  const all = q.getAll(name);
  if (all.length > 1) throw badRequest(said("api.givenTwice", { name, count: all.length }));
  return all[0];
}

/** A time: ms since the epoch, an ISO 8601 date, or `-DURATION` back from `now`. */
export function parseTime(text: string, now: number): number | undefined {
  const t = text.trim();
  if (/^\d{1,15}$/.test(t)) return Number(t);
  if (t.startsWith("-")) {
    const back = parseDuration(t.slice(1));
    return back === undefined ? undefined : now - back;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : undefined;
}

export function timeParam(q: URLSearchParams, name: string, now: number, fallback: number): number {
  const text = single(q, name);
  if (text === undefined || text === "") return fallback;
  const t = parseTime(text, now);
  if (t === undefined) throw badRequest(said("api.time", { name, got: quoted(text) }));
  return t;
}

/** `from` and `to`, `from` before `to`. */
export function rangeParams(q: URLSearchParams, now: number, defaultBackMs: number): { from: number; to: number } {
  const to = timeParam(q, "to", now, now);
  const from = timeParam(q, "from", now, to - defaultBackMs);
  if (from >= to) throw badRequest(said("api.fromBeforeTo", { from: isoTime(from), to: isoTime(to) }));
  return { from, to };
}

/** A duration: whole ms, or text like 30s, 5m, 1h. */
export function parseDurationParam(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  const t = value.trim();
  if (/^\d{1,15}$/.test(t)) return Number(t);
  return parseDuration(t);
}

/** A whole number in [min, max], else `fallback` when absent. */
export function intParam(q: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const text = single(q, name);
  if (text === undefined || text === "") return fallback;
  if (!/^\d{1,9}$/.test(text.trim()) || Number(text) < min || Number(text) > max) throw badRequest(said("api.wholeNumber", { name, min, max, got: quoted(text) }));
  return Number(text);
}

/** Labels as `k=v,k2=v2`, or the parameter given several times. Keys are label names; a value may not hold a comma. */
export function labelsParam(q: URLSearchParams, name: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const text of q.getAll(name)) {
    for (const pair of text.split(",")) {
      if (pair.trim() === "") continue;
      const eq = pair.indexOf("=");
      const key = eq === -1 ? "" : pair.slice(0, eq).trim();
      if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/.test(key)) throw badRequest(said("api.labelPairs", { name, got: quoted(pair) }));
      const value = pair.slice(eq + 1).trim();
      if (value.length > 500) throw badRequest(said("api.labelTooLong", { name, key }));
      if (key in labels && labels[key] !== value) throw badRequest(said("api.labelTwice", { name, key }));
      labels[key] = value;
    }
  }
  if (Object.keys(labels).length > 20) throw badRequest(said("api.labelsMax", { name }));
  return labels;
}
