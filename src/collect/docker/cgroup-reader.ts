/**
 * Reads running containers' figures from their cgroup files, as cAdvisor does,
 * instead of asking dockerd for stats (dockerd 20.10 answers those on its own
 * 1 s rounds: 50 containers took 3–4 s). Hand-written and small on purpose:
 * this runs for every running container on every cycle, so it reads a handful
 * of small files (no child process, no library), kept open between sweeps
 * (`KeptFiles`, ../kept-files.ts), into one reused buffer and parses them with cgroup.ts. The
 * reads are synchronous: cgroup and proc files
 * are made by the kernel from memory, never wait for a disk, and a read costs a
 * few microseconds, where `fs.promises.readFile` costs a thread-pool round trip
 * per step and a fresh 64 KiB buffer per file of unknown size (measured: about
 * 2 ms of CPU per container). Between batches of containers the event loop gets
 * a turn, so a sweep of hundreds never holds an event back for long.
 *
 * A container's cgroup directories are found once, from its init process's
 * /proc/<pid>/cgroup (State.Pid from inspect) and the cgroup mounts in
 * mountinfo, under `host_root` when Lookout runs in a container with the
 * host's / mounted there; they are found again only when the pid changes (a
 * restart). What it keeps per container is pruned to the containers it is
 * asked about, so nothing grows with container churn. Those files are read
 * synchronously too, for the same reason (in a `check`, where every container
 * is found anew, the thread pool's round trips were ~1 ms of CPU for five).
 *
 * When the files cannot be read for a container (rootless Docker, /sys not
 * mounted, the pid not visible from here), it says why, and the collector asks
 * the Engine API for that container instead.
 */

import { readFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { wallNs } from "../../clock.js";
import { readWithin, SLOW_FIGURES_EVERY_MS } from "../collector.js";
import { KeptFiles, keptBuffer } from "../kept-files.js";
import {
  type BlockIo,
  type CgroupDirs,
  type CgroupMount,
  cgroupMounts,
  countCpuList,
  keyedValue,
  keyedValueInBuffer,
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
  /** Its figure files, kept open. */
  files: KeptFiles | null;
  /** Its figure files' paths, made once (not 7 strings per container and sweep, each hashed anew to find its open file). */
  paths?: FigurePaths;
  /** The figures read every SLOW_FIGURES_EVERY_MS, as last read. */
  slow?: SlowKernelFigures;
  /** memory.stat's inactive page cache as last read, with the usage and the time it was read at. */
  memoryStat?: { at: number; usage: number; inactiveFile: number };
}

/**
 * memory.stat is read again when the memory usage moved by more than this since it was last read, else every
 * SLOW_FIGURES_EVERY_MS. It is the dearest of the files read every sweep (the kernel writes ~40 lines for it on
 * cgroup v1: ~13 µs of CPU a read on the 2-core machine of docs/benchmarks.md, against ~2 µs for the usage), and only its
 * inactive page cache is taken from it, to make the working set (usage less inactive page cache). While the usage
 * holds within this, the working set is the usage less the inactive page cache of at most 10 s ago: it is off by
 * at most this plus pages moved between the active and inactive lists meanwhile, as kubelet's cAdvisor, which reads
 * every 10 s, is off by 10 s. A container whose memory moves is read every sweep, as before.
 */
export const MEMORY_STAT_AGAIN_BYTES = 1024 * 1024;

/**
 * The figures no rule reads (collector.ts SLOW_FIGURES_EVERY_MS): its memory
 * limit, processes, block I/O and network, four of the seven files. The
 * sweeps in between reuse them; CPU and memory are read every sweep.
 */
interface SlowKernelFigures {
  /** When they were read (the reader's clock, ms). */
  at: number;
  memoryLimit: number | null;
  pids: number | null;
  blockIo: BlockIo | null;
  network: NetworkBytes | null;
}

/** Where a container's figures are, under host_root; null where that controller is not mounted. */
interface FigurePaths {
  cpu: string;
  usage: string;
  stat: string;
  limit: string;
  pids: string | null;
  io: string | null;
  /** Its init process's network (not read for a container on the host's network). */
  net: string;
}

function figurePaths(r: string, d: CgroupDirs, pid: number): FigurePaths {
  const v1 = d.version === 1;
  return {
    cpu: v1 ? `${r}${d.cpu}/cpuacct.usage` : `${r}${d.cpu}/cpu.stat`,
    usage: v1 ? `${r}${d.memory}/memory.usage_in_bytes` : `${r}${d.memory}/memory.current`,
    stat: `${r}${d.memory}/memory.stat`,
    limit: v1 ? `${r}${d.memory}/memory.limit_in_bytes` : `${r}${d.memory}/memory.max`,
    pids: d.pids === null ? null : `${r}${d.pids}/pids.current`,
    io: d.io === null ? null : v1 ? `${r}${d.io}/blkio.throttle.io_service_bytes` : `${r}${d.io}/io.stat`,
    net: `${r}/proc/${pid}/net/dev`,
  };
}

/** A container whose cgroup could not be found is tried again after this long (or when its pid changes). */
const RETRY_MS = 60_000;
/**
 * The host's online CPUs and memory are read again after this long: they
 * change only when a CPU or memory is hot-plugged, and reading them every
 * sweep cost two thread-pool reads a cycle.
 */
export const HOST_FACTS_EVERY_MS = 60_000;
/** Containers read between two turns of the event loop. */
const BATCH = 32;

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? "error";
}

export class CgroupReader {
  readonly hostRoot: string;
  private readonly entries = new Map<string, Entry>();
  /** Files kept open by all entries (MAX_KEPT_FILES). */
  private readonly budget = { kept: 0 };
  /** The cgroup mounts, read again at most every RETRY_MS (when a container's cgroup is looked for). */
  private mounts: CgroupMount[] | null = null;
  private mountsAt = 0;
  /** The last `hostFacts()` and when it was read (HOST_FACTS_EVERY_MS). */
  private facts: { at: number; value: HostFacts } | null = null;
  private readonly clock: () => number;

  constructor(opts: { hostRoot: string; clock?: () => number }) {
    this.hostRoot = opts.hostRoot.replace(/\/+$/, "");
    this.clock = opts.clock ?? Date.now;
  }

  /** How many containers it keeps state for (at most those of the last read). */
  get size(): number {
    return this.entries.size;
  }

  /** How many files it keeps open (at most MAX_KEPT_FILES). */
  get keptFiles(): number {
    return this.budget.kept;
  }

  /** Closes every file kept open (what it found stays known: the next read opens them again). */
  close(): void {
    for (const e of this.entries.values()) e.files?.closeAll();
  }

  private forget(id: string): void {
    this.entries.get(id)?.files?.closeAll();
    this.entries.delete(id);
  }

  private remember(id: string, e: Entry): void {
    const old = this.entries.get(id);
    if (old && old !== e) old.files?.closeAll();
    this.entries.set(id, e);
  }

  private get mountinfoPath(): string {
    // In a container /proc/self is the container's mount namespace; PID 1's under host_root is the host's.
    return this.hostRoot ? `${this.hostRoot}/proc/1/mountinfo` : "/proc/self/mountinfo";
  }

  /**
   * Figures of each target, or why they cannot be read; forgets every
   * container not among them. Cgroups not known yet are looked for first,
   * `concurrency` at a time; then every target's files are read.
   */
  async readMany(targets: readonly StatsTarget[], concurrency = 16): Promise<Map<string, FiguresOrReason>> {
    const keep = new Set(targets.map((t) => t.id));
    for (const id of [...this.entries.keys()]) if (!keep.has(id)) this.forget(id);
    const unknown = targets.filter((t) => t.pid > 0 && this.needsResolving(t));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < unknown.length) {
        const t = unknown[next++]!;
        this.remember(t.id, await this.resolve(t));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, unknown.length)) }, worker));
    const out = new Map<string, FiguresOrReason>();
    for (let i = 0; i < targets.length; i++) {
      if (i > 0 && i % BATCH === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const t = targets[i]!;
      out.set(t.id, this.readOne(t));
    }
    return out;
  }

  /** The host's online CPUs and memory (under host_root), else what Node sees; read again every HOST_FACTS_EVERY_MS. */
  async hostFacts(): Promise<HostFacts> {
    const now = this.clock();
    if (this.facts && readWithin(this.facts.at, now, HOST_FACTS_EVERY_MS)) return this.facts.value;
    const online = readOrEmpty(`${this.hostRoot}/sys/devices/system/cpu/online`);
    const meminfo = readOrEmpty(`${this.hostRoot}/proc/meminfo`);
    const value = { onlineCpus: countCpuList(online) ?? availableParallelism(), memTotalBytes: memTotalBytes(meminfo) ?? totalmem() };
    this.facts = { at: now, value };
    return value;
  }

  private needsResolving(t: StatsTarget): boolean {
    const e = this.entries.get(t.id);
    return !e || e.pid !== t.pid || (e.dirs === null && this.clock() - e.at >= RETRY_MS);
  }

  private readOne(t: StatsTarget): FiguresOrReason {
    if (!(t.pid > 0)) return { reason: "Docker gave no process id for it" };
    const e = this.entries.get(t.id);
    if (!e) return { reason: "its cgroup was not found" };
    if (!e.dirs) return { reason: e.reason ?? "its cgroup was not found" };
    try {
      e.files ??= new KeptFiles(this.budget);
      e.paths ??= figurePaths(this.hostRoot, e.dirs, e.pid);
      const figures = this.readFigures(e, e.dirs.version, e.paths, t, e.files);
      e.fresh = false;
      return { figures };
    } catch (err) {
      const file = (err as NodeJS.ErrnoException)?.path ?? "";
      e.files?.closeAll();
      if (e.fresh) {
        // Found but not readable from here (/sys/fs/cgroup not mounted under host_root, a v2 controller not enabled…).
        e.dirs = null;
        e.reason = this.notReadable(file, err);
        return { reason: e.reason };
      }
      // It was readable: the container is going away (its cgroup is removed when it stops). Found again next time.
      this.forget(t.id);
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
    const fail = (reason: string): Entry => ({ pid: t.pid, dirs: null, reason, at: this.clock(), fresh: false, files: null });
    let text: string;
    try {
      text = readFileSync(`${this.hostRoot}/proc/${t.pid}/cgroup`, "utf8");
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
        info = readFileSync(this.mountinfoPath, "utf8");
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
    return { pid: t.pid, dirs, reason: null, at: this.clock(), fresh: true, files: null };
  }

  private readFigures(e: Entry, version: 1 | 2, p: FigurePaths, t: StatsTarget, files: KeptFiles): KernelFigures {
    const cpu = files.read(p.cpu);
    const atNs = wallNs();
    const memoryUsage = parseSingleNumber(files.read(p.usage)) ?? 0;
    const now = this.clock();
    let stat = e.memoryStat;
    // Also when the usage fell below the page cache last read: the working set is never worked out from a cache the
    // usage no longer holds (tracker.ts would then take the whole usage for it).
    if (!stat || !readWithin(stat.at, now, SLOW_FIGURES_EVERY_MS) || Math.abs(memoryUsage - stat.usage) > MEMORY_STAT_AGAIN_BYTES || stat.inactiveFile > memoryUsage) {
      // memory.stat stays in the buffer: only its one line is read (cgroup.ts keyedValueInBuffer). Read before `buffer`
      // is named: a file larger than the buffer replaces it.
      const statLength = files.readInto(p.stat);
      const inactiveFile = keyedValueInBuffer(keptBuffer(), statLength, version === 1 ? "total_inactive_file" : "inactive_file") ?? 0;
      stat = { at: now, usage: memoryUsage, inactiveFile };
      e.memoryStat = stat;
    }
    let slow = e.slow;
    if (!slow || !readWithin(slow.at, now, SLOW_FIGURES_EVERY_MS)) {
      const limit = files.read(p.limit);
      const pids = files.readOptional(p.pids);
      const io = files.readOptional(p.io);
      const net = files.readOptional(t.hostNetwork ? null : p.net);
      slow = {
        at: now,
        memoryLimit: parseMemoryLimit(limit),
        pids: pids === null ? null : parseSingleNumber(pids),
        blockIo: io === null ? null : version === 1 ? parseBlkioServiceBytes(io) : parseIoStat(io),
        network: net === null ? null : parseNetDev(net),
      };
      e.slow = slow;
    }
    return {
      version,
      cpuNs: version === 1 ? (parseSingleNumber(cpu) ?? 0) : (keyedValue(cpu, "usage_usec") ?? 0) * 1000,
      atNs,
      memoryUsage,
      inactiveFile: stat.inactiveFile,
      memoryLimit: slow.memoryLimit,
      pids: slow.pids,
      blockIo: slow.blockIo,
      network: slow.network,
    };
  }
}

/** A kernel file's text (made from memory: read on this thread), or "" when it cannot be read. */
function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
