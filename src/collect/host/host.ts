/**
 * The host collector: CPU, memory, swap, disks, inodes, load, uptime, process
 * count, network and disk I/O, from /proc and statfs(2) only (no child processes); disks, the
 * process count and /proc/vmstat's oom_kill every SLOW_FIGURES_EVERY_MS, the rest every collect. With `hostRoot`
 * set (the agent in a container with the host's / mounted at e.g. /host) every
 * path is read under it, and mounts and network interfaces come from PID 1's
 * mountinfo and net/dev (the host's mount and network namespaces), as
 * node_exporter does.
 */

import { sleep } from "../../clock.js";
import { processMessages } from "../../i18n/current.js";
import { log } from "../../log.js";
import {
  HOST_CPU,
  HOST_CPU_CORES,
  HOST_CPU_IOWAIT,
  HOST_CPU_STEAL,
  HOST_CPU_SYSTEM,
  HOST_CPU_USER,
  HOST_DISK,
  HOST_INODES,
  HOST_LOAD,
  HOST_LOAD1,
  HOST_LOAD5,
  HOST_LOAD15,
  HOST_MEMORY,
  HOST_PROCESSES,
  HOST_REBOOTED,
  HOST_SWAP,
  HOST_UPTIME,
} from "../../model/metrics.js";
import { type Sample, type SampleOf, sampleOf } from "../../model/sample.js";
import { type CollectContext, type Collector, readWithin, SLOW_FIGURES_EVERY_MS } from "../collector.js";
import { KeptFiles, onProcfs } from "../kept-files.js";
import { type FilesystemUsage, normalizeMountPoint, selectFilesystems, statFilesystems } from "./filesystems.js";
import { chooseIo, type IoCounters, ioSamples, parseIoCounters } from "./io.js";
import { countProcesses } from "./processes.js";
import {
  CPU_FIELDS,
  type CpuCounters,
  cpuDelta,
  type DiskCounters,
  type LoadAvg,
  MEMINFO_KEPT,
  memInfoOf,
  meminfoFields,
  type NetDevCounters,
  type ProcStat,
  parseDiskstats,
  parseLoadavg,
  parseMountinfo,
  parseNetDev,
  parseProcStat,
  parseUptime,
  vmstatValue,
} from "./procfs.js";

export interface HostCollectorOptions {
  /** "" for the real root; else where the host's / is mounted. */
  hostRoot: string;
  /** Shortest CPU window: the first collect (no previous counters) waits this long between two readings. Default 500. */
  cpuWindowMs?: number;
  /** Per-mount statfs timeout. Default 2000. */
  statfsTimeoutMs?: number;
  /** The time, ms since epoch: Date.now unless a test gives another. */
  clock?: () => number;
  /** How often the slow figures (disks and inodes, the process count) are read; between, the last reading is reused. Default SLOW_FIGURES_EVERY_MS. */
  slowEveryMs?: number;
}

/** How often the slow figures are read (collector.ts): disks and inodes, the process count, network and disk counters. */
export { SLOW_FIGURES_EVERY_MS };

/** The slow figures' last reading (see SLOW_FIGURES_EVERY_MS). */
interface SlowFigures {
  /** When they were read, ms since epoch. */
  at: number;
  /** The configured mounts they were read for (host.disk.mounts, joined): another list reads them again. */
  mounts: string;
  samples: Sample[];
  filesystems: readonly FilesystemUsage[] | null;
  /** /proc/vmstat's oom_kill (for /metrics: a counter, read with the slow figures; vmstat is the host's largest file). */
  oomKill: number | null;
}

/** What `snapshot()` returns and `restore()` takes: the last /proc/stat counters and when they were read. */
export interface HostSnapshot {
  version: 1;
  /** When the counters were read, ms since epoch. */
  at: number;
  cpu: CpuCounters;
  cores: number;
  /** Boot time from /proc/stat: counters from another boot are useless. */
  btime?: number;
  /** For reboot detection (kept however old: a reboot can take long). */
  boot?: BootMemory;
  /** The network interfaces' and disks' counters and when they were read (io.ts). */
  io?: IoCounters;
}

/** What the collector remembers to notice a reboot across runs. */
export interface BootMemory {
  /** When this host last booted (now − /proc/uptime), ms, and when that was last seen. */
  seen: { bootAt: number; at: number };
  /** The last reboot found: when it booted, the boot before, when it was last seen up before, and when it was found. */
  reboot?: { bootAt: number; previousBootAt: number; lastSeenUpAt: number; foundAt: number };
}

/**
 * The raw figures of the last collect, as /proc gave them, for `/metrics`
 * (http/metrics.ts: node_exporter's names). Read in the same pass as the
 * samples: serving them never reads /proc. null: that file could not be read.
 */
export interface HostReadings {
  /** When the collect that read them ended, ms since epoch. */
  at: number;
  /** Each CPU's counters in USER_HZ ticks (procfs.ts), by its number. */
  perCpu: ProcStat["perCpu"] | null;
  /** Boot time, seconds since epoch. */
  btime: number | null;
  /** /proc/meminfo's fields (those of procfs.ts MEMINFO_KEPT), in bytes. */
  meminfo: ReadonlyMap<string, number> | null;
  /** /proc/vmstat's `oom_kill` (kernels since 4.13). */
  oomKill: number | null;
  load: LoadAvg | null;
  filesystems: readonly FilesystemUsage[] | null;
  /** The network interfaces' and disks' counters (io.ts chooses the devices). */
  io: IoCounters | null;
}

/** How long host_rebooted fires after a reboot is found (it then ends quietly). */
export const REBOOT_REPORT_MS = 10 * 60_000;

/**
 * The host_rebooted sample, and the memory after it. A reboot is a boot after
 * the last time this host was seen up; measured with /proc/uptime (monotonic),
 * so a clock step is not mistaken for one.
 */
export function rebootSample(memory: BootMemory | undefined, uptimeSeconds: number, now: number): { sample: SampleOf<typeof HOST_REBOOTED>; memory: BootMemory } {
  const bootAt = Math.round(now - uptimeSeconds * 1000);
  let reboot = memory?.reboot;
  const seen = memory?.seen;
  if (seen && bootAt > seen.at && bootAt - seen.bootAt > 60_000) {
    reboot = { bootAt, previousBootAt: seen.bootAt, lastSeenUpAt: seen.at, foundAt: now };
  }
  const next: BootMemory = { seen: { bootAt: seen && Math.abs(seen.bootAt - bootAt) < 60_000 ? seen.bootAt : bootAt, at: now }, ...(reboot ? { reboot } : {}) };
  const active = reboot !== undefined && now - reboot.foundAt < REBOOT_REPORT_MS;
  return {
    sample: sampleOf(HOST_REBOOTED, active ? 1 : 0, active ? { bootAt: reboot!.bootAt, previousBootAt: reboot!.previousBootAt, lastSeenUpAt: reboot!.lastSeenUpAt } : undefined),
    memory: next,
  };
}

/** Counters older than this are not worth a window (a cron `check` every minute stays well inside). */
export const SNAPSHOT_MAX_AGE_MS = 15 * 60_000;

const round2 = (v: number): number => Math.round(v * 100) / 100;
const round1 = (v: number): number => Math.round(v * 10) / 10;

function cpuTotal(c: CpuCounters): number {
  return c.user + c.nice + c.system + c.idle + c.iowait + c.irq + c.softirq + c.steal;
}

function emptyReadings(): Omit<HostReadings, "at"> {
  return { perCpu: null, btime: null, meminfo: null, oomKill: null, load: null, filesystems: null, io: null };
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? err);
}

export class HostCollector implements Collector {
  readonly name = "host";
  private readonly hostRoot: string;
  private readonly cpuWindowMs: number;
  private readonly statfsTimeoutMs: number;
  private readonly slowEveryMs: number;
  private slow: SlowFigures | null = null;
  private prev: HostSnapshot | undefined;
  private boot: BootMemory | undefined;
  private io: IoCounters | undefined;
  /** The last I/O rates and when their counters were read (SLOW_FIGURES_EVERY_MS). */
  private ioRates: { at: number; samples: Sample[] } | null = null;
  private readonly clock: () => number;
  /** Problems already logged, so a missing file is one line, not one per cycle. */
  private readonly warned = new Set<string>();
  /** What the collect under way has read (`readings()` gives the last whole one). */
  private reading: Omit<HostReadings, "at"> = emptyReadings();
  private lastReadings: HostReadings | null = null;
  /** The /proc files it reads, kept open when they are the kernel's (a handful: at most one per file it reads). */
  private readonly files = new KeptFiles({ kept: 0 }, onProcfs);

  constructor(opts: HostCollectorOptions) {
    this.hostRoot = opts.hostRoot.replace(/\/+$/, "");
    this.cpuWindowMs = opts.cpuWindowMs ?? 500;
    this.statfsTimeoutMs = opts.statfsTimeoutMs ?? 2000;
    this.slowEveryMs = opts.slowEveryMs ?? SLOW_FIGURES_EVERY_MS;
    this.clock = opts.clock ?? Date.now;
  }

  /**
   * A /proc file's text, read synchronously from a descriptor kept open
   * (kept-files.ts): /proc answers from memory, so the promise API's open,
   * fstat, read and close on the thread pool cost several times what the
   * read itself does, every cycle (measured: ~3 ms of a 2 s cycle's CPU went
   * to them), and `readFileSync`'s open, fstat and close still cost more than
   * the read.
   */
  private readText(path: string): string {
    return this.files.read(path, "utf8");
  }

  /** Closes the files it keeps open. */
  stop(): void {
    this.files.closeAll();
  }

  private path(p: string): string {
    return this.hostRoot + p;
  }

  private warnOnce(key: string, message: string, fields?: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    log.warn(message, fields);
  }

  /** Runs one metric group; a failure skips that group only (logged once until it works again). */
  private async guard<T>(key: string, what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      const out = await fn();
      this.warned.delete(key);
      return out;
    } catch (err) {
      this.warnOnce(key, processMessages().t("log.host.cannotRead", { what, key }), { error: errorText(err) });
      return undefined;
    }
  }

  private async readStat(): Promise<ProcStat> {
    return parseProcStat(this.readText(this.path("/proc/stat")));
  }

  /** The raw figures of the last collect (null before the first): `/metrics` serves them. */
  readings(): HostReadings | null {
    return this.lastReadings;
  }

  async collect(ctx: CollectContext): Promise<Sample[]> {
    this.reading = emptyReadings();
    const cpu = this.guard(HOST_CPU, this.path("/proc/stat"), () => this.collectCpu());
    const parts = await Promise.all([
      cpu.then((c) => c?.samples ?? []),
      this.guard(HOST_MEMORY, this.path("/proc/meminfo"), () => this.collectMemory()).then((s) => s ?? []),
      cpu.then((c) => this.guard(HOST_LOAD, this.path("/proc/loadavg"), () => this.collectLoad(c?.cores))).then((s) => s ?? []),
      this.guard(HOST_UPTIME, this.path("/proc/uptime"), async () => {
        const uptime = parseUptime(this.readText(this.path("/proc/uptime"))).uptime;
        const reboot = rebootSample(this.boot, uptime, this.clock());
        this.boot = reboot.memory;
        return [sampleOf(HOST_UPTIME, uptime), reboot.sample];
      }).then((s) => s ?? []),
      this.collectSlow(ctx.config?.host?.disk?.mounts ?? []),
      this.collectIo(),
    ]);
    this.lastReadings = { at: this.clock(), ...this.reading };
    return parts.flat();
  }

  private async collectCpu(): Promise<{ samples: Sample[]; cores: number }> {
    let cur = await this.readStat();
    let at = this.clock();
    let prev = this.prev;
    if (prev && !this.continues(prev, cur.cpu, cur.btime)) prev = undefined;
    if (!prev) prev = { version: 1, at, cpu: cur.cpu, cores: cur.cores, ...(cur.btime !== undefined ? { btime: cur.btime } : {}) };
    const wait = Math.min(this.cpuWindowMs, this.cpuWindowMs - (at - prev.at));
    if (wait > 0) {
      await sleep(wait);
      cur = await this.readStat();
      at = this.clock();
    }
    const u = cpuDelta(prev.cpu, cur.cpu);
    this.prev = { version: 1, at, cpu: cur.cpu, cores: cur.cores, ...(cur.btime !== undefined ? { btime: cur.btime } : {}) };
    this.reading.perCpu = cur.perCpu;
    this.reading.btime = cur.btime ?? null;
    const samples = [
      sampleOf(HOST_CPU, round2(u.busy), {
        user: round1(u.user),
        system: round1(u.system),
        iowait: round1(u.iowait),
        steal: round1(u.steal),
        windowMs: Math.max(0, at - prev.at),
      }),
      sampleOf(HOST_CPU_USER, round2(u.user)),
      sampleOf(HOST_CPU_SYSTEM, round2(u.system)),
      sampleOf(HOST_CPU_IOWAIT, round2(u.iowait)),
      sampleOf(HOST_CPU_STEAL, round2(u.steal)),
      sampleOf(HOST_CPU_CORES, cur.cores),
    ];
    return { samples, cores: cur.cores };
  }

  /** False when the counters cannot be from the same boot as `prev` (reboot, or a snapshot from elsewhere). */
  private continues(prev: HostSnapshot, cpu: CpuCounters, btime: number | undefined): boolean {
    // btime can move by a second when the clock is stepped; a reboot moves it by much more
    if (prev.btime !== undefined && btime !== undefined && Math.abs(prev.btime - btime) > 5) return false;
    return cpuTotal(cpu) >= cpuTotal(prev.cpu);
  }

  private async collectMemory(): Promise<Sample[]> {
    const text = this.readText(this.path("/proc/meminfo"));
    const fields = meminfoFields(text, MEMINFO_KEPT);
    const m = memInfoOf(fields);
    this.reading.meminfo = fields;
    const used = m.totalBytes - m.availableBytes;
    const out: Sample[] = [
      sampleOf(HOST_MEMORY, round2((used / m.totalBytes) * 100), {
        totalBytes: m.totalBytes,
        availableBytes: m.availableBytes,
        usedBytes: used,
      }),
    ];
    if (m.swapTotalBytes > 0) {
      const swapUsed = Math.max(0, m.swapTotalBytes - m.swapFreeBytes);
      out.push(
        sampleOf(HOST_SWAP, round2((swapUsed / m.swapTotalBytes) * 100), {
          totalBytes: m.swapTotalBytes,
          freeBytes: m.swapFreeBytes,
        }),
      );
    }
    return out;
  }

  /** /proc/vmstat's oom_kill, for /metrics only: no sample, no warning when the file or the field is missing. */
  private readOomKills(): number | null {
    try {
      return vmstatValue(this.readText(this.path("/proc/vmstat")), "oom_kill") ?? null;
    } catch {
      return null;
    }
  }

  private async collectLoad(cores: number | undefined): Promise<Sample[]> {
    const l = parseLoadavg(this.readText(this.path("/proc/loadavg")));
    this.reading.load = l;
    const out: Sample[] = [];
    // load per core needs the core count from /proc/stat; without it only the raw loads
    if (cores !== undefined && cores > 0) {
      out.push(sampleOf(HOST_LOAD, round2(l.load5 / cores), { load1: l.load1, load5: l.load5, load15: l.load15, cores }));
    }
    out.push(sampleOf(HOST_LOAD1, l.load1), sampleOf(HOST_LOAD5, l.load5), sampleOf(HOST_LOAD15, l.load15));
    return out;
  }

  /** One file of the I/O counters; null (said once in the log until it reads again) when it cannot be read. */
  private readCounters<T>(key: string, path: string, parse: (text: string) => T): T | null {
    try {
      const out = parse(this.readText(path));
      this.warned.delete(key);
      return out;
    } catch (err) {
      this.warnOnce(key, processMessages().t("log.host.cannotRead", { what: path, key }), { error: errorText(err) });
      return null;
    }
  }

  private readIo(): IoCounters {
    // /proc/net is the reader's network namespace: under a host root, PID 1's is the host's
    const netDev = this.hostRoot ? this.path("/proc/1/net/dev") : "/proc/net/dev";
    const net = this.readCounters<Map<string, NetDevCounters>>("host_network", netDev, parseNetDev);
    const disks = this.readCounters<Map<string, DiskCounters>>("host_disk_io", this.path("/proc/diskstats"), parseDiskstats);
    return chooseIo(this.clock(), net, disks);
  }

  /**
   * Network and disk rates since the last reading (SLOW_FIGURES_EVERY_MS
   * before, or the previous run's through the snapshot); without one, over a
   * window of `cpuWindowMs` like the CPU's, waited at the same time as it.
   * Between readings the last rates are reused: no rule reads them.
   */
  private async collectIo(): Promise<Sample[]> {
    const now = this.clock();
    const last = this.ioRates;
    if (last && this.io && readWithin(last.at, now, this.slowEveryMs)) {
      this.reading.io = this.io;
      return last.samples;
    }
    let cur = this.readIo();
    let prev = this.io;
    if (prev && prev.at > cur.at) prev = undefined; // the clock went back
    if (!prev) prev = cur;
    const wait = Math.min(this.cpuWindowMs, this.cpuWindowMs - (cur.at - prev.at));
    if (wait > 0) {
      await sleep(wait);
      cur = this.readIo();
    }
    this.io = cur;
    this.reading.io = cur;
    const samples = ioSamples(prev, cur);
    this.ioRates = { at: now, samples };
    return samples;
  }

  /** Disks, inodes and the process count: read when SLOW_FIGURES_EVERY_MS has passed (or the clock went back, or the mounts asked for changed), else the last reading. */
  private async collectSlow(mounts: readonly string[]): Promise<Sample[]> {
    const now = this.clock();
    const last = this.slow;
    const key = mounts.join("\0");
    if (last && last.mounts === key && readWithin(last.at, now, this.slowEveryMs)) {
      this.reading.filesystems = last.filesystems;
      this.reading.oomKill = last.oomKill;
      return last.samples;
    }
    this.reading.oomKill = this.readOomKills();
    const parts = await Promise.all([
      this.guard(HOST_PROCESSES, this.path("/proc"), async () => [sampleOf(HOST_PROCESSES, await countProcesses(this.hostRoot))]),
      this.guard(HOST_DISK, this.mountinfoPath(), () => this.collectDisks(mounts)),
    ]);
    const samples = parts.flatMap((s) => s ?? []);
    this.slow = { at: now, mounts: key, samples, filesystems: this.reading.filesystems, oomKill: this.reading.oomKill };
    return samples;
  }

  private mountinfoPath(): string {
    // in a container /proc/self is the container's mount namespace; PID 1's is the host's
    return this.hostRoot ? this.path("/proc/1/mountinfo") : "/proc/self/mountinfo";
  }

  private async collectDisks(only: readonly string[]): Promise<Sample[]> {
    const mounts = parseMountinfo(this.readText(this.mountinfoPath()));
    const chosen = selectFilesystems(mounts, only);
    for (const want of only) {
      if (!chosen.some((m) => m.mountPoint === normalizeMountPoint(want))) {
        this.warnOnce(`disk:${want}:missing`, processMessages().t("log.host.notMounted"), { mount: want });
      }
    }
    const { filesystems, skipped } = await statFilesystems(chosen, { hostRoot: this.hostRoot, timeoutMs: this.statfsTimeoutMs });
    this.reading.filesystems = filesystems;
    for (const s of skipped) {
      this.warnOnce(`disk:${s.mountPoint}`, processMessages().t("log.host.skipFs"), { mount: s.mountPoint, reason: s.reason });
    }
    const out: Sample[] = [];
    for (const fs of filesystems) {
      this.warned.delete(`disk:${fs.mountPoint}`);
      const labels = { mount: fs.mountPoint };
      out.push(sampleOf(HOST_DISK, fs.usedPercent, { device: fs.device, fstype: fs.fstype, sizeBytes: fs.sizeBytes, usedBytes: fs.usedBytes, freeBytes: fs.freeBytes }, labels));
      if (fs.inodesUsedPercent !== null) {
        out.push(sampleOf(HOST_INODES, fs.inodesUsedPercent, { inodes: fs.inodes, inodesFree: fs.inodesFree }, { mount: fs.mountPoint }));
      }
    }
    return out;
  }

  snapshot(): HostSnapshot | undefined {
    if (!this.prev) return undefined;
    return { ...this.prev, cpu: { ...this.prev.cpu }, ...(this.boot ? { boot: this.boot } : {}), ...(this.io ? { io: this.io } : {}) };
  }

  /**
   * Takes back counters saved by `snapshot()` in an earlier process (`lookout check`
   * from cron), so its CPU window and its I/O rates' are the time since that run. Ignored when older
   * than 15 minutes, from the future, malformed, or older than what we hold.
   */
  restore(saved: unknown, savedAt: number): void {
    this.restoreBoot(saved);
    const now = this.clock();
    if (!Number.isFinite(savedAt) || now - savedAt > SNAPSHOT_MAX_AGE_MS || savedAt - now > 60_000) return;
    this.restoreIo(saved, now);
    if (typeof saved !== "object" || saved === null) return;
    const s = saved as Record<string, unknown>;
    const cpuIn = s.cpu as Record<string, unknown> | undefined;
    if (typeof cpuIn !== "object" || cpuIn === null) return;
    const cpu = {} as CpuCounters;
    for (const k of CPU_FIELDS) {
      const v = cpuIn[k];
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return;
      cpu[k] = v;
    }
    if (!(cpuTotal(cpu) > 0)) return;
    const at = typeof s.at === "number" && Number.isFinite(s.at) ? s.at : savedAt;
    if (now - at > SNAPSHOT_MAX_AGE_MS || at - now > 60_000) return;
    const cores = typeof s.cores === "number" && Number.isInteger(s.cores) && s.cores > 0 ? s.cores : 0;
    if (this.prev && this.prev.at >= at) return;
    const restored: HostSnapshot = { version: 1, at, cpu, cores };
    if (typeof s.btime === "number" && Number.isFinite(s.btime)) restored.btime = s.btime;
    this.prev = restored;
  }

  /** The I/O counters of an earlier run: taken when as fresh as the CPU's must be, and newer than what we hold. */
  private restoreIo(saved: unknown, now: number): void {
    const io = parseIoCounters((saved as { io?: unknown } | null)?.io);
    if (!io || now - io.at > SNAPSHOT_MAX_AGE_MS || io.at - now > 60_000) return;
    if (this.io && this.io.at >= io.at) return;
    this.io = io;
  }

  private restoreBoot(saved: unknown): void {
    const b = (saved as { boot?: BootMemory } | null)?.boot;
    const ok = (v: unknown) => typeof v === "number" && Number.isFinite(v);
    if (!b || typeof b !== "object" || !b.seen || !ok(b.seen.bootAt) || !ok(b.seen.at)) return;
    if (this.boot && this.boot.seen.at >= b.seen.at) return;
    const r = b.reboot;
    const reboot = r && [r.bootAt, r.previousBootAt, r.lastSeenUpAt, r.foundAt].every(ok) ? r : undefined;
    this.boot = { seen: { bootAt: b.seen.bootAt, at: b.seen.at }, ...(reboot ? { reboot } : {}) };
  }
}
