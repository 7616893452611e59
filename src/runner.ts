/**
 * `lookout run`'s loop: a cycle every interval, an early cycle (of just the
 * collector that asked) when a collector reports a change such as a Docker
 * event, never two cycles at once, and delivery kicked after each cycle. A
 * reload (SIGHUP) runs between cycles, never during one.
 */

import type { Agent, CycleResult } from "./agent.js";
import { describeError } from "./errors.js";
import { processMessages } from "./i18n/current.js";
import { log } from "./log.js";
import { type Clock, REAL_CLOCK } from "./notify/dispatcher.js";
import type { Heartbeat } from "./notify/heartbeat.js";

export interface RunnerOptions {
  /**
   * Called after each regular (interval) cycle that completed, with what it
   * found: `lookout run` logs its first one. An exception it throws is logged,
   * never fatal.
   */
  onCycle?: (result: CycleResult) => void;
  /** Time for the loop's waits (interval, event debounce): tests give one that does not wait. */
  clock?: Clock;
}

/**
 * One step of the history's roll-up and deletion after each regular cycle,
 * at most this long (it is synchronous: an event that comes meanwhile waits
 * at most this for its cycle). At a 10 s interval that is ~1.8 s of work an
 * hour; 50 containers need ~0.2 s an hour (docs/benchmarks.md section 11).
 */
export const HISTORY_STEP_MS = 5;

/** Events come in bursts (kill, die, stop, destroy): wait this long to take them in one cycle. */
const EVENT_DEBOUNCE_MS = 100;

export class Runner {
  private busy = false;
  private wanted = new Set<string>();
  /** Aborts the event debounce under way (null: none). */
  private eventTimer: AbortController | null = null;
  private wake: (() => void) | null = null;
  private reloadWanted: (() => Promise<void> | void) | null = null;
  private readonly watched = new WeakSet<object>();
  private readonly clock: Clock;

  constructor(
    private readonly agent: Agent,
    private intervalMs: number,
    private readonly signal: AbortSignal,
    /** Pinged after each regular cycle that ran (notify.heartbeat): a dead agent stops pinging. */
    private heartbeat: Heartbeat | null = null,
    private readonly opts: RunnerOptions = {},
  ) {
    this.clock = opts.clock ?? REAL_CLOCK;
    signal.addEventListener("abort", () => this.sleeper.abort(), { once: true });
  }

  /**
   * Runs `apply` between cycles, as soon as the one under way (if any) is
   * over; a second request before then replaces the first. An exception it
   * throws is logged, never fatal.
   */
  requestReload(apply: () => Promise<void> | void): void {
    this.reloadWanted = apply;
    this.wake?.();
  }

  /** A reloaded configuration's interval and heartbeat; collectors the agent made anew are watched. */
  configure(intervalMs: number, heartbeat: Heartbeat | null): void {
    this.intervalMs = intervalMs;
    this.heartbeat = heartbeat;
  }

  private watchCollectors(): void {
    for (const c of this.agent.collectors) {
      if (this.watched.has(c)) continue;
      this.watched.add(c);
      c.watch?.(() => this.requestEarly(c.name));
    }
  }

  async run(): Promise<void> {
    this.watchCollectors();
    let nextAt = this.clock.now();
    while (!this.signal.aborted) {
      if (this.reloadWanted) {
        const apply = this.reloadWanted;
        this.reloadWanted = null;
        try {
          await apply();
        } catch (err) {
          log.error(processMessages().t("log.notReloaded"), { error: describeError(err) });
        }
        this.watchCollectors();
        nextAt = Math.min(nextAt, this.clock.now() + this.intervalMs);
        if (this.signal.aborted) break;
      }
      const now = this.clock.now();
      if (now >= nextAt) {
        nextAt = now + this.intervalMs;
        await this.cycle(now, "interval");
      } else if (this.wanted.size > 0) {
        const only = new Set(this.wanted);
        this.wanted.clear();
        await this.cycle(now, "event", only);
      }
      if (this.signal.aborted) break;
      if ((this.wanted.size > 0 && this.eventTimer === null) || this.reloadWanted) continue;
      await this.sleepUntil(nextAt);
    }
    this.eventTimer?.abort();
    await this.agent.stopCollectors();
  }

  private requestEarly(collector: string): void {
    if (this.signal.aborted) return;
    if (this.eventTimer) return void this.wanted.add(collector);
    const timer = new AbortController();
    this.eventTimer = timer;
    this.clock.sleep(EVENT_DEBOUNCE_MS, timer.signal).then(
      () => {
        if (this.eventTimer === timer) this.eventTimer = null;
        this.wanted.add(collector);
        this.wake?.();
      },
      () => {
        /* the run is over */
      },
    );
  }

  /**
   * What ends a sleep early (`wake`, or the run's end: the constructor's
   * listener): one controller, made anew only after it was used, not one and
   * a listener on the run's signal per cycle (Node's AbortController and EventTarget cost ~0.1 ms of CPU a
   * cycle under --lite-mode).
   */
  private sleeper = new AbortController();

  private async sleepUntil(at: number): Promise<void> {
    if (this.sleeper.signal.aborted) this.sleeper = new AbortController();
    const sleeper = this.sleeper;
    const wait = Math.max(0, at - this.clock.now());
    this.wake = () => sleeper.abort();
    try {
      await this.clock.sleep(wait, sleeper.signal);
    } catch {
      /* woken early */
    } finally {
      this.wake = null;
    }
  }

  private async cycle(now: number, reason: "interval" | "event", only?: ReadonlySet<string>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const result = await this.agent.cycle(now, only ? { reason, only } : { reason });
      if (reason === "interval") {
        void this.heartbeat?.beat(now);
        try {
          this.opts.onCycle?.(result);
        } catch (err) {
          log.error(processMessages().t("log.reportFailed"), { error: describeError(err) });
        }
        // Between cycles: the next one is an interval away (maintainHistory never throws).
        this.agent.maintainHistory(now, HISTORY_STEP_MS);
      }
    } catch (err) {
      // Nothing a cycle meets (a vanished file, a full disk) may stop the agent.
      log.error(processMessages().t("log.checkFailed"), { error: describeError(err) });
    } finally {
      this.busy = false;
    }
    void this.agent.dispatcher.drain(now + this.intervalMs, this.signal).catch((err) => log.error(processMessages().t("log.deliveryFailed"), { error: describeError(err) }));
  }
}
