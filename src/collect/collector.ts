import type { LookoutConfig } from "../config/schema.js";
import type { Sample } from "./sample.js";

/** What a collector gets each cycle. */
export interface CollectContext {
  config: LookoutConfig;
  /** Wall-clock time of this cycle, ms since epoch. */
  now: number;
}

/**
 * A source of samples (Telegraf's "input"). One file per collector, registered in
 * `collect/registry.ts`. A collector keeps whatever it needs between cycles
 * (previous counters) itself; `restore`/`snapshot` let `lookout check` carry that
 * across processes through the data directory.
 */
export interface Collector {
  readonly name: string;
  collect(ctx: CollectContext): Promise<Sample[]>;
  /** Opaque, JSON-serialisable memory of the previous cycle (for `check`). */
  snapshot?(): unknown;
  restore?(saved: unknown, savedAt: number): void;
}
