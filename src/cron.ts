/**
 * Standard 5-field cron expressions (minute hour day-of-month month
 * day-of-week, the host's local time), as `maintenance[].cron` takes them:
 * parsed once by croner, checked for the config, and asked for the last and
 * next start. croner is loaded with the first expression (croner-load.ts).
 */
import type { Cron } from "croner";
import { croner } from "./croner-load.js";

export const CRON_EXAMPLE = "0 3 * * SUN";

const crons = new Map<string, Cron>();

/** The parsed expression (5 fields, local time, day-of-month OR day-of-week as in Vixie cron); throws on a bad one. */
export function parseCron(expression: string): Cron {
  let c = crons.get(expression);
  if (!c) {
    c = new (croner().Cron)(expression, { mode: "5-part", paused: true });
    if (crons.size >= 1000) crons.clear();
    crons.set(expression, c);
  }
  return c;
}

/** Why a cron expression cannot be used (croner's words, or "never occurs"), or undefined when it is fine. */
export function cronProblem(expression: string): string | undefined {
  let c: Cron;
  try {
    c = parseCron(expression.trim());
  } catch (err) {
    return (err as Error).message;
  }
  return c.nextRun() === null ? CRON_NEVER : undefined;
}

/** What cronProblem says of a valid expression that names no real date (February 30th). */
export const CRON_NEVER = "never occurs";

/** The latest start of the schedule at or before `now`, ms; undefined when there is none. */
export function lastStart(expression: string, now: number): number | undefined {
  // croner counts a run earlier in the reference's second, but not one at the exact reference: +1 ms.
  const prev = parseCron(expression.trim()).previousRuns(1, new Date(now + 1))[0];
  return prev === undefined ? undefined : prev.getTime();
}

/** The first start of the schedule after `now`, ms; undefined when there is none. */
export function nextStart(expression: string, now: number): number | undefined {
  const next = parseCron(expression.trim()).nextRun(new Date(now));
  return next === null ? undefined : next.getTime();
}
