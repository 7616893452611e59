/**
 * Delivery: routes each notification to the receivers whose min_severity it
 * meets, keeps it in the outbox (persisted in the data directory) until each
 * receiver accepted it, and retries what failed: Retry-After exactly when the
 * receiver gives one, else exponential backoff with jitter (1 s doubling to
 * 5 min). Each receiver is paced (Slack allows 1 message per second per webhook)
 * and served in order. A 4xx other than 408/429 is final: retrying cannot help.
 */
import { setTimeout as sleepTimer } from "node:timers/promises";
import type { Severity } from "../config/schema.js";
import type { Notification } from "../alert/notification.js";
import { FAILED_KEPT, type AgentState, type Delivery, type FailedDelivery, type OutboxEntry, type QueuedDelivery } from "../store/agent-store.js";
import type { Notifier } from "./notifier.js";
import { log } from "../log.js";
import { describeError } from "../errors.js";
import { notificationTitle } from "../alert/title.js";

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function meetsSeverity(n: Notification, min: Severity): boolean {
  const sev = n.kind === "resolved" ? n.alert.maxSeverity : n.alert.severity;
  return SEVERITY_RANK[sev] >= SEVERITY_RANK[min];
}

/** Backoff before attempt `attempts + 1`: 1 s, 2 s, 4 s … capped at 5 min, ±20 % jitter. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(1000 * 2 ** Math.max(0, attempts - 1), 300_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Where the outbox's changes are written as they happen (store/agent-store.ts),
 * so that what a receiver accepted leaves the outbox on disk at once.
 */
export interface DeliveryJournal {
  delivered(items: readonly QueuedDelivery[]): void;
  attempted(items: readonly QueuedDelivery[]): void;
  gaveUp(items: readonly QueuedDelivery[], failures: FailedDelivery[]): void;
  markReported(failures: readonly FailedDelivery[], at: number): void;
}

export interface DispatcherOptions {
  notifiers: readonly Notifier[];
  /** The live state whose outbox is served; its changes go to `journal`. */
  state: AgentState;
  journal: DeliveryJournal;
  paceMs?: number;
  /** After a message, what arrives within this long waits to go as one message (notify.group_wait). */
  groupWaitMs?: number;
  giveUpAfterMs?: number;
}

export class Dispatcher {
  private readonly notifiers: readonly Notifier[];
  private readonly paceMs: number;
  private readonly giveUpAfterMs: number;
  private readonly groupWaitMs: number;
  private readonly lastSentAt = new Map<string, number>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly opts: DispatcherOptions) {
    this.notifiers = opts.notifiers;
    this.paceMs = opts.paceMs ?? 1000;
    this.giveUpAfterMs = opts.giveUpAfterMs ?? 24 * 3600_000;
    this.groupWaitMs = opts.groupWaitMs ?? 0;
  }

  /**
   * Adds notifications to the outbox for every receiver that should get them
   * (those `receiversOf` names, see notify/routing.ts; all by default) and
   * whose min_severity they meet,
   * and returns the new entries: the caller stores them in the same
   * transaction as the state change that made them.
   */
  enqueue(notifications: readonly Notification[], now = Date.now(), receiversOf?: (n: Notification) => readonly string[]): OutboxEntry[] {
    const added: OutboxEntry[] = [];
    for (const notification of notifications) {
      const routed = receiversOf?.(notification);
      const pending = this.notifiers
        .filter((r) => (routed === undefined || routed.includes(r.name)) && meetsSeverity(notification, r.minSeverity))
        .map((r) => ({ receiver: r.name, attempts: 0, nextAttemptAt: now, firstAttemptAt: null, lastError: null }));
      if (pending.length > 0) added.push({ notification, pending });
    }
    this.opts.state.outbox.push(...added);
    return added;
  }

  pendingCount(): number {
    return this.opts.state.outbox.reduce((n, e) => n + e.pending.length, 0);
  }

  /**
   * Sends what is due, waiting (for backoff, Retry-After or pacing) only until
   * `deadline`. Receivers are served concurrently, each in order, one drain per receiver at a time.
   */
  async drain(deadline: number, signal?: AbortSignal): Promise<void> {
    await Promise.all(
      this.notifiers.map((n) => {
        let run = this.running.get(n.name);
        if (!run) {
          run = this.drainReceiver(n, deadline, signal).finally(() => this.running.delete(n.name));
          this.running.set(n.name, run);
        }
        return run;
      }),
    );
  }

  /** The receiver's queue, in order: each entry with its delivery for this receiver. */
  private queueOf(receiver: string): QueuedDelivery[] {
    const out: QueuedDelivery[] = [];
    for (const entry of this.opts.state.outbox) {
      const delivery = entry.pending.find((d) => d.receiver === receiver);
      if (delivery) out.push({ entry, delivery });
    }
    return out;
  }

  private settle(entry: OutboxEntry, delivery: Delivery): void {
    const i = entry.pending.indexOf(delivery);
    if (i >= 0) entry.pending.splice(i, 1);
    if (entry.pending.length === 0) {
      const at = this.opts.state.outbox.indexOf(entry);
      if (at >= 0) this.opts.state.outbox.splice(at, 1);
    }
  }

  /**
   * One receiver's queue, in order. The first notification after a quiet spell
   * goes at once; what is due when a message goes (a burst of events, or what
   * queued up during an outage) goes with it as one message, and the next
   * message waits `groupWaitMs` (at least the pacing) after the last.
   */
  private async drainReceiver(notifier: Notifier, deadline: number, signal?: AbortSignal): Promise<void> {
    const gap = Math.max(this.paceMs, this.groupWaitMs);
    while (!signal?.aborted) {
      const head = this.queueOf(notifier.name)[0];
      if (!head) return;
      const waitUntil = Math.max(head.delivery.nextAttemptAt, (this.lastSentAt.get(notifier.name) ?? -Infinity) + gap);
      const now = Date.now();
      if (waitUntil > now) {
        if (waitUntil > deadline) return;
        try {
          await sleepTimer(waitUntil - now, undefined, signal ? { signal } : undefined);
        } catch {
          return; // aborted
        }
      }
      // Everything due now goes together (in order), when the receiver can take a group.
      const due = Date.now();
      const queue = this.queueOf(notifier.name);
      const batch = notifier.sendMany ? takeWhileDue(queue, due, MAX_GROUP) : queue.slice(0, 1);
      if (batch.length === 0) continue;
      const notifications = batch.map((b) => b.entry.notification);
      const message = foldFiredAndResolved(batch.map((b) => ({ notification: b.entry.notification, failedBefore: b.delivery.attempts > 0 })));
      const unreported = this.opts.state.failed.filter((f) => !f.reportedAt);
      if (unreported.length > 0) message[0] = withUndeliveredNote(message[0]!, unreported);
      const result = notifier.sendMany && message.length > 1 ? await notifier.sendMany(message) : await notifier.send(message[0]!);
      const at = Date.now();
      this.lastSentAt.set(notifier.name, at);
      const ids = notifications.map((n) => n.id).join(",");
      for (const { delivery } of batch) {
        delivery.attempts++;
        delivery.firstAttemptAt ??= at;
      }
      if (result.ok) {
        for (const q of batch) this.settle(q.entry, q.delivery);
        this.write("delivered", () => this.opts.journal.delivered(batch));
        log.info("notification delivered", { receiver: notifier.name, count: batch.length, id: ids, alert: batch.length === 1 ? notifications[0]!.alert.fingerprint : undefined });
        if (unreported.length > 0) {
          for (const f of unreported) f.reportedAt = at;
          this.write("reported", () => this.opts.journal.markReported(unreported, at));
        }
        continue;
      }
      const first = batch[0]!.delivery;
      if (!result.retryable || at - (first.firstAttemptAt ?? at) >= this.giveUpAfterMs) {
        const failures: FailedDelivery[] = batch.map(({ entry }) => ({
          notificationId: entry.notification.id,
          title: notificationTitle(entry.notification),
          receiver: notifier.name,
          error: result.message,
          at,
          reportedAt: null,
        }));
        for (const q of batch) this.settle(q.entry, q.delivery);
        this.opts.state.failed = [...this.opts.state.failed, ...failures].slice(-FAILED_KEPT);
        this.write("given up", () => this.opts.journal.gaveUp(batch, failures));
        log.error("notification could not be delivered", {
          receiver: notifier.name,
          id: ids,
          attempts: first.attempts,
          error: result.message,
          ...(result.retryable ? { gave_up_after_ms: at - (first.firstAttemptAt ?? at) } : {}),
        });
      } else {
        const wait = result.retryAfterMs !== undefined ? result.retryAfterMs : backoffMs(first.attempts);
        for (const { delivery } of batch) {
          delivery.nextAttemptAt = at + wait;
          delivery.lastError = result.message;
        }
        this.write("attempt", () => this.opts.journal.attempted(batch));
        log.warn("notification not delivered yet, will retry", { receiver: notifier.name, id: ids, attempt: first.attempts, retry_in_ms: wait, error: result.message });
      }
    }
  }

  /** A journal write that fails (disk full) is logged; delivery goes on from memory. */
  private write(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      log.error("could not record a delivery in the data directory; after a restart it may be sent again", { what, error: describeError(err) });
    }
  }
}

/** Most notifications one message carries (Slack shows 50 blocks; the rest are named in one line). */
const MAX_GROUP = 200;

/**
 * The next message a receiver accepts says what could not be delivered before
 * (given up on after give_up_after, or refused), once.
 */
export function withUndeliveredNote(n: Notification, failed: readonly FailedDelivery[]): Notification {
  const byReceiver = new Map<string, FailedDelivery[]>();
  for (const f of failed) byReceiver.set(f.receiver, [...(byReceiver.get(f.receiver) ?? []), f]);
  const parts = [...byReceiver].map(([receiver, fs]) => `${fs.length} to ${receiver} (${fs[fs.length - 1]!.error})`);
  const count = failed.length;
  const text = `${count} notification${count === 1 ? "" : "s"} could not be delivered: ${parts.join("; ")}. lookout status lists them.`;
  return { ...n, details: { ...n.details, sections: [...(n.details.sections ?? []), { title: "Not delivered earlier", text }] } };
}

/** The head of the queue and what is due behind it; a daily summary goes on its own. */
function takeWhileDue<T extends { entry: OutboxEntry; delivery: Delivery }>(queue: T[], now: number, max: number): T[] {
  const out: T[] = [];
  for (const q of queue) {
    if (q.delivery.nextAttemptAt > now || out.length >= max) break;
    const alone = q.entry.notification.kind === "summary";
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
      out.push({ ...n, details: { ...n.details, facts: [{ label: "While unreachable", value: "it fired and resolved while this receiver could not be reached" }, ...n.details.facts] } });
    }
  }
  return out;
}
