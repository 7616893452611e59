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

/**
 * A cycle's points, by position, in parallel lists: point i is `metrics[i]`,
 * `labels[i]`, `values[i]`. The recorder fills one list again each cycle
 * (`historyPoints`), so a cycle makes no object per point (a few hundred for
 * 20 containers, under --lite-mode); a journal reads it during `record` only.
 */
export class HistoryPoints {
  readonly metrics: string[] = [];
  readonly labels: Record<string, string>[] = [];
  values = new Float64Array(64);
  length = 0;

  /** A list of these points (tests, and whoever records points made by hand). */
  static of(points: readonly HistoryPoint[]): HistoryPoints {
    const list = new HistoryPoints();
    for (const p of points) list.add(p.metric, p.labels, p.value);
    return list;
  }

  /** Adds a point; a value that is not a finite number is not one. */
  add(metric: string, labels: Record<string, string>, value: number): void {
    if (!Number.isFinite(value)) return;
    const i = this.length++;
    if (i === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.metrics[i] = metric;
    this.labels[i] = labels;
    this.values[i] = value;
  }

  /** Empties it for the next cycle's points. */
  clear(): void {
    this.length = 0;
  }

  /** Lets go of what the last fill no longer holds (labels of containers gone). */
  trim(): void {
    this.metrics.length = this.length;
    this.labels.length = this.length;
  }

  toArray(): HistoryPoint[] {
    const out: HistoryPoint[] = [];
    for (let i = 0; i < this.length; i++) out.push({ metric: this.metrics[i]!, labels: this.labels[i]!, value: this.values[i]! });
    return out;
  }
}

/** Where history is kept (store/history.ts `HistoryStore`). */
export interface HistoryJournal {
  /**
   * A cycle's points (all at `at`; read during the call only: the list is
   * filled again next cycle) and events. May throw. (The agent's store keeps
   * the points as one row a cycle: store/history.ts.)
   */
  record(at: number, points: HistoryPoints, events: readonly HistoryEvent[]): void;
}

/** Records a cycle's fresh samples and its events; never throws. */
export type RecordHistory = (at: number, samples: readonly Sample[], events: readonly HistoryEvent[]) => void;

/**
 * A `RecordHistory` writing to whichever journal `journal()` gives at the time
 * (the agent's database may be opened again while it runs); a failure is
 * logged once, until a write works again. It keeps one list of points, filled
 * again each cycle.
 */
export function historyRecorder(journal: () => HistoryJournal): RecordHistory {
  let failing: string | null = null;
  const points = new HistoryPoints();
  return (at, samples, events) => {
    try {
      journal().record(at, historyPoints(samples, points), events);
      if (failing !== null) log.info(processMessages().t("log.history.again"));
      failing = null;
    } catch (err) {
      const why = describeError(err);
      if (why !== failing) log.error(processMessages().t("log.history.recordFailed"), { error: why });
      failing = why;
    }
  };
}

/** The series a sample is kept as: its own, and what a chart needs from its details; into `into` (emptied first), or a new list. */
export function historyPoints(samples: readonly Sample[], into = new HistoryPoints()): HistoryPoints {
  into.clear();
  // Indexed: under --lite-mode a for-of makes an iterator result per sample.
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    into.add(s.name, s.labels, s.value);
    if (s.name === CONTAINER_MEMORY) into.add(CONTAINER_MEMORY_LIMIT, s.labels, s.details.limitBytes);
    else if (s.name === HOST_MEMORY) into.add(HOST_MEMORY_TOTAL, s.labels, s.details.totalBytes);
    else if (s.name === HOST_SWAP) into.add(HOST_SWAP_TOTAL, s.labels, s.details.totalBytes);
    else if (s.name === HOST_DISK) into.add(HOST_DISK_SIZE, s.labels, s.details.sizeBytes);
  }
  into.trim();
  return into;
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
  history(now, fresh, cycleEvents(life, containers, now));
}
