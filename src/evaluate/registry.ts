import { containerRules } from "./container-rules.js";
import { hostRules } from "./host-rules.js";
import type { RuleDefinition } from "./rule.js";

/** Every rule Lookout evaluates. A new family of rules is one file and one line here. */
export const ruleRegistry: readonly RuleDefinition[] = [...hostRules, ...containerRules];
