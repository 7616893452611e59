import type { RuleDefinition } from "./rule.js";
import { hostRules } from "./host-rules.js";
import { containerRules } from "./container-rules.js";

/** Every rule Lookout evaluates. A new family of rules is one file and one line here. */
export const ruleRegistry: readonly RuleDefinition[] = [...hostRules, ...containerRules];
