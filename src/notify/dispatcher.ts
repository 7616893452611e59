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
import type { AgentState, OutboxEntry } from "../store/state-file.js";
import type { Notifier } from "./notifier.js";
import { log } from "../log.js";

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

export interface DispatcherOptions {
  notifiers: readonly Notifier[];
  /** The live state whose outbox is served; `persist` saves it. */
  state: AgentState;
  persist: () => void;
  paceMs?: number;
  giveUpAfterMs?: number;
}

export class Dispatcher {
  private readonly notifiers: readonly Notifier[];
  private readonly paceMs: number;
  private readonly giveUpAfterMs: number;
  private readonly lastSentAt = new Map<string, number>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly opts: DispatcherOptions) {
    this.notifiers = opts.notifiers;
    this.paceMs = opts.paceMs ?? 1000;
    this.giveUpAfterMs = opts.giveUpAfterMs ?? 24 * 3600_000;
  }

  /** Adds notifications to the outbox for every receiver that should get them. The caller persists. */
  enqueue(notifications: readonly Notification[], now = Date.now()): void {
    for (const notification of notifications) {
      const pending = this.notifiers
        .filter((r) => meetsSeverity(notification, r.minSeverity))
        .map((r) => ({ receiver: r.name, attempts: 0, nextAttemptAt: now, firstAttemptAt: null, lastError: null }));
      if (pending.length > 0) this.opts.state.outbox.push({ notification, pending });
    }
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

  private firstPending(receiver: string): { entry: OutboxEntry; index: number } | undefined {
    for (const entry of this.opts.state.outbox) {
      const index = entry.pending.findIndex((d) => d.receiver === receiver);
      if (index >= 0) return { entry, index };
    }
    return undefined;
  }

  private settle(entry: OutboxEntry, index: number): void {
    entry.pending.splice(index, 1);
    if (entry.pending.length === 0) {
      const at = this.opts.state.outbox.indexOf(entry);
      if (at >= 0) this.opts.state.outbox.splice(at, 1);
    }
  }

  private async drainReceiver(notifier: Notifier, deadline: number, signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted) {
      const next = this.firstPending(notifier.name);
      if (!next) return;
      const { entry, index } = next;
      const delivery = entry.pending[index]!;
      const waitUntil = Math.max(delivery.nextAttemptAt, (this.lastSentAt.get(notifier.name) ?? -Infinity) + this.paceMs);
      const now = Date.now();
      if (waitUntil > now) {
        if (waitUntil > deadline) return;
        try {
          await sleepTimer(waitUntil - now, undefined, signal ? { signal } : undefined);
        } catch {
          return; // aborted
        }
      }
      const id = entry.notification.id;
      const result = await notifier.send(entry.notification);
      const at = Date.now();
      this.lastSentAt.set(notifier.name, at);
      delivery.attempts++;
      delivery.firstAttemptAt ??= at;
      if (result.ok) {
        this.settle(entry, index);
        log.info("notification delivered", { receiver: notifier.name, id, kind: entry.notification.kind, alert: entry.notification.alert.fingerprint });
      } else if (!result.retryable || at - delivery.firstAttemptAt >= this.giveUpAfterMs) {
        this.settle(entry, index);
        this.opts.state.failed.push({ notificationId: id, title: `${entry.notification.kind} ${entry.notification.alert.fingerprint}`, receiver: notifier.name, error: result.message, at });
        this.opts.state.failed = this.opts.state.failed.slice(-100);
        log.error("notification could not be delivered", { receiver: notifier.name, id, attempts: delivery.attempts, error: result.message });
      } else {
        const wait = result.retryAfterMs !== undefined ? result.retryAfterMs : backoffMs(delivery.attempts);
        delivery.nextAttemptAt = at + wait;
        delivery.lastError = result.message;
        log.warn("notification not delivered yet, will retry", { receiver: notifier.name, id, attempt: delivery.attempts, retry_in_ms: wait, error: result.message });
      }
      this.opts.persist();
    }
  }
}
