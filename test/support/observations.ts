import type { Observation } from "../../src/model/observation.js";

/** A host_cpu observation on web-1 (warning 80, critical 95, for 1m, hysteresis 5), for lifecycle tests. */
export function cpuObservation(value: number, o: Partial<Observation> = {}): Observation {
  return {
    fingerprint: 'host_cpu{hostname="web-1"}',
    alertname: "host_cpu",
    labels: { alertname: "host_cpu", hostname: "web-1" },
    display: "CPU",
    unit: "%",
    value,
    warning: 80,
    critical: 95,
    forMs: 60_000,
    hysteresis: 5,
    ...o,
  };
}
