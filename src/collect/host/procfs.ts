/**
 * Pure parsers for the /proc files the host collector reads: text in, typed
 * objects out, no I/O. Hand-written on purpose: the formats are small, stable
 * kernel ABI and these run every cycle, so no regexes per line or parser library.
 * See proc(5) for the formats.
 */
import { fields } from "../proc-text.js";

/** Clock ticks per second of /proc counters (USER_HZ). Fixed at 100 on Linux for every architecture's ABI. */
export const USER_HZ = 100;

/** Aggregate CPU time counters from the `cpu ` line of /proc/stat, in USER_HZ ticks. */
export interface CpuCounters {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
  /** Already counted inside `user` by the kernel. */
  guest: number;
  /** Already counted inside `nice` by the kernel. */
  guestNice: number;
}

export const CPU_FIELDS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guestNice"] as const;

export interface ProcStat {
  cpu: CpuCounters;
  /** Each `cpuN` line's counters, by N (node_exporter's `cpu` label). */
  perCpu: { cpu: string; counters: CpuCounters }[];
  /** Number of `cpuN` lines: online CPUs. */
  cores: number;
  /** Boot time, seconds since epoch (`btime`), when present. */
  btime?: number;
}

function toNumber(s: string | undefined): number {
  if (s === undefined || s === "") return 0;
  const n = Number(s);
  return Number.isFinite(n) ? n : 0;
}

/**
 * /proc/stat. Older kernels print fewer columns (steal since 2.6.11, guest since
 * 2.6.24, guest_nice since 2.6.33): missing ones are 0.
 */
export function parseProcStat(text: string): ProcStat {
  let cpu: CpuCounters | undefined;
  let cores = 0;
  let btime: number | undefined;
  const perCpu: ProcStat["perCpu"] = [];
  const countersOf = (f: string[]): CpuCounters => ({
    user: toNumber(f[1]),
    nice: toNumber(f[2]),
    system: toNumber(f[3]),
    idle: toNumber(f[4]),
    iowait: toNumber(f[5]),
    irq: toNumber(f[6]),
    softirq: toNumber(f[7]),
    steal: toNumber(f[8]),
    guest: toNumber(f[9]),
    guestNice: toNumber(f[10]),
  });
  for (const line of text.split("\n")) {
    if (line.startsWith("cpu")) {
      const f = fields(line);
      if (f[0] === "cpu") {
        cpu = countersOf(f);
      } else if (f[0] !== undefined && f[0].length > 3) {
        // "cpuN": only digits after "cpu"
        let digits = true;
        for (let i = 3; i < f[0].length; i++) {
          const c = f[0].charCodeAt(i);
          if (c < 48 || c > 57) digits = false;
        }
        if (digits) {
          cores++;
          perCpu.push({ cpu: f[0].slice(3), counters: countersOf(f) });
        }
      }
    } else if (line.startsWith("btime ")) {
      btime = toNumber(line.slice(6).trim());
    }
  }
  if (!cpu) throw new Error("no aggregate cpu line in /proc/stat");
  const out: ProcStat = { cpu, perCpu, cores };
  if (btime !== undefined) out.btime = btime;
  return out;
}

/** Share of the window, in percent (not rounded). All 0 when no time passed. */
export interface CpuUsage {
  /** total − idle − iowait, over total. */
  busy: number;
  /** user + nice (guest time is inside). */
  user: number;
  /** system + irq + softirq. */
  system: number;
  iowait: number;
  steal: number;
  idle: number;
  /** Ticks summed over all CPUs in the window. */
  ticks: number;
}

/**
 * CPU use between two /proc/stat readings. total = user+nice+system+idle+iowait+irq+softirq+steal
 * (guest and guest_nice are already inside user and nice: adding them would count them twice).
 * user + system + steal = busy, so the split explains the whole of `busy`.
 * A counter that went backwards (iowait and idle may, on NO_HZ kernels; or a wrap) counts as 0.
 */
export function cpuDelta(prev: CpuCounters, cur: CpuCounters): CpuUsage {
  const d = (k: keyof CpuCounters): number => {
    const v = cur[k] - prev[k];
    return Number.isFinite(v) && v > 0 ? v : 0;
  };
  const user = d("user") + d("nice");
  const system = d("system") + d("irq") + d("softirq");
  const idle = d("idle");
  const iowait = d("iowait");
  const steal = d("steal");
  const total = user + system + idle + iowait + steal;
  if (!(total > 0)) return { busy: 0, user: 0, system: 0, iowait: 0, steal: 0, idle: 0, ticks: 0 };
  const pct = (v: number): number => (v / total) * 100;
  return {
    busy: pct(total - idle - iowait),
    user: pct(user),
    system: pct(system),
    iowait: pct(iowait),
    steal: pct(steal),
    idle: pct(idle),
    ticks: total,
  };
}

export interface MemInfo {
  totalBytes: number;
  availableBytes: number;
  swapTotalBytes: number;
  swapFreeBytes: number;
  /** True when the kernel has no MemAvailable (before 3.14) and availableBytes is MemFree+Buffers+Cached. */
  availableEstimated: boolean;
}

/**
 * Every `Key: value` line of /proc/meminfo (or those `only` names: it stops when it has them), in bytes for the kB
 * ones (node_exporter's `node_memory_<Key>_bytes`).
 * Scanned with indexOf, not split into lines and fields: it is read every cycle, and its ~55 lines split into
 * fields were a third of the host collector's CPU under --lite-mode. A line with a tab takes `fields`.
 */
export function meminfoFields(text: string, only?: ReadonlySet<string>): Map<string, number> {
  const kv = new Map<string, number>();
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(":", start);
    if (colon > start && colon < end && (only === undefined || only.has(text.slice(start, colon)))) {
      const rest = text.slice(colon + 1, end);
      let value: string | undefined;
      let unit: string | undefined;
      if (rest.indexOf("\t") >= 0) [value, unit] = fields(rest);
      else {
        // `   12345 kB`: the first run of non-spaces, and the second.
        let a = 0;
        while (a < rest.length && rest.charCodeAt(a) === 32) a++;
        let b = rest.indexOf(" ", a);
        if (b < 0) b = rest.length;
        value = a < b ? rest.slice(a, b) : undefined;
        let c = b;
        while (c < rest.length && rest.charCodeAt(c) === 32) c++;
        let d = rest.indexOf(" ", c);
        if (d < 0) d = rest.length;
        unit = c < d ? rest.slice(c, d) : undefined;
      }
      const n = toNumber(value);
      kv.set(text.slice(start, colon), unit === "kB" ? n * 1024 : n);
      if (only !== undefined && kv.size === only.size) break;
    }
    start = end + 1;
  }
  return kv;
}

/**
 * The /proc/meminfo fields the host collector keeps: what host_memory and
 * host_swap are made of (memInfoOf), and what `/metrics` gives as
 * node_memory_<Field>_bytes. The rest of the file (some 50 lines) is not split.
 */
export const MEMINFO_KEPT: ReadonlySet<string> = new Set(["MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached", "SwapTotal", "SwapFree"]);

/** /proc/meminfo: `Key:   12345 kB` lines; values converted to bytes. */
export function parseMeminfo(text: string): MemInfo {
  return memInfoOf(meminfoFields(text));
}

/** `parseMeminfo` from fields already split (`meminfoFields`): the host collector splits the file once for both. */
export function memInfoOf(kv: ReadonlyMap<string, number>): MemInfo {
  const total = kv.get("MemTotal");
  if (total === undefined || total <= 0) throw new Error("no MemTotal in /proc/meminfo");
  let available = kv.get("MemAvailable");
  const estimated = available === undefined;
  if (available === undefined) {
    available = (kv.get("MemFree") ?? 0) + (kv.get("Buffers") ?? 0) + (kv.get("Cached") ?? 0);
  }
  return {
    totalBytes: total,
    availableBytes: Math.min(available, total),
    swapTotalBytes: kv.get("SwapTotal") ?? 0,
    swapFreeBytes: kv.get("SwapFree") ?? 0,
    availableEstimated: estimated,
  };
}

/** One counter of /proc/vmstat (`oom_kill`), found without splitting the whole file; undefined when absent. */
export function vmstatValue(text: string, name: string): number | undefined {
  const key = `${name} `;
  const line = text.startsWith(key) ? -1 : text.indexOf(`\n${key}`);
  if (line === -1 && !text.startsWith(key)) return undefined;
  const from = line + 1 + key.length;
  const end = text.indexOf("\n", from);
  const v = text.slice(from, end < 0 ? text.length : end).trim();
  const n = Number(v);
  return v !== "" && Number.isFinite(n) ? n : undefined;
}

/** /proc/vmstat: `name value` lines (node_exporter's `node_vmstat_<name>`). */
export function parseVmstat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    const n = Number(line.slice(sp + 1).trim());
    if (Number.isFinite(n)) out.set(line.slice(0, sp), n);
  }
  return out;
}

export interface LoadAvg {
  load1: number;
  load5: number;
  load15: number;
  /** Runnable scheduling entities (`3` of `3/612`). */
  running: number;
  /** Existing scheduling entities, threads included (`612` of `3/612`). */
  entities: number;
  lastPid: number;
}

/** /proc/loadavg: `0.08 0.07 0.02 1/84 2779`. */
export function parseLoadavg(text: string): LoadAvg {
  const f = fields(text.trim());
  if (f.length < 3) throw new Error(`unexpected /proc/loadavg: ${JSON.stringify(text)}`);
  const [running, entities] = (f[3] ?? "0/0").split("/");
  const load = (s: string | undefined): number => {
    const n = Number(s);
    if (!Number.isFinite(n)) throw new Error(`unexpected /proc/loadavg: ${JSON.stringify(text)}`);
    return n;
  };
  return {
    load1: load(f[0]),
    load5: load(f[1]),
    load15: load(f[2]),
    running: toNumber(running),
    entities: toNumber(entities),
    lastPid: toNumber(f[4]),
  };
}

export interface Uptime {
  /** Seconds since boot. */
  uptime: number;
  /** Idle seconds summed over CPUs. */
  idle: number;
}

/** /proc/uptime: `240.44 451.56`. */
export function parseUptime(text: string): Uptime {
  const f = fields(text.trim());
  const uptime = Number(f[0]);
  if (f.length < 1 || !Number.isFinite(uptime)) throw new Error(`unexpected /proc/uptime: ${JSON.stringify(text)}`);
  return { uptime, idle: toNumber(f[1]) };
}

export interface MountInfo {
  mountId: number;
  parentId: number;
  major: number;
  minor: number;
  /** `major:minor`, the identity of the filesystem (bind mounts share it). */
  device: string;
  /** Path inside the filesystem that is mounted (not `/` for bind mounts of a subdirectory). */
  root: string;
  mountPoint: string;
  mountOptions: string;
  fstype: string;
  /** `/dev/vda`, `10.0.0.5:/export`, `tmpfs`, `none`… */
  source: string;
  superOptions: string;
}

/** Undoes the kernel's `mangle()`: space, tab, newline and backslash as 3-digit octal `\040`. */
export function decodeOctal(s: string): string {
  if (s.indexOf("\\") < 0) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && i + 3 < s.length && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * /proc/[pid]/mountinfo (proc(5)):
 * `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
 * — zero or more optional fields end with a lone `-`. Lines that do not parse are skipped.
 */
export function parseMountinfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const f = line.split(" ");
    if (f.length < 10) continue;
    let sep = -1;
    for (let i = 6; i < f.length; i++) {
      if (f[i] === "-") {
        sep = i;
        break;
      }
    }
    if (sep < 0 || sep + 2 >= f.length) continue;
    const dev = f[2] ?? "";
    const colon = dev.indexOf(":");
    if (colon <= 0) continue;
    const major = Number(dev.slice(0, colon));
    const minor = Number(dev.slice(colon + 1));
    if (!Number.isInteger(major) || !Number.isInteger(minor)) continue;
    out.push({
      mountId: toNumber(f[0]),
      parentId: toNumber(f[1]),
      major,
      minor,
      device: `${major}:${minor}`,
      root: decodeOctal(f[3] ?? ""),
      mountPoint: decodeOctal(f[4] ?? ""),
      mountOptions: f[5] ?? "",
      fstype: decodeOctal(f[sep + 1] ?? ""),
      source: decodeOctal(f[sep + 2] ?? ""),
      superOptions: f[sep + 3] ?? "",
    });
  }
  return out;
}

export interface PidStat {
  pid: number;
  /** Executable name, at most 15 bytes, as the kernel keeps it; may contain spaces and parentheses. */
  comm: string;
  state: string;
  ppid: number;
  /** User-mode CPU time, USER_HZ ticks. */
  utime: number;
  /** Kernel-mode CPU time, USER_HZ ticks. */
  stime: number;
  /** Start time after boot, USER_HZ ticks (with pid, identifies a process across pid reuse). */
  starttime: number;
  /** Resident set size, pages. */
  rssPages: number;
}

/**
 * /proc/[pid]/stat. `comm` sits in parentheses and may itself contain spaces
 * and `)` (a process can name itself `a) b`), so it runs to the LAST `)`.
 * Field numbers below are proc(5)'s, 1-based: state is field 3.
 */
export function parsePidStat(text: string): PidStat {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) throw new Error("unexpected /proc/[pid]/stat");
  const pid = Number(text.slice(0, open).trim());
  const rest = fields(text.slice(close + 1).trim());
  // rest[0] is field 3 (state): field n is rest[n - 3]
  if (!Number.isInteger(pid) || rest.length < 22) throw new Error("unexpected /proc/[pid]/stat");
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? "",
    ppid: toNumber(rest[1]),
    utime: toNumber(rest[11]),
    stime: toNumber(rest[12]),
    starttime: toNumber(rest[19]),
    rssPages: toNumber(rest[21]),
  };
}

/** One interface's counters from /proc/net/dev (since it was created; 64-bit on current kernels). */
export interface NetDevCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDrops: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDrops: number;
}

export const NET_DEV_FIELDS = ["rxBytes", "rxPackets", "rxErrors", "rxDrops", "txBytes", "txPackets", "txErrors", "txDrops"] as const;

/**
 * /proc/net/dev: two header lines, then `  eth0: 1750760581 76617 0 0 0 0 0 0 5986816 62073 0 0 0 0 0 0`
 * (receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes packets
 * errs drop fifo colls carrier compressed). A large counter can touch the colon (`eth0:1750760581`).
 * Lines that do not parse are skipped.
 */
export function parseNetDev(text: string): Map<string, NetDevCounters> {
  const out = new Map<string, NetDevCounters>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === "" || name.indexOf("|") >= 0) continue;
    const f = fields(line.slice(colon + 1));
    if (f.length < 16) continue;
    out.set(name, {
      rxBytes: toNumber(f[0]),
      rxPackets: toNumber(f[1]),
      rxErrors: toNumber(f[2]),
      rxDrops: toNumber(f[3]),
      txBytes: toNumber(f[8]),
      txPackets: toNumber(f[9]),
      txErrors: toNumber(f[10]),
      txDrops: toNumber(f[11]),
    });
  }
  return out;
}

/** One block device's counters from /proc/diskstats (since boot). Bytes are sectors × 512: diskstats counts 512-byte sectors whatever the device's own. */
export interface DiskCounters {
  reads: number;
  readBytes: number;
  /** Milliseconds spent reading. */
  readMs: number;
  writes: number;
  writtenBytes: number;
  /** Milliseconds spent writing. */
  writeMs: number;
  /** Milliseconds the device had I/O in flight (`io_ticks`): its busy time. */
  ioMs: number;
}

export const DISK_FIELDS = ["reads", "readBytes", "readMs", "writes", "writtenBytes", "writeMs", "ioMs"] as const;

/** diskstats' sector: always 512 bytes (Documentation/admin-guide/iostats.rst). */
export const DISKSTATS_SECTOR_BYTES = 512;

/**
 * /proc/diskstats: `254 0 vda 253669 14715 6161546 754289 2290163 617898 79239320 2945800 0 465492 4077349 …`
 * — major, minor, name, then reads completed, merged, sectors read, ms reading, writes completed,
 * merged, sectors written, ms writing, I/Os in progress, ms doing I/O, weighted ms (discard and
 * flush columns follow on newer kernels). Lines that do not parse are skipped.
 */
export function parseDiskstats(text: string): Map<string, DiskCounters> {
  const out = new Map<string, DiskCounters>();
  for (const line of text.split("\n")) {
    const f = fields(line);
    if (f.length < 14) continue;
    const name = f[2]!;
    out.set(name, {
      reads: toNumber(f[3]),
      readBytes: toNumber(f[5]) * DISKSTATS_SECTOR_BYTES,
      readMs: toNumber(f[6]),
      writes: toNumber(f[7]),
      writtenBytes: toNumber(f[9]) * DISKSTATS_SECTOR_BYTES,
      writeMs: toNumber(f[10]),
      ioMs: toNumber(f[12]),
    });
  }
  return out;
}
