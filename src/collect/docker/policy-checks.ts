/**
 * What policy.ts loads only when a container's labels or the config's
 * overrides change a rule: each change goes through the rule's schema, so a
 * bad label is refused with the same kind of message as a bad key.
 */
import { parse as parseYamlScalar } from "yaml";
import { issueText } from "../../config/problems.js";
import { type ContainerRuleName, containerRuleSchemas } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";

/**
 * `base` changed by `patch` when the rule's schema accepts the result, else `base`, with the problems said. A label's
 * text (`source` starts with "label ") is read as a YAML scalar first: "90" → 90, "false" → false, "2m" → "2m".
 */
export function mergeRule(rule: ContainerRuleName, base: object, patch: Record<string, unknown>, source: string, problems: string[]): object {
  const fromLabels = source.startsWith("label ");
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) values[k] = fromLabels && typeof v === "string" ? yamlScalar(v) : v;
  const candidate = { ...base, ...values };
  // Durations are stored in ms after parsing; re-parsing needs the input form back.
  const parsed = containerRuleSchemas[rule].safeParse(toInput(candidate, values));
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const key = issue.path.join(".");
    const value = key in values ? JSON.stringify(values[key]) : "";
    problems.push(`${source}${key ? `.${key}` : ""}${value ? `=${value}` : ""}: ${issueText(issue, processMessages())}`);
  }
  return base;
}

function yamlScalar(raw: string): unknown {
  try {
    return parseYamlScalar(raw);
  } catch {
    return raw; // keep the text
  }
}

/** Already-parsed durations (numbers of ms) are given back as "Nms" so the schema accepts them again. */
function toInput(candidate: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(candidate)) {
    out[k] = !(k in patch) && (k === "for" || k === "within" || k === "resolve_after") && typeof v === "number" ? `${v}ms` : v;
  }
  return out;
}
