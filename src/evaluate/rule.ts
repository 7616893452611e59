import type { LookoutConfig, ThresholdRule } from "../config/schema.js";
import type { MessageKey, Messages } from "../i18n/messages.js";
import type { MetricName } from "../model/metrics.js";
import type { Fact } from "../model/notification.js";
import { isSampleOf, type Sample, type SampleOf } from "../model/sample.js";

/** What a rule says of a sample `S`: its settings, its words (in the language of `m`, the config's `locale`). */
export interface RuleParts<S> {
  /** Config key path, for messages: `host.cpu`. */
  configKey: string;
  /**
   * The settings for this sample (containers can override them per container):
   * a function of the config and of the sample's labels and meta only, never
   * of its value or details (evaluate.ts keeps them per labels object).
   */
  settings(config: LookoutConfig, sample?: S): ThresholdRule;
  /** Whether this sample is watched (e.g. `host.disk.mounts`). */
  selects?(sample: S, config: LookoutConfig): boolean;
  /** What is measured, for titles: "CPU", "Disk /var". */
  display(sample: S, m: Messages): string;
  /** Facts for the message, from the sample's details. */
  facts(sample: S, m: Messages): Fact[];
  /**
   * What happened, for titles of alerts that are events rather than levels
   * (`api crashed: exit code 3 (application error)`). Without it the title
   * is "<display> <value> (threshold …)".
   */
  summary?(sample: S, m: Messages): string;
  /** Blocks of text for the message (a crashed container's last log lines). */
  sections?(sample: S, m: Messages): Array<{ title: string; text: string; code?: boolean }>;
  /**
   * When what it reports happened, when that can be earlier than Lookout saw
   * it (a crash found after Docker came back): tells a symptom of an outage
   * from a failure after it (alert/inhibition.ts).
   */
  causedAt?(sample: S): number | undefined;
  /** Ends without a resolved message: a notice (a reboot) rather than a problem that gets fixed. */
  quietResolve?: boolean;
  /** Why an alert is over when its series disappears, e.g. "container removed": its catalogue key. */
  gone?: MessageKey;
  /** Whether a message should list the top processes, and by what. */
  topProcesses?: "cpu" | "memory";
}

/**
 * A threshold rule over one metric (Prometheus' alerting rule, with Lookout's
 * defaults and message text), as evaluation sees it: it is handed only samples
 * of its `metric`. Written with `defineRule`, which types them; host rules live
 * in host-rules.ts, registered in evaluate/registry.ts.
 */
export interface RuleDefinition extends RuleParts<Sample> {
  /** Alert name, e.g. `host_cpu`: the metric's name unless the rule says otherwise. */
  alertname: string;
  /** The metric it reads. */
  metric: MetricName;
}

/**
 * A rule over metric `metric`, whose parts read that metric's typed samples
 * (`sample.details.freeBytes`). The alert is named after the metric unless
 * `alertname` says otherwise.
 */
export function defineRule<N extends MetricName>(metric: N, parts: RuleParts<SampleOf<N>> & { alertname?: string }): RuleDefinition {
  const { alertname = metric, settings, selects, display, facts, summary, sections, causedAt, ...rest } = parts;
  const of = (s: Sample): SampleOf<N> => {
    if (!isSampleOf(s, metric)) throw new Error(`rule ${alertname} reads ${metric} samples, was given one of ${s.name}`);
    return s;
  };
  return {
    ...rest,
    alertname,
    metric,
    settings: (config, s) => settings(config, s === undefined ? undefined : of(s)),
    display: (s, m) => display(of(s), m),
    facts: (s, m) => facts(of(s), m),
    ...(selects ? { selects: (s: Sample, config: LookoutConfig) => selects(of(s), config) } : {}),
    ...(summary ? { summary: (s: Sample, m: Messages) => summary(of(s), m) } : {}),
    ...(sections ? { sections: (s: Sample, m: Messages) => sections(of(s), m) } : {}),
    ...(causedAt ? { causedAt: (s: Sample) => causedAt(of(s)) } : {}),
  };
}
