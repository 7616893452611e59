/**
 * `GET /api/v1/containers` (the Docker collector's view, with the last
 * cycle's CPU and memory figures, its labels, the rule settings in force for
 * it and whether an OOM kill is held) and `GET /api/v1/containers/{name}/logs`
 * (asked of the Engine API now, read-only, at most MAX_TAIL lines) (docs/api.md).
 */
import { containerPolicy } from "../collect/docker/policy.js";
import { describeError, said } from "../errors.js";
import { oneLine } from "../escape.js";
import { CONTAINER_CPU, CONTAINER_MEMORY } from "../model/metrics.js";
import { isSampleOf, type Sample, type SampleOf } from "../model/sample.js";
import type { ApiAnswer, ApiRequest } from "./api.js";
import { intParam, quoted } from "./params.js";
import { badRequest, HttpError, notFound } from "./respond.js";
import { dockerReachability } from "./status.js";

export const MAX_TAIL = 1000;
const DEFAULT_TAIL = 200;

/** Docker's own rule for names (and a bound): anything else cannot be a container of it. */
const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

export function listContainers(req: ApiRequest): ApiAnswer {
  const docker = req.source.docker();
  const last = req.source.lastResult();
  const samples = last?.samples ?? [];
  const cpu = byContainer(samples, CONTAINER_CPU);
  const memory = byContainer(samples, CONTAINER_MEMORY);
  const oom = docker?.oomKilledIds() ?? new Set<string>();
  const config = req.source.loaded().config;
  const containers = (docker?.containers() ?? [])
    .map((v) => {
      const c = v.status === "running" ? cpu.get(v.name) : undefined;
      const m = v.status === "running" ? memory.get(v.name) : undefined;
      return {
        name: v.name,
        id: v.id.slice(0, 12),
        image: v.image,
        state: v.status,
        health: v.health,
        started_at: v.startedAt,
        finished_at: v.status === "running" ? null : v.finishedAt,
        exit_code: v.exitCode,
        restarts: v.restartCount,
        restart_policy: v.restartPolicy,
        cpu_percent: c?.value ?? null,
        cpu_cores: c?.details.cores ?? null,
        cpu_limited: c?.details.limited ?? v.cpuLimit !== null,
        memory_bytes: m?.details.usageBytes ?? null,
        memory_limit_bytes: m?.details.limitBytes ?? (v.memoryLimit > 0 ? v.memoryLimit : null),
        memory_limited: m?.details.limited ?? v.memoryLimit > 0,
        memory_percent: m?.value ?? null,
        compose_project: v.labels["com.docker.compose.project"] ?? null,
        compose_service: v.labels["com.docker.compose.service"] ?? null,
        oom_killed: oom.has(v.id),
        // Docker's labels as given (untrusted text: JSON escapes it; the page shows it as text)
        labels: v.labels,
        // The settings of each rule for it (config, overrides, its lookout.* labels), durations in ms, and what in them was refused
        policy: containerPolicy(config, { name: v.name, labels: v.labels }),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { body: { containers, docker: dockerReachability(last, docker !== null) } };
}

function byContainer<N extends typeof CONTAINER_CPU | typeof CONTAINER_MEMORY>(samples: readonly Sample[], name: N): Map<string, SampleOf<N>> {
  const out = new Map<string, SampleOf<N>>();
  for (const s of samples) {
    const container = s.labels.container;
    if (container !== undefined && isSampleOf(s, name)) out.set(container, s);
  }
  return out;
}

export async function containerLogs(req: ApiRequest): Promise<ApiAnswer> {
  const name = req.params[0]!;
  if (!CONTAINER_NAME.test(name)) throw badRequest(said("api.containerName", { got: quoted(name) }));
  const tail = intParam(req.url.searchParams, "tail", 1, MAX_TAIL, DEFAULT_TAIL);
  const docker = req.source.docker();
  if (!docker) throw notFound(said("api.dockerNotWatched"));
  let lines: string[] | null;
  try {
    lines = await docker.logsOf(name, tail);
  } catch (err) {
    throw new HttpError(502, (m) => m.t("api.dockerLogs", { error: describeError(err, m) }));
  }
  if (lines === null) throw notFound(said("api.noContainer", { name: quoted(name) }));
  // Control characters (ANSI colours, \r, bidi overrides) shown as text, as the terminal and Slack show them.
  return { body: { container: name, tail, lines: lines.slice(-tail).map(oneLine) } };
}
