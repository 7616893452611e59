/**
 * Recurring maintenance windows from the config's `maintenance:` list: a
 * standard 5-field cron expression in the host's local time says when each
 * window starts, `duration` how long it lasts, and `match` which alerts it
 * holds back (every matcher must hold; none = every alert of this host). An
 * active window is handed to the pipeline as a synthetic Silence.
 */
import { lastStart } from "../cron.js";
import type { Silence } from "./silence.js";

/** One `maintenance:` entry, as the config schema outputs it. */
export interface MaintenanceWindow {
  cron: string;
  /** ms. */
  duration: number;
  /** `label=glob` matchers, all must hold; [] = everything. */
  match: string[];
  comment?: string | undefined;
}

/** A synthetic Silence for each window active at `now` (its latest start is less than `duration` ago). */
export function activeMaintenance(windows: MaintenanceWindow[], now: number): Silence[] {
  const out: Silence[] = [];
  windows.forEach((w, i) => {
    if (!(w.duration > 0)) return;
    const start = lastStart(w.cron, now);
    if (start === undefined || now >= start + w.duration) return;
    out.push({
      id: `maintenance[${i}]`,
      matchers: [...w.match],
      startsAt: start,
      endsAt: start + w.duration,
      comment: w.comment ?? "",
      createdBy: "config",
      createdAt: start,
    });
  });
  return out;
}
