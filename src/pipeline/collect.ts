/**
 * Stage 1, collect: every collector's samples, run concurrently. A collector
 * that fails is reported, never thrown; a cycle run early for a Docker event
 * runs only the collectors asked for and reuses the others' last results, so
 * reacting to an event does not wait for a CPU window.
 */

import type { Collector, CollectResult } from "../collect/collector.js";
import type { LookoutConfig } from "../config/schema.js";
import { describeError } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import { log } from "../log.js";
import type { ContainerEvent } from "../model/history.js";
import type { Sample } from "../model/sample.js";

export interface Collected {
  samples: Sample[];
  /** Metrics whose every series is in `samples` (collect/collector.ts). */
  covers: Set<string>;
  /** Collectors that failed, with why. */
  errors: string[];
  /** The memory of each collector that ran, to keep across processes (`check` from cron). */
  snapshots: Record<string, { savedAt: number; data: unknown }>;
  /** Samples of the collectors that ran this cycle (not those reused from an earlier one): what history records. */
  fresh: Sample[];
  /** What the collectors that ran saw happen since they last ran. */
  events: ContainerEvent[];
}

export interface CollectOptions {
  reason?: "interval" | "event";
  /** Run only these collectors; the others' last results are reused. */
  only?: ReadonlySet<string>;
}

export class CollectStage {
  /** Each collector's last result, reused by cycles that do not run it. */
  private readonly last = new Map<string, CollectResult>();
  /** When the collectors' memory was last taken to be stored. */
  private snapshotAt = -Infinity;

  /**
   * `snapshotEveryMs`: how often the collectors' memory is taken to be stored
   * with the cycle. 0 (`check`): every cycle, since the next `check` is another
   * process that starts from it. `run` keeps it in memory and stores it now and
   * then (and when it stops, `snapshots`): copying and writing every
   * container's record every cycle would cost as much as there are containers,
   * changed or not.
   */
  constructor(
    readonly collectors: readonly Collector[],
    private readonly snapshotEveryMs = 0,
  ) {}

  async run(config: LookoutConfig, now: number, opts: CollectOptions = {}): Promise<Collected> {
    const reason = opts.reason ?? "interval";
    const errors: string[] = [];
    const snapshots: Collected["snapshots"] = {};
    const ran = new Set<string>();
    const takeSnapshots = now - this.snapshotAt >= this.snapshotEveryMs;
    if (takeSnapshots) this.snapshotAt = now;
    await Promise.all(
      this.collectors.map(async (c) => {
        if (opts.only && !opts.only.has(c.name) && this.last.has(c.name)) return;
        try {
          const out = await c.collect({ config, now, reason });
          this.last.set(c.name, Array.isArray(out) ? { samples: out } : out);
          ran.add(c.name);
          if (c.snapshot && takeSnapshots) snapshots[c.name] = { savedAt: now, data: c.snapshot() };
        } catch (err) {
          this.last.delete(c.name);
          errors.push(`${c.name}: ${describeError(err)}`);
          log.error(processMessages().t("log.collectorFailed"), { collector: c.name, error: describeError(err) });
        }
      }),
    );
    const samples: Sample[] = [];
    const covers = new Set<string>();
    const fresh: Sample[] = [];
    const events: ContainerEvent[] = [];
    for (const c of this.collectors) {
      const r = this.last.get(c.name);
      if (!r) continue;
      samples.push(...r.samples);
      for (const m of r.covers ?? []) covers.add(m);
      if (ran.has(c.name)) {
        fresh.push(...r.samples);
        events.push(...(r.events ?? []));
      }
    }
    return { samples, covers, errors, snapshots, fresh, events };
  }

  /** Each collector's memory now (before its collectors are replaced on reload). */
  snapshots(now: number): Collected["snapshots"] {
    const out: Collected["snapshots"] = {};
    for (const c of this.collectors) if (c.snapshot) out[c.name] = { savedAt: now, data: c.snapshot() };
    return out;
  }

  /** Gives each collector what it kept last time (`check` from cron, a reload). */
  restore(saved: Readonly<Record<string, { savedAt: number; data: unknown }>>): void {
    for (const c of this.collectors) {
      const s = saved[c.name];
      if (s && c.restore) c.restore(s.data, s.savedAt);
    }
  }

  /** Closes collectors' connections and streams. */
  async stop(): Promise<void> {
    await Promise.allSettled(this.collectors.map((c) => c.stop?.()));
  }
}
