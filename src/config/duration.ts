import { formatDurationIn } from "../i18n/messages.js";

/** Durations as people write them in config: `500ms`, `10s`, `2m`, `1h`, `1d`, `1h30m`, or `0`. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION_RE = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d|w))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === "number") return input === 0 ? 0 : undefined;
  const text = input.trim();
  if (text === "0") return 0;
  if (!DURATION_RE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(PART_RE)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}

/** `3m`, `1h 5m`, `2d 4h`, `450ms`: the two largest units, for messages (English; i18n/messages.ts has the others). */
export function formatDuration(ms: number): string {
  return formatDurationIn("en", ms);
}
