/**
 * What the Docker collector keeps between runs (docker.ts `snapshot()`, saved
 * by the agent in the database), and reading it back: `lookout status` shows
 * it without loading the collector, its Engine API client and Node's HTTP
 * client (~15 ms of a one-shot command on a 2-core machine).
 */
import type { DownAtStart } from "../../model/metrics.js";

/** The collector's name, under which the agent saves its snapshot. */
export const DOCKER_COLLECTOR = "docker";

/** What the Docker collector keeps between runs (`snapshot()`, persisted by the agent; `restore()` reads it back). */
export interface DockerSnapshot {
  /** Docker answered at least once. */
  seen: boolean;
  /** Since when Docker has not answered, ms since epoch; null while it answers. */
  unreachableSince: number | null;
  /** The tracker's memory of each container (ContainerTracker.snapshot). */
  containers: unknown;
  /** Problems with containers' lookout.* labels or overrides, as `lookout status` lists them. */
  problems: string[];
  /** The containers found down on the first look at this Docker, and when. */
  downAtStart?: { at: number; containers: DownAtStart[] };
  /** Where the last stats sweep read running containers' figures (`lookout status` says it). */
  statsSource?: StatsSource;
  /** The image each container name ran at the last collect (a redeploy is a name back with another image). */
  images?: Record<string, string>;
}

/** Where a stats sweep read running containers' figures: their cgroup files, or the Engine API (and why). */
export interface StatsSource {
  /** Containers read from their cgroup files, and the cgroup version of those files. */
  cgroup: number;
  cgroupVersion: 1 | 2 | null;
  /** Containers read through the Engine API, each reason once with how many it held back. */
  api: number;
  apiReasons: Array<{ reason: string; containers: number }>;
  /** When the sweep ended, ms since epoch. */
  at: number;
}

/** The stats source in a saved Docker snapshot (what `lookout status` shows); null when there is none. */
export function savedStatsSource(saved: unknown): StatsSource | null {
  const s = (saved as Partial<DockerSnapshot> | null | undefined)?.statsSource as Partial<StatsSource> | undefined;
  if (!s || typeof s !== "object" || typeof s.cgroup !== "number" || typeof s.api !== "number") return null;
  const version = s.cgroupVersion === 1 || s.cgroupVersion === 2 ? s.cgroupVersion : null;
  const reasons = Array.isArray(s.apiReasons)
    ? s.apiReasons.filter((r): r is { reason: string; containers: number } => typeof r?.reason === "string" && typeof r.containers === "number")
    : [];
  return { cgroup: s.cgroup, cgroupVersion: version, api: s.api, apiReasons: reasons, at: typeof s.at === "number" ? s.at : 0 };
}

/**
 * One line for people: "container stats: from cgroup files (v1)", "container
 * stats: from the Engine API: /sys/fs/cgroup/memory is not readable under
 * host_root /host (ENOENT on memory.stat)", or both with counts; null before
 * any running container was read.
 */
export function statsSourceText(s: StatsSource | null): string | null {
  if (!s || s.cgroup + s.api === 0) return null;
  const files = `from cgroup files${s.cgroupVersion ? ` (v${s.cgroupVersion})` : ""}`;
  const why = s.apiReasons.map((r) => (s.apiReasons.length > 1 ? `${r.reason} (${r.containers})` : r.reason)).join("; ");
  const api = `from the Engine API${why ? `: ${why}` : ""}`;
  if (s.api === 0) return `container stats: ${files}`;
  if (s.cgroup === 0) return `container stats: ${api}`;
  return `container stats: ${files} for ${s.cgroup} container(s), ${api.replace("from the Engine API", `from the Engine API for ${s.api}`)}`;
}

/**
 * The problems with containers' rule settings in a saved Docker snapshot (what
 * `lookout status` lists); [] when there is none or it is not one.
 */
export function savedProblems(saved: unknown): string[] {
  const problems = (saved as Partial<DockerSnapshot> | null | undefined)?.problems;
  return Array.isArray(problems) ? problems.filter((p): p is string => typeof p === "string") : [];
}
