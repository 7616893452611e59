/**
 * Log text (a crashed container's last lines, a health check's output) cut to
 * a size. The last lines are the ones that explain a crash, so the start goes,
 * whole lines at a time, with one line saying how many went; a line too long
 * to show whole is cut in its middle, so its start (what it is) and its end
 * (how it ended) both stay. Pure.
 *
 * `measure` is the size of a piece of text where it ends up (Slack counts
 * characters after escaping): the cut is made on the raw text, so an escape
 * sequence is never split.
 */
import { type Locale, messages } from "../i18n/messages.js";

export type Measure = (text: string) => number;

const plain: Measure = (text) => text.length;

/** What replaces the middle of a line cut there. */
const GAP = " … ";
/** A line is not cut to less than this: a shorter stub says nothing. */
const LINE_MIN = 40;

/** The line saying how many lines before it were left out, in the message's language. */
function leftOut(lines: number, locale: Locale): string {
  return messages(locale).plural("receiver.linesLeftOut", lines);
}

/** A start index that does not split a UTF-16 surrogate pair. */
function safeStart(text: string, start: number): number {
  if (start <= 0 || start >= text.length) return start;
  const c = text.charCodeAt(start);
  return c >= 0xdc00 && c <= 0xdfff ? start + 1 : start;
}

/** An end index that does not split a UTF-16 surrogate pair. */
export function safeEnd(text: string, end: number): number {
  if (end <= 0) return 0;
  const c = text.charCodeAt(end - 1);
  return c >= 0xd800 && c <= 0xdbff ? end - 1 : end;
}

/** `line` within `max` (as measured): its start and its end, " … " in between. */
export function cutMiddle(line: string, max: number, measure: Measure = plain): string {
  if (measure(line) <= max) return line;
  const cut = (keep: number) => `${line.slice(0, safeEnd(line, Math.ceil(keep / 2)))}${GAP}${line.slice(safeStart(line, line.length - Math.floor(keep / 2)))}`;
  // The most characters kept that fit (escaping makes some count more than one).
  let lo = 0;
  let hi = Math.min(line.length - 1, max);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(cut(mid)) <= max) lo = mid;
    else hi = mid - 1;
  }
  return lo >= 2 ? cut(lo) : "";
}

/**
 * `text` within `max` (as measured), keeping its end: earlier lines are left
 * out (and counted in a first line, in `locale`), an over-long line is cut in
 * its middle.
 */
export function keepEnd(text: string, max: number, measure: Measure = plain, locale: Locale = "en"): string {
  if (measure(text) <= max) return text;
  const lines = text.split("\n");
  if (lines.length === 1) return cutMiddle(text, max, measure);
  // Room for the lines once the "left out" line (at its longest) is there.
  const room = max - measure(leftOut(lines.length, locale)) - 1;
  // One long line must not crowd out every line around it.
  const lineMax = Math.max(LINE_MIN, Math.floor(room / 3));
  const kept: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const space = room - used - (kept.length > 0 ? 1 : 0);
    // The first line crowds out nothing before it: it may have all the room left.
    const line = i === 0 ? lines[i]! : cutMiddle(lines[i]!, lineMax, measure);
    if (measure(line) <= space) {
      kept.unshift(line);
      used = room - space + measure(line);
      continue;
    }
    // It does not fit whole: its middle goes, if enough of it is left to read.
    if (space >= LINE_MIN) kept.unshift(cutMiddle(line, space, measure));
    break;
  }
  const omitted = lines.length - kept.length;
  return omitted > 0 ? [leftOut(omitted, locale), ...kept].join("\n") : kept.join("\n");
}
