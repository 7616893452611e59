/**
 * Rules over containers. Failures that are events (a crash, an OOM kill) come
 * from the Docker collector as latched 0/1 samples, so they go through the
 * same lifecycle as thresholds: one message when they fire, one when they are
 * over, and nothing repeated in between.
 */

import type { DownAtStart } from "../collect/docker/docker.js";
import { containerPolicy } from "../collect/docker/policy.js";
import { formatDuration } from "../config/duration.js";
import type { ContainerRuleName, ContainerRules, LookoutConfig, ThresholdRule } from "../config/schema.js";
import type { Sample } from "../model/sample.js";
import { formatBytes, formatPercent, formatTime } from "../units.js";
import type { RuleDefinition } from "./rule.js";

const num = (v: string | number | undefined): number => (typeof v === "number" ? v : Number(v ?? NaN));
const str = (v: string | number | undefined): string => (v === undefined ? "" : String(v));
const name = (s: Sample) => s.labels.container ?? "?";

function policyOf(config: LookoutConfig, s: Sample | undefined): ContainerRules {
  return s ? containerPolicy(config, { name: name(s), labels: s.meta ?? {} }).rules : config.containers;
}

/** A 0/1 condition at a fixed severity, as a threshold rule. */
function condition(enabled: boolean, severity: "warning" | "critical", forMs: number): ThresholdRule {
  return { enabled, warning: 1, critical: severity === "critical" ? 1 : null, for: forMs, hysteresis: 0 };
}

function composeFacts(s: Sample): Array<{ label: string; value: string }> {
  const facts = [{ label: "Image", value: s.labels.image ?? "?" }];
  if (s.labels.compose_project) facts.push({ label: "Compose", value: `${s.labels.compose_project} / ${s.labels.compose_service ?? "?"}` });
  return facts;
}

function logsSection(s: Sample): Array<{ title: string; text: string; code?: boolean }> {
  const logs = str(s.info?.logs);
  return logs ? [{ title: "Last log lines", text: logs, code: true }] : [];
}

/** The containers of a containers_down_at_start sample (written by the Docker collector; checked here, never trusted blindly). */
function downList(s: Sample): DownAtStart[] {
  try {
    const list: unknown = JSON.parse(str(s.info?.containers) || "[]");
    return Array.isArray(list) ? (list as DownAtStart[]).filter((d) => d && typeof d.name === "string") : [];
  } catch {
    return [];
  }
}

/** `exited 137 at 2026-12-01T06:41:00Z, 12m before Lookout started` (no guess about why). */
function downText(d: DownAtStart, startedAt: number, long: boolean): string {
  const state = d.status === "exited" ? `exited ${d.exitCode}` : d.status === "created" ? "created, never started" : `${d.status}, exit code ${d.exitCode}`;
  const ago = d.finishedAt !== null && d.finishedAt > 0 && startedAt >= d.finishedAt ? formatDuration(startedAt - d.finishedAt) : "";
  const when =
    d.finishedAt !== null && d.finishedAt > 0 ? (long ? ` at ${formatTime(d.finishedAt)}${ago ? `, ${ago} before Lookout started` : ""}` : ago ? `, ${ago} ago` : "") : "";
  const flag = d.oomFlag ? (long ? "; Docker's OOMKilled flag is set" : ", OOMKilled flag set") : "";
  return `${state}${when}${flag}`;
}

function ruleOf<K extends ContainerRuleName>(rule: K): (config: LookoutConfig, s?: Sample) => ContainerRules[K] {
  return (config, s) => policyOf(config, s)[rule];
}

export const containerRules: RuleDefinition[] = [
  {
    alertname: "container_crashed",
    gone: "container removed",
    configKey: "containers.crashed",
    causedAt: (s) => (s.value > 0 ? num(s.info?.at) : undefined),
    settings: (c, s) => {
      const r = ruleOf("crashed")(c, s);
      return condition(r.enabled, r.severity, 0);
    },
    display: (s) => (s.value > 0 ? `Container ${name(s)} crashed` : `Container ${name(s)} is running again after its crash`),
    summary: (s) => {
      const i = s.info ?? {};
      if (s.value === 0) return `Container ${name(s)} is running again`;
      return `Container ${name(s)} crashed: exit code ${str(i.exit_code)} (${str(i.meaning)})`;
    },
    facts: (s) => {
      const i = s.info ?? {};
      if (s.value === 0) return composeFacts(s);
      const facts = [
        { label: "Exit code", value: `${str(i.exit_code)}: ${str(i.meaning)}` },
        ...composeFacts(s),
        { label: "Ran for", value: num(i.ran_for_ms) >= 0 ? formatDuration(num(i.ran_for_ms)) : "unknown" },
        { label: "Restarts", value: `${str(i.restart_count)} (restart policy: ${str(i.restart_policy)})` },
        { label: "Now", value: num(i.removed) ? "removed" : str(i.status) },
      ];
      if (str(i.error)) facts.push({ label: "Docker error", value: str(i.error) });
      if (num(i.reconciled)) facts.push({ label: "Noticed", value: "after the fact (Lookout was not following Docker's events then)" });
      if (num(i.docker_oom_flag))
        facts.push({
          label: "Docker's OOMKilled flag",
          value: "set: the kernel killed a process in this container for lack of memory at some point; Lookout did not see that kill cause this exit",
        });
      return facts;
    },
    sections: (s) => (s.value > 0 ? logsSection(s) : []),
  },
  {
    alertname: "container_oom_killed",
    gone: "container removed",
    configKey: "containers.oom_killed",
    causedAt: (s) => (s.value > 0 ? num(s.info?.at) : undefined),
    settings: (c, s) => condition(ruleOf("oom_killed")(c, s).enabled, "critical", 0),
    display: (s) => (s.value > 0 ? `Container ${name(s)} ran out of memory` : `Container ${name(s)} is running again after running out of memory`),
    summary: (s) => {
      const i = s.info ?? {};
      if (s.value === 0) return `Container ${name(s)} is running again`;
      const limit = num(i.memory_limit) > 0 ? `its ${formatBytes(num(i.memory_limit))} limit` : "host memory, no limit set";
      return num(i.died) ? `Container ${name(s)} was killed: out of memory (${limit})` : `A process in container ${name(s)} was killed: out of memory (${limit})`;
    },
    facts: (s) => {
      const i = s.info ?? {};
      if (s.value === 0) return composeFacts(s);
      return [
        { label: "Memory limit", value: num(i.memory_limit) > 0 ? formatBytes(num(i.memory_limit)) : "none (host memory)" },
        { label: "Last usage seen", value: num(i.last_memory_usage) >= 0 ? formatBytes(num(i.last_memory_usage)) : "not measured yet" },
        ...composeFacts(s),
        { label: "Container", value: num(i.died) ? `died (exit code ${str(i.exit_code)}), now ${num(i.removed) ? "removed" : str(i.status)}` : "kept running" },
      ];
    },
    sections: (s) => (s.value > 0 ? logsSection(s) : []),
  },
  {
    alertname: "container_unhealthy",
    gone: "container removed",
    configKey: "containers.unhealthy",
    settings: (c, s) => {
      const r = ruleOf("unhealthy")(c, s);
      return condition(r.enabled, r.severity, r.for);
    },
    display: (s) => (s.value > 0 ? `Container ${name(s)} unhealthy` : `Container ${name(s)} is healthy again`),
    summary: (s) => (s.value > 0 ? `Container ${name(s)} is unhealthy` : `Container ${name(s)} is healthy again`),
    facts: (s) => [...composeFacts(s), ...(s.value > 0 ? [{ label: "Failed checks in a row", value: str(s.info?.failing_streak) }] : [])],
    sections: (s) => (s.value > 0 && str(s.info?.output) ? [{ title: "Last health check output", text: str(s.info?.output), code: true }] : []),
  },
  {
    alertname: "container_restart_loop",
    gone: "container removed",
    configKey: "containers.restart_loop",
    settings: (c, s) => {
      const r = ruleOf("restart_loop")(c, s);
      return { enabled: r.enabled, warning: r.restarts, critical: r.severity === "critical" ? r.restarts : null, for: 0, hysteresis: 0 };
    },
    display: (s) => `Container ${name(s)} restart loop`,
    summary: (s) =>
      s.value > 0 ? `Container ${name(s)} is restarting in a loop: ${s.value} restarts in ${formatDuration(num(s.info?.within_ms))}` : `Container ${name(s)} stopped restarting`,
    facts: (s) => {
      const i = s.info ?? {};
      const facts = [...composeFacts(s), { label: "Restart policy", value: str(i.restart_policy) }, { label: "Restarts in all", value: str(i.restart_count) }];
      if (s.value > 0 && i.last_exit_code !== undefined && str(i.last_exit_code) !== "unknown") {
        facts.unshift({
          label: "Last exit code",
          value: `${str(i.last_exit_code)}: ${str(i.last_exit_meaning)}` + (num(i.last_exit_at) > 0 ? ` (at ${formatTime(num(i.last_exit_at))})` : ""),
        });
      }
      return facts;
    },
    sections: (s) => (s.value > 0 ? logsSection(s) : []),
  },
  {
    alertname: "container_not_running",
    gone: "container removed",
    configKey: "containers.not_running",
    settings: (c, s) => {
      const r = ruleOf("not_running")(c, s);
      return condition(r.enabled, r.severity, r.for);
    },
    display: (s) => (s.value > 0 ? `Container ${name(s)} not running` : `Container ${name(s)} is running again`),
    summary: (s) => {
      const i = s.info ?? {};
      return s.value > 0 ? `Container ${name(s)} is not running (${str(i.status)}, exit code ${str(i.exit_code)})` : `Container ${name(s)} is running again`;
    },
    facts: (s) => {
      const i = s.info ?? {};
      if (s.value === 0) return composeFacts(s);
      const facts = [
        ...composeFacts(s),
        { label: "State", value: `${str(i.status)}, exit code ${str(i.exit_code)}` },
        { label: "Why expected", value: `restart policy ${str(i.restart_policy)} or label lookout.expect=running` },
      ];
      if (str(i.error)) facts.push({ label: "Docker error", value: str(i.error) });
      return facts;
    },
  },
  {
    alertname: "container_cpu",
    gone: "container removed",
    configKey: "containers.cpu",
    settings: (c, s) => ruleOf("cpu")(c, s),
    display: (s) => `Container ${name(s)} CPU`,
    facts: (s) => {
      const i = s.info ?? {};
      const of = num(i.limited) ? `of its ${num(i.cores)} CPU limit` : `of all ${num(i.cores)} host cores`;
      return [{ label: "CPU", value: `${formatPercent(s.value)} ${of} (${formatPercent(num(i.of_one_core))} of one core, as docker stats shows it)` }, ...composeFacts(s)];
    },
  },
  {
    alertname: "container_memory",
    gone: "container removed",
    configKey: "containers.memory",
    settings: (c, s) => ruleOf("memory")(c, s),
    display: (s) => `Container ${name(s)} memory`,
    facts: (s) => {
      const i = s.info ?? {};
      const of = num(i.limited) ? `of its ${formatBytes(num(i.limit_bytes))} limit` : `of host memory (${formatBytes(num(i.limit_bytes))})`;
      return [{ label: "Memory", value: `${formatPercent(s.value)} ${of}: ${formatBytes(num(i.usage_bytes))} used, page cache not counted` }, ...composeFacts(s)];
    },
  },
  {
    alertname: "containers_down_at_start",
    configKey: "containers.down_at_start",
    settings: (c) => condition(c.containers.down_at_start.enabled, c.containers.down_at_start.severity, 0),
    // A notice, not a problem that gets fixed: it ends quietly (after 10 minutes).
    quietResolve: true,
    display: () => "Containers down at start",
    summary: (s) => {
      const i = s.info ?? {};
      const list = downList(s);
      const more = num(i.more) > 0 ? `, and ${num(i.more)} more` : "";
      const n = num(i.count);
      return `When Lookout started, ${n === 1 ? "this container was" : `these ${n} containers were`} not running: ${list.map((d) => `${d.name} (${downText(d, num(i.started_at), false)})`).join(", ")}${more}`;
    },
    facts: (s) => {
      const i = s.info ?? {};
      const facts = downList(s).map((d) => ({ label: d.name, value: downText(d, num(i.started_at), true) }));
      if (num(i.more) > 0) facts.push({ label: "And", value: `${num(i.more)} more (docker ps -a --filter status=exited lists them)` });
      facts.push({
        label: "Why no crash alert",
        value:
          "Lookout was not watching when they stopped, so it cannot tell a crash from a docker stop. One that should run (restart policy always or unless-stopped, label lookout.expect=running) alerts as container_not_running; every exit from now on is reported as it happens.",
      });
      return facts;
    },
  },
  {
    alertname: "docker_unreachable",
    configKey: "docker.unreachable_for",
    // It started at the first check Docker failed, not when it fired after docker.unreachable_for.
    causedAt: (s) => (s.value > 0 ? num(s.info?.since) : undefined),
    settings: (c) => condition(c.docker.enabled !== false, "critical", c.docker.unreachable_for),
    display: (s) => (s.value > 0 ? "Docker unreachable" : "Docker is reachable again"),
    summary: (s) => (s.value > 0 ? `Docker is unreachable: containers are not being watched` : "Docker is reachable again"),
    facts: (s) =>
      s.value > 0
        ? [
            { label: "Error", value: str(s.info?.error) },
            { label: "Host alerts", value: "still watched" },
          ]
        : [],
  },
];
