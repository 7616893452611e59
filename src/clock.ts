/**
 * The clocks a cycle times itself with, from process.hrtime: the global
 * `performance` loads node:perf_hooks (a dozen of Node's internal modules,
 * ~4 ms of a short command) for the same monotonic clock. And a wait, made
 * with the global setTimeout: node:timers/promises is a module of Node's to
 * load (~0.3 ms) for a promise a line makes.
 */

/** Milliseconds of a clock that never goes back (performance.now's, from another origin). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** This process's start on the wall clock, in ns, minus the monotonic clock then: wallNs's origin. */
const ORIGIN_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** Wall-clock time in ns with sub-ms resolution, steady within the process (performance.timeOrigin + now()). */
export function wallNs(): number {
  return Number(ORIGIN_NS + process.hrtime.bigint());
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
