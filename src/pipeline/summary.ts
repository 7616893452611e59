/**
 * Stage 7, daily summary: counts what this cycle fired and resolved, and when
 * one is due (notify.daily_summary.at), makes the summary and says who gets
 * it: notify.daily_summary.receiver, else the receivers that take it by
 * default (chat receivers, Notifier.summaryByDefault), else every receiver.
 */

import type { AlertEvent, AlertRecord } from "../alert/state.js";
import type { LookoutConfig } from "../config/schema.js";
import { randomId } from "../hash.js";
import type { Sample } from "../model/sample.js";
import { buildSummary, countEvents, emptyCounts, type SummaryCounts, summaryDue } from "../notify/daily-summary.js";
import type { Addressed, ReceiverInfo } from "./cycle-data.js";
import { takers } from "./route.js";

export interface SummaryInput {
  counts: SummaryCounts | null;
  /** What the state machine said this cycle (before anything was held back). */
  events: readonly AlertEvent[];
  config: LookoutConfig;
  hostname: string;
  alerts: readonly AlertRecord[];
  samples: readonly Sample[];
  receivers: readonly ReceiverInfo[];
  /** How many notifications were given up on since `t`. */
  failedSince: (t: number) => number;
  now: number;
}

export function dailySummary(input: SummaryInput): { counts: SummaryCounts; summary?: Addressed } {
  const { now } = input;
  const counts = countEvents(input.counts ?? emptyCounts(now), input.events);
  const cfg = input.config.notify.daily_summary;
  if (!cfg || !summaryDue(cfg.at, counts, now)) return { counts };
  const notification = buildSummary({
    id: randomId(),
    hostname: input.hostname,
    now,
    counts,
    alerts: input.alerts,
    failed: input.failedSince(counts.since),
    samples: input.samples,
    locale: input.config.locale,
  });
  const byDefault = input.receivers.filter((r) => r.summaryByDefault).map((r) => r.name);
  // A receiver that keeps alert state (Alertmanager) gets it only when named: a summary is not an alert there.
  const anyone = input.receivers.filter((r) => r.resendEveryMs === undefined).map((r) => r.name);
  const chosen = cfg.receiver !== undefined ? [cfg.receiver] : byDefault.length > 0 ? byDefault : anyone;
  return { counts: { ...emptyCounts(now), lastSentAt: now }, summary: { notification, receivers: takers(notification, chosen, input.receivers) } };
}
