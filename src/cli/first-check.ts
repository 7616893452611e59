/**
 * The one line `lookout run` logs after its first complete check, so that a
 * new user sees the agent works before anything fires:
 * `first check: CPU 6 %, memory 5 %, fullest disk / 24 %, 8 containers (1 unhealthy), nothing firing`
 * (`첫 점검: CPU 6%, 메모리 5%, …` in Korean). Pure but for the process's language, the default.
 */
import type { CycleResult } from "../agent.js";
import type { AlertRecord } from "../alert/state.js";
import { oneLine } from "../escape.js";
import { processMessages } from "../i18n/current.js";
import type { Messages } from "../i18n/messages.js";
import { CONTAINER_UNHEALTHY, HOST_CPU, HOST_DISK, HOST_MEMORY, type MetricName } from "../model/metrics.js";
import { isSampleOf } from "../model/sample.js";

/** Most firing alerts named in the line; the rest are counted. */
const MAX_NAMED = 5;

/** An alert as the line names it: its name and the label that tells it apart (`host_disk /data`, `container_crashed web-1`). */
function alertName(a: AlertRecord): string {
  const which = a.labels.container ?? a.labels.mount;
  return which !== undefined ? `${a.alertname} ${which}` : a.alertname;
}

export function firstCheckLine(result: CycleResult, m: Messages = processMessages()): string {
  const percent = (v: number) => m.t("cli.first.percent", { value: Math.round(v) });
  const parts: string[] = [];
  const find = (name: MetricName) => result.samples.find((s) => s.name === name && Object.keys(s.labels).length === 0);
  const cpu = find(HOST_CPU);
  if (cpu) parts.push(m.t("cli.first.cpu", { percent: percent(cpu.value) }));
  const memory = find(HOST_MEMORY);
  if (memory) parts.push(m.t("cli.first.memory", { percent: percent(memory.value) }));
  const disks = result.samples.filter((s) => isSampleOf(s, HOST_DISK));
  if (disks.length > 0) {
    const fullest = disks.reduce((a, b) => (b.value > a.value ? b : a));
    parts.push(m.t("cli.first.disk", { mount: fullest.labels.mount ?? "?", percent: percent(fullest.value) }));
  }
  // The Docker collector gives every container it watches (and has not seen removed) one container_unhealthy sample.
  const containers = result.samples.filter((s) => isSampleOf(s, CONTAINER_UNHEALTHY));
  if (containers.length > 0) {
    const unhealthy = containers.filter((s) => s.value === 1).length;
    const counted = m.plural("cli.first.containers", containers.length);
    parts.push(unhealthy > 0 ? m.t("cli.first.unhealthy", { containers: counted, count: unhealthy }) : counted);
  }
  const firing = result.active.filter((a) => a.state === "firing");
  if (firing.length === 0) parts.push(m.t("cli.first.nothingFiring"));
  else {
    const names = firing.slice(0, MAX_NAMED).map(alertName).join(m.t("list.sep"));
    const more = firing.length > MAX_NAMED ? m.t("cli.first.more", { count: firing.length - MAX_NAMED }) : "";
    parts.push(m.t("cli.first.firing", { count: firing.length, names, more }));
  }
  if (result.errors.length > 0) parts.push(m.plural("cli.first.failed", result.errors.length));
  return oneLine(m.t("cli.first.line", { parts: parts.join(m.t("list.sep")) }));
}
