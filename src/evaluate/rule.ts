import type { LookoutConfig, ThresholdRule } from "../config/schema.js";
import type { Fact } from "../model/notification.js";
import type { Sample } from "../model/sample.js";

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
  /** The settings for this sample (containers can override them per container). */
  settings(config: LookoutConfig, sample?: Sample): ThresholdRule;
  /** Whether this sample is watched (e.g. `host.disk.mounts`). */
  selects?(sample: Sample, config: LookoutConfig): boolean;
  /** What is measured, for titles: "CPU", "Disk /var". */
  display(sample: Sample): string;
  /** Facts for the message, from the sample's info. */
  facts(sample: Sample): Fact[];
  /**
   * What happened, for titles of alerts that are events rather than levels
   * (`api crashed: exit code 3 (application error)`). Without it the title
   * is "<display> <value> (threshold …)".
   */
  summary?(sample: Sample): string;
  /** Blocks of text for the message (a crashed container's last log lines). */
  sections?(sample: Sample): Array<{ title: string; text: string; code?: boolean }>;
  /**
   * When what it reports happened, when that can be earlier than Lookout saw
   * it (a crash found after Docker came back): tells a symptom of an outage
   * from a failure after it (alert/inhibition.ts).
   */
  causedAt?(sample: Sample): number | undefined;
  /** Ends without a resolved message: a notice (a reboot) rather than a problem that gets fixed. */
  quietResolve?: boolean;
  /** Why an alert is over when its series disappears, e.g. "container removed". */
  gone?: string;
  /** Whether a message should list the top processes, and by what. */
  topProcesses?: "cpu" | "memory";
}
