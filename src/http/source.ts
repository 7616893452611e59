/**
 * What the API reads, and nothing else: the agent's memory of its last cycle
 * (cheap: a request never collects), its outbox, the data directory's
 * silences and history, and the Docker collector's view of the containers.
 * `agentSource` takes it from a running Agent; every accessor reads the
 * agent's current parts (a reload or a reopened database changes them).
 */
import type { Agent, CycleDurations, CycleResult } from "../agent.js";
import type { AlertRecord } from "../alert/state.js";
import type { ContainerFiguresView } from "../collect/docker/docker.js";
import { DOCKER_COLLECTOR } from "../collect/docker/saved.js";
import type { ContainerView } from "../collect/docker/tracker.js";
import type { HostReadings } from "../collect/host/host.js";
import type { LoadedConfig } from "../config/loaded.js";
import type { Outbox } from "../notify/outbox.js";
import type { HistoryStore } from "../store/history.js";
import { SilenceStore } from "../store/silences.js";

/** The Docker collector as the API uses it (collect/docker/docker.ts `DockerCollector`). */
export interface ContainerSource {
  containers(): ContainerView[];
  /** The ids of those with an OOM kill not resolved yet. */
  oomKilledIds(): ReadonlySet<string>;
  /** Null when no watched container has that name; throws when Docker does not answer. */
  logsOf(name: string, tail: number): Promise<string[] | null>;
  /** Each watched container's last figures, for /metrics (absent: only the views are known). */
  metricFigures?(): ContainerFiguresView[];
}

/** The host collector as /metrics reads it (collect/host/host.ts `HostCollector`). */
export interface HostSource {
  readings(): HostReadings | null;
}

export interface ApiSource {
  loaded(): LoadedConfig;
  lastResult(): Readonly<CycleResult> | null;
  alerts(): readonly AlertRecord[];
  outbox(): Outbox;
  /** Null when history.enabled is false. */
  history(): HistoryStore | null;
  silences(): SilenceStore;
  /** Null when Docker is not watched (docker.enabled: false). */
  docker(): ContainerSource | null;
  /** The host collector's raw figures; null when it does not keep them (absent in older sources). */
  host?(): HostSource | null;
  /** How long this process' cycles took (absent in older sources). */
  cycleDurations?(): CycleDurations;
}

function isContainerSource(c: object): c is ContainerSource {
  const s = c as Partial<ContainerSource>;
  return typeof s.containers === "function" && typeof s.oomKilledIds === "function" && typeof s.logsOf === "function";
}

function isHostSource(c: object): c is HostSource {
  return typeof (c as Partial<HostSource>).readings === "function";
}

export function agentSource(agent: Agent): ApiSource {
  return {
    loaded: () => agent.loaded,
    lastResult: () => agent.lastResult,
    alerts: () => agent.state.alerts,
    outbox: () => agent.outbox,
    history: () => agent.history(),
    silences: () => new SilenceStore(agent.db),
    docker: () => {
      if (agent.loaded.config.docker.enabled === false) return null;
      const c = agent.collectors.find((c) => c.name === DOCKER_COLLECTOR);
      return c && isContainerSource(c) ? c : null;
    },
    host: () => {
      const c = agent.collectors.find((c) => c.name === "host");
      return c && isHostSource(c) ? c : null;
    },
    cycleDurations: () => agent.cycleDurations,
  };
}
