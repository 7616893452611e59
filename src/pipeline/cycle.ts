/**
 * One cycle, as a list of stages (each in its own file, in the spirit of
 * Alertmanager's notify.go MultiStage): collect → evaluate → lifecycle →
 * enrich → route → late receivers → re-sends → daily summary → commit → record. The memory of the
 * last cycle comes in and a new one goes out; the outbox is its own owner's
 * (notify/outbox.ts). `lookout check` runs one cycle, `lookout run` one every
 * interval (runner.ts). Nothing here touches SQLite, /proc or the network
 * except through the parts it is given, so a test gives fakes.
 */
import { evaluate, type QuietSkip } from "../evaluate/evaluate.js";
import { ruleRegistry } from "../evaluate/registry.js";
import type { Outbox } from "../notify/outbox.js";
import type { Silence } from "../silence/silence.js";
import type { CollectOptions, CollectStage } from "./collect.js";
import { commit, type Persist } from "./commit.js";
import type { AgentState, CheckStatus, CycleResult, CycleSettings } from "./cycle-data.js";
import { Enricher, type TopProcesses } from "./enrich.js";
import { lateNotifications } from "./late.js";
import { lifecycle } from "./lifecycle.js";
import { type RecordHistory, record } from "./record.js";
import { resendFiring, stateKeepers } from "./resend.js";
import { routeNotifications } from "./route.js";
import { dailySummary } from "./summary.js";

/** The parts a cycle works with (the agent wires the real ones). */
export interface CycleParts {
  settings: CycleSettings;
  collect: CollectStage;
  outbox: Outbox;
  /** Silences and maintenance windows in force at `now`; never throws (the agent logs what it could not read). */
  silences: (now: number) => Silence[];
  topProcesses: TopProcesses;
  persist: Persist;
  /** The time now (after collecting: when the cycle's measurements were complete). */
  clock: () => number;
  /** Where the cycle's samples and events are kept (`history.enabled`); none: not kept. Never throws. */
  history?: RecordHistory | null;
  /**
   * Observe only what can change an alert (evaluate.ts `QuietSkip`): `run`. Without it every sample is observed,
   * as `check`'s table needs.
   */
  skipQuiet?: boolean;
}

export async function runCycle(parts: CycleParts, memory: AgentState, now: number, opts: CollectOptions = {}): Promise<{ result: CycleResult; state: AgentState }> {
  const { loaded, routes, receivers } = parts.settings;
  const { config, hostname } = loaded;

  const collected = await parts.collect.run(config, now, opts);
  const evaluation = evaluate(collected.samples, ruleRegistry, config, hostname, collected.covers, parts.skipQuiet ? heldAlerts(memory.alerts) : undefined);
  const life = lifecycle({ memory, evaluation, config, routes, silences: parts.silences(now), now, observedAt: parts.clock() });
  const enricher = new Enricher({ hostname, evaluation, samples: collected.samples, topProcesses: parts.topProcesses });
  const notifications = await enricher.notifications(life.events, life.held, now);
  const routed = routeNotifications(notifications, life.alerts, routes, receivers, now);
  const late = await lateNotifications(routed.alerts, life.flap, routes, receivers, enricher, now);
  const resend = await resendFiring(late.alerts, [...routed.addressed, ...late.addressed], routes, receivers, enricher, now);
  const summary = dailySummary({
    counts: memory.summary,
    events: life.stepEvents,
    config,
    hostname,
    alerts: resend.alerts,
    samples: collected.samples,
    receivers,
    failedSince: (t) => parts.outbox.failedSince(t),
    now,
  });
  const addressed = [...routed.addressed, ...(summary.summary ? [summary.summary] : []), ...late.addressed, ...resend.addressed];
  const state: AgentState = {
    alerts: resend.alerts,
    collectors: { ...memory.collectors, ...collected.snapshots },
    lastCycleAt: now,
    flap: life.flap,
    inhibitors: life.inhibitors,
    summary: summary.counts,
  };
  const committed = commit(parts.outbox, addressed, state, parts.persist, now, stateKeepers(receivers));
  record(parts.history, now, collected.fresh, collected.events, life);

  const errors = [...collected.errors, ...(committed.storageError ? [`data directory: ${committed.storageError}`] : [])];
  const result: CycleResult = {
    checkedAt: now,
    samples: collected.samples,
    evaluation,
    active: resend.alerts,
    resolved: life.resolved,
    notifications: [...routed.addressed, ...(summary.summary ? [summary.summary] : [])].map((a) => a.notification),
    errors,
    status: checkStatus(resend.alerts, collected.samples.length),
    ...(committed.storageError ? { storageError: committed.storageError } : {}),
  };
  return { result, state };
}

/** critical when a critical alert fires, warning when any fires, unknown when nothing was measured. */
function checkStatus(alerts: CycleResult["active"], sampleCount: number): CheckStatus {
  const firing = alerts.filter((a) => a.state === "firing");
  if (firing.some((a) => a.severity === "critical")) return "critical";
  if (firing.length > 0) return "warning";
  return sampleCount === 0 ? "unknown" : "ok";
}

/** The fingerprints of the alerts in memory (pending or firing). */
function heldAlerts(alerts: readonly { fingerprint: string }[]): QuietSkip {
  const held = new Set<string>();
  for (const a of alerts) held.add(a.fingerprint);
  return held;
}
