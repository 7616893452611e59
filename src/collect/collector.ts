import type { LookoutConfig } from "../config/schema.js";
import type { ContainerEvent } from "../model/history.js";
import type { MetricName } from "../model/metrics.js";
import type { Sample } from "../model/sample.js";

/**
 * Figures no rule reads and that move over minutes, not seconds, are read at
 * most this often; the cycles in between reuse the last reading (the first
 * collect, `check`'s one, reads them). The host's disks, inodes, process
 * count and network and disk counters (host/host.ts), and each container's
 * memory limit, processes, network and block I/O (docker/cgroup-reader.ts):
 * they are about half of the files a cycle would read otherwise, and the
 * cycle's own figures (CPU, memory) stay fresh each cycle. A disk filling up
 * is seen within this long; `/metrics` shows these figures as last read.
 */
export const SLOW_FIGURES_EVERY_MS = 10_000;

/**
 * Whether a reading taken at `at` is still the one to use at `now` for a
 * figure read every `everyMs`: less than that old, and not from the future
 * (the clock went back: read again rather than trust it).
 */
export function readWithin(at: number, now: number, everyMs: number): boolean {
  return now >= at && now - at < everyMs;
}

/** What a collector gets each cycle. */
export interface CollectContext {
  config: LookoutConfig;
  /** Wall-clock time of this cycle, ms since epoch. */
  now: number;
  /**
   * `interval`: the regular cycle. `event`: a cycle run early because a
   * collector reported a change (a container died): collectors may skip
   * costly work (stats) then.
   */
  reason: "interval" | "event";
}

/**
 * Samples, plus the metric names whose every series is in `samples` (a series
 * missing from a covered metric is gone: its alert resolves). Metrics present in
 * `samples` count as covered too.
 */
export interface CollectResult {
  samples: Sample[];
  covers?: MetricName[];
  /** What the collector saw happen since its last collect (a container died, started…), for the history's events journal. */
  events?: ContainerEvent[];
}

/**
 * A source of samples (Telegraf's "input"). One file per collector, registered in
 * `collect/registry.ts`. A collector keeps whatever it needs between cycles
 * (previous counters) itself; `restore`/`snapshot` let `lookout check` carry that
 * across processes through the data directory.
 */
export interface Collector {
  readonly name: string;
  collect(ctx: CollectContext): Promise<Sample[] | CollectResult>;
  /** Start watching for changes (`lookout run` only); call `onChange` to ask for an early cycle. */
  watch?(onChange: () => void): void;
  /** Stop watching: close streams and timers. */
  stop?(): Promise<void> | void;
  /** Opaque, JSON-serialisable memory of the previous cycle (for `check`). */
  snapshot?(): unknown;
  restore?(saved: unknown, savedAt: number): void;
}
