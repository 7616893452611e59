/**
 * Every metric Lookout measures, defined once: its name (the constants below,
 * the only place a metric's name is written), its unit (`METRICS`; the nouns
 * a group title uses for its alerts are in the message catalogues,
 * `group.<name>.one`/`.other` in src/i18n/), and the typed details a sample of it
 * carries for messages (`MetricDetails`). The collector that makes a metric,
 * the rules that read it, titles, inhibition and likely causes import it from
 * here; `Sample` (model/sample.ts) is built from `MetricDetails`.
 *
 * Names are stable: they are printed in `check --json`, Slack and webhooks,
 * matched by silences and routes.
 */

// Host (collect/host/host.ts)
export const HOST_CPU = "host_cpu";
export const HOST_CPU_USER = "host_cpu_user";
export const HOST_CPU_SYSTEM = "host_cpu_system";
export const HOST_CPU_IOWAIT = "host_cpu_iowait";
export const HOST_CPU_STEAL = "host_cpu_steal";
export const HOST_CPU_CORES = "host_cpu_cores";
export const HOST_MEMORY = "host_memory";
export const HOST_SWAP = "host_swap";
export const HOST_LOAD = "host_load";
export const HOST_LOAD1 = "host_load1";
export const HOST_LOAD5 = "host_load5";
export const HOST_LOAD15 = "host_load15";
export const HOST_UPTIME = "host_uptime";
export const HOST_REBOOTED = "host_rebooted";
export const HOST_PROCESSES = "host_processes";
export const HOST_DISK = "host_disk";
export const HOST_INODES = "host_inodes";
// Host I/O rates between two readings, per device (label `device`): no rule alerts on them.
/** Bytes received and sent per second on a network interface (/proc/net/dev; not lo nor Docker's veth, bridges). */
export const HOST_NETWORK_RECEIVE = "host_network_receive";
export const HOST_NETWORK_TRANSMIT = "host_network_transmit";
/** Bytes read from and written to a whole disk per second (/proc/diskstats; not partitions, loop or ram devices). */
export const HOST_DISK_READ = "host_disk_read";
export const HOST_DISK_WRITE = "host_disk_write";
/** Share of the window a disk had I/O in flight (`io_ticks`, iostat's %util). */
export const HOST_DISK_UTILIZATION = "host_disk_utilization";

// Docker (collect/docker/docker.ts)
export const CONTAINER_CRASHED = "container_crashed";
export const CONTAINER_OOM_KILLED = "container_oom_killed";
export const CONTAINER_UNHEALTHY = "container_unhealthy";
export const CONTAINER_RESTART_LOOP = "container_restart_loop";
export const CONTAINER_NOT_RUNNING = "container_not_running";
export const CONTAINER_CPU = "container_cpu";
export const CONTAINER_MEMORY = "container_memory";
export const CONTAINERS_DOWN_AT_START = "containers_down_at_start";
export const DOCKER_UNREACHABLE = "docker_unreachable";
// Figures of a running container (from its cgroup files, else the Engine API's stats): no rule alerts on them.
/** CPU time used since the container started (a counter). */
export const CONTAINER_CPU_USAGE = "container_cpu_usage";
/** Memory charged to it, page cache included (`memory.usage_in_bytes`, `memory.current`). */
export const CONTAINER_MEMORY_USAGE = "container_memory_usage";
/** Usage less the inactive page cache, as `docker stats` and cAdvisor's working set count it. */
export const CONTAINER_MEMORY_WORKING_SET = "container_memory_working_set";
/** Processes and threads in it (`pids.current`). */
export const CONTAINER_PIDS = "container_pids";
/** Bytes received and sent on its network interfaces but loopback, since it started (counters). */
export const CONTAINER_NETWORK_RECEIVE = "container_network_receive";
export const CONTAINER_NETWORK_TRANSMIT = "container_network_transmit";
/** Bytes read from and written to block devices, since it started (counters). */
export const CONTAINER_BLOCK_READ = "container_block_read";
export const CONTAINER_BLOCK_WRITE = "container_block_write";

export interface HostCpuDetails {
  /** The split of busy time, % of all cores, one decimal. */
  user: number;
  system: number;
  iowait: number;
  steal: number;
  /** How long the two /proc/stat readings were apart. */
  windowMs: number;
}

export interface HostMemoryDetails {
  totalBytes: number;
  availableBytes: number;
  usedBytes: number;
}

export interface HostSwapDetails {
  totalBytes: number;
  freeBytes: number;
}

export interface HostLoadDetails {
  load1: number;
  load5: number;
  load15: number;
  cores: number;
}

/** A reboot found in the last 10 minutes (ms since epoch). */
export interface HostRebootedDetails {
  bootAt: number;
  previousBootAt: number;
  lastSeenUpAt: number;
}

export interface HostDiskDetails {
  device: string;
  fstype: string;
  sizeBytes: number;
  usedBytes: number;
  freeBytes: number;
}

export interface HostInodesDetails {
  inodes: number;
  inodesFree: number;
}

/** The counters of one direction of a network interface (since it was created), and the window of the rate. */
export interface HostNetworkDetails {
  bytes: number;
  packets: number;
  errors: number;
  drops: number;
  windowMs: number;
}

/** The counters of one direction of a disk (since boot), and the window of the rate. */
export interface HostDiskIoDetails {
  bytes: number;
  /** I/Os completed. */
  ops: number;
  /** Milliseconds spent on them. */
  ms: number;
  windowMs: number;
}

export interface HostDiskUtilizationDetails {
  /** Milliseconds the disk had I/O in flight, since boot (a counter). */
  ioMs: number;
  windowMs: number;
}

/** Where a container writes (Docker's data root, its bind mounts and volumes): a full disk there is the likely cause of its death. */
export interface WritesTo {
  writesTo: string[];
}

export interface ContainerCrashedDetails extends WritesTo {
  /** null: Docker did not say. */
  exitCode: number | null;
  /** null: unknown. */
  ranForMs: number | null;
  restartCount: number;
  restartPolicy: string;
  /** Docker's State.Error, "" when none. */
  error: string;
  /** When it exited, ms since epoch. */
  at: number;
  /** Its last log lines. */
  logs: string[];
  /** Why its last log lines could not be read, when they could not. */
  logsError?: string;
  /** Found by inspection after the fact (the event stream was down), not seen live. */
  reconciled: boolean;
  /** Docker's State.OOMKilled was set (said as Docker's flag, not as the cause). */
  dockerOomFlag: boolean;
  /** The container is gone (docker rm, --rm). */
  removed: boolean;
  /** Docker's status now ("restarting", "exited"…). */
  status: string;
}

export interface ContainerOomKilledDetails extends WritesTo {
  /** The container's main process died (else a process in it was killed and it kept running). */
  died: boolean;
  /** null: it did not die, or Docker did not say. */
  exitCode: number | null;
  /** Its memory limit, 0 for none. */
  memoryLimit: number;
  /** null: not measured yet. */
  lastMemoryUsage: number | null;
  at: number;
  logs: string[];
  /** Why its last log lines could not be read, when they could not. */
  logsError?: string;
  removed: boolean;
  status: string;
}

export interface ContainerUnhealthyDetails {
  /** The last health check's output. */
  output: string;
  failingStreak: number;
}

export interface ContainerRestartLoopDetails extends WritesTo {
  restartPolicy: string;
  restartCount: number;
  /** The window the restarts are counted in. */
  withinMs: number;
  /** The last exit seen, when its code is known (the rule says what it means, in the message's language). */
  lastExit: { code: number; at: number } | null;
  /** The last exit's log lines (else the last crash's). */
  logs: string[];
}

export interface ContainerNotRunningDetails {
  status: string;
  exitCode: number;
  restartPolicy: string;
  error: string;
  /** When it stopped (else when Lookout saw it down), ms since epoch. */
  since: number;
}

export interface ContainerCpuDetails {
  /** docker stats' figure: 100 is one core. */
  ofOneCore: number;
  /** The cores the value is a share of: its CPU limit, else the host's. */
  cores: number;
  /** Whether the container has a CPU limit. */
  limited: boolean;
}

export interface ContainerMemoryDetails {
  usageBytes: number;
  /** Its limit, else host memory. */
  limitBytes: number;
  /** Whether the container has a memory limit. */
  limited: boolean;
}

/** A container that was not running when Lookout first looked at this Docker. */
export interface DownAtStart {
  name: string;
  status: string;
  exitCode: number;
  finishedAt: number | null;
  /** Docker's State.OOMKilled: said as Docker's flag, not as a cause. */
  oomFlag: boolean;
}

export interface ContainersDownAtStartDetails {
  /** How many were down (more than are listed). */
  count: number;
  /** When Lookout first looked, ms since epoch. */
  startedAt: number;
  /** The ones named, most recent exit first. */
  containers: DownAtStart[];
  /** How many more were down than are listed. */
  more: number;
}

export interface DockerUnreachableDetails {
  /** Why, in words with the fix. */
  error: string;
  /** The first check Docker failed, ms since epoch. */
  since: number;
  /** The socket or URL tried. */
  host: string;
}

/**
 * What a sample of each metric carries besides its value. `undefined`: no
 * details. `X | undefined`: details only while it fires (the value is not 0).
 */
export interface MetricDetails {
  [HOST_CPU]: HostCpuDetails;
  [HOST_CPU_USER]: undefined;
  [HOST_CPU_SYSTEM]: undefined;
  [HOST_CPU_IOWAIT]: undefined;
  [HOST_CPU_STEAL]: undefined;
  [HOST_CPU_CORES]: undefined;
  [HOST_MEMORY]: HostMemoryDetails;
  [HOST_SWAP]: HostSwapDetails;
  [HOST_LOAD]: HostLoadDetails;
  [HOST_LOAD1]: undefined;
  [HOST_LOAD5]: undefined;
  [HOST_LOAD15]: undefined;
  [HOST_UPTIME]: undefined;
  [HOST_REBOOTED]: HostRebootedDetails | undefined;
  [HOST_PROCESSES]: undefined;
  [HOST_DISK]: HostDiskDetails;
  [HOST_INODES]: HostInodesDetails;
  [HOST_NETWORK_RECEIVE]: HostNetworkDetails;
  [HOST_NETWORK_TRANSMIT]: HostNetworkDetails;
  [HOST_DISK_READ]: HostDiskIoDetails;
  [HOST_DISK_WRITE]: HostDiskIoDetails;
  [HOST_DISK_UTILIZATION]: HostDiskUtilizationDetails;
  [CONTAINER_CRASHED]: ContainerCrashedDetails | undefined;
  [CONTAINER_OOM_KILLED]: ContainerOomKilledDetails | undefined;
  [CONTAINER_UNHEALTHY]: ContainerUnhealthyDetails | undefined;
  [CONTAINER_RESTART_LOOP]: ContainerRestartLoopDetails;
  [CONTAINER_NOT_RUNNING]: ContainerNotRunningDetails | undefined;
  [CONTAINER_CPU]: ContainerCpuDetails;
  [CONTAINER_MEMORY]: ContainerMemoryDetails;
  [CONTAINERS_DOWN_AT_START]: ContainersDownAtStartDetails;
  [DOCKER_UNREACHABLE]: DockerUnreachableDetails | undefined;
  [CONTAINER_CPU_USAGE]: undefined;
  [CONTAINER_MEMORY_USAGE]: undefined;
  [CONTAINER_MEMORY_WORKING_SET]: undefined;
  [CONTAINER_PIDS]: undefined;
  [CONTAINER_NETWORK_RECEIVE]: undefined;
  [CONTAINER_NETWORK_TRANSMIT]: undefined;
  [CONTAINER_BLOCK_READ]: undefined;
  [CONTAINER_BLOCK_WRITE]: undefined;
}

export type MetricName = keyof MetricDetails;

export interface MetricDefinition {
  /** `%`, `bytes`, `bytes/s`, `s`, `per_core`, `count`, `bool`, "" (a bare number). Printed in `check --json`. */
  unit: string;
}

export const METRICS = {
  [HOST_CPU]: { unit: "%" },
  [HOST_CPU_USER]: { unit: "%" },
  [HOST_CPU_SYSTEM]: { unit: "%" },
  [HOST_CPU_IOWAIT]: { unit: "%" },
  [HOST_CPU_STEAL]: { unit: "%" },
  [HOST_CPU_CORES]: { unit: "count" },
  [HOST_MEMORY]: { unit: "%" },
  [HOST_SWAP]: { unit: "%" },
  [HOST_LOAD]: { unit: "per_core" },
  [HOST_LOAD1]: { unit: "" },
  [HOST_LOAD5]: { unit: "" },
  [HOST_LOAD15]: { unit: "" },
  [HOST_UPTIME]: { unit: "s" },
  [HOST_REBOOTED]: { unit: "bool" },
  [HOST_PROCESSES]: { unit: "count" },
  [HOST_DISK]: { unit: "%" },
  [HOST_INODES]: { unit: "%" },
  [HOST_NETWORK_RECEIVE]: { unit: "bytes/s" },
  [HOST_NETWORK_TRANSMIT]: { unit: "bytes/s" },
  [HOST_DISK_READ]: { unit: "bytes/s" },
  [HOST_DISK_WRITE]: { unit: "bytes/s" },
  [HOST_DISK_UTILIZATION]: { unit: "%" },
  [CONTAINER_CRASHED]: { unit: "bool" },
  [CONTAINER_OOM_KILLED]: { unit: "bool" },
  [CONTAINER_UNHEALTHY]: { unit: "bool" },
  [CONTAINER_RESTART_LOOP]: { unit: "count" },
  [CONTAINER_NOT_RUNNING]: { unit: "bool" },
  [CONTAINER_CPU]: { unit: "%" },
  [CONTAINER_MEMORY]: { unit: "%" },
  [CONTAINERS_DOWN_AT_START]: { unit: "bool" },
  [DOCKER_UNREACHABLE]: { unit: "bool" },
  [CONTAINER_CPU_USAGE]: { unit: "s" },
  [CONTAINER_MEMORY_USAGE]: { unit: "bytes" },
  [CONTAINER_MEMORY_WORKING_SET]: { unit: "bytes" },
  [CONTAINER_PIDS]: { unit: "count" },
  [CONTAINER_NETWORK_RECEIVE]: { unit: "bytes" },
  [CONTAINER_NETWORK_TRANSMIT]: { unit: "bytes" },
  [CONTAINER_BLOCK_READ]: { unit: "bytes" },
  [CONTAINER_BLOCK_WRITE]: { unit: "bytes" },
} as const satisfies Record<MetricName, MetricDefinition>;

/** Whether `name` is a metric Lookout defines (for names read from outside: alert names, stored alerts). */
export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

/** The metrics measured per container (labelled `container`): Docker being unreachable makes every one of them doubtful. */
export const PER_CONTAINER_METRICS: readonly MetricName[] = [
  CONTAINER_CRASHED,
  CONTAINER_OOM_KILLED,
  CONTAINER_UNHEALTHY,
  CONTAINER_RESTART_LOOP,
  CONTAINER_NOT_RUNNING,
  CONTAINER_CPU,
  CONTAINER_MEMORY,
];

/** The metrics about a container dying, whose details say where it writes (a full disk there is the likely cause). */
export const CONTAINER_DEATH_METRICS = [CONTAINER_CRASHED, CONTAINER_OOM_KILLED, CONTAINER_RESTART_LOOP] as const;

/**
 * Series kept in history that are not metrics of their own: what a chart
 * needs from a sample's details (the limit a container's memory is drawn
 * against). The record stage derives them (pipeline/record.ts `historyPoints`);
 * no rule reads them and `check --json` does not print them.
 */
export const CONTAINER_MEMORY_LIMIT = "container_memory_limit";
export const HOST_MEMORY_TOTAL = "host_memory_total";
export const HOST_SWAP_TOTAL = "host_swap_total";
export const HOST_DISK_SIZE = "host_disk_size";

export const HISTORY_ONLY_SERIES = {
  [CONTAINER_MEMORY_LIMIT]: { unit: "bytes" },
  [HOST_MEMORY_TOTAL]: { unit: "bytes" },
  [HOST_SWAP_TOTAL]: { unit: "bytes" },
  [HOST_DISK_SIZE]: { unit: "bytes" },
} as const satisfies Record<string, MetricDefinition>;
