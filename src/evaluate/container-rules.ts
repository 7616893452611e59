/**
 * Rules over containers. Failures that are events (a crash, an OOM kill) come
 * from the Docker collector as latched 0/1 samples, so they go through the
 * same lifecycle as thresholds: one message when they fire, one when they are
 * over, and nothing repeated in between.
 */

import { exitCodeMeaning } from "../collect/docker/exit-codes.js";
import { containerPolicy } from "../collect/docker/policy.js";
import type { ContainerRuleName, ContainerRules, LookoutConfig, ThresholdRule } from "../config/schema.js";
import type { Messages } from "../i18n/messages.js";
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
import { formatBytes, formatPercent } from "../units.js";
import { defineRule, type RuleDefinition } from "./rule.js";

const name = (s: Sample) => s.labels.container ?? "?";

function policyOf(config: LookoutConfig, s: Sample | undefined): ContainerRules {
  return s ? containerPolicy(config, { name: name(s), labels: s.meta ?? {} }).rules : config.containers;
}

/** A 0/1 condition at a fixed severity, as a threshold rule. */
function condition(enabled: boolean, severity: "warning" | "critical", forMs: number): ThresholdRule {
  return { enabled, warning: 1, critical: severity === "critical" ? 1 : null, for: forMs, hysteresis: 0 };
}

function composeFacts(s: Sample, m: Messages): Array<{ label: string; value: string }> {
  const facts = [{ label: m.t("container.image"), value: s.labels.image ?? "?" }];
  if (s.labels.compose_project) facts.push({ label: m.t("container.compose"), value: `${s.labels.compose_project} / ${s.labels.compose_service ?? "?"}` });
  return facts;
}

/** "Last log lines: could not be read (why)" when Docker did not give them: their absence is said, not silent. */
function logsUnread(d: { logs: readonly string[]; logsError?: string }, m: Messages): Array<{ label: string; value: string }> {
  return d.logsError && d.logs.length === 0 ? [{ label: m.t("container.lastLogLines"), value: m.t("container.logsUnread", { error: d.logsError }) }] : [];
}

function logsSection(logs: readonly string[] | undefined, m: Messages): Array<{ title: string; text: string; code?: boolean }> {
  const text = logs?.join("\n") ?? "";
  return text ? [{ title: m.t("container.lastLogLines"), text, code: true }] : [];
}

/** `exited 137 at 2026-12-01T06:41:00Z, 12m before Lookout started` (no guess about why). */
function downText(d: DownAtStart, startedAt: number, long: boolean, m: Messages): string {
  const state =
    d.status === "exited"
      ? m.t("down.exited", { code: String(d.exitCode) })
      : d.status === "created"
        ? m.t("down.created")
        : m.t("down.status", { status: d.status, code: String(d.exitCode) });
  const ago = d.finishedAt !== null && d.finishedAt > 0 && startedAt >= d.finishedAt ? m.duration(startedAt - d.finishedAt) : "";
  const when =
    d.finishedAt !== null && d.finishedAt > 0
      ? long
        ? m.t("down.atLong", { time: m.time(d.finishedAt), ago: ago ? m.t("down.agoLong", { duration: ago }) : "" })
        : ago
          ? m.t("down.agoShort", { duration: ago })
          : ""
      : "";
  const flag = d.oomFlag ? (long ? m.t("down.oomLong") : m.t("down.oomShort")) : "";
  return `${state}${when}${flag}`;
}

function ruleOf<K extends ContainerRuleName>(rule: K): (config: LookoutConfig, s?: Sample) => ContainerRules[K] {
  return (config, s) => policyOf(config, s)[rule];
}

/** What Docker's status says now, or that the container is gone. */
const nowText = (d: { removed: boolean; status: string }, m: Messages) => (d.removed ? m.t("container.removed") : d.status);

const unknown = (code: number | null, m: Messages) => (code === null ? m.t("container.unknown") : String(code));

/** What an exit code means, in the message's language; "unknown" without one. */
const meaning = (code: number | null, m: Messages) => (code === null ? m.t("container.unknown") : exitCodeMeaning(code, false, m));

export const containerRules: RuleDefinition[] = [
  defineRule(CONTAINER_CRASHED, {
    gone: "container.gone",
    configKey: "containers.crashed",
    causedAt: (s) => (s.value > 0 ? s.details?.at : undefined),
    settings: (c, s) => {
      const r = ruleOf("crashed")(c, s);
      return condition(r.enabled, r.severity, 0);
    },
    display: (s, m) => (s.value > 0 ? m.t("crashed.display", { name: name(s) }) : m.t("crashed.display.over", { name: name(s) })),
    summary: (s, m) => {
      const d = s.details;
      if (s.value === 0 || !d) return m.t("container.runningAgain", { name: name(s) });
      return m.t("crashed.summary", { name: name(s), code: unknown(d.exitCode, m), meaning: meaning(d.exitCode, m) });
    },
    facts: (s, m) => {
      const d = s.details;
      if (s.value === 0 || !d) return composeFacts(s, m);
      const facts = [
        { label: m.t("crashed.exitCode"), value: m.t("crashed.exitCode.value", { code: unknown(d.exitCode, m), meaning: meaning(d.exitCode, m) }) },
        ...composeFacts(s, m),
        { label: m.t("crashed.ranFor"), value: d.ranForMs !== null && d.ranForMs >= 0 ? m.duration(d.ranForMs) : m.t("container.unknown") },
        { label: m.t("crashed.restarts"), value: m.t("crashed.restarts.value", { count: d.restartCount, policy: d.restartPolicy }) },
        { label: m.t("crashed.now"), value: nowText(d, m) },
      ];
      if (d.error) facts.push({ label: m.t("container.dockerError"), value: d.error });
      if (d.reconciled) facts.push({ label: m.t("crashed.noticed"), value: m.t("crashed.noticed.value") });
      facts.push(...logsUnread(d, m));
      if (d.dockerOomFlag) facts.push({ label: m.t("crashed.oomFlag"), value: m.t("crashed.oomFlag.value") });
      return facts;
    },
    sections: (s, m) => (s.value > 0 ? logsSection(s.details?.logs, m) : []),
  }),
  defineRule(CONTAINER_OOM_KILLED, {
    gone: "container.gone",
    configKey: "containers.oom_killed",
    causedAt: (s) => (s.value > 0 ? s.details?.at : undefined),
    settings: (c, s) => condition(ruleOf("oom_killed")(c, s).enabled, "critical", 0),
    display: (s, m) => (s.value > 0 ? m.t("oom.display", { name: name(s) }) : m.t("oom.display.over", { name: name(s) })),
    summary: (s, m) => {
      const d = s.details;
      if (s.value === 0 || !d) return m.t("container.runningAgain", { name: name(s) });
      const limit = d.memoryLimit > 0 ? m.t("oom.limit", { bytes: formatBytes(d.memoryLimit) }) : m.t("oom.noLimit");
      return d.died ? m.t("oom.summary.died", { name: name(s), limit }) : m.t("oom.summary.process", { name: name(s), limit });
    },
    facts: (s, m) => {
      const d = s.details;
      if (s.value === 0 || !d) return composeFacts(s, m);
      return [
        { label: m.t("oom.memoryLimit"), value: d.memoryLimit > 0 ? formatBytes(d.memoryLimit) : m.t("oom.memoryLimit.none") },
        { label: m.t("oom.lastUsage"), value: d.lastMemoryUsage !== null && d.lastMemoryUsage >= 0 ? formatBytes(d.lastMemoryUsage) : m.t("oom.lastUsage.none") },
        ...composeFacts(s, m),
        {
          label: m.t("oom.container"),
          value: d.died ? m.t("oom.container.died", { code: d.exitCode === null ? m.t("oom.container.none") : String(d.exitCode), now: nowText(d, m) }) : m.t("oom.container.kept"),
        },
        ...logsUnread(d, m),
      ];
    },
    sections: (s, m) => (s.value > 0 ? logsSection(s.details?.logs, m) : []),
  }),
  defineRule(CONTAINER_UNHEALTHY, {
    gone: "container.gone",
    configKey: "containers.unhealthy",
    settings: (c, s) => {
      const r = ruleOf("unhealthy")(c, s);
      return condition(r.enabled, r.severity, r.for);
    },
    display: (s, m) => (s.value > 0 ? m.t("unhealthy.display", { name: name(s) }) : m.t("unhealthy.display.over", { name: name(s) })),
    summary: (s, m) => (s.value > 0 ? m.t("unhealthy.summary", { name: name(s) }) : m.t("unhealthy.display.over", { name: name(s) })),
    facts: (s, m) => [...composeFacts(s, m), ...(s.value > 0 && s.details ? [{ label: m.t("unhealthy.streak"), value: String(s.details.failingStreak) }] : [])],
    sections: (s, m) => (s.value > 0 && s.details?.output ? [{ title: m.t("unhealthy.output"), text: s.details.output, code: true }] : []),
  }),
  defineRule(CONTAINER_RESTART_LOOP, {
    gone: "container.gone",
    configKey: "containers.restart_loop",
    settings: (c, s) => {
      const r = ruleOf("restart_loop")(c, s);
      return { enabled: r.enabled, warning: r.restarts, critical: r.severity === "critical" ? r.restarts : null, for: 0, hysteresis: 0 };
    },
    display: (s, m) => m.t("loop.display", { name: name(s) }),
    summary: (s, m) =>
      s.value > 0 ? m.t("loop.summary", { name: name(s), count: s.value, duration: m.duration(s.details.withinMs) }) : m.t("loop.summary.over", { name: name(s) }),
    facts: (s, m) => {
      const d = s.details;
      const facts = [...composeFacts(s, m), { label: m.t("loop.policy"), value: d.restartPolicy }, { label: m.t("loop.restarts"), value: String(d.restartCount) }];
      const last = d.lastExit;
      if (s.value > 0 && last) {
        facts.unshift({
          label: m.t("loop.lastExit"),
          value: m.t("loop.lastExit.value", { code: last.code, meaning: meaning(last.code, m), at: last.at > 0 ? m.t("loop.lastExit.at", { time: m.time(last.at) }) : "" }),
        });
      }
      return facts;
    },
    sections: (s, m) => (s.value > 0 ? logsSection(s.details.logs, m) : []),
  }),
  defineRule(CONTAINER_NOT_RUNNING, {
    gone: "container.gone",
    configKey: "containers.not_running",
    settings: (c, s) => {
      const r = ruleOf("not_running")(c, s);
      return condition(r.enabled, r.severity, r.for);
    },
    display: (s, m) => (s.value > 0 ? m.t("notRunning.display", { name: name(s) }) : m.t("container.runningAgain", { name: name(s) })),
    summary: (s, m) => {
      const d = s.details;
      return s.value > 0 && d ? m.t("notRunning.summary", { name: name(s), status: d.status, code: String(d.exitCode) }) : m.t("container.runningAgain", { name: name(s) });
    },
    facts: (s, m) => {
      const d = s.details;
      if (s.value === 0 || !d) return composeFacts(s, m);
      const facts = [
        ...composeFacts(s, m),
        { label: m.t("notRunning.state"), value: m.t("notRunning.state.value", { status: d.status, code: String(d.exitCode) }) },
        { label: m.t("notRunning.why"), value: m.t("notRunning.why.value", { policy: d.restartPolicy }) },
      ];
      if (d.error) facts.push({ label: m.t("container.dockerError"), value: d.error });
      return facts;
    },
  }),
  defineRule(CONTAINER_CPU, {
    gone: "container.gone",
    configKey: "containers.cpu",
    settings: (c, s) => ruleOf("cpu")(c, s),
    display: (s, m) => m.t("cpu.display", { name: name(s) }),
    facts: (s, m) => {
      const d = s.details;
      const of = d.limited ? m.t("cpu.ofLimit", { cores: d.cores }) : m.t("cpu.ofHost", { cores: d.cores });
      return [{ label: m.t("cpu.label"), value: m.t("cpu.value", { percent: formatPercent(s.value), of, oneCore: formatPercent(d.ofOneCore) }) }, ...composeFacts(s, m)];
    },
  }),
  defineRule(CONTAINER_MEMORY, {
    gone: "container.gone",
    configKey: "containers.memory",
    settings: (c, s) => ruleOf("memory")(c, s),
    display: (s, m) => m.t("memory.display", { name: name(s) }),
    facts: (s, m) => {
      const d = s.details;
      const of = d.limited ? m.t("memory.ofLimit", { bytes: formatBytes(d.limitBytes) }) : m.t("memory.ofHost", { bytes: formatBytes(d.limitBytes) });
      return [{ label: m.t("memory.label"), value: m.t("memory.value", { percent: formatPercent(s.value), of, used: formatBytes(d.usageBytes) }) }, ...composeFacts(s, m)];
    },
  }),
  defineRule(CONTAINERS_DOWN_AT_START, {
    configKey: "containers.down_at_start",
    settings: (c) => condition(c.containers.down_at_start.enabled, c.containers.down_at_start.severity, 0),
    // A notice, not a problem that gets fixed: it ends quietly (after 10 minutes).
    quietResolve: true,
    display: (_s, m) => m.t("downAtStart.display"),
    summary: (s, m) => {
      const d = s.details;
      const more = d.more > 0 ? m.t("downAtStart.more", { count: d.more }) : "";
      const list = d.containers.map((c) => m.t("downAtStart.item", { name: c.name, state: downText(c, d.startedAt, false, m) })).join(m.t("list.sep"));
      return m.plural("downAtStart.summary", d.count, { list, more });
    },
    facts: (s, m) => {
      const d = s.details;
      const facts = d.containers.map((c) => ({ label: c.name, value: downText(c, d.startedAt, true, m) }));
      if (d.more > 0) facts.push({ label: m.t("downAtStart.and"), value: m.t("downAtStart.and.value", { count: d.more }) });
      facts.push({ label: m.t("downAtStart.why"), value: m.t("downAtStart.why.value", { alertname: CONTAINER_NOT_RUNNING }) });
      return facts;
    },
  }),
  defineRule(DOCKER_UNREACHABLE, {
    configKey: "docker.unreachable_for",
    // It started at the first check Docker failed, not when it fired after docker.unreachable_for.
    causedAt: (s) => (s.value > 0 ? s.details?.since : undefined),
    settings: (c) => condition(c.docker.enabled !== false, "critical", c.docker.unreachable_for),
    display: (s, m) => (s.value > 0 ? m.t("docker.display") : m.t("docker.display.over")),
    summary: (s, m) => (s.value > 0 ? m.t("docker.summary") : m.t("docker.display.over")),
    facts: (s, m) =>
      s.value > 0 && s.details
        ? [
            { label: m.t("docker.error"), value: s.details.error },
            { label: m.t("docker.hostAlerts"), value: m.t("docker.hostAlerts.value") },
          ]
        : [],
  }),
];
