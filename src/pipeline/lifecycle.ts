/**
 * Stage 3, lifecycle: each alert's state machine (alert/state.ts `step`), then
 * what is held back: inhibition by a firing cause (alert/inhibition.ts),
 * silences and maintenance windows (alert/silencing.ts), flapping
 * (alert/flapping.ts). Pure: the memory it needs comes in, the new memory
 * goes out.
 */

import { applyFlapping, type FlapMemory } from "../alert/flapping.js";
import { type InhibitorMemory, inhibitedBy, updateInhibitors } from "../alert/inhibition.js";
import { applySilences } from "../alert/silencing.js";
import { type AlertRecord, step } from "../alert/state.js";
import type { LookoutConfig } from "../config/schema.js";
import type { Evaluation } from "../evaluate/evaluate.js";
import { processMessages } from "../i18n/current.js";
import { log } from "../log.js";
import { type Route, reminderStepMs } from "../notify/routing.js";
import { type Silence, silencing } from "../silence/silence.js";
import type { Lifecycle } from "./cycle-data.js";

/** What the lifecycle remembers between cycles. */
export interface LifecycleMemory {
  alerts: readonly AlertRecord[];
  inhibitors: InhibitorMemory;
  flap: FlapMemory;
}

export interface LifecycleInput {
  memory: LifecycleMemory;
  evaluation: Evaluation;
  config: LookoutConfig;
  routes: readonly Route[];
  /** Silences and maintenance windows in force now. */
  silences: readonly Silence[];
  /** The cycle's start. */
  now: number;
  /** When its measurements were complete (a cause found over ended then). */
  observedAt: number;
}

export function lifecycle(input: LifecycleInput): Lifecycle & { inhibitors: InhibitorMemory; flap: FlapMemory } {
  const { config, now } = input;
  const result = step(input.memory.alerts, input.evaluation.observations, now, {
    repeatIntervalMs: reminderStepMs(input.routes, config.notify.repeat_interval),
    sendResolved: config.notify.send_resolved,
    evaluated: input.evaluation.evaluated,
  });
  // A cause that stopped this cycle still explains what was found in it (containers found dead when Docker is back).
  const inhibitors = updateInhibitors(result.alerts, input.memory.inhibitors, now, input.observedAt, inhibitHoldMs(config));
  const silenced = applySilences(result.alerts, result.events, result.resolved, (alert) => silencing(alert.labels, input.silences, now)?.id ?? inhibitedBy(alert, inhibitors), now);
  for (const h of silenced.held) log.info(processMessages().t("log.heldBack"), { alert: h.event.alert.fingerprint, kind: h.event.kind, by: h.by });
  const flapped = applyFlapping(input.memory.flap, silenced.events, now, { max: config.flap.max, withinMs: config.flap.within });
  return {
    alerts: silenced.alerts,
    events: flapped.events,
    stepEvents: result.events,
    resolved: result.resolved,
    held: silenced.held,
    inhibitors,
    flap: flapped.memory,
  };
}

/**
 * How long a cause keeps holding its symptoms back after it ended: long
 * enough for a container that came back to be over its crash
 * (containers.crashed.resolve_after), plus a few cycles (at least 10 s) for
 * Docker to restart it.
 */
export function inhibitHoldMs(c: LookoutConfig): number {
  return Math.max(c.containers.crashed.resolve_after, c.containers.oom_killed.resolve_after) + Math.max(3 * c.interval, 10_000);
}
