/** One measured value, the unit every collector produces and every rule reads. */
export interface Sample {
  /** Metric name, e.g. `host_cpu`, `host_disk`. Stable: used in JSON, Slack, silences, Prometheus. */
  name: string;
  /** Identifying labels, e.g. `{ mount: "/" }`. Empty for host-wide metrics. */
  labels: Record<string, string>;
  value: number;
  /** `%`, `bytes`, `s`, `per_core`, `count`… */
  unit: string;
  /**
   * Extra context for messages (free bytes on a disk, the CPU split…). Not part
   * of the metric's identity and not printed in `check --json`'s `metrics`.
   */
  info?: Record<string, string | number>;
  /**
   * Labels of the object measured that are not metric labels (a container's
   * Docker labels), for per-object rule settings (`lookout.cpu.warning=90`).
   */
  meta?: Record<string, string>;
}

export function sampleKey(name: string, labels: Record<string, string>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${parts.join(",")}}`;
}
