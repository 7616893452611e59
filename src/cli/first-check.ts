/**
 * The one line `lookout run` logs after its first complete check, so that a
 * new user sees the agent works before anything fires:
 * `first check: CPU 6 %, memory 5 %, fullest disk / 24 %, 8 containers (1 unhealthy), nothing firing`.
 * Pure.
 */
import type { CycleResult } from "../agent.js";
import type { AlertRecord } from "../alert/state.js";
import { oneLine } from "../escape.js";
import { CONTAINER_UNHEALTHY, HOST_CPU, HOST_DISK, HOST_MEMORY, type MetricName } from "../model/metrics.js";
import { isSampleOf } from "../model/sample.js";

/** Most firing alerts named in the line; the rest are counted. */
const MAX_NAMED = 5;

const percent = (v: number) => `${Math.round(v)} %`;

/** An alert as the line names it: its name and the label that tells it apart (`host_disk /data`, `container_crashed web-1`). */
function alertName(a: AlertRecord): string {
  const which = a.labels.container ?? a.labels.mount;
  return which !== undefined ? `${a.alertname} ${which}` : a.alertname;
}

export function firstCheckLine(result: CycleResult): string {
  const parts: string[] = [];
  const find = (name: MetricName) => result.samples.find((s) => s.name === name && Object.keys(s.labels).length === 0);
  const cpu = find(HOST_CPU);
  if (cpu) parts.push(`CPU ${percent(cpu.value)}`);
  const memory = find(HOST_MEMORY);
  if (memory) parts.push(`memory ${percent(memory.value)}`);
  const disks = result.samples.filter((s) => isSampleOf(s, HOST_DISK));
  if (disks.length > 0) {
    const fullest = disks.reduce((a, b) => (b.value > a.value ? b : a));
    parts.push(`fullest disk ${fullest.labels.mount ?? "?"} ${percent(fullest.value)}`);
  }
  // The Docker collector gives every container it watches (and has not seen removed) one container_unhealthy sample.
  const containers = result.samples.filter((s) => isSampleOf(s, CONTAINER_UNHEALTHY));
  if (containers.length > 0) {
    const unhealthy = containers.filter((s) => s.value === 1).length;
    parts.push(`${containers.length} container${containers.length === 1 ? "" : "s"}${unhealthy > 0 ? ` (${unhealthy} unhealthy)` : ""}`);
  }
  const firing = result.active.filter((a) => a.state === "firing");
  if (firing.length === 0) parts.push("nothing firing");
  else {
    const named = firing.slice(0, MAX_NAMED).map(alertName).join(", ");
    const more = firing.length > MAX_NAMED ? ` and ${firing.length - MAX_NAMED} more` : "";
    parts.push(`${firing.length} firing: ${named}${more}`);
  }
  if (result.errors.length > 0) parts.push(`${result.errors.length} collector${result.errors.length === 1 ? "" : "s"} failed (see above)`);
  return oneLine(`first check: ${parts.join(", ")}`);
}
