/**
 * The rule settings that apply to one container: the `containers:` defaults,
 * then every matching `containers.overrides` entry, then the container's own
 * `lookout.<rule>.<key>=<value>` labels (labels beat overrides, overrides beat
 * defaults). Every value goes through the same schema as the config, so a bad
 * label is refused with the same kind of message; it is reported and ignored,
 * never fatal.
 */
import { CONTAINER_RULE_NAMES } from "../../config/names.js";
import type { ContainerRuleName, ContainerRules, LookoutConfig } from "../../config/schema.js";
import { type ContainerIdentity, parseContainerMatcher } from "./matchers.js";
import type { mergeRule } from "./policy-checks.js";

export interface ContainerPolicy {
  rules: ContainerRules;
  /** Problems with this container's labels or overrides, e.g. `label lookout.cpu.warning="high": expected a number from 0 to 100`. */
  problems: string[];
}

const RULE_NAMES: readonly ContainerRuleName[] = CONTAINER_RULE_NAMES;

/**
 * The checks of overrides and labels (the rules' schemas and a YAML scalar reader, zod and yaml with them), loaded
 * only where a container or the config has any: most hosts have none, and a `lookout check` from an unchanged
 * config then loads neither (config/cache.ts).
 */
let checks: { mergeRule: typeof mergeRule } | undefined;

/** Whether a container's labels set any rule (`lookout.<rule>.<key>`). */
function setsRules(labels: Readonly<Record<string, string>>): boolean {
  for (const label in labels) if (label.startsWith("lookout.") && label.indexOf(".", 8) > 8) return true;
  return false;
}

/**
 * Loads the checks when `config` or one of `containers` (the tracker's records) needs them, before their policies are asked for (the
 * Docker collector calls it each report; it costs a loop over labels until they are loaded, nothing after).
 */
export async function preparePolicies(config: LookoutConfig, containers: Iterable<{ view: ContainerIdentity }>): Promise<void> {
  if (checks) return;
  let needed = config.containers.overrides.length > 0;
  if (!needed) {
    for (const c of containers) {
      if (setsRules(c.view.labels)) {
        needed = true;
        break;
      }
    }
  }
  if (needed) await loadPolicyChecks();
}

/** Loads the checks now (tests, and whoever asks for policies outside a Docker report). */
export async function loadPolicyChecks(): Promise<void> {
  checks ??= await import("./policy-checks.js");
}

function merge(rule: ContainerRuleName, base: object, patch: Record<string, unknown>, source: string, problems: string[]): object {
  // preparePolicies saw this config and these labels first: without the checks, a label would be ignored unsaid.
  if (!checks) throw new Error("internal: container policies asked for before preparePolicies loaded their checks");
  return checks.mergeRule(rule, base, patch, source, problems);
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
      patch[label.slice(prefix.length)] = raw; // read as YAML by the checks: "90" → 90, "false" → false, "2m" → "2m"
    }
    if (Object.keys(patch).length > 0) rules[r] = merge(r, rules[r], patch, `label lookout.${r}`, problems);
  }
  return { rules: rules as unknown as ContainerRules, problems };
}
