/**
 * The outbox: each notification with the receivers that have not yet accepted
 * it, and what was given up on. This module is its one owner: the dispatcher
 * (notify/dispatcher.ts) asks it what is due and tells it each answer; every
 * change is written at once through an OutboxJournal, which the store
 * implements (store/agent-store.ts) so that what a receiver accepted leaves
 * the outbox on disk at once.
 */

import { notificationTitle } from "../alert/title.js";
import { describeError } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import { log } from "../log.js";
import type { Notification } from "../model/notification.js";

export interface Delivery {
  /** Receiver name. */
  receiver: string;
  attempts: number;
  /** Not before this time (backoff or Retry-After), ms since epoch. */
  nextAttemptAt: number;
  firstAttemptAt: number | null;
  lastError: string | null;
}

export interface OutboxEntry {
  notification: Notification;
  /** Receivers that have not yet accepted it. The entry leaves the outbox when this is empty. */
  pending: Delivery[];
}

export interface FailedDelivery {
  notificationId: string;
  title: string;
  receiver: string;
  error: string;
  at: number;
  /** When every receiver had been told (a message saying it could not be delivered was accepted); null until then. */
  reportedAt?: number | null;
  /** The receivers told so far, each with when its message was accepted. */
  reportedTo?: Record<string, number>;
}

/** An item of a receiver's queue: an outbox entry and its delivery to that receiver. */
export interface QueuedDelivery {
  readonly entry: OutboxEntry;
  readonly delivery: Delivery;
}

/** What the outbox holds, as stored and read back. */
export interface OutboxState {
  outbox: OutboxEntry[];
  failed: FailedDelivery[];
}

/** How many failed deliveries are kept for `status`. */
export const FAILED_KEPT = 100;

/**
 * Where the outbox's changes are written as they happen. New entries are not
 * written here: the cycle that made them stores them with the state change
 * that caused them (one transaction).
 */
export interface OutboxJournal {
  /** `answer`: what the receiver answered (`DeliveryResult.answer`: redacted, short), when it said. */
  delivered(items: readonly QueuedDelivery[], answer?: string): void;
  /** Attempt counts, next attempt times and errors, as they now are. */
  attempted(items: readonly QueuedDelivery[]): void;
  gaveUp(items: readonly QueuedDelivery[], failures: readonly FailedDelivery[]): void;
  /** `receiver` accepted a message saying these could not be delivered (their reportedTo and reportedAt are set). */
  markReported(failures: readonly FailedDelivery[], at: number, receiver?: string): void;
  /** Drops what waits for receivers not named. */
  forgetReceiversExcept(names: ReadonlySet<string>): void;
  /** These were replaced by a newer state of their alert before they were sent (a receiver that keeps state): they leave the outbox, not sent. */
  superseded?(items: readonly QueuedDelivery[]): void;
}

/**
 * What became of each attempt, per notification and receiver, since this
 * process started (`/metrics`' lookout_notifications_total): `delivered`,
 * `retried` (not accepted, tried again later), `given_up`.
 */
export type DeliveryOutcome = "delivered" | "retried" | "given_up";

export class Outbox {
  #entries: OutboxEntry[];
  #failed: FailedDelivery[];
  /** By receiver, then outcome (in memory only: a counter that starts again at 0 with the process). */
  readonly #outcomes = new Map<string, Map<DeliveryOutcome, number>>();

  /** `journal` is asked for at each write: the agent's database may be opened again while it runs. */
  constructor(
    contents: OutboxState,
    private readonly journal: () => OutboxJournal,
  ) {
    this.#entries = contents.outbox.filter((e) => e.pending.length > 0);
    this.#failed = contents.failed.slice(-FAILED_KEPT);
  }

  /** Waiting notifications, oldest first. */
  get entries(): readonly OutboxEntry[] {
    return this.#entries;
  }

  /** What was given up on (the last FAILED_KEPT), oldest first. */
  get failed(): readonly FailedDelivery[] {
    return this.#failed;
  }

  /** A copy of what it holds, to write into a database that lost it. */
  contents(): OutboxState {
    return { outbox: [...this.#entries], failed: [...this.#failed] };
  }

  pendingCount(): number {
    return this.#entries.reduce((n, e) => n + e.pending.length, 0);
  }

  /** Given up on since `t`. */
  failedSince(t: number): number {
    return this.#failed.filter((f) => f.at >= t).length;
  }

  /**
   * `notification` waits for each of `receivers` from `now`; returns its new
   * entry (none without receivers), which the caller stores with the state
   * change that made it.
   */
  enqueue(notification: Notification, receivers: readonly string[], now: number, keepsState?: ReadonlySet<string>): OutboxEntry | undefined {
    if (receivers.length === 0) return undefined;
    if (keepsState && notification.kind !== "summary")
      this.supersede(
        notification,
        receivers.filter((r) => keepsState.has(r)),
      );
    const entry: OutboxEntry = { notification, pending: receivers.map((receiver) => ({ receiver, attempts: 0, nextAttemptAt: now, firstAttemptAt: null, lastError: null })) };
    this.#entries.push(entry);
    return entry;
  }

  /**
   * For receivers that keep the state of each alert (Alertmanager), only the
   * newest state of an alert matters: what still waits for one of `receivers`
   * about the same alert leaves its queue, not sent (one waiting state per
   * alert and receiver, however long the receiver is down). A request in
   * flight finishes as it goes.
   */
  private supersede(newer: Notification, receivers: readonly string[]): void {
    if (receivers.length === 0) return;
    const gone: QueuedDelivery[] = [];
    for (const entry of this.#entries) {
      const n = entry.notification;
      if (n.kind === "summary" || n.alert.fingerprint !== newer.alert.fingerprint) continue;
      for (const delivery of entry.pending) if (receivers.includes(delivery.receiver)) gone.push({ entry, delivery });
    }
    if (gone.length === 0) return;
    for (const q of gone) this.settle(q);
    this.write("superseded", (j) => j.superseded?.(gone));
  }

  /** A receiver's queue, in order: each entry with its delivery for this receiver. */
  queueOf(receiver: string): QueuedDelivery[] {
    const out: QueuedDelivery[] = [];
    for (const entry of this.#entries) {
      const delivery = entry.pending.find((d) => d.receiver === receiver);
      if (delivery) out.push({ entry, delivery });
    }
    return out;
  }

  /** An attempt was made at `at` (its answer follows: delivered, retryAt, keep or giveUp). */
  attempted(items: readonly QueuedDelivery[], at: number): void {
    for (const { delivery } of items) {
      delivery.attempts++;
      delivery.firstAttemptAt ??= at;
    }
  }

  /** The receiver accepted these (answering `answer`, when known): they leave its queue. */
  delivered(items: readonly QueuedDelivery[], answer?: string): void {
    this.count(items, "delivered");
    for (const q of items) this.settle(q);
    this.write("delivered", (j) => (answer === undefined ? j.delivered(items) : j.delivered(items, answer)));
  }

  /** Not accepted: tried again at `nextAttemptAt`. */
  retryAt(items: readonly QueuedDelivery[], nextAttemptAt: number, error: string): void {
    this.count(items, "retried");
    for (const { delivery } of items) {
      delivery.nextAttemptAt = nextAttemptAt;
      delivery.lastError = error;
    }
    this.write("attempt", (j) => j.attempted(items));
  }

  /** Not accepted, tried again as they are (each alone, after a group was refused): their attempt counts are written. */
  keep(items: readonly QueuedDelivery[]): void {
    this.count(items, "retried");
    this.write("attempt", (j) => j.attempted(items));
  }

  /** Given up on, with why: out of the queue, into the failed list (to be reported once). */
  giveUp(items: readonly QueuedDelivery[], receiver: string, error: string, at: number): void {
    const failures: FailedDelivery[] = items
      .map(({ entry }) => ({
        notificationId: entry.notification.id,
        title: notificationTitle(entry.notification),
        receiver,
        error,
        at,
        reportedAt: null,
      }))
      // A re-send refused again (every resend_every) is not news while the last refusal of that alert is not reported yet.
      .filter((f, i) => !items[i]!.entry.notification.resend || !this.#failed.some((o) => !o.reportedAt && o.receiver === receiver && o.title === f.title));
    this.count(items, "given_up");
    for (const q of items) this.settle(q);
    this.#failed = [...this.#failed, ...failures].slice(-FAILED_KEPT);
    this.write("given up", (j) => j.gaveUp(items, failures));
  }

  /** How many attempts ended each way, by receiver, since this process started. */
  outcomes(): ReadonlyMap<string, ReadonlyMap<DeliveryOutcome, number>> {
    return this.#outcomes;
  }

  private count(items: readonly QueuedDelivery[], outcome: DeliveryOutcome): void {
    for (const { delivery } of items) {
      const byOutcome = this.#outcomes.get(delivery.receiver) ?? new Map<DeliveryOutcome, number>();
      this.#outcomes.set(delivery.receiver, byOutcome);
      byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    }
  }

  /** What was given up on and `receiver` was not told yet. */
  unreportedFor(receiver: string): FailedDelivery[] {
    return this.#failed.filter((f) => !f.reportedAt && f.reportedTo?.[receiver] === undefined);
  }

  /** `receiver` accepted a message with the note on `failures`; once each of `everyone` was told, a failure is reported. */
  reported(failures: readonly FailedDelivery[], receiver: string, at: number, everyone: readonly string[]): void {
    for (const f of failures) {
      f.reportedTo = { ...f.reportedTo, [receiver]: at };
      if (everyone.every((r) => f.reportedTo![r] !== undefined)) f.reportedAt = at;
    }
    this.write("reported", (j) => j.markReported(failures, at, receiver));
  }

  /** Drops what waits for receivers not in `names` (no longer configured: they cannot receive it); returns how many deliveries went. */
  dropReceiversExcept(names: ReadonlySet<string>): number {
    let dropped = 0;
    for (const entry of this.#entries) {
      const kept = entry.pending.filter((d) => names.has(d.receiver));
      dropped += entry.pending.length - kept.length;
      entry.pending = kept;
    }
    if (dropped === 0) return 0;
    this.#entries = this.#entries.filter((e) => e.pending.length > 0);
    this.write("dropped", (j) => j.forgetReceiversExcept(names));
    return dropped;
  }

  /**
   * A stored wait longer than `maxWaitOf(receiver)` from `now` (a Retry-After
   * of days, from a Lookout without max_retry_after) is cut to it; returns
   * how many were cut, by receiver.
   */
  capWaits(now: number, maxWaitOf: (receiver: string) => number): Map<string, number> {
    const capped = new Map<string, QueuedDelivery[]>();
    for (const entry of this.#entries) {
      for (const delivery of entry.pending) {
        const max = now + maxWaitOf(delivery.receiver);
        if (delivery.nextAttemptAt <= max) continue;
        delivery.nextAttemptAt = max;
        capped.set(delivery.receiver, [...(capped.get(delivery.receiver) ?? []), { entry, delivery }]);
      }
    }
    for (const items of capped.values()) this.write("attempt", (j) => j.attempted(items));
    return new Map([...capped].map(([r, items]) => [r, items.length]));
  }

  private settle({ entry, delivery }: QueuedDelivery): void {
    const i = entry.pending.indexOf(delivery);
    if (i >= 0) entry.pending.splice(i, 1);
    if (entry.pending.length === 0) {
      const at = this.#entries.indexOf(entry);
      if (at >= 0) this.#entries.splice(at, 1);
    }
  }

  /** A journal write that fails (disk full) is logged; delivery goes on from memory. */
  private write(what: string, fn: (journal: OutboxJournal) => void): void {
    try {
      fn(this.journal());
    } catch (err) {
      log.error(processMessages().t("log.outboxWrite"), { what, error: describeError(err) });
    }
  }
}
