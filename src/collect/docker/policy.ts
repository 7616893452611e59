/**
 * The rule settings that apply to one container: the `containers:` defaults,
 * then every matching `containers.overrides` entry, then the container's own
 * `lookout.<rule>.<key>=<value>` labels (labels beat overrides, overrides beat
 * defaults). Every value goes through the same schema as the config, so a bad
 * label is refused with the same kind of message; it is reported and ignored,
 * never fatal.
 */
import { parse as parseYamlScalar } from "yaml";
import { issueText } from "../../config/problems.js";
import { type ContainerRuleName, type ContainerRules, containerRuleSchemas, type LookoutConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import { type ContainerIdentity, parseContainerMatcher } from "./matchers.js";

export interface ContainerPolicy {
  rules: ContainerRules;
  /** Problems with this container's labels or overrides, e.g. `label lookout.cpu.warning="high": expected a number from 0 to 100`. */
  problems: string[];
}

const RULE_NAMES = Object.keys(containerRuleSchemas) as ContainerRuleName[];

function merge(rule: ContainerRuleName, base: object, patch: Record<string, unknown>, source: string, problems: string[]): object {
  const candidate = { ...base, ...patch };
  // Durations are stored in ms after parsing; re-parsing needs the input form back.
  const parsed = containerRuleSchemas[rule].safeParse(toInput(candidate, patch));
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const key = issue.path.join(".");
    const value = key in patch ? JSON.stringify(patch[key]) : "";
    problems.push(`${source}${key ? `.${key}` : ""}${value ? `=${value}` : ""}: ${issueText(issue, processMessages())}`);
  }
  return base;
}

/** Already-parsed durations (numbers of ms) are given back as "Nms" so the schema accepts them again. */
function toInput(candidate: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(candidate)) {
    out[k] = !(k in patch) && (k === "for" || k === "within" || k === "resolve_after") && typeof v === "number" ? `${v}ms` : v;
  }
  return out;
}

/**
 * Policies worked out, by config and by the container's labels object: the
 * evaluation asks for a container's policy once per rule per cycle, and the
 * tracker keeps one labels object per container until it is inspected anew, so
 * the same question gets the same (shared, never changed) answer without
 * parsing the labels again. Weak on both keys: nothing outlives the config or
 * the container's record.
 */
const worked = new WeakMap<LookoutConfig, WeakMap<object, { name: string; policy: ContainerPolicy }>>();

export function containerPolicy(config: LookoutConfig, c: ContainerIdentity): ContainerPolicy {
  let byLabels = worked.get(config);
  if (!byLabels) {
    byLabels = new WeakMap();
    worked.set(config, byLabels);
  }
  const known = byLabels.get(c.labels);
  if (known && known.name === c.name) return known.policy;
  const policy = workOut(config, c);
  byLabels.set(c.labels, { name: c.name, policy });
  return policy;
}

function workOut(config: LookoutConfig, c: ContainerIdentity): ContainerPolicy {
  const problems: string[] = [];
  const rules = Object.fromEntries(RULE_NAMES.map((r) => [r, config.containers[r]])) as unknown as Record<ContainerRuleName, object>;
  config.containers.overrides.forEach((o, i) => {
    if (!parseContainerMatcher(o.match)(c)) return;
    for (const r of RULE_NAMES) {
      const patch = o[r];
      if (patch) rules[r] = merge(r, rules[r], patch, `containers.overrides[${i}].${r}`, problems);
    }
  });
  for (const r of RULE_NAMES) {
    const patch: Record<string, unknown> = {};
    const prefix = `lookout.${r}.`;
    for (const [label, raw] of Object.entries(c.labels)) {
      if (!label.startsWith(prefix)) continue;
      let value: unknown = raw;
      try {
        value = parseYamlScalar(raw); // "90" → 90, "false" → false, "2m" → "2m"
      } catch {
        /* keep the text */
      }
      patch[label.slice(prefix.length)] = value;
    }
    if (Object.keys(patch).length > 0) rules[r] = merge(r, rules[r], patch, `label lookout.${r}`, problems);
  }
  return { rules: rules as unknown as ContainerRules, problems };
}
