import { CONTAINER_CRASHED, CONTAINER_OOM_KILLED, CONTAINER_RESTART_LOOP, type MetricDetails, type MetricName } from "./metrics.js";

/** What every sample has, whatever its metric. */
interface SampleBase<N extends MetricName> {
  /** Metric name (model/metrics.ts), e.g. `host_cpu`, `host_disk`. Its unit is `METRICS[name].unit`. */
  name: N;
  /** Identifying labels, e.g. `{ mount: "/" }`. Empty for host-wide metrics. */
  labels: Record<string, string>;
  value: number;
  /**
   * Labels of the object measured that are not metric labels (a container's
   * Docker labels), for per-object rule settings (`lookout.cpu.warning=90`).
   */
  meta?: Record<string, string>;
}

/**
 * Context for messages (free bytes on a disk, the CPU split…), typed per metric
 * (`MetricDetails`). Not part of the metric's identity and not printed in
 * `check --json`'s `metrics`. Required where the metric always has details,
 * optional where it has them only while it fires, absent where it has none.
 */
type DetailsField<D> = [D] extends [undefined] ? { details?: undefined } : undefined extends D ? { details?: Exclude<D, undefined> } : { details: D };

/**
 * One measured value, the unit every collector produces and every rule reads:
 * a union on `name`, so that `if (s.name === HOST_DISK)` types `s.details` as
 * the disk's.
 */
export type Sample = { [N in MetricName]: SampleBase<N> & DetailsField<MetricDetails[N]> }[MetricName];

/** A sample of metric `N`. */
export type SampleOf<N extends MetricName> = Extract<Sample, { name: N }>;

/** The details a sample of `N` is made with: optional where the metric has none or has them only while it fires. */
type DetailsArgs<N extends MetricName> = undefined extends MetricDetails[N]
  ? [details?: MetricDetails[N], labels?: Record<string, string>, meta?: Record<string, string>]
  : [details: MetricDetails[N], labels?: Record<string, string>, meta?: Record<string, string>];

/** A sample of metric `name`, its details typed by the metric (collectors make samples with it). Labels default to none (a host-wide metric). */
export function sampleOf<N extends MetricName>(name: N, value: number, ...args: DetailsArgs<N>): SampleOf<N>;
// Plain parameters behind the typed rest: destructuring a rest array made an array, an iterator and a result per
// element on every call under --lite-mode (~110 KB of garbage a cycle for 20 containers' samples).
export function sampleOf<N extends MetricName>(name: N, value: number, details?: MetricDetails[N], labels?: Record<string, string>, meta?: Record<string, string>): SampleOf<N> {
  const s: { name: N; labels: Record<string, string>; value: number; details?: MetricDetails[N]; meta?: Record<string, string> } = { name, labels: labels ?? {}, value };
  if (details !== undefined) s.details = details;
  if (meta !== undefined) s.meta = meta;
  // The arguments are checked against MetricDetails[N] above; TypeScript cannot see that this object is then Sample's member for N.
  return s as SampleOf<N>;
}

/** Narrows a sample to metric `name`'s. */
export function isSampleOf<N extends MetricName>(sample: Sample, name: N): sample is SampleOf<N> {
  return sample.name === name;
}

/**
 * Where the container a sample is about writes (Docker's data root, its bind
 * mounts and volumes), for "disk full" as the likely cause of its death
 * (alert/likely-cause.ts `diskFullCause`); [] for a sample that does not say
 * (another metric, no sample).
 */
export function writesToOf(sample: Sample | undefined): string[] {
  switch (sample?.name) {
    case CONTAINER_CRASHED:
    case CONTAINER_OOM_KILLED:
    case CONTAINER_RESTART_LOOP:
      return sample.details?.writesTo ?? [];
    default:
      return [];
  }
}

export function sampleKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${parts.join(",")}}`;
}
