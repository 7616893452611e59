/**
 * Clocks for tests about time (the Clock the dispatcher, runner and heartbeat
 * take): a rule about waiting is checked on the clock's time, without waiting.
 */
import type { Clock } from "../../src/notify/dispatcher.js";

/** A clock whose sleeps pass at once, moving its time forward by what was slept. For code the test awaits (a drain). */
export function instantClock(start = Date.now()): Clock & { set(t: number): void; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw new Error("aborted");
      t += Math.max(0, ms);
    },
    set: (at) => {
      t = at;
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Lets what a resolved sleep started run (promise callbacks, I/O callbacks already due) before time moves on. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/**
 * A clock that moves only when the test says (`advance`), firing the sleeps
 * that fall due on the way in order, each at its own time. For code that runs
 * on its own (the runner's loop).
 */
export class ManualClock implements Clock {
  #t: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Date.now()) {
    this.#t = start;
  }

  now(): number {
    return this.#t;
  }

  /** How many sleeps are waiting. */
  get sleeping(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new Error("aborted"));
      const timer: Timer = {
        at: this.#t + Math.max(0, ms),
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers = this.#timers.filter((x) => x !== timer);
        reject(new Error("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Lets pending work run without moving time. */
  async settle(rounds = 5): Promise<void> {
    for (let i = 0; i < rounds; i++) await settle();
  }

  /** Moves time forward by `ms`, firing each sleep that falls due at its own time, and letting what it starts run. */
  async advance(ms: number): Promise<void> {
    const end = this.#t + ms;
    await this.settle();
    for (;;) {
      const due = this.#timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((x) => x !== due);
      this.#t = Math.max(this.#t, due.at);
      due.resolve();
      await this.settle();
    }
    this.#t = end;
    await this.settle();
  }
}
