/** `GET /api/v1/status`: the host and its containers now (the last cycle), the agent, Docker (docs/api.md). */
import type { CycleResult } from "../agent.js";
import { DOCKER_UNREACHABLE, HOST_CPU, HOST_DISK, HOST_INODES, HOST_LOAD, HOST_MEMORY, HOST_SWAP, HOST_UPTIME, METRICS } from "../model/metrics.js";
import { isSampleOf, type Sample } from "../model/sample.js";
import { VERSION } from "../version.js";
import type { ApiAnswer, ApiRequest } from "./api.js";
import type { ContainerSource } from "./source.js";

export function getStatus(req: ApiRequest): ApiAnswer {
  const { source, now } = req;
  const loaded = source.loaded();
  const last = source.lastResult();
  const samples = last?.samples ?? [];
  const alerts = source.alerts();
  const docker = source.docker();
  return {
    body: {
      hostname: loaded.hostname,
      version: VERSION,
      locale: loaded.config.locale ?? "en",
      started_at: req.startedAt,
      uptime_ms: Math.max(0, now - req.startedAt),
      interval_ms: loaded.config.interval,
      last_cycle_at: last?.checkedAt ?? null,
      status: last?.status ?? "unknown",
      collector_errors: last?.errors ?? [],
      docker: dockerReachability(last, docker !== null),
      host: hostNow(samples),
      containers: containerCounts(docker),
      alerts: { firing: alerts.filter((a) => a.state === "firing").length, pending: alerts.filter((a) => a.state === "pending").length },
      metrics: samples.filter((s) => s.name.startsWith("host_")).map((s) => ({ name: s.name, labels: s.labels, value: s.value, unit: METRICS[s.name].unit })),
    },
  };
}

/** Reachable, not (and why), or null when Docker is not watched or not asked yet. */
export function dockerReachability(last: Readonly<CycleResult> | null, watched: boolean): { reachable: boolean | null; error: string | null } {
  const s = last?.samples.find((x) => x.name === DOCKER_UNREACHABLE);
  if (!watched || !s || !isSampleOf(s, DOCKER_UNREACHABLE)) return { reachable: null, error: null };
  return s.value === 0 ? { reachable: true, error: null } : { reachable: false, error: s.details?.error ?? "Docker did not answer" };
}

function hostNow(samples: readonly Sample[]) {
  const one = <N extends Sample["name"]>(name: N) => samples.find((s) => s.name === name && Object.keys(s.labels).length === 0) as Extract<Sample, { name: N }> | undefined;
  const cpu = one(HOST_CPU);
  const memory = one(HOST_MEMORY);
  const swap = one(HOST_SWAP);
  const load = one(HOST_LOAD);
  const uptime = one(HOST_UPTIME);
  const inodes = new Map(samples.filter((s) => s.name === HOST_INODES).map((s) => [s.labels.mount, s.value]));
  return {
    cpu_percent: cpu?.value ?? null,
    memory_percent: memory?.value ?? null,
    memory_used_bytes: memory?.details.usedBytes ?? null,
    memory_total_bytes: memory?.details.totalBytes ?? null,
    swap_percent: swap && swap.details.totalBytes > 0 ? swap.value : null,
    swap_total_bytes: swap?.details.totalBytes ?? null,
    load1: load?.details.load1 ?? null,
    load5: load?.details.load5 ?? null,
    load15: load?.details.load15 ?? null,
    cores: load?.details.cores ?? null,
    uptime_s: uptime?.value ?? null,
    disks: samples
      .filter((s) => isSampleOf(s, HOST_DISK))
      .map((s) => {
        const d = s as Extract<Sample, { name: typeof HOST_DISK }>;
        return {
          mount: d.labels.mount ?? "",
          device: d.details.device,
          fstype: d.details.fstype,
          used_percent: d.value,
          size_bytes: d.details.sizeBytes,
          free_bytes: d.details.freeBytes,
          inodes_percent: inodes.get(d.labels.mount) ?? null,
        };
      }),
  };
}

function containerCounts(docker: ContainerSource | null) {
  const list = docker?.containers() ?? [];
  return {
    total: list.length,
    running: list.filter((v) => v.status === "running").length,
    unhealthy: list.filter((v) => v.health === "unhealthy").length,
    not_running: list.filter((v) => v.status !== "running").length,
  };
}
