/**
 * `lookout export prometheus-rules`: Prometheus alerting rules that raise the
 * alerts this configuration makes Lookout raise, from the metrics Lookout's
 * `/metrics` exposes (node_exporter's and cAdvisor's names, and lookout_*),
 * under the same alert names and labels (alertname, hostname, mount,
 * container, image, compose_project, compose_service, severity), so an alert
 * means the same whichever engine raised it. Prometheus adds `instance` and
 * `job`.
 *
 * How Lookout's rules map (evaluate/host-rules.ts, container-rules.ts):
 * - a threshold rule: a `warning` and a `critical` alert rule of the same
 *   name (Alertmanager's inhibit rule of `lookout export alertmanager` holds
 *   the warning back while the critical fires, as Lookout sends one alert at
 *   its highest level), each with the rule's `for`;
 * - hysteresis: an alert that fires stays while the value is at least
 *   threshold − hysteresis, by asking `ALERTS` whether it fires already;
 * - per-container settings (containers.overrides, `lookout.<rule>.<key>`
 *   labels, labels beating overrides beating defaults): recorded per
 *   container as `lookout:container_<rule>:<key>`, the label's number read
 *   digit by digit with regex matchers (PromQL cannot turn a label into a
 *   number otherwise).
 * What cannot be said in PromQL is listed in `notes`, and in the file's header.
 */
import { stringify } from "yaml";
import type { LookoutConfig, ThresholdRule } from "../config/schema.js";
import {
  CONTAINER_CPU,
  CONTAINER_CRASHED,
  CONTAINER_MEMORY,
  CONTAINER_NOT_RUNNING,
  CONTAINER_OOM_KILLED,
  CONTAINER_RESTART_LOOP,
  CONTAINER_UNHEALTHY,
  DOCKER_UNREACHABLE,
  HOST_CPU,
  HOST_DISK,
  HOST_INODES,
  HOST_LOAD,
  HOST_MEMORY,
  HOST_REBOOTED,
  HOST_SWAP,
} from "../model/metrics.js";
import { BUILD_INFO, containerLabel, containerSelector, promDuration, quote, withHostname } from "./promql.js";

/** The alert Prometheus adds of its own: a Lookout it cannot scrape (Lookout cannot say that of itself). */
export const LOOKOUT_DOWN = "lookout_down";

export interface RulesOptions {
  /** The window of rate() for CPU: at least two scrapes, e.g. `1m` at a 15s scrape interval. */
  rateWindow: string;
}

export interface RulesExport {
  text: string;
  /** What the rules do not reproduce, one sentence each (also in the file's header). */
  notes: string[];
}

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface RecordingRule {
  record: string;
  expr: string;
}

/** The labels a container alert has, as Lookout's Docker collector names them (collect/docker/docker.ts). */
const CONTAINER_BY = "instance, job, container, image, compose_project, compose_service";
const ON_CONTAINER = "on(instance, job, container)";

/** A raw cAdvisor series renamed to Lookout's container labels: name → container, compose labels → compose_project/service. */
function asContainer(expr: string): string {
  const named = `label_replace(${expr}, "container", "$1", "name", "(.+)")`;
  const project = `label_replace(${named}, "compose_project", "$1", "${containerLabel("com.docker.compose.project")}", "(.+)")`;
  const service = `label_replace(${project}, "compose_service", "$1", "${containerLabel("com.docker.compose.service")}", "(.+)")`;
  return `max by(${CONTAINER_BY}) (\n  ${service}\n)`;
}

const SEEN = "container_last_seen";
/** Every container series, with extra matchers. */
const seen = (matchers = "") => `${SEEN}{name!=""${matchers ? `, ${matchers}` : ""}}`;

/** A constant per container, for the containers a selector picks: `container_last_seen{…} * 0 + 90`. */
const constant = (matchers: string, value: number) => `${seen(matchers)} * 0 + ${value}`;

/**
 * A label's number (0 to 999.9) as a series per container: hundreds, tens, ones and tenths read by regex
 * matchers and added up. A label that is not such a number gives no series (the next setting applies).
 */
function labelNumber(label: string): string {
  const num = "[0-9]{1,3}(\\\\.[0-9]+)?";
  const digit = (pattern: (d: number) => string, weight: number, from = 1) => {
    const branches: string[] = [];
    for (let d = 9; d >= from; d--) branches.push(`(${seen(`${label}=~"${pattern(d)}"`)} * 0 + ${Math.round(d * weight * 10) / 10})`);
    return `(${[...branches, `(${seen(`${label}=~"${num}"`)} * 0)`].join(" or ")})`;
  };
  return [
    digit((d) => `${d}[0-9][0-9](\\\\.[0-9]+)?`, 100),
    digit((d) => `[0-9]?${d}[0-9](\\\\.[0-9]+)?`, 10),
    digit((d) => `[0-9]{0,2}${d}(\\\\.[0-9]+)?`, 1),
    digit((d) => `[0-9]{1,3}\\\\.${d}[0-9]*`, 0.1),
  ].join("\n+ ");
}

/** `true`/`false` as YAML reads a label (policy.ts): 1 or 0. */
function labelBoolean(label: string): string {
  return `(${seen(`${label}=~"true|True|TRUE"`)} * 0 + 1) or (${seen(`${label}=~"false|False|FALSE"`)} * 0)`;
}

type SettingKey = "enabled" | "warning" | "critical" | "hysteresis";

/**
 * One setting of a container rule per container: the container's label, else the last matching override,
 * else the default (null: no series, as no critical level). `or` keeps the first series of each container.
 */
function containerSetting(config: LookoutConfig, rule: "cpu" | "memory", key: SettingKey): string | undefined {
  const label = containerLabel(`lookout.${rule}.${key}`);
  const branches = [key === "enabled" ? labelBoolean(label) : labelNumber(label)];
  const overrides = config.containers.overrides.map((o) => ({ match: o.match, value: o[rule]?.[key] })).reverse();
  for (const o of overrides) {
    if (o.value === undefined) continue;
    if (o.value === null) continue; // critical: null in an override: said in the notes
    const v = typeof o.value === "boolean" ? (o.value ? 1 : 0) : Number(o.value);
    if (Number.isFinite(v)) branches.push(constant(containerSelector(o.match), v));
  }
  const d = config.containers[rule][key];
  if (d !== null) branches.push(constant("", typeof d === "boolean" ? (d ? 1 : 0) : d));
  return asContainer(branches.map((b) => `(\n${b}\n)`).join("\nor\n"));
}

/** Containers seen in the last hour (a stopped one has no fresh series), with extra matchers. */
const seenLately = (matchers = "") => `last_over_time(${seen(matchers)}[1h])`;

/** The containers Lookout watches (seen in the last hour): include (any), minus exclude and `lookout.ignore=true`. */
function watchedContainers(config: LookoutConfig): string {
  const { include, exclude } = config.containers;
  let expr = include.length === 0 ? seenLately() : include.map((m) => seenLately(containerSelector(m))).join(" or ");
  expr = `(${expr})\nunless ${seenLately(`${containerLabel("lookout.ignore")}="true"`)}`;
  for (const m of exclude) expr += `\nunless ${seenLately(containerSelector(m))}`;
  return `${asContainer(`(${expr}) * 0 + 1`)}`;
}

/** `{{ $value | printf "%.1f" }}`: a value as Lookout shows it. */
const VALUE = '{{ $value | printf "%.1f" }}';

interface ThresholdSpec {
  alertname: string;
  /** The value, labelled with `instance`, `job` and the alert's own labels (mount…). */
  value: string;
  /** Labels (besides instance, job) that tell the alert's series apart, for the ALERTS lookup. */
  on: string[];
  rule: ThresholdRule;
  /** The summary, given the threshold's text. */
  summary: (threshold: string) => string;
  unit: string;
}

/** The firing alert of this name and severity, for hysteresis: Lookout holds an alert that fires until the value is below threshold − hysteresis. */
function firing(alertname: string, severity: string): string {
  return `ALERTS{alertname=${quote(alertname)}, severity=${quote(severity)}, alertstate="firing"}`;
}

/** A host threshold rule: a warning and (when set) a critical alert rule. */
function thresholdRules(s: ThresholdSpec): AlertRule[] {
  const out: AlertRule[] = [];
  const on = `on(${["instance", "job", ...s.on].join(", ")})`;
  for (const severity of ["warning", "critical"] as const) {
    const threshold = severity === "warning" ? s.rule.warning : s.rule.critical;
    if (threshold === null) continue;
    let cond = `(${s.value}) >= ${threshold}`;
    if (s.rule.hysteresis > 0) {
      cond = `${cond}\nor\n((${s.value}) >= ${round(threshold - s.rule.hysteresis)} and ${on} ${firing(s.alertname, severity)})`;
    }
    out.push({
      alert: s.alertname,
      expr: withHostname(cond),
      ...(s.rule.for > 0 ? { for: promDuration(s.rule.for) } : {}),
      labels: { severity },
      annotations: { summary: s.summary(`${threshold}${s.unit}`) },
    });
  }
  return out;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

function mountSelector(config: LookoutConfig): string {
  const mounts = config.host.disk.mounts;
  return mounts.length === 0 ? "" : `mountpoint=~${quote(mounts.map((m) => m.replace(/[.+*?^${}()|[\]\\]/g, "\\$&")).join("|"))}`;
}

/** node_exporter's `mountpoint` as Lookout's `mount`, device and fstype dropped (Lookout's disk alert has neither). */
function asMount(expr: string): string {
  return `max without(device, fstype, mountpoint) (\n  label_replace(${expr}, "mount", "$1", "mountpoint", "(.*)")\n)`;
}

function hostRules(config: LookoutConfig, opts: RulesOptions, notes: string[]): AlertRule[] {
  const h = config.host;
  const w = opts.rateWindow;
  const busy = `mode=~"user|nice|system|irq|softirq|steal"`;
  const all = `mode=~"user|nice|system|irq|softirq|steal|idle|iowait"`;
  const cores = `count by(instance, job) (node_cpu_seconds_total{mode="idle"})`;
  const fs = mountSelector(config);
  const sel = (extra = "") => `{${[fs, extra].filter(Boolean).join(", ")}}`;
  const specs: ThresholdSpec[] = [
    {
      alertname: HOST_CPU,
      value: `100 * sum by(instance, job) (rate(node_cpu_seconds_total{${busy}}[${w}])) / sum by(instance, job) (rate(node_cpu_seconds_total{${all}}[${w}]))`,
      on: [],
      rule: h.cpu,
      summary: (t) => `CPU ${VALUE}% (threshold ${t})`,
      unit: "%",
    },
    {
      alertname: HOST_MEMORY,
      value: "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)",
      on: [],
      rule: h.memory,
      summary: (t) => `Memory ${VALUE}% (threshold ${t})`,
      unit: "%",
    },
    {
      alertname: HOST_SWAP,
      value: "100 * (1 - node_memory_SwapFree_bytes / (node_memory_SwapTotal_bytes > 0))",
      on: [],
      rule: h.swap,
      summary: (t) => `Swap ${VALUE}% (threshold ${t})`,
      unit: "%",
    },
    {
      alertname: HOST_DISK,
      // df's figure (reserved blocks neither used nor free) when free_bytes is exposed, else 1 − avail/size.
      value: asMount(
        `100 * (node_filesystem_size_bytes${sel()} - node_filesystem_free_bytes${sel()}) / (node_filesystem_size_bytes${sel()} - node_filesystem_free_bytes${sel()} + node_filesystem_avail_bytes${sel()})` +
          `\n  or 100 * (1 - node_filesystem_avail_bytes${sel()} / (node_filesystem_size_bytes${sel()} > 0))`,
      ),
      on: ["mount"],
      rule: h.disk,
      summary: (t) => `Disk {{ $labels.mount }} ${VALUE}% (threshold ${t})`,
      unit: "%",
    },
    {
      alertname: HOST_INODES,
      value: asMount(`100 * (1 - node_filesystem_files_free${sel()} / (node_filesystem_files${sel()} > 0))`),
      on: ["mount"],
      rule: h.inodes,
      summary: (t) => `Inodes {{ $labels.mount }} ${VALUE}% (threshold ${t})`,
      unit: "%",
    },
    {
      alertname: HOST_LOAD,
      value: `node_load5 / on(instance, job) ${cores}`,
      on: [],
      rule: h.load,
      summary: (t) => `Load ${VALUE} per core (5m) (threshold ${t})`,
      unit: "",
    },
  ];
  const out: AlertRule[] = [];
  for (const s of specs) {
    if (!s.rule.enabled) continue;
    out.push(...thresholdRules(s));
  }
  if (h.reboot.enabled) {
    out.push({
      alert: HOST_REBOOTED,
      expr: withHostname("time() - node_boot_time_seconds < 600"),
      labels: { severity: h.reboot.severity },
      annotations: { summary: "Host rebooted {{ $value | humanizeDuration }} ago" },
    });
  }
  notes.push(
    `${HOST_CPU}: Lookout measures CPU between two of its cycles (every ${promDuration(config.interval)}); here it is a rate() over ${w}, which smooths short peaks.`,
    `${HOST_DISK}: without node_filesystem_free_bytes the disk's use is 1 − avail/size, which counts the root reserve (ext4: 5%) as used where Lookout, like df, counts it as neither: it fires earlier.`,
    `${HOST_REBOOTED}: fires for 10 minutes after any boot, the first one Prometheus sees too; Lookout says nothing of a host it saw boot first, and its reboot alert ends without a resolved message (Alertmanager sends one).`,
  );
  return out;
}

function containerThresholds(config: LookoutConfig, rule: "cpu" | "memory", alertname: string, what: string): { records: RecordingRule[]; alerts: AlertRule[] } {
  const prefix = `lookout:${alertname}`;
  const records: RecordingRule[] = [];
  for (const key of ["enabled", "warning", "critical", "hysteresis"] as const) {
    const expr = containerSetting(config, rule, key);
    if (expr) records.push({ record: `${prefix}:${key}`, expr });
  }
  const value = `${prefix}:percent`;
  const alerts: AlertRule[] = [];
  const r = config.containers[rule];
  for (const severity of ["warning", "critical"] as const) {
    const t = `${prefix}:${severity}`;
    // group_left(): a comparison matched on() would keep only the on() labels; the alert keeps the value's (image, compose_*).
    const cond =
      `${value} >= ${ON_CONTAINER} group_left() ${t}` +
      `\nor\n(${value} >= ${ON_CONTAINER} group_left() (${t} - ${ON_CONTAINER} ${prefix}:hysteresis) and ${ON_CONTAINER} ${firing(alertname, severity)})`;
    const watched = `(${cond})\nand ${ON_CONTAINER} (${prefix}:enabled == 1)\nand ${ON_CONTAINER} lookout:container_watched`;
    alerts.push({
      alert: alertname,
      expr: withHostname(watched),
      ...(r.for > 0 ? { for: promDuration(r.for) } : {}),
      labels: { severity },
      annotations: {
        summary:
          `Container {{ $labels.container }} ${what} ${VALUE}% (threshold ` +
          `{{ with printf "${t}{instance='%s',container='%s'}" $labels.instance $labels.container | query }}{{ . | first | value }}{{ end }}%)`,
      },
    });
  }
  return { records, alerts };
}

function containerRules(config: LookoutConfig, opts: RulesOptions, notes: string[]): { records: RecordingRule[]; alerts: AlertRule[] } {
  const c = config.containers;
  const records: RecordingRule[] = [{ record: "lookout:container_watched", expr: watchedContainers(config) }];
  const alerts: AlertRule[] = [];
  const cores = `count by(instance, job) (node_cpu_seconds_total{mode="idle"})`;
  records.push({
    record: `lookout:${CONTAINER_CPU}:percent`,
    expr: asContainer(`100 * rate(container_cpu_usage_seconds_total{name!=""}[${opts.rateWindow}]) / on(instance, job) group_left() ${cores}`),
  });
  records.push({
    record: `lookout:${CONTAINER_MEMORY}:percent`,
    // Of its limit when it has one (0 = none), else of the host's memory, as Lookout's container_memory.
    expr: asContainer(
      `100 * container_memory_working_set_bytes{name!=""} / (container_spec_memory_limit_bytes{name!=""} > 0)` +
        `\n  or 100 * container_memory_working_set_bytes{name!=""} / on(instance, job) group_left() node_memory_MemTotal_bytes`,
    ),
  });
  for (const [rule, alertname, what] of [
    ["cpu", CONTAINER_CPU, "CPU"],
    ["memory", CONTAINER_MEMORY, "memory"],
  ] as const) {
    const t = containerThresholds(config, rule, alertname, what);
    records.push(...t.records);
    alerts.push(...t.alerts);
  }
  const watched = (expr: string) => withHostname(`${asContainer(expr)}\nand ${ON_CONTAINER} lookout:container_watched`);
  const off = (rule: string) => `unless on(instance, job, name) ${seenLately(`${containerLabel(`lookout.${rule}.enabled`)}=~"false|False|FALSE"`)}`;
  if (c.crashed.enabled) {
    alerts.push({
      alert: CONTAINER_CRASHED,
      expr: watched(`(lookout_container_exit_code{name!=""} != 0) ${off("crashed")}`),
      labels: { severity: c.crashed.severity },
      annotations: { summary: "Container {{ $labels.container }} crashed: exit code {{ $value }}" },
    });
  }
  if (c.oom_killed.enabled) {
    const window = promDuration(Math.max(c.oom_killed.resolve_after, 60_000) + 60_000);
    alerts.push({
      alert: CONTAINER_OOM_KILLED,
      expr: watched(`(increase(container_oom_events_total{name!=""}[${window}]) > 0) ${off("oom_killed")}`),
      labels: { severity: "critical" },
      annotations: { summary: "Container {{ $labels.container }} ran out of memory" },
    });
  }
  if (c.unhealthy.enabled) {
    alerts.push({
      alert: CONTAINER_UNHEALTHY,
      expr: watched(`(lookout_container_health_status{name!="", status="unhealthy"} == 1) ${off("unhealthy")}`),
      ...(c.unhealthy.for > 0 ? { for: promDuration(c.unhealthy.for) } : {}),
      labels: { severity: c.unhealthy.severity },
      annotations: { summary: "Container {{ $labels.container }} is unhealthy" },
    });
  }
  if (c.restart_loop.enabled) {
    alerts.push({
      alert: CONTAINER_RESTART_LOOP,
      expr: watched(`(increase(lookout_container_restarts_total{name!=""}[${promDuration(c.restart_loop.within)}]) >= ${c.restart_loop.restarts}) ${off("restart_loop")}`),
      labels: { severity: c.restart_loop.severity },
      annotations: { summary: `Container {{ $labels.container }} is restarting in a loop: {{ $value | printf "%.0f" }} restarts in ${promDuration(c.restart_loop.within)}` },
    });
  }
  if (c.not_running.enabled) {
    // A container whose series stopped: last seen more than `for` ago (within the last hour), labelled lookout.expect=running.
    const f = Math.max(c.not_running.for, 60_000);
    alerts.push({
      alert: CONTAINER_NOT_RUNNING,
      expr: withHostname(`${asContainer(`(time() - max_over_time(${seen(`${containerLabel("lookout.expect")}="running"`)}[1h]) > ${f / 1000}) ${off("not_running")}`)}`),
      labels: { severity: c.not_running.severity },
      annotations: { summary: "Container {{ $labels.container }} is not running (last seen {{ $value | humanizeDuration }} ago)" },
    });
  }
  if (config.docker.enabled !== false) {
    alerts.push({
      alert: DOCKER_UNREACHABLE,
      // Lookout's own evaluation, relayed: no other metric says Docker does not answer.
      expr: withHostname(`max by(instance, job) (lookout_alerts{alertname="${DOCKER_UNREACHABLE}", state="firing"}) > 0`),
      labels: { severity: "critical" },
      annotations: { summary: "Docker is unreachable: containers are not being watched" },
    });
  }
  notes.push(
    `${CONTAINER_CPU}: a container with a CPU limit (--cpus) is measured by Lookout against its limit; the metrics have no limit, so here it is % of all host cores.`,
    `${CONTAINER_CRASHED}: Lookout's crash alert is an event (an exit Docker reports, a docker stop excluded, resolved ${promDuration(c.crashed.resolve_after)} after the container runs again, with its last log lines); here it fires while lookout_container_exit_code is not 0.`,
    `${CONTAINER_OOM_KILLED}: Lookout's is an event; here it fires while container_oom_events_total rose in the last ${promDuration(Math.max(c.oom_killed.resolve_after, 60_000) + 60_000)}.`,
    `${CONTAINER_NOT_RUNNING}: Lookout expects a container to run from its restart policy (always, unless-stopped) or the label lookout.expect=running; the metrics have no restart policy, so only the label is followed here, for an hour after the container's series stopped (a container removed for good alerts that hour too).`,
    `${DOCKER_UNREACHABLE}: relayed from lookout_alerts (Lookout's own evaluation): no metric says whether Docker answers.`,
    "Container labels lookout.<rule>.<key>: numbers are read to one decimal (92.55 is 92.5), and a value Lookout would refuse (above 100) is used; only enabled, warning, critical and hysteresis of cpu and memory, and enabled of the other rules, are followed.",
    `Per-container for, severity, restarts, within and resolve_after (overrides or labels) cannot be expressed: a Prometheus rule has one for and one severity; the defaults are used.`,
  );
  return { records, alerts };
}

/** The whole rules file for this configuration. */
export function prometheusRules(config: LookoutConfig, hostname: string, opts: RulesOptions): RulesExport {
  const notes: string[] = [];
  const alerts = hostRules(config, opts, notes);
  const containers = containerRules(config, opts, notes);
  alerts.push(...containers.alerts);
  alerts.push({
    alert: LOOKOUT_DOWN,
    // The host's name from its last build_info (a day back): the target is down, its series are gone.
    expr: `(up == 0)\n* on(instance) group_left(hostname) max by(instance, hostname) (last_over_time(${BUILD_INFO}[1d]))`,
    for: "1m",
    labels: { severity: "critical" },
    annotations: { summary: "Lookout on {{ $labels.hostname }} cannot be scraped: the host, its network or Lookout is down" },
  });
  notes.push(
    "Hysteresis is kept by asking ALERTS whether the alert fires already: it holds once firing (not while pending), as Lookout's.",
    "Lookout de-escalates from critical to warning quietly; Alertmanager sends the warning it held back while the critical fired.",
    "Flap detection, silences, maintenance windows, reminders and the daily summary are Lookout's own: Alertmanager has silences and mute_time_intervals (written by hand), repeat_interval for reminders.",
    `${LOOKOUT_DOWN} is Prometheus' own (Lookout cannot say it is down); the other alerts need lookout_build_info of the same instance, which gives them the host's name (hostname: ${hostname}).`,
  );
  // One group, the recording rules first: a group's rules are evaluated in order at one timestamp, while separate
  // groups run each on its own timer (and promtool tests them in map order), so alerts in a group of their own read
  // the recorded thresholds of the interval before about half the time and fire one interval late.
  const groups = [{ name: "lookout", interval: promDuration(config.interval), rules: [...containers.records, ...alerts] }];
  const header = [
    `# Prometheus alerting rules made by lookout export prometheus-rules from the configuration of ${hostname}.`,
    "# Same alert names, labels and thresholds as Lookout's own alerts; on the metrics of Lookout's /metrics.",
    "# Check: promtool check rules FILE. Load: rule_files in prometheus.yml (docs/fleet.md).",
    "#",
    "# Not reproduced here:",
    ...notes.map((n) => `# - ${n}`),
    "",
  ].join("\n");
  return { text: header + stringify({ groups }, { lineWidth: 0 }), notes };
}
