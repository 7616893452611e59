/**
 * The config's names and orders that code outside the loader needs at run
 * time, kept apart from the schema (config/schema.ts) so that using them
 * loads neither zod nor the schema: a `lookout check` from an unchanged
 * config (config/cache.ts) never builds the schema at all.
 */

/** The shortest `http.auth_token` accepted (from a file too: http/settings.ts). */
export const MIN_TOKEN_LENGTH = 16;

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The one order of severities: whether `severity` is at least `min` (a route's or a receiver's min_severity). */
export function atLeast(severity: Severity, min: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(min);
}

/**
 * Each receiver kind's list under `notify` (a new receiver adds its line here,
 * next to its entry in the schema): receiver names are checked across them,
 * and routes must name one of their receivers.
 */
export const RECEIVER_LISTS = {
  slack: "slack",
  webhook: "webhooks",
  alertmanager: "alertmanager",
  discord: "discord",
  telegram: "telegram",
  teams: "teams",
  ntfy: "ntfy",
  gotify: "gotify",
  pushover: "pushover",
  pagerduty: "pagerduty",
  email: "email",
} as const;

/** The name a receiver goes by in routes, logs and status: its `name`, else `slack[i]` / `webhook[i]`. */
export function receiverName(kind: string, r: { name?: string | undefined }, i: number): string {
  return r.name ?? `${kind}[${i}]`;
}

/** The container rules, in the schema's order (`containers.<rule>`, overrides, `lookout.<rule>.<key>` labels). */
export const CONTAINER_RULE_NAMES = ["crashed", "oom_killed", "unhealthy", "restart_loop", "not_running", "cpu", "memory"] as const;
