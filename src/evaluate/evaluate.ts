/**
 * Samples + rules → observations for the alert state machine. Pure.
 */

import type { LookoutConfig, ThresholdRule } from "../config/schema.js";
import { type Messages, messages } from "../i18n/messages.js";
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
  /** The words of the config's `locale`, for the facts and sections of messages; English when absent. */
  messages?: Messages;
}

export function fingerprintOf(alertname: string, labels: Record<string, string>): string {
  const { alertname: _a, severity: _s, ...rest } = labels;
  return sampleKey(alertname, rest);
}

/**
 * Each sample labels object's alert labels and fingerprint, by rule: a
 * container's samples share one labels object from cycle to cycle
 * (collect/docker/docker.ts `containerLabels`), and sorting and quoting its
 * labels for a fingerprint was the largest part of evaluating (measured:
 * about a third). Labels are never changed once made, so a key stays right.
 */
const identities = new WeakMap<Record<string, string>, Map<RuleDefinition, Identity>>();

/**
 * An alert's labels and fingerprint, and the rule's settings for the samples
 * of these labels as last worked out: a rule's settings are a function of the
 * config and of the sample's labels and meta only (rule.ts), so they are
 * worked out again only when the config or the meta object changed (a
 * container's policy otherwise cost a handful of calls and a new object per
 * sample and cycle under --lite-mode).
 */
interface Identity {
  hostname: string;
  labels: Record<string, string>;
  fingerprint: string;
  settingsFor?: { config: LookoutConfig; meta: Record<string, string> | undefined; settings: ThresholdRule };
}

/** The key of every sample without labels (host-wide ones): each has an `{}` of its own, made anew each cycle. */
const NO_LABELS: Record<string, string> = Object.freeze({});

function hasLabels(labels: Record<string, string>): boolean {
  for (const _ in labels) return true;
  return false;
}

function identityOf(rule: RuleDefinition, hostname: string, labelsOfSample: Record<string, string>): Identity {
  const sampleLabels = hasLabels(labelsOfSample) ? labelsOfSample : NO_LABELS;
  let byRule = identities.get(sampleLabels);
  const kept = byRule?.get(rule);
  if (kept && kept.hostname === hostname) return kept;
  const labels = { alertname: rule.alertname, hostname, ...sampleLabels };
  const made: Identity = { hostname, labels, fingerprint: fingerprintOf(rule.alertname, labels) };
  if (!byRule) {
    byRule = new Map();
    identities.set(sampleLabels, byRule);
  }
  byRule.set(rule, made);
  return made;
}

function settingsOf(identity: Identity, rule: RuleDefinition, config: LookoutConfig, sample: Sample): ThresholdRule {
  const kept = identity.settingsFor;
  if (kept && kept.config === config && kept.meta === sample.meta) return kept.settings;
  const settings = rule.settings(config, sample);
  identity.settingsFor = { config, meta: sample.meta, settings };
  return settings;
}

/** The metrics some rule reads, per list of rules (the registry's: one), so that other samples are passed over at once. */
const metricsRead = new WeakMap<readonly RuleDefinition[], ReadonlySet<string>>();

function metricsOf(rules: readonly RuleDefinition[]): ReadonlySet<string> {
  let set = metricsRead.get(rules);
  if (!set) {
    set = new Set(rules.map((r) => r.metric));
    metricsRead.set(rules, set);
  }
  return set;
}

/**
 * Alerts held in memory, by fingerprint. Given to `evaluate` (by `run`), a
 * sample below its rule's thresholds whose identity is not among them is not
 * observed: the lifecycle would change nothing for it (no alert to resolve,
 * none to start), and most of a quiet cycle's samples are such. Without it
 * (check, whose table lists every observation) every sample is observed.
 */
export interface QuietSkip {
  has(fingerprint: string): boolean;
}

export function evaluate(
  samples: readonly Sample[],
  rules: readonly RuleDefinition[],
  config: LookoutConfig,
  hostname: string,
  covers: ReadonlySet<string> = new Set(),
  held?: QuietSkip,
): Evaluation {
  const byMetric = new Map<MetricName, Sample[]>();
  const read = metricsOf(rules);
  // Indexed loops here and below: under --lite-mode a for-of makes an iterator result per element (this runs for every
  // sample of every cycle).
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (!read.has(s.name)) continue;
    const list = byMetric.get(s.name);
    if (list) list.push(s);
    else byMetric.set(s.name, [s]);
  }
  const observations: Observation[] = [];
  const evaluated = new Set<string>();
  const sources = new Map<string, { rule: RuleDefinition; sample: Sample }>();
  const m = messages(config.locale);
  for (const rule of rules) {
    const metric = rule.metric;
    const metricSamples = byMetric.get(metric);
    if (!rule.settings(config).enabled) {
      evaluated.add(rule.alertname);
      continue;
    }
    if (metricSamples || covers.has(metric)) evaluated.add(rule.alertname);
    const ofMetric = metricSamples ?? [];
    for (let i = 0; i < ofMetric.length; i++) {
      const sample = ofMetric[i]!;
      if (rule.selects && !rule.selects(sample, config)) continue;
      if (!Number.isFinite(sample.value)) continue;
      const identity = identityOf(rule, hostname, sample.labels);
      const settings = settingsOf(identity, rule, config, sample);
      if (!settings.enabled) continue;
      if (held && sample.value < settings.warning && (settings.critical === null || sample.value < settings.critical) && !held.has(identity.fingerprint)) continue;
      const causedAt = rule.causedAt?.(sample);
      const o = new Observed(identity, rule, sample, METRICS[sample.name].unit, settings, m);
      if (causedAt !== undefined && Number.isFinite(causedAt)) o.causedAt = causedAt;
      if (rule.quietResolve) o.quietResolve = true;
      observations.push(o);
      sources.set(identity.fingerprint, { rule, sample });
    }
  }
  return { observations, evaluated, sources, messages: m };
}

/**
 * An observation whose words (`display`, `summary`, `goneText`) are made
 * when first read, then kept: most series are below their thresholds with
 * no alert, and nobody reads their words (filling the catalogue's texts for
 * every container's every rule was a fifth of a cycle's CPU). The words are
 * getters of the class, not own properties: read them by name (a spread or
 * JSON of an observation leaves them out). The rules' words are functions
 * of the sample and the language only, so reading them late changes nothing.
 */
class Observed implements Observation {
  fingerprint: string;
  alertname: string;
  labels: Record<string, string>;
  unit: string;
  value: number;
  warning: number;
  critical: number | null;
  forMs: number;
  hysteresis: number;
  // Own properties only when set, as in an observation written by hand.
  declare causedAt?: number;
  declare quietResolve?: boolean;
  readonly #rule: RuleDefinition;
  readonly #sample: Sample;
  readonly #m: Messages;
  #display: string | undefined;
  #summary: string | undefined;
  #gone: string | undefined;

  // Each field set from its source, not copied out of an object literal made for it (one object and two spreads fewer per
  // sample and cycle under --lite-mode). `causedAt` and `quietResolve` are set by `evaluate` after, only when there is one.
  constructor(identity: { fingerprint: string; labels: Record<string, string> }, rule: RuleDefinition, sample: Sample, unit: string, settings: ThresholdRule, m: Messages) {
    this.fingerprint = identity.fingerprint;
    this.alertname = rule.alertname;
    this.labels = identity.labels;
    this.unit = unit;
    this.value = sample.value;
    this.warning = settings.warning;
    this.critical = settings.critical;
    this.forMs = settings.for;
    this.hysteresis = settings.hysteresis;
    this.#rule = rule;
    this.#sample = sample;
    this.#m = m;
  }

  get display(): string {
    this.#display ??= this.#rule.display(this.#sample, this.#m);
    return this.#display;
  }

  get summary(): string | undefined {
    if (!this.#rule.summary) return undefined;
    this.#summary ??= this.#rule.summary(this.#sample, this.#m);
    return this.#summary;
  }

  get goneText(): string | undefined {
    if (!this.#rule.gone) return undefined;
    this.#gone ??= this.#m.t(this.#rule.gone);
    return this.#gone;
  }
}

/** Facts and text sections for a message about this alert, from the sample behind it. */
export function detailsFor(evaluation: Evaluation, fingerprint: string): { facts: Fact[]; sections?: Array<{ title: string; text: string; code?: boolean }> } {
  const src = evaluation.sources.get(fingerprint);
  if (!src) return { facts: [] };
  const m = evaluation.messages ?? messages();
  const sections = src.rule.sections?.(src.sample, m);
  return sections && sections.length > 0 ? { facts: src.rule.facts(src.sample, m), sections } : { facts: src.rule.facts(src.sample, m) };
}

export function factsFor(evaluation: Evaluation, fingerprint: string): Fact[] {
  return detailsFor(evaluation, fingerprint).facts;
}
