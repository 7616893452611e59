/**
 * Delivery: routes each notification to the receivers whose min_severity it
 * meets, keeps it in the outbox (persisted in the data directory) until each
 * receiver accepted it, and retries what failed: Retry-After exactly when the
 * receiver gives one (up to max_retry_after, so one absurd answer cannot stop
 * a receiver for days), else exponential backoff with jitter (1 s doubling to
 * 5 min; after a timeout, at least the time limit, since the receiver may have
 * processed it). Each notification is given up on give_up_after after its own
 * first attempt, whatever group it went in. Each receiver is paced (Slack
 * allows 1 message per second per webhook) and served in order. A 4xx other
 * than 408/429 is final: retrying cannot help; when it refuses a group for
 * what it holds, the members go alone so that only the bad one is given up.
 */

import { formatDuration } from "../config/duration.js";
import { processMessages } from "../i18n/current.js";
import { type Locale, messages } from "../i18n/messages.js";
import { log } from "../log.js";
import { localeOf, type Notification } from "../model/notification.js";
import type { DeliveryResult, Notifier, SendOptions } from "./notifier.js";
import type { Delivery, FailedDelivery, Outbox, OutboxEntry, QueuedDelivery } from "./outbox.js";
import { meetsSeverity } from "./routing.js";

/** The longest a Retry-After holds a receiver's queue unless notify.max_retry_after says otherwise. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 10 * 60_000;
/** A time limit doubled after timeouts grows to this at most. */
const MAX_TIMEOUT_MS = 5 * 60_000;

/** Backoff before attempt `attempts + 1`: 1 s, 2 s, 4 s … capped at 5 min, ±20 % jitter. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(1000 * 2 ** Math.max(0, attempts - 1), 300_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Time, for the dispatcher's waits: tests give one that does not wait. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  // node:timers/promises when first needed (a wait for a receiver's retry), not by every short command that loads this
  sleep: (ms, signal) => process.getBuiltinModule("node:timers/promises").setTimeout(ms, undefined, signal ? { signal } : undefined),
};

export interface DispatcherOptions {
  notifiers: readonly Notifier[];
  /** The outbox it serves (notify/outbox.ts): it asks it what is due and tells it each answer. */
  outbox: Outbox;
  paceMs?: number;
  /** After a message, what arrives within this long waits to go as one message (notify.group_wait). */
  groupWaitMs?: number;
  /** Each notification is given up on this long after its own first attempt (notify.give_up_after). */
  giveUpAfterMs?: number;
  /** The longest wait a Retry-After imposes, for a receiver that does not say its own (`Notifier.maxRetryAfterMs`). */
  maxRetryAfterMs?: number;
  clock?: Clock;
}

/** One receiver's drain in progress: until when it may wait, and what cuts its request short. */
interface ReceiverRun {
  done: Promise<void>;
  deadline: number;
  /** The deadline is Lookout's exit: nothing starts at or after it, and what is in flight then is aborted. */
  hard: boolean;
  cut: AbortController;
  timer: NodeJS.Timeout | null;
}

export class Dispatcher {
  private readonly notifiers: readonly Notifier[];
  private readonly paceMs: number;
  private readonly giveUpAfterMs: number;
  private readonly groupWaitMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly clock: Clock;
  private readonly outbox: Outbox;
  private readonly lastSentAt = new Map<string, number>();
  private readonly running = new Map<string, ReceiverRun>();
  /** Members of a group the receiver refused: each goes alone, so only the one it cannot take is given up. */
  private readonly alone = new WeakSet<Delivery>();
  /** A receiver's time limit after its last attempt timed out (doubled, to get its answer rather than send a copy). */
  private readonly slowTimeout = new Map<string, number>();
  /** Receivers whose too-long Retry-After was logged (once, until one of their messages goes through). */
  private readonly cappedLogged = new Set<string>();

  constructor(opts: DispatcherOptions) {
    this.notifiers = opts.notifiers;
    this.paceMs = opts.paceMs ?? 1000;
    this.giveUpAfterMs = opts.giveUpAfterMs ?? 24 * 3600_000;
    this.groupWaitMs = opts.groupWaitMs ?? 0;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.clock = opts.clock ?? REAL_CLOCK;
    this.outbox = opts.outbox;
    this.capStoredWaits();
  }

  /**
   * Adds notifications to the outbox for every receiver that should get them
   * (those `receiversOf` names, see notify/routing.ts; all by default) and
   * whose min_severity they meet,
   * and returns the new entries: the caller stores them in the same
   * transaction as the state change that made them.
   */
  enqueue(notifications: readonly Notification[], now = this.clock.now(), receiversOf?: (n: Notification) => readonly string[]): OutboxEntry[] {
    const added: OutboxEntry[] = [];
    for (const notification of notifications) {
      const routed = receiversOf?.(notification);
      const receivers = this.notifiers.filter((r) => (routed === undefined || routed.includes(r.name)) && meetsSeverity(notification, r.minSeverity)).map((r) => r.name);
      const entry = this.outbox.enqueue(notification, receivers, now);
      if (entry) added.push(entry);
    }
    return added;
  }

  pendingCount(): number {
    return this.outbox.pendingCount();
  }

  /**
   * Sends what is due, waiting (for backoff, Retry-After or pacing) only until
   * `deadline`. Receivers are served concurrently, each in order, one drain per
   * receiver at a time: a call while one runs joins it (and brings its
   * deadline forward, when earlier). A request in flight is left to finish.
   */
  async drain(deadline: number, signal?: AbortSignal): Promise<void> {
    // A receiver with nothing queued and no drain running has nothing to do: no run is made for it (each makes an
    // AbortController and a combined signal, which every quiet cycle paid for under --lite-mode).
    const runs: Promise<void>[] = [];
    for (const n of this.notifiers) if (this.running.has(n.name) || this.outbox.queueOf(n.name).length > 0) runs.push(this.runFor(n, deadline, signal).done);
    await Promise.all(runs);
  }

  /**
   * Lookout is stopping: sends what is due until `deadline`, and there aborts
   * what is still in flight, so a receiver that hangs cannot hold the exit.
   * What was cut short stays in the outbox, not counted as an attempt.
   */
  async flush(deadline: number): Promise<void> {
    for (const run of this.running.values()) this.cutAt(run, deadline);
    await Promise.all([...this.running.values()].map((r) => r.done));
    await Promise.all(this.notifiers.map((n) => this.runFor(n, deadline, undefined, true).done));
  }

  /** The receiver's drain: the one running (joined), else a new one. `hard`: see ReceiverRun. */
  private runFor(notifier: Notifier, deadline: number, signal?: AbortSignal, hard = false): ReceiverRun {
    const current = this.running.get(notifier.name);
    if (current) {
      if (hard) this.cutAt(current, deadline);
      else current.deadline = Math.min(current.deadline, deadline);
      return current;
    }
    const run: ReceiverRun = { done: Promise.resolve(), deadline, hard: false, cut: new AbortController(), timer: null };
    if (hard) this.cutAt(run, deadline);
    this.running.set(notifier.name, run);
    run.done = this.drainReceiver(notifier, run, signal).finally(() => {
      if (run.timer) clearTimeout(run.timer);
      this.running.delete(notifier.name);
    });
    return run;
  }

  /** From now on the run's deadline (or `deadline`, when earlier) is hard: what is in flight then is aborted. */
  private cutAt(run: ReceiverRun, deadline: number): void {
    run.deadline = Math.min(run.deadline, deadline);
    run.hard = true;
    if (run.timer) clearTimeout(run.timer);
    run.timer = setTimeout(() => run.cut.abort(), Math.max(0, run.deadline - this.clock.now()));
    run.timer.unref();
  }

  /**
   * One receiver's queue, in order. The first notification after a quiet spell
   * goes at once; what is due when a message goes (a burst of events, or what
   * queued up during an outage) goes with it as one message, and the next
   * message waits `groupWaitMs` (at least the pacing) after the last.
   */
  private async drainReceiver(notifier: Notifier, run: ReceiverRun, signal?: AbortSignal): Promise<void> {
    const gap = Math.max(this.paceMs, this.groupWaitMs);
    const stop = signal ? AbortSignal.any([signal, run.cut.signal]) : run.cut.signal;
    while (!stop.aborted) {
      const queue = this.outbox.queueOf(notifier.name);
      const head = queue[0];
      if (!head) return;
      const waitUntil = Math.max(head.delivery.nextAttemptAt, (this.lastSentAt.get(notifier.name) ?? -Infinity) + gap);
      const now = this.clock.now();
      if (waitUntil > now) {
        if (waitUntil > run.deadline) return;
        try {
          await this.clock.sleep(waitUntil - now, stop);
        } catch {
          return; // aborted
        }
        continue;
      }
      if (run.hard && now >= run.deadline) return;
      // Everything due now goes together (in order), when the receiver can take a group.
      const batch = notifier.sendMany ? takeWhileDue(queue, now, MAX_GROUP, (d) => this.alone.has(d)) : queue.slice(0, 1);
      if (batch.length === 0) return;
      await this.attempt(notifier, run, batch);
    }
  }

  /** One message of `batch` to `notifier`, and what its answer means for each notification in it. */
  private async attempt(notifier: Notifier, run: ReceiverRun, batch: QueuedDelivery[]): Promise<void> {
    const name = notifier.name;
    const ids = batch.map((b) => b.entry.notification.id).join(",");
    const message = foldFiredAndResolved(batch.map((b) => ({ notification: b.entry.notification, failedBefore: b.delivery.attempts > 0 })));
    const unreported = this.outbox.unreportedFor(name);
    const timeoutMs = this.slowTimeout.get(name) ?? notifier.timeoutMs;
    const opts: SendOptions = { signal: run.cut.signal };
    if (timeoutMs !== undefined) opts.timeoutMs = timeoutMs;
    if (unreported.length > 0) opts.note = undeliveredNote(unreported, localeOf(message[0]!));
    const result = notifier.sendMany && message.length > 1 ? await notifier.sendMany(message, opts) : await notifier.send(message[0]!, opts);
    const at = this.clock.now();
    this.lastSentAt.set(name, at);
    if (!result.ok && run.cut.signal.aborted) {
      // Not the receiver's failure: no attempt counted; the next start sends it.
      log.warn(processMessages().t("log.deliveryCut"), { receiver: name, count: batch.length, id: ids });
      return;
    }
    this.outbox.attempted(batch, at);
    if (result.status !== undefined) this.slowTimeout.delete(name); // it answers again: its own time limit
    if (result.ok) {
      this.outbox.delivered(batch, result.answer);
      this.cappedLogged.delete(name);
      log.info(processMessages().t("log.delivered"), {
        receiver: name,
        count: batch.length,
        id: ids,
        alert: batch.length === 1 ? batch[0]!.entry.notification.alert.fingerprint : undefined,
      });
      if (unreported.length > 0) this.markReported(unreported, name, at);
      return;
    }
    if (result.messageRefused && batch.length > 1) {
      for (const q of batch) this.alone.add(q.delivery);
      this.outbox.keep(batch);
      log.warn(processMessages().t("log.groupRefused"), {
        receiver: name,
        count: batch.length,
        id: ids,
        error: result.message,
      });
      return;
    }
    // Each notification has its own give_up_after, from its own first attempt: the rest of a group is tried again.
    const expired = result.retryable ? batch.filter((q) => at - (q.delivery.firstAttemptAt ?? at) >= this.giveUpAfterMs) : batch;
    const again = batch.filter((q) => !expired.includes(q));
    if (expired.length > 0) this.giveUp(name, expired, result, at);
    if (again.length > 0) this.retryLater(notifier, again, result, at, opts.timeoutMs);
  }

  private giveUp(receiver: string, items: QueuedDelivery[], result: DeliveryResult, at: number): void {
    this.outbox.giveUp(items, receiver, result.message, at);
    const first = items[0]!.delivery;
    log.error(processMessages().t("log.notDelivered"), {
      receiver,
      id: items.map((q) => q.entry.notification.id).join(","),
      attempts: first.attempts,
      error: result.message,
      ...(result.retryable ? { gave_up_after_ms: at - (first.firstAttemptAt ?? at) } : {}),
    });
  }

  private retryLater(notifier: Notifier, items: QueuedDelivery[], result: DeliveryResult, at: number, timeoutMs: number | undefined): void {
    const first = items[0]!.delivery;
    let wait = result.retryAfterMs !== undefined ? Math.min(result.retryAfterMs, this.maxRetryAfterOf(notifier.name)) : backoffMs(first.attempts);
    let error = result.message;
    if (result.retryAfterMs !== undefined && wait < result.retryAfterMs) {
      error += ` It asked to wait ${formatDuration(result.retryAfterMs)}: Lookout tries again in ${formatDuration(wait)} (notify.max_retry_after).`;
      if (!this.cappedLogged.has(notifier.name)) {
        this.cappedLogged.add(notifier.name);
        log.warn(processMessages().t("log.waitCapped"), {
          receiver: notifier.name,
          retry_after: formatDuration(result.retryAfterMs),
          max_retry_after: formatDuration(wait),
        });
      }
    }
    if (result.timedOut && timeoutMs !== undefined) {
      // It may have been processed: a retry may be a copy. Wait at least as long as it was given, and give the next attempt twice as long.
      wait = Math.max(wait, timeoutMs);
      this.slowTimeout.set(notifier.name, Math.max(timeoutMs, Math.min(timeoutMs * 2, MAX_TIMEOUT_MS)));
    }
    this.outbox.retryAt(items, at + wait, error);
    log.warn(processMessages().t("log.willRetry"), {
      receiver: notifier.name,
      id: items.map((q) => q.entry.notification.id).join(","),
      attempt: first.attempts,
      retry_in_ms: wait,
      error: result.message,
    });
  }

  private maxRetryAfterOf(receiver: string): number {
    return this.notifiers.find((n) => n.name === receiver)?.maxRetryAfterMs ?? this.maxRetryAfterMs;
  }

  /** `receiver` accepted a message with the note: it was told; once every receiver was, the failure is reported. */
  private markReported(failures: FailedDelivery[], receiver: string, at: number): void {
    this.outbox.reported(
      failures,
      receiver,
      at,
      this.notifiers.map((n) => n.name),
    );
  }

  /**
   * A wait stored before (a Retry-After of days, from a Lookout without
   * max_retry_after) is cut to max_retry_after from now, so it cannot hold a
   * queue across restarts.
   */
  private capStoredWaits(): void {
    const capped = this.outbox.capWaits(this.clock.now(), (r) => this.maxRetryAfterOf(r));
    for (const [receiver, count] of capped) {
      log.warn(processMessages().t("log.storedWaitCapped"), {
        receiver,
        count,
        max_retry_after: formatDuration(this.maxRetryAfterOf(receiver)),
      });
    }
  }
}

/** Most notifications one message carries (Slack shows 50 blocks; the rest are named in one line). */
const MAX_GROUP = 200;

/**
 * The note each receiver's next accepted message carries about what could not
 * be delivered before (given up on after give_up_after, or refused), in the
 * language of the message that carries it.
 */
export function undeliveredNote(failed: readonly FailedDelivery[], locale: Locale = "en"): string {
  const m = messages(locale);
  const byReceiver = new Map<string, FailedDelivery[]>();
  for (const f of failed) byReceiver.set(f.receiver, [...(byReceiver.get(f.receiver) ?? []), f]);
  const parts = [...byReceiver].map(([receiver, fs]) => m.t("receiver.undelivered.part", { count: fs.length, receiver, error: fs[fs.length - 1]!.error }));
  return m.plural("receiver.undelivered", failed.length, { parts: parts.join(m.t("receiver.undelivered.sep")) });
}

/** The head of the queue and what is due behind it; a daily summary, and what `goesAlone` says, goes on its own. */
function takeWhileDue<T extends { entry: OutboxEntry; delivery: Delivery }>(queue: T[], now: number, max: number, goesAlone: (d: Delivery) => boolean): T[] {
  const out: T[] = [];
  for (const q of queue) {
    if (q.delivery.nextAttemptAt > now || out.length >= max) break;
    const alone = q.entry.notification.kind === "summary" || goesAlone(q.delivery);
    if (alone && out.length > 0) break;
    out.push(q);
    if (alone) break;
  }
  return out;
}

/**
 * An alert that fired and resolved while the receiver could not be reached
 * (its firing failed and is still queued with its resolved): one resolved
 * message that says so, rather than a stale firing followed by its resolution.
 */
export function foldFiredAndResolved(queued: ReadonlyArray<{ notification: Notification; failedBefore: boolean }>): Notification[] {
  const resolved = new Set(queued.filter((q) => q.notification.kind === "resolved").map((q) => q.notification.alert.fingerprint));
  const folded = new Set(
    queued.filter((q) => q.notification.kind !== "resolved" && q.failedBefore && resolved.has(q.notification.alert.fingerprint)).map((q) => q.notification.alert.fingerprint),
  );
  const out: Notification[] = [];
  for (const { notification: n } of queued) {
    const fp = n.alert.fingerprint;
    if (!folded.has(fp)) out.push(n);
    else if (n.kind === "resolved") {
      out.push({
        ...n,
        details: { ...n.details, facts: [{ label: "While unreachable", value: "it fired and resolved while this receiver could not be reached" }, ...n.details.facts] },
      });
    }
  }
  return out;
}
