import type { LookoutConfig, ThresholdRule } from "../config/schema.js";
import type { Fact } from "../alert/notification.js";
import type { Sample } from "../collect/sample.js";

/**
 * A threshold rule over one metric (Prometheus' alerting rule, with Lookout's
 * defaults and message text). One definition per alert name; host rules live in
 * host-rules.ts, registered in evaluate/registry.ts.
 */
export interface RuleDefinition {
  /** Alert name, e.g. `host_cpu`. Also the metric it reads unless `metric` says otherwise. */
  alertname: string;
  metric?: string;
  /** Config key path, for messages: `host.cpu`. */
  configKey: string;
  settings(config: LookoutConfig): ThresholdRule;
  /** Whether this sample is watched (e.g. `host.disk.mounts`). */
  selects?(sample: Sample, config: LookoutConfig): boolean;
  /** What is measured, for titles: "CPU", "Disk /var". */
  display(sample: Sample): string;
  /** Facts for the message, from the sample's info. */
  facts(sample: Sample): Fact[];
  /** Whether a message should list the top processes, and by what. */
  topProcesses?: "cpu" | "memory";
}
