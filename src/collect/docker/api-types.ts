/**
 * The parts of the Docker Engine API (v1.41, Docker 20.10) that Lookout reads.
 * Field names are the daemon's, so a JSON answer can be typed as is. Fields a
 * daemon may leave out (older or newer API versions, Podman, a container that
 * never started) are optional; code reading them must expect `undefined`.
 *
 * Reference: https://docs.docker.com/engine/api/v1.41/ — recorded answers of a
 * real dockerd 20.10 are in test/fixtures/docker/.
 */

/** GET /version */
export interface EngineVersion {
  Version: string;
  /** Highest API version the daemon speaks, e.g. "1.41". */
  ApiVersion: string;
  /** Lowest API version the daemon accepts, e.g. "1.12" (Docker 25+: "1.24"; 29+: "1.44"). */
  MinAPIVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  BuildTime?: string;
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
}

/** `State` of a container summary and `State.Status` of an inspect. */
export type ContainerStateName = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

/** One item of GET /containers/json?all=true */
export interface ContainerSummary {
  Id: string;
  /** With a leading slash: ["/web-1"]. */
  Names: string[];
  /** The image as the container was created with it: "nginx:1.25", or an id when the tag moved. */
  Image: string;
  ImageID: string;
  Command?: string;
  /** Unix time, seconds. */
  Created: number;
  State: ContainerStateName | string;
  /** Human text: "Up 3 minutes", "Exited (3) 2 seconds ago". */
  Status: string;
  Labels: Record<string, string> | null;
}

/** `docker run --health-*`, in nanoseconds; `Test: ["NONE"]` disables the image's check. */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export type HealthStatus = "none" | "starting" | "healthy" | "unhealthy";

export interface HealthCheckResult {
  /** RFC 3339 with nanoseconds. */
  Start: string;
  End: string;
  ExitCode: number;
  /** What the check printed, cut by the daemon to 4 KiB. */
  Output: string;
}

export interface ContainerState {
  Status: ContainerStateName | string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  /** Killed by the kernel's OOM killer since it last started. */
  OOMKilled: boolean;
  Dead: boolean;
  /** 0 when not running. */
  Pid: number;
  ExitCode: number;
  /** Why the daemon could not start it (empty when none). */
  Error: string;
  /** RFC 3339; "0001-01-01T00:00:00Z" when never. */
  StartedAt: string;
  FinishedAt: string;
  /** Present only when the container has a health check. */
  Health?: {
    Status: HealthStatus | string;
    FailingStreak: number;
    /** The last 5 results, oldest first. */
    Log: HealthCheckResult[] | null;
  };
}

export interface RestartPolicy {
  /** "" and "no" both mean no restart. */
  Name: "" | "no" | "always" | "unless-stopped" | "on-failure" | string;
  MaximumRetryCount: number;
}

/** GET /containers/{id}/json */
export interface ContainerInspect {
  Id: string;
  /** With a leading slash: "/web-1". */
  Name: string;
  /** RFC 3339. */
  Created: string;
  /** The image id (sha256:…). */
  Image?: string;
  RestartCount: number;
  State: ContainerState;
  Config: {
    /** The image as given to `docker run`. */
    Image: string;
    Labels: Record<string, string> | null;
    Healthcheck?: HealthConfig;
    /** With a TTY, logs are raw text, not multiplexed. */
    Tty?: boolean;
    Hostname?: string;
  };
  HostConfig: {
    RestartPolicy: RestartPolicy;
    /** Memory limit, bytes; 0 = none. */
    Memory: number;
    MemorySwap?: number;
    /** `--cpus` × 1e9; 0 = none. */
    NanoCpus: number;
    /** `--cpu-quota` µs per `CpuPeriod` µs; 0 = none. */
    CpuQuota: number;
    CpuPeriod: number;
    /** "0-3", "1,3"; "" = all. */
    CpusetCpus: string;
    /** `docker run --rm`. */
    AutoRemove: boolean;
    /** "default", "bridge", "host", "none", "container:<id>", a network's name. */
    NetworkMode?: string;
  };
  /** Bind mounts and volumes: where on the host the container writes. */
  Mounts?: Array<{ Type?: string; Source?: string; Destination?: string }>;
}

/** GET /info (the fields Lookout reads). */
export interface EngineInfo {
  /** Where Docker keeps images, containers' layers and volumes: /var/lib/docker. */
  DockerRootDir?: string;
}

/** GET /containers/{id}/stats?stream=false&one-shot=true */
export interface ContainerStats {
  /**
   * When the sample was read, RFC 3339. "0001-01-01T00:00:00Z" in the zeroed
   * answer a dockerd 20.10 gives (HTTP 200) for a container that is not running.
   */
  read: string;
  preread?: string;
  name?: string;
  id?: string;
  pids_stats?: { current?: number; limit?: number };
  /** Per network of the container; absent for `--network host` and `none`. */
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  /** cgroup v1 and v2 alike: `op` is "Read"/"Write" (v1) or "read"/"write" (v2). Null when there is nothing. */
  blkio_stats?: { io_service_bytes_recursive?: Array<{ major?: number; minor?: number; op?: string; value?: number }> | null };
  cpu_stats: CpuStats;
  /** All zero in a one-shot answer: there is no previous sample. */
  precpu_stats?: CpuStats;
  /** Empty (`{}`) for a container that is not running. */
  memory_stats: {
    usage?: number;
    max_usage?: number;
    /** The container's limit, or the host's memory when it has none. */
    limit?: number;
    /**
     * cgroup v1: `cache`, `total_inactive_file`, `rss`…; cgroup v2: `inactive_file`, `anon`,
     * `file`…. `docker stats` shows usage − total_inactive_file (v1) or − inactive_file (v2).
     */
    stats?: { cache?: number; inactive_file?: number; total_inactive_file?: number; [key: string]: number | undefined };
    failcnt?: number;
  };
}

export interface CpuStats {
  cpu_usage: {
    /** Nanoseconds of CPU used since the container started. */
    total_usage: number;
    percpu_usage?: number[];
    usage_in_kernelmode?: number;
    usage_in_usermode?: number;
  };
  /** Nanoseconds of host CPU time (all cores) since boot; absent when not running. */
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data?: { periods: number; throttled_periods: number; throttled_time: number };
}

/**
 * One object of the GET /events stream. For containers, `Action` is `create`,
 * `start`, `die`, `oom`, `kill`, `stop`, `restart`, `destroy`, `pause`…;
 * health changes are `health_status: healthy` / `health_status: unhealthy`
 * (one word, a colon, the status), exec actions carry their command
 * (`exec_start: sh -c …`). `die` has `Attributes.exitCode` ("3"), `kill` has
 * `Attributes.signal` ("15"); `Attributes` also holds `name`, `image` and the
 * container's labels.
 */
export interface DockerEvent {
  Type: "container" | "image" | "volume" | "network" | "daemon" | "plugin" | "node" | "service" | "secret" | "config" | string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: "local" | "swarm" | string;
  /** Unix time, seconds. */
  time: number;
  /**
   * Unix time, nanoseconds. Past 2^53, so a JSON number loses the last digits;
   * `EventWatcher` keeps the exact value from the raw text for `since`.
   */
  timeNano: number;
  /** Deprecated duplicates (Action, Actor.ID, image) that 20.10 still sends. */
  status?: string;
  id?: string;
  from?: string;
}

/** The body of every error answer. */
export interface EngineErrorBody {
  message: string;
}
