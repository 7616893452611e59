/**
 * Stage 9, record: the cycle's samples and what happened in it, handed to the
 * history (a `HistoryJournal`, which the store implements: store/history.ts).
 * Only the samples of the collectors that ran this cycle are recorded (an
 * early cycle for a Docker event reuses the host's last samples: they were
 * recorded when taken). History is never worth a cycle: a journal that throws
 * (a full disk) is said once in the log, until it works again, and the cycle
 * goes on.
 */

import type { AlertEvent } from "../alert/state.js";
import { describeError } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import { log } from "../log.js";
import type { ContainerEvent, HistoryEvent } from "../model/history.js";
import { CONTAINER_MEMORY, CONTAINER_MEMORY_LIMIT, HOST_DISK, HOST_DISK_SIZE, HOST_MEMORY, HOST_MEMORY_TOTAL, HOST_SWAP, HOST_SWAP_TOTAL } from "../model/metrics.js";
import type { Sample } from "../model/sample.js";
import type { Lifecycle } from "./cycle-data.js";

/** One value of one series at a cycle's time: a sample's, or one derived from its details (`HISTORY_ONLY_SERIES`). */
export interface HistoryPoint {
  metric: string;
  labels: Record<string, string>;
  value: number;
}

/** Where history is kept (store/history.ts `HistoryStore`). */
export interface HistoryJournal {
  /** A cycle's points (all at `at`) and events. May throw. (The agent's store writes them at once, one row a cycle: store/history.ts.) */
  record(at: number, points: readonly HistoryPoint[], events: readonly HistoryEvent[]): void;
}

/** Records a cycle; never throws. */
export type RecordHistory = (at: number, points: readonly HistoryPoint[], events: readonly HistoryEvent[]) => void;

/**
 * A `RecordHistory` writing to whichever journal `journal()` gives at the time
 * (the agent's database may be opened again while it runs); a failure is
 * logged once, until a write works again.
 */
export function historyRecorder(journal: () => HistoryJournal): RecordHistory {
  let failing: string | null = null;
  return (at, points, events) => {
    try {
      journal().record(at, points, events);
      if (failing !== null) log.info(processMessages().t("log.history.again"));
      failing = null;
    } catch (err) {
      const why = describeError(err);
      if (why !== failing) log.error(processMessages().t("log.history.recordFailed"), { error: why });
      failing = why;
    }
  };
}

/** The series a sample is kept as: its own, and what a chart needs from its details. */
export function historyPoints(samples: readonly Sample[]): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  const add = (metric: string, labels: Record<string, string>, value: number) => {
    if (Number.isFinite(value)) out.push({ metric, labels, value });
  };
  for (const s of samples) {
    add(s.name, s.labels, s.value);
    if (s.name === CONTAINER_MEMORY) add(CONTAINER_MEMORY_LIMIT, s.labels, s.details.limitBytes);
    else if (s.name === HOST_MEMORY) add(HOST_MEMORY_TOTAL, s.labels, s.details.totalBytes);
    else if (s.name === HOST_SWAP) add(HOST_SWAP_TOTAL, s.labels, s.details.totalBytes);
    else if (s.name === HOST_DISK) add(HOST_DISK_SIZE, s.labels, s.details.sizeBytes);
  }
  return out;
}

const TRANSITIONS: ReadonlySet<string> = new Set(["firing", "escalated", "resolved"]);

function alertData(e: AlertEvent): Record<string, unknown> {
  const a = e.alert;
  return { alertname: a.alertname, severity: a.severity, value: a.value, threshold: a.threshold, unit: a.unit, ...(a.summary ? { summary: a.summary } : {}) };
}

/** What a cycle's lifecycle and collectors say happened, as the events journal keeps it. */
export function cycleEvents(life: Pick<Lifecycle, "stepEvents" | "events" | "held">, containers: readonly ContainerEvent[], now: number): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  // Transitions as the state machine made them (a silenced alert still fired); flapping as flap detection said it.
  for (const e of life.stepEvents) {
    if (TRANSITIONS.has(e.kind))
      out.push({ at: now, kind: `alert.${e.kind as "firing" | "escalated" | "resolved"}`, subject: e.alert.fingerprint, labels: e.alert.labels, data: alertData(e) });
  }
  for (const e of life.events) {
    if (e.kind === "flapping") out.push({ at: now, kind: "alert.flapping", subject: e.alert.fingerprint, labels: e.alert.labels, data: alertData(e) });
  }
  for (const h of life.held) {
    out.push({ at: now, kind: "notification.held", subject: h.event.alert.fingerprint, labels: h.event.alert.labels, data: { kind: h.event.kind, by: h.by } });
  }
  for (const c of containers) {
    const { kind, at, labels, ...rest } = c;
    const data = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    out.push({ at, kind: `container.${kind}`, subject: labels.container ?? "", labels, data });
  }
  return out;
}

/** The stage: the fresh samples and the events of a cycle to the history, when it is kept (`history.enabled`). */
export function record(
  history: RecordHistory | null | undefined,
  now: number,
  fresh: readonly Sample[],
  containers: readonly ContainerEvent[],
  life: Pick<Lifecycle, "stepEvents" | "events" | "held">,
): void {
  if (!history) return;
  history(now, historyPoints(fresh), cycleEvents(life, containers, now));
}
