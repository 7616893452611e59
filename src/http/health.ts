/**
 * `GET /healthz`: always open, for a load balancer or a container's health
 * check. 503 once the agent's cycles have stalled: none completed for
 * `2 × interval + 60 s` (a cycle waits for Docker up to its timeout; two
 * missed intervals and a minute is not a slow cycle any more).
 */
import type { ApiAnswer } from "./api.js";
import type { ApiSource } from "./source.js";

export const STALL_GRACE_MS = 60_000;

export function health(source: ApiSource, now: number, startedAt: number): ApiAnswer {
  const intervalMs = source.loaded().config.interval;
  const stalledAfter = 2 * intervalMs + STALL_GRACE_MS;
  const lastAt = source.lastResult()?.checkedAt ?? null;
  const age = Math.max(0, now - (lastAt ?? startedAt));
  const stalled = age > stalledAfter;
  return {
    status: stalled ? 503 : 200,
    body: {
      status: stalled ? "stalled" : lastAt === null ? "starting" : "ok",
      last_cycle_at: lastAt,
      last_cycle_age_ms: lastAt === null ? null : age,
      interval_ms: intervalMs,
      stalled_after_ms: stalledAfter,
    },
  };
}
