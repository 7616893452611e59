/**
 * Label matchers for silences and maintenance windows: `name=glob`, where the
 * glob may hold `*` (any run of characters, none included) and `?` (exactly one
 * character) and must match the whole value. A label the alert does not have
 * counts as the empty string, so `mount=*` also holds for an alert without a
 * mount while `mount=/data` does not.
 */
import { type Said, said, sayIn, UsageError } from "./errors.js";
import { globToRegExp } from "./glob.js";
import type { Messages } from "./i18n/messages.js";

export interface LabelMatcher {
  /** The label's name, e.g. `container`. */
  name: string;
  /** The glob as written, e.g. `db-*`. */
  pattern: string;
  /** Whether a label value (undefined when the alert has no such label) matches the pattern. */
  test(value: string | undefined): boolean;
}

/**
 * Every label an alert can have: the ones Lookout adds, a host disk's `mount`,
 * and a container's. The one list of them (help texts, warnings and the README
 * name these). A matcher on another label compares the empty string.
 */
export const KNOWN_LABELS = ["alertname", "severity", "hostname", "mount", "container", "image", "compose_project", "compose_service"] as const;

/** Whether an alert can have the label `name`. */
export function isKnownLabel(name: string): boolean {
  return (KNOWN_LABELS as readonly string[]).includes(name);
}

/** What a matcher looks like, for messages. */
/** The matchers messages give as examples, apart, so each language words them its own way. */
export const MATCHER_EXAMPLES = { first: "container=db-1", second: "alertname=host_*" } as const;
export const MATCHER_EXAMPLE = `label=value like ${MATCHER_EXAMPLES.first} or ${MATCHER_EXAMPLES.second}`;

const NAME_RE = /^[A-Za-z0-9_.\-/]+$/;

/**
 * What is wrong with a matcher's text, completing "KEY: …" (the caller adds the
 * value), or undefined when it is fine. English; `matcherSaid` is the same as a
 * catalogue key, for a message in the config's language.
 */
export function matcherProblem(text: string): string | undefined {
  const s = matcherSaid(text);
  return s === undefined ? undefined : sayIn(s);
}

/** `matcherProblem` as a catalogue text not rendered yet. */
export function matcherSaid(text: string): Said | undefined {
  const example = MATCHER_EXAMPLES;
  const eq = text.indexOf("=");
  if (eq < 0) return said("config.matcher", example);
  const name = text.slice(0, eq).trim();
  if (name === "") return said("config.matcher.noName", example);
  if (/[!~=<>]$/.test(name)) return said("config.matcher.operator", { ...example, operator: `${name.slice(-1)}=` });
  if (!NAME_RE.test(name)) return said("config.matcher.nameChars", example);
  return undefined;
}

/**
 * `--match: PROBLEM, got VALUE`: the matcher's problem is a catalogue text inside
 * another, so both are said in the language the error is shown in.
 */
class MatcherUsageError extends UsageError {
  constructor(
    private readonly problem: Said,
    private readonly value: string,
  ) {
    super(said("cmd.silence.match", { problem: sayIn(problem), value }));
  }

  override textIn(m: Messages): string {
    return m.t("cmd.silence.match", { problem: sayIn(this.problem, m), value: this.value });
  }
}

/** Parses `name=glob`; throws a UsageError naming --match for anything else. */
export function parseMatcher(text: string): LabelMatcher {
  const problem = matcherSaid(text);
  if (problem !== undefined) throw new MatcherUsageError(problem, JSON.stringify(text));
  const eq = text.indexOf("=");
  const name = text.slice(0, eq).trim();
  const pattern = text.slice(eq + 1).trim();
  const re = globToRegExp(pattern);
  return {
    name,
    pattern,
    test: (value) => re.test(value ?? ""),
  };
}

/** Whether every matcher holds for these labels (true for no matchers). */
export function matchesAll(matchers: readonly LabelMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => m.test(Object.hasOwn(labels, m.name) ? labels[m.name] : undefined));
}
