/**
 * A silence: matchers and a time span during which matching alerts are tracked
 * but not sent (added by `lookout silence add`, or a maintenance window in
 * force). Pure: which silence holds an alert back. Stored by store/silences.ts.
 */
import { type LabelMatcher, matchesAll, parseMatcher } from "../label-matchers.js";

export interface Silence {
  /** Short and readable: 8 hex characters (`maintenance[i]` for a maintenance window). */
  id: string;
  /** `label=glob`, every one must hold. */
  matchers: string[];
  /** ms since epoch. */
  startsAt: number;
  /** ms since epoch; the silence is over from then on. */
  endsAt: number;
  comment: string;
  createdBy: string;
  createdAt: number;
}

const parsedMatchers = new Map<string, LabelMatcher | null>();

/** Parsed once per distinct text (silences are checked for every alert, every cycle). Null when invalid. */
function matcherFor(text: string): LabelMatcher | null {
  let m = parsedMatchers.get(text);
  if (m === undefined) {
    try {
      m = parseMatcher(text);
    } catch {
      m = null;
    }
    if (parsedMatchers.size >= 10_000) parsedMatchers.clear();
    parsedMatchers.set(text, m);
  }
  return m;
}

/** The first silence in force at `now` whose matchers all hold for these labels. */
export function silencing(labels: Record<string, string>, silences: readonly Silence[], now: number): Silence | undefined {
  for (const s of silences) {
    if (s.startsAt > now || s.endsAt <= now) continue;
    const matchers = s.matchers.map(matcherFor);
    if (matchers.some((m) => m === null)) continue; // cannot happen for a checked file or config
    if (matchesAll(matchers as LabelMatcher[], labels)) return s;
  }
  return undefined;
}
