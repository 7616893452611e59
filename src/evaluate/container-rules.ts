/**
 * Rules over containers. Failures that are events (a crash, an OOM kill) come
 * from the Docker collector as latched 0/1 samples, so they go through the
 * same lifecycle as thresholds: one message when they fire, one when they are
 * over, and nothing repeated in between.
 */

import { containerPolicy } from "../collect/docker/policy.js";
import { formatDuration } from "../config/duration.js";
import type { ContainerRuleName, ContainerRules, LookoutConfig, ThresholdRule } from "../config/schema.js";
import {
  CONTAINER_CPU,
  CONTAINER_CRASHED,
  CONTAINER_MEMORY,
  CONTAINER_NOT_RUNNING,
  CONTAINER_OOM_KILLED,
  CONTAINER_RESTART_LOOP,
  CONTAINER_UNHEALTHY,
  CONTAINERS_DOWN_AT_START,
  DOCKER_UNREACHABLE,
  type DownAtStart,
} from "../model/metrics.js";
import type { Sample } from "../model/sample.js";
import { formatBytes, formatPercent, formatTime } from "../units.js";
import { defineRule, type RuleDefinition } from "./rule.js";

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

/** "Last log lines: could not be read (why)" when Docker did not give them: their absence is said, not silent. */
function logsUnread(d: { logs: readonly string[]; logsError?: string }): Array<{ label: string; value: string }> {
  return d.logsError && d.logs.length === 0 ? [{ label: "Last log lines", value: `could not be read: ${d.logsError}` }] : [];
}

function logsSection(logs: readonly string[] | undefined): Array<{ title: string; text: string; code?: boolean }> {
  const text = logs?.join("\n") ?? "";
  return text ? [{ title: "Last log lines", text, code: true }] : [];
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

/** What Docker's status says now, or that the container is gone. */
const nowText = (d: { removed: boolean; status: string }) => (d.removed ? "removed" : d.status);

export const containerRules: RuleDefinition[] = [
  defineRule(CONTAINER_CRASHED, {
    gone: "container removed",
    configKey: "containers.crashed",
    causedAt: (s) => (s.value > 0 ? s.details?.at : undefined),
    settings: (c, s) => {
      const r = ruleOf("crashed")(c, s);
      return condition(r.enabled, r.severity, 0);
    },
    display: (s) => (s.value > 0 ? `Container ${name(s)} crashed` : `Container ${name(s)} is running again after its crash`),
    summary: (s) => {
      const d = s.details;
      if (s.value === 0 || !d) return `Container ${name(s)} is running again`;
      return `Container ${name(s)} crashed: exit code ${d.exitCode ?? "unknown"} (${d.meaning})`;
    },
    facts: (s) => {
      const d = s.details;
      if (s.value === 0 || !d) return composeFacts(s);
      const facts = [
        { label: "Exit code", value: `${d.exitCode ?? "unknown"}: ${d.meaning}` },
        ...composeFacts(s),
        { label: "Ran for", value: d.ranForMs !== null && d.ranForMs >= 0 ? formatDuration(d.ranForMs) : "unknown" },
        { label: "Restarts", value: `${d.restartCount} (restart policy: ${d.restartPolicy})` },
        { label: "Now", value: nowText(d) },
      ];
      if (d.error) facts.push({ label: "Docker error", value: d.error });
      if (d.reconciled) facts.push({ label: "Noticed", value: "after the fact (Lookout was not following Docker's events then)" });
      facts.push(...logsUnread(d));
      if (d.dockerOomFlag)
        facts.push({
          label: "Docker's OOMKilled flag",
          value: "set: the kernel killed a process in this container for lack of memory at some point; Lookout did not see that kill cause this exit",
        });
      return facts;
    },
    sections: (s) => (s.value > 0 ? logsSection(s.details?.logs) : []),
  }),
  defineRule(CONTAINER_OOM_KILLED, {
    gone: "container removed",
    configKey: "containers.oom_killed",
    causedAt: (s) => (s.value > 0 ? s.details?.at : undefined),
    settings: (c, s) => condition(ruleOf("oom_killed")(c, s).enabled, "critical", 0),
    display: (s) => (s.value > 0 ? `Container ${name(s)} ran out of memory` : `Container ${name(s)} is running again after running out of memory`),
    summary: (s) => {
      const d = s.details;
      if (s.value === 0 || !d) return `Container ${name(s)} is running again`;
      const limit = d.memoryLimit > 0 ? `its ${formatBytes(d.memoryLimit)} limit` : "host memory, no limit set";
      return d.died ? `Container ${name(s)} was killed: out of memory (${limit})` : `A process in container ${name(s)} was killed: out of memory (${limit})`;
    },
    facts: (s) => {
      const d = s.details;
      if (s.value === 0 || !d) return composeFacts(s);
      return [
        { label: "Memory limit", value: d.memoryLimit > 0 ? formatBytes(d.memoryLimit) : "none (host memory)" },
        { label: "Last usage seen", value: d.lastMemoryUsage !== null && d.lastMemoryUsage >= 0 ? formatBytes(d.lastMemoryUsage) : "not measured yet" },
        ...composeFacts(s),
        { label: "Container", value: d.died ? `died (exit code ${d.exitCode ?? "none"}), now ${nowText(d)}` : "kept running" },
        ...logsUnread(d),
      ];
    },
    sections: (s) => (s.value > 0 ? logsSection(s.details?.logs) : []),
  }),
  defineRule(CONTAINER_UNHEALTHY, {
    gone: "container removed",
    configKey: "containers.unhealthy",
    settings: (c, s) => {
      const r = ruleOf("unhealthy")(c, s);
      return condition(r.enabled, r.severity, r.for);
    },
    display: (s) => (s.value > 0 ? `Container ${name(s)} unhealthy` : `Container ${name(s)} is healthy again`),
    summary: (s) => (s.value > 0 ? `Container ${name(s)} is unhealthy` : `Container ${name(s)} is healthy again`),
    facts: (s) => [...composeFacts(s), ...(s.value > 0 && s.details ? [{ label: "Failed checks in a row", value: String(s.details.failingStreak) }] : [])],
    sections: (s) => (s.value > 0 && s.details?.output ? [{ title: "Last health check output", text: s.details.output, code: true }] : []),
  }),
  defineRule(CONTAINER_RESTART_LOOP, {
    gone: "container removed",
    configKey: "containers.restart_loop",
    settings: (c, s) => {
      const r = ruleOf("restart_loop")(c, s);
      return { enabled: r.enabled, warning: r.restarts, critical: r.severity === "critical" ? r.restarts : null, for: 0, hysteresis: 0 };
    },
    display: (s) => `Container ${name(s)} restart loop`,
    summary: (s) =>
      s.value > 0 ? `Container ${name(s)} is restarting in a loop: ${s.value} restarts in ${formatDuration(s.details.withinMs)}` : `Container ${name(s)} stopped restarting`,
    facts: (s) => {
      const d = s.details;
      const facts = [...composeFacts(s), { label: "Restart policy", value: d.restartPolicy }, { label: "Restarts in all", value: String(d.restartCount) }];
      const last = d.lastExit;
      if (s.value > 0 && last) {
        facts.unshift({ label: "Last exit code", value: `${last.code}: ${last.meaning}` + (last.at > 0 ? ` (at ${formatTime(last.at)})` : "") });
      }
      return facts;
    },
    sections: (s) => (s.value > 0 ? logsSection(s.details.logs) : []),
  }),
  defineRule(CONTAINER_NOT_RUNNING, {
    gone: "container removed",
    configKey: "containers.not_running",
    settings: (c, s) => {
      const r = ruleOf("not_running")(c, s);
      return condition(r.enabled, r.severity, r.for);
    },
    display: (s) => (s.value > 0 ? `Container ${name(s)} not running` : `Container ${name(s)} is running again`),
    summary: (s) => {
      const d = s.details;
      return s.value > 0 && d ? `Container ${name(s)} is not running (${d.status}, exit code ${d.exitCode})` : `Container ${name(s)} is running again`;
    },
    facts: (s) => {
      const d = s.details;
      if (s.value === 0 || !d) return composeFacts(s);
      const facts = [
        ...composeFacts(s),
        { label: "State", value: `${d.status}, exit code ${d.exitCode}` },
        { label: "Why expected", value: `restart policy ${d.restartPolicy} or label lookout.expect=running` },
      ];
      if (d.error) facts.push({ label: "Docker error", value: d.error });
      return facts;
    },
  }),
  defineRule(CONTAINER_CPU, {
    gone: "container removed",
    configKey: "containers.cpu",
    settings: (c, s) => ruleOf("cpu")(c, s),
    display: (s) => `Container ${name(s)} CPU`,
    facts: (s) => {
      const d = s.details;
      const of = d.limited ? `of its ${d.cores} CPU limit` : `of all ${d.cores} host cores`;
      return [{ label: "CPU", value: `${formatPercent(s.value)} ${of} (${formatPercent(d.ofOneCore)} of one core, as docker stats shows it)` }, ...composeFacts(s)];
    },
  }),
  defineRule(CONTAINER_MEMORY, {
    gone: "container removed",
    configKey: "containers.memory",
    settings: (c, s) => ruleOf("memory")(c, s),
    display: (s) => `Container ${name(s)} memory`,
    facts: (s) => {
      const d = s.details;
      const of = d.limited ? `of its ${formatBytes(d.limitBytes)} limit` : `of host memory (${formatBytes(d.limitBytes)})`;
      return [{ label: "Memory", value: `${formatPercent(s.value)} ${of}: ${formatBytes(d.usageBytes)} used, page cache not counted` }, ...composeFacts(s)];
    },
  }),
  defineRule(CONTAINERS_DOWN_AT_START, {
    configKey: "containers.down_at_start",
    settings: (c) => condition(c.containers.down_at_start.enabled, c.containers.down_at_start.severity, 0),
    // A notice, not a problem that gets fixed: it ends quietly (after 10 minutes).
    quietResolve: true,
    display: () => "Containers down at start",
    summary: (s) => {
      const d = s.details;
      const more = d.more > 0 ? `, and ${d.more} more` : "";
      const n = d.count;
      return `When Lookout started, ${n === 1 ? "this container was" : `these ${n} containers were`} not running: ${d.containers.map((c) => `${c.name} (${downText(c, d.startedAt, false)})`).join(", ")}${more}`;
    },
    facts: (s) => {
      const d = s.details;
      const facts = d.containers.map((c) => ({ label: c.name, value: downText(c, d.startedAt, true) }));
      if (d.more > 0) facts.push({ label: "And", value: `${d.more} more (docker ps -a --filter status=exited lists them)` });
      facts.push({
        label: "Why no crash alert",
        value: `Lookout was not watching when they stopped, so it cannot tell a crash from a docker stop. One that should run (restart policy always or unless-stopped, label lookout.expect=running) alerts as ${CONTAINER_NOT_RUNNING}; every exit from now on is reported as it happens.`,
      });
      return facts;
    },
  }),
  defineRule(DOCKER_UNREACHABLE, {
    configKey: "docker.unreachable_for",
    // It started at the first check Docker failed, not when it fired after docker.unreachable_for.
    causedAt: (s) => (s.value > 0 ? s.details?.since : undefined),
    settings: (c) => condition(c.docker.enabled !== false, "critical", c.docker.unreachable_for),
    display: (s) => (s.value > 0 ? "Docker unreachable" : "Docker is reachable again"),
    summary: (s) => (s.value > 0 ? `Docker is unreachable: containers are not being watched` : "Docker is reachable again"),
    facts: (s) =>
      s.value > 0 && s.details
        ? [
            { label: "Error", value: s.details.error },
            { label: "Host alerts", value: "still watched" },
          ]
        : [],
  }),
];
