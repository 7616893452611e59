/**
 * What evaluation hands the alert lifecycle: one evaluated series of one rule
 * this cycle (evaluate/evaluate.ts makes it, alert/state.ts `step` takes it).
 */
export interface Observation {
  fingerprint: string;
  alertname: string;
  /** Identity labels (alertname, hostname, mount…), without severity. */
  labels: Record<string, string>;
  display: string;
  unit: string;
  value: number;
  warning: number;
  critical: number | null;
  forMs: number;
  hysteresis: number;
  /** What happened, for alerts that are events (a crash): replaces "value (threshold)" in titles. */
  summary?: string;
  /** Why the alert is over when its series disappears ("container removed"). */
  goneText?: string;
  /** When what it reports happened, if earlier than this cycle (a crash's exit time). */
  causedAt?: number;
  /** Ends without a resolved message (a notice such as a reboot, over after a while). */
  quietResolve?: boolean;
}
