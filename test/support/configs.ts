/**
 * YAML pieces the end-to-end tests' configs share. A test turns off every host
 * rule it is not about, so that this machine's own CPU, memory, load, swap or
 * disks (other work running on a shared CI machine) cannot add alerts or
 * messages to the ones the test counts.
 */

/** The host threshold rules, in the order the blocks below list them. */
export const HOST_RULES = ["cpu", "memory", "swap", "load", "disk", "inodes"] as const;
export type HostRuleName = (typeof HOST_RULES)[number];

/**
 * A `host:` block with every host threshold rule off except the ones given,
 * each given as its YAML flow mapping, e.g.
 * `hostRulesOnly({ disk: '{ warning: 1, critical: null, mounts: ["/"] }' })`.
 * (The reboot rule stays on: it says nothing on the first sight of a host.)
 */
export function hostRulesOnly(rules: Partial<Record<HostRuleName, string>> = {}): string {
  return ["host:", ...HOST_RULES.map((r) => `  ${r}: ${rules[r] ?? "{ enabled: false }"}`)].join("\n");
}

/** Every host threshold rule off: for tests about containers, delivery, the CLI… */
export const HOST_RULES_OFF = hostRulesOnly();
