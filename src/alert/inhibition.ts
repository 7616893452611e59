/**
 * Inhibition, so that the cause pages and its symptoms do not (Alertmanager's
 * inhibit_rules, built in). While a source alert is active on this host
 * (pending or firing: Docker unreachable for one cycle already makes every
 * container alert doubtful), the alerts it explains are tracked but held back, like silenced ones
 * (alert/silencing.ts): if they still fire once the source is over, they are
 * sent then; if they are over first, nobody hears of them.
 *
 * What counts as a symptom is decided by when it happened (the alert's
 * causedAt: a crash's exit time), not by when Lookout saw it: a container
 * that died while Docker was unreachable (or that Docker itself killed while
 * restoring, before it answered again) is found only when Docker is back, and
 * is still a symptom; one that dies after Docker answered is not. Held-back symptoms
 * stay held for `holdMs` after the source ended, long enough for a container
 * that came back to be over its crash, so only those still down are reported.
 * Pure; the memory of each source lives in the agent's state.
 */

import { DOCKER_UNREACHABLE, HOST_REBOOTED, PER_CONTAINER_METRICS } from "../model/metrics.js";
import { CONTAINER_DEATHS } from "./likely-cause.js";
import type { AlertRecord } from "./state.js";

export interface InhibitRule {
  /** The alert that explains the others. */
  source: string;
  /** Whether an alert (by its labels) is one of the symptoms. */
  inhibits(labels: Readonly<Record<string, string>>): boolean;
  /**
   * Up to when a symptom must have happened: `end` (before the source was
   * seen to be over), or `start` (before the source began: a reboot explains
   * the deaths before it, not crashes after it).
   */
  until: "end" | "start";
}

const PER_CONTAINERS: ReadonlySet<string> = new Set(PER_CONTAINER_METRICS);

export const INHIBIT_RULES: readonly InhibitRule[] = [
  // Without Docker, every container alert is a symptom: say "Docker is unreachable" once.
  { source: DOCKER_UNREACHABLE, inhibits: (labels) => PER_CONTAINERS.has(labels.alertname ?? ""), until: "end" },
  // Containers killed by a reboot belong to the reboot's message; one that should run and did not come back still alerts (container_not_running).
  { source: HOST_REBOOTED, inhibits: (labels) => CONTAINER_DEATHS.has(labels.alertname ?? ""), until: "start" },
];

export interface InhibitorState {
  /** When the source became active. */
  since: number;
  /** When it was seen to be over (the end of the cycle that found it so); null while active. */
  endedAt: number | null;
}

/** Per source alert name. */
export type InhibitorMemory = Record<string, InhibitorState>;

/**
 * The memory after this cycle: sources active now, and those that ended less
 * than `holdMs` ago. `observedAt` is when this cycle's measurements were
 * complete (after the cycle's start `now`): a source found over ended then, as
 * far as anyone can tell (Docker answered during the cycle, not at its start).
 */
export function updateInhibitors(
  alerts: readonly AlertRecord[],
  memory: InhibitorMemory,
  now: number,
  observedAt: number,
  holdMs: number,
  rules: readonly InhibitRule[] = INHIBIT_RULES,
): InhibitorMemory {
  const sources = new Set(rules.map((r) => r.source));
  const next: InhibitorMemory = {};
  for (const a of alerts) {
    if (!sources.has(a.alertname)) continue;
    next[a.alertname] = { since: memory[a.alertname]?.since ?? a.activeSince, endedAt: null };
  }
  for (const [source, st] of Object.entries(memory)) {
    if (next[source]) continue;
    const endedAt = st.endedAt ?? Math.max(now, observedAt);
    if (now - endedAt < holdMs) next[source] = { ...st, endedAt };
  }
  return next;
}

/** `inhibited by <source>` when a source in `memory` explains this alert. */
export function inhibitedBy(
  alert: { labels: Readonly<Record<string, string>>; causedAt?: number; activeSince: number },
  memory: InhibitorMemory,
  rules: readonly InhibitRule[] = INHIBIT_RULES,
): string | undefined {
  for (const r of rules) {
    const st = memory[r.source];
    if (!st || alert.labels.alertname === r.source || !r.inhibits(alert.labels)) continue;
    const caused = alert.causedAt ?? alert.activeSince;
    const bound = r.until === "start" ? st.since : (st.endedAt ?? Infinity);
    if (caused <= bound) return `inhibited by ${r.source}`;
  }
  return undefined;
}
