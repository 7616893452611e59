/**
 * Reads running containers' figures from their cgroup files, as cAdvisor does,
 * instead of asking dockerd for stats (dockerd 20.10 answers those on its own
 * 1 s rounds: 50 containers took 3–4 s). Hand-written and small on purpose:
 * this runs for every running container on every cycle, so it reads a handful
 * of small files with `fs.promises.readFile` (no child process, no library)
 * and parses them with cgroup.ts.
 *
 * A container's cgroup directories are found once, from its init process's
 * /proc/<pid>/cgroup (State.Pid from inspect) and the cgroup mounts in
 * mountinfo, under `host_root` when Lookout runs in a container with the
 * host's / mounted there; they are found again only when the pid changes (a
 * restart). What it keeps per container is pruned to the containers it is
 * asked about, so nothing grows with container churn.
 *
 * When the files cannot be read for a container (rootless Docker, /sys not
 * mounted, the pid not visible from here), it says why, and the collector asks
 * the Engine API for that container instead.
 */
import { readFile } from "node:fs/promises";
import { availableParallelism, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import {
  type BlockIo,
  type CgroupDirs,
  type CgroupMount,
  cgroupMounts,
  countCpuList,
  keyedValue,
  memTotalBytes,
  type NetworkBytes,
  parseBlkioServiceBytes,
  parseIoStat,
  parseMemoryLimit,
  parseNetDev,
  parseProcCgroup,
  parseSingleNumber,
  resolveCgroupDirs,
} from "./cgroup.js";

/** One reading of a container's figures. */
export interface KernelFigures {
  version: 1 | 2;
  /** CPU time used since the container started, ns. */
  cpuNs: number;
  /** When `cpuNs` was read: wall-clock time in ns (comparable across processes, for `lookout check` from cron). */
  atNs: number;
  /** Memory charged to the container, page cache included. */
  memoryUsage: number;
  /** Inactive page cache (v1 total_inactive_file, v2 inactive_file): usage less this is the working set. */
  inactiveFile: number;
  /** Its memory limit; null when it has none. */
  memoryLimit: number | null;
  pids: number | null;
  blockIo: BlockIo | null;
  /** null for a container on the host's network (Docker reports none for it either). */
  network: NetworkBytes | null;
}

export type FiguresOrReason = { figures: KernelFigures } | { reason: string };

/** A running container to read: its id, its init process as Docker names it, and whether it shares the host's network. */
export interface StatsTarget {
  id: string;
  pid: number;
  hostNetwork: boolean;
}

/** What the host has, for containers without limits and the CPU share of those without a CPU limit. */
export interface HostFacts {
  onlineCpus: number;
  memTotalBytes: number;
}

interface Entry {
  pid: number;
  dirs: CgroupDirs | null;
  /** Why there are no dirs. */
  reason: string | null;
  at: number;
  /** Resolved, not read yet: a failure of the first read says the hierarchy is not readable here. */
  fresh: boolean;
}

/** A container whose cgroup could not be found is tried again after this long (or when its pid changes). */
const RETRY_MS = 60_000;

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? "error";
}

/** Wall-clock time in ns with sub-ms resolution, steady within the process. */
function nowNs(): number {
  return (performance.timeOrigin + performance.now()) * 1e6;
}

export class CgroupReader {
  readonly hostRoot: string;
  private readonly entries = new Map<string, Entry>();
  /** The cgroup mounts, read again at most every RETRY_MS (when a container's cgroup is looked for). */
  private mounts: CgroupMount[] | null = null;
  private mountsAt = 0;
  private readonly clock: () => number;

  constructor(opts: { hostRoot: string; clock?: () => number }) {
    this.hostRoot = opts.hostRoot.replace(/\/+$/, "");
    this.clock = opts.clock ?? Date.now;
  }

  /** How many containers it keeps state for (at most those of the last read). */
  get size(): number {
    return this.entries.size;
  }

  private get mountinfoPath(): string {
    // In a container /proc/self is the container's mount namespace; PID 1's under host_root is the host's.
    return this.hostRoot ? `${this.hostRoot}/proc/1/mountinfo` : "/proc/self/mountinfo";
  }

  /** Figures of each target, or why they cannot be read; forgets every container not among them. */
  async readMany(targets: readonly StatsTarget[], concurrency = 16): Promise<Map<string, FiguresOrReason>> {
    const keep = new Set(targets.map((t) => t.id));
    for (const id of [...this.entries.keys()]) if (!keep.has(id)) this.entries.delete(id);
    const out = new Map<string, FiguresOrReason>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < targets.length) {
        const t = targets[next++]!;
        out.set(t.id, await this.readOne(t));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, targets.length)) }, worker));
    return out;
  }

  /** The host's online CPUs and memory (under host_root), else what Node sees. */
  async hostFacts(): Promise<HostFacts> {
    const [online, meminfo] = await Promise.all([
      readFile(`${this.hostRoot}/sys/devices/system/cpu/online`, "utf8").catch(() => ""),
      readFile(`${this.hostRoot}/proc/meminfo`, "utf8").catch(() => ""),
    ]);
    return { onlineCpus: countCpuList(online) ?? availableParallelism(), memTotalBytes: memTotalBytes(meminfo) ?? totalmem() };
  }

  private async readOne(t: StatsTarget): Promise<FiguresOrReason> {
    if (!(t.pid > 0)) return { reason: "Docker gave no process id for it" };
    let e = this.entries.get(t.id);
    if (!e || e.pid !== t.pid || (e.dirs === null && this.clock() - e.at >= RETRY_MS)) {
      e = await this.resolve(t);
      this.entries.set(t.id, e);
    }
    if (!e.dirs) return { reason: e.reason ?? "its cgroup was not found" };
    try {
      const figures = await this.readFigures(e.dirs, t);
      e.fresh = false;
      return { figures };
    } catch (err) {
      const file = (err as NodeJS.ErrnoException)?.path ?? "";
      if (e.fresh) {
        // Found but not readable from here (/sys/fs/cgroup not mounted under host_root, a v2 controller not enabled…).
        e.dirs = null;
        e.reason = this.notReadable(file, err);
        return { reason: e.reason };
      }
      // It was readable: the container is going away (its cgroup is removed when it stops). Found again next time.
      this.entries.delete(t.id);
      return { reason: `its cgroup files could not be read (${code(err)})` };
    }
  }

  private notReadable(file: string, err: unknown): string {
    const inHost = this.hostRoot && file.startsWith(this.hostRoot) ? file.slice(this.hostRoot.length) : file;
    const mount = (this.mounts ?? []).filter((m) => inHost.startsWith(`${m.mountPoint}/`)).sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
    const where = mount?.mountPoint ?? "the cgroup hierarchy";
    const name = inHost.slice(inHost.lastIndexOf("/") + 1);
    return `${where} is not readable${this.hostRoot ? ` under host_root ${this.hostRoot}` : ""} (${code(err)}${name ? ` on ${name}` : ""})`;
  }

  private async resolve(t: StatsTarget): Promise<Entry> {
    const fail = (reason: string): Entry => ({ pid: t.pid, dirs: null, reason, at: this.clock(), fresh: false });
    let text: string;
    try {
      text = await readFile(`${this.hostRoot}/proc/${t.pid}/cgroup`, "utf8");
    } catch (err) {
      return fail(
        this.hostRoot
          ? `the containers' processes are not visible in ${this.hostRoot}/proc (${code(err)})`
          : `the containers' processes are not visible in /proc (${code(err)}): Lookout runs in another pid namespace; give it the host's, or mount the host's / and set host_root`,
      );
    }
    if (!this.mounts || this.clock() - this.mountsAt >= RETRY_MS) {
      let info: string;
      try {
        info = await readFile(this.mountinfoPath, "utf8");
      } catch (err) {
        return fail(`${this.mountinfoPath} is not readable (${code(err)})`);
      }
      const mounts = cgroupMounts(info);
      if (mounts.length === 0) return fail(`no cgroup filesystem in ${this.mountinfoPath}`);
      this.mounts = mounts;
      this.mountsAt = this.clock();
    }
    const dirs = resolveCgroupDirs(parseProcCgroup(text), this.mounts, t.id);
    if ("reason" in dirs) return fail(dirs.reason);
    return { pid: t.pid, dirs, reason: null, at: this.clock(), fresh: true };
  }

  private async readFigures(d: CgroupDirs, t: StatsTarget): Promise<KernelFigures> {
    const r = this.hostRoot;
    let atNs = 0;
    const stamp = (text: string): string => {
      atNs = nowNs();
      return text;
    };
    const optional = (path: string | null): Promise<string | null> => (path === null ? Promise.resolve(null) : readFile(path, "utf8").catch(() => null));
    const netPath = t.hostNetwork ? null : `${r}/proc/${t.pid}/net/dev`;
    if (d.version === 1) {
      const [cpu, usage, stat, limit, pids, io, net] = await Promise.all([
        readFile(`${r}${d.cpu}/cpuacct.usage`, "utf8").then(stamp),
        readFile(`${r}${d.memory}/memory.usage_in_bytes`, "utf8"),
        readFile(`${r}${d.memory}/memory.stat`, "utf8"),
        readFile(`${r}${d.memory}/memory.limit_in_bytes`, "utf8"),
        optional(d.pids === null ? null : `${r}${d.pids}/pids.current`),
        optional(d.io === null ? null : `${r}${d.io}/blkio.throttle.io_service_bytes`),
        optional(netPath),
      ]);
      return {
        version: 1,
        cpuNs: parseSingleNumber(cpu) ?? 0,
        atNs,
        memoryUsage: parseSingleNumber(usage) ?? 0,
        inactiveFile: keyedValue(stat, "total_inactive_file") ?? 0,
        memoryLimit: parseMemoryLimit(limit),
        pids: pids === null ? null : parseSingleNumber(pids),
        blockIo: io === null ? null : parseBlkioServiceBytes(io),
        network: net === null ? null : parseNetDev(net),
      };
    }
    const [cpu, usage, stat, limit, pids, io, net] = await Promise.all([
      readFile(`${r}${d.cpu}/cpu.stat`, "utf8").then(stamp),
      readFile(`${r}${d.memory}/memory.current`, "utf8"),
      readFile(`${r}${d.memory}/memory.stat`, "utf8"),
      readFile(`${r}${d.memory}/memory.max`, "utf8"),
      optional(d.pids === null ? null : `${r}${d.pids}/pids.current`),
      optional(d.io === null ? null : `${r}${d.io}/io.stat`),
      optional(netPath),
    ]);
    return {
      version: 2,
      cpuNs: (keyedValue(cpu, "usage_usec") ?? 0) * 1000,
      atNs,
      memoryUsage: parseSingleNumber(usage) ?? 0,
      inactiveFile: keyedValue(stat, "inactive_file") ?? 0,
      memoryLimit: parseMemoryLimit(limit),
      pids: pids === null ? null : parseSingleNumber(pids),
      blockIo: io === null ? null : parseIoStat(io),
      network: net === null ? null : parseNetDev(net),
    };
  }
}
