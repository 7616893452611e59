/**
 * Samples + rules → observations for the alert state machine. Pure.
 */

import type { LookoutConfig } from "../config/schema.js";
import { METRICS, type MetricName } from "../model/metrics.js";
import type { Fact } from "../model/notification.js";
import type { Observation } from "../model/observation.js";
import { type Sample, sampleKey } from "../model/sample.js";
import type { RuleDefinition } from "./rule.js";

export interface Evaluation {
  observations: Observation[];
  /** Alert names whose metric was collected this cycle (or whose rule is off). */
  evaluated: Set<string>;
  /** Per fingerprint: the rule and sample behind it, for building messages. */
  sources: Map<string, { rule: RuleDefinition; sample: Sample }>;
}

export function fingerprintOf(alertname: string, labels: Record<string, string>): string {
  const { alertname: _a, severity: _s, ...rest } = labels;
  return sampleKey(alertname, rest);
}

export function evaluate(
  samples: readonly Sample[],
  rules: readonly RuleDefinition[],
  config: LookoutConfig,
  hostname: string,
  covers: ReadonlySet<string> = new Set(),
): Evaluation {
  const byMetric = new Map<MetricName, Sample[]>();
  for (const s of samples) {
    const list = byMetric.get(s.name);
    if (list) list.push(s);
    else byMetric.set(s.name, [s]);
  }
  const observations: Observation[] = [];
  const evaluated = new Set<string>();
  const sources = new Map<string, { rule: RuleDefinition; sample: Sample }>();
  for (const rule of rules) {
    const metric = rule.metric;
    const metricSamples = byMetric.get(metric);
    if (!rule.settings(config).enabled) {
      evaluated.add(rule.alertname);
      continue;
    }
    if (metricSamples || covers.has(metric)) evaluated.add(rule.alertname);
    for (const sample of metricSamples ?? []) {
      if (rule.selects && !rule.selects(sample, config)) continue;
      if (!Number.isFinite(sample.value)) continue;
      const settings = rule.settings(config, sample);
      if (!settings.enabled) continue;
      const labels = { alertname: rule.alertname, hostname, ...sample.labels };
      const fingerprint = fingerprintOf(rule.alertname, labels);
      const causedAt = rule.causedAt?.(sample);
      observations.push({
        fingerprint,
        alertname: rule.alertname,
        labels,
        display: rule.display(sample),
        unit: METRICS[sample.name].unit,
        value: sample.value,
        warning: settings.warning,
        critical: settings.critical,
        forMs: settings.for,
        hysteresis: settings.hysteresis,
        ...(rule.summary ? { summary: rule.summary(sample) } : {}),
        ...(rule.gone ? { goneText: rule.gone } : {}),
        ...(rule.quietResolve ? { quietResolve: true } : {}),
        ...(causedAt !== undefined && Number.isFinite(causedAt) ? { causedAt } : {}),
      });
      sources.set(fingerprint, { rule, sample });
    }
  }
  return { observations, evaluated, sources };
}

/** Facts and text sections for a message about this alert, from the sample behind it. */
export function detailsFor(evaluation: Evaluation, fingerprint: string): { facts: Fact[]; sections?: Array<{ title: string; text: string; code?: boolean }> } {
  const src = evaluation.sources.get(fingerprint);
  if (!src) return { facts: [] };
  const sections = src.rule.sections?.(src.sample);
  return sections && sections.length > 0 ? { facts: src.rule.facts(src.sample), sections } : { facts: src.rule.facts(src.sample) };
}

export function factsFor(evaluation: Evaluation, fingerprint: string): Fact[] {
  return detailsFor(evaluation, fingerprint).facts;
}
