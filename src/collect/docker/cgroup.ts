/**
 * Pure parsers for the kernel files that hold a container's figures, and the
 * resolution of a container's cgroup directories: text in, typed values out,
 * no I/O (cgroup-reader.ts reads the files). Hand-written on purpose: the
 * files are small, stable kernel ABI (cgroups(7), the kernel's
 * Documentation/admin-guide/cgroup-v1/ and cgroup-v2.rst, proc(5)) and they are
 * read for every running container on every cycle, so they are scanned once,
 * without regexes or a parser library.
 *
 * What is read, as `docker stats` and cAdvisor read it:
 *   CPU      v1 cpuacct.usage (ns)             v2 cpu.stat usage_usec
 *   memory   v1 memory.usage_in_bytes          v2 memory.current
 *            minus total_inactive_file          minus inactive_file (memory.stat): the working set
 *   limit    v1 memory.limit_in_bytes (a huge   v2 memory.max ("max": none)
 *            value: none)
 *   pids     pids.current
 *   block IO v1 blkio.throttle.io_service_bytes v2 io.stat rbytes / wbytes
 *            Read / Write
 *   network  /proc/<pid>/net/dev of the container's init process, every interface but lo
 */
import { parseMountinfo } from "../host/procfs.js";
import { fields } from "../proc-text.js";

/** One line of /proc/<pid>/cgroup: `hierarchy-ID:controller-list:cgroup-path`. */
export interface ProcCgroupLine {
  hierarchy: number;
  /** v1: the controllers of that hierarchy (`cpu,cpuacct` → ["cpu", "cpuacct"], `name=systemd`); v2: [] */
  controllers: string[];
  /** Relative to the reader's cgroup namespace root: may start with `/..` for a cgroup outside it. */
  path: string;
}

/** /proc/<pid>/cgroup (cgroups(7)). The path is everything after the second colon (it may hold colons). */
export function parseProcCgroup(text: string): ProcCgroupLine[] {
  const out: ProcCgroupLine[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    const a = line.indexOf(":");
    const b = a < 0 ? -1 : line.indexOf(":", a + 1);
    if (b < 0) continue;
    const hierarchy = Number(line.slice(0, a));
    if (!Number.isInteger(hierarchy)) continue;
    const list = line.slice(a + 1, b);
    out.push({ hierarchy, controllers: list === "" ? [] : list.split(","), path: line.slice(b + 1) });
  }
  return out;
}

/** A mounted cgroup hierarchy, from mountinfo. */
export interface CgroupMount {
  version: 1 | 2;
  /** Where it is mounted, as the mountinfo's namespace sees it (without host_root). */
  mountPoint: string;
  /** The cgroup the mount shows at its mount point (`/` for the whole hierarchy). */
  root: string;
  /** v1: its controllers, from the super options (`rw,cpu,cpuacct`); v2: []. */
  controllers: string[];
}

/** The cgroup and cgroup2 mounts of a mountinfo (proc(5)). */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const m of parseMountinfo(mountinfo)) {
    if (m.fstype === "cgroup2") out.push({ version: 2, mountPoint: m.mountPoint, root: m.root, controllers: [] });
    else if (m.fstype === "cgroup") out.push({ version: 1, mountPoint: m.mountPoint, root: m.root, controllers: m.superOptions.split(",") });
  }
  return out;
}

/** The v1 controller that holds each figure. */
const V1_CONTROLLER = { cpu: "cpuacct", memory: "memory", pids: "pids", io: "blkio" } as const;
type Figure = keyof typeof V1_CONTROLLER;

/** The directories of a container's cgroup, without host_root; null where that controller is not mounted. */
export interface CgroupDirs {
  version: 1 | 2;
  cpu: string;
  memory: string;
  pids: string | null;
  io: string | null;
}

/** Why a container's cgroup could not be found: said in the log and in `lookout status`. */
export type Unresolved = { reason: string };

/**
 * Where the cgroup files of container `id` are, from its init process's
 * /proc/<pid>/cgroup and the cgroup mounts. cgroup v1 when the memory or
 * cpuacct controller is mounted as v1 (a hybrid host's empty cgroup2 mount at
 * /sys/fs/cgroup/unified is not used), else v2. Works for both of Docker's
 * cgroup drivers (`/docker/<id>`, `/system.slice/docker-<id>.scope`), for a
 * `--cgroup-parent`, for Docker nested in a container (`/docker/<a>/docker/<id>`)
 * and for a cgroup namespace (a path and a mount root that start with `/..`).
 * The path is cut after the component that names the container, so a process
 * in a sub-cgroup of it still leads to the container's own; a path that does
 * not name the container (rootless Docker's pid in another pid namespace, a
 * reused pid) is refused.
 */
export function resolveCgroupDirs(lines: readonly ProcCgroupLine[], mounts: readonly CgroupMount[], id: string): CgroupDirs | Unresolved {
  if (mounts.length === 0) return { reason: "no cgroup filesystem is mounted" };
  const v1 = mounts.some((m) => m.version === 1 && (m.controllers.includes("memory") || m.controllers.includes("cpuacct")));
  if (v1) {
    const dirs: Partial<Record<Figure, string | null>> = {};
    for (const figure of Object.keys(V1_CONTROLLER) as Figure[]) {
      const ctl = V1_CONTROLLER[figure];
      const mount = mounts.find((m) => m.version === 1 && m.controllers.includes(ctl));
      const line = lines.find((l) => l.hierarchy !== 0 && l.controllers.includes(ctl));
      if (!mount || !line) {
        if (figure === "cpu" || figure === "memory") return { reason: `the ${ctl} cgroup controller is not mounted` };
        dirs[figure] = null;
        continue;
      }
      const dir = dirUnder(mount, line.path, id);
      if (typeof dir !== "string") return dir;
      dirs[figure] = dir;
    }
    return { version: 1, cpu: dirs.cpu!, memory: dirs.memory!, pids: dirs.pids ?? null, io: dirs.io ?? null };
  }
  const mount = mounts.find((m) => m.version === 2);
  const line = lines.find((l) => l.hierarchy === 0 && l.controllers.length === 0);
  if (!mount || !line) return { reason: "no cgroup v2 hierarchy for the container's process" };
  const dir = dirUnder(mount, line.path, id);
  if (typeof dir !== "string") return dir;
  return { version: 2, cpu: dir, memory: dir, pids: dir, io: dir };
}

/** The directory of cgroup `path` under `mount`, cut after the component naming the container. */
function dirUnder(mount: CgroupMount, path: string, id: string): string | Unresolved {
  const parts = path.split("/");
  const at = parts.findIndex((p) => p.includes(id));
  if (at < 0) return { reason: "the process Docker names for the container is not in its cgroup (rootless Docker, or Docker in another pid namespace)" };
  const own = parts.slice(0, at + 1).join("/");
  let rel: string;
  if (mount.root === "/") rel = own;
  else if (own === mount.root || own.startsWith(`${mount.root}/`)) rel = own.slice(mount.root.length);
  else return { reason: `the container's cgroup ${own} is outside the part of the hierarchy mounted at ${mount.mountPoint} (${mount.root})` };
  // A cgroup outside the reader's cgroup namespace, under a mount of the whole hierarchy: `/../../docker/<id>`.
  while (rel.startsWith("/..")) rel = rel.slice(3);
  return `${mount.mountPoint === "/" ? "" : mount.mountPoint}${rel}`;
}

/**
 * A file holding one number (`cpuacct.usage`, `memory.current`, `pids.current`):
 * null for `max` (no limit) or anything that is not a number.
 */
export function parseSingleNumber(text: string): number | null {
  const t = text.trim();
  if (t === "" || t === "max") return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/**
 * cgroup v1 writes "no limit" as the largest page-aligned counter
 * (9223372036854771712 on 64-bit); anything from 2^62 up is taken for it.
 */
const V1_UNLIMITED = 2 ** 62;

/** `memory.limit_in_bytes` (v1) or `memory.max` (v2): null for none. */
export function parseMemoryLimit(text: string): number | null {
  const n = parseSingleNumber(text);
  return n === null || n >= V1_UNLIMITED ? null : n;
}

/**
 * The value of `key` in a flat keyed file (`memory.stat`, `cpu.stat`: one
 * `key value` per line); undefined when absent.
 */
export function keyedValue(text: string, key: string): number | undefined {
  const rest = afterLineStart(text, `${key} `);
  if (rest === null) return undefined;
  const n = Number(rest.trim());
  return Number.isFinite(n) && rest.trim() !== "" ? n : undefined;
}

/** What follows `prefix` on the first line that starts with it, up to the end of that line; null when no line does. */
function afterLineStart(text: string, prefix: string): string | null {
  let at: number;
  if (text.startsWith(prefix)) at = 0;
  else {
    const nl = text.indexOf(`\n${prefix}`);
    if (nl < 0) return null;
    at = nl + 1;
  }
  let end = text.indexOf("\n", at);
  if (end < 0) end = text.length;
  return text.slice(at + prefix.length, end);
}

/**
 * `keyedValue` of the file held in buffer[0, length), found by Buffer's native
 * search: memory.stat (a kilobyte or more) is read for every container on
 * every cycle, and only one of its lines is wanted, so it is not made into a
 * string. Bytes past `length` are an earlier read's and never count.
 */
export function keyedValueInBuffer(buffer: Buffer, length: number, key: string): number | undefined {
  const keySp = `${key} `;
  let at = buffer.indexOf(keySp, 0, "latin1");
  // Not at a line's start (a longer key ends with it: `inactive_file` in `total_inactive_file`): the first that is.
  if (at > 0 && buffer[at - 1] !== 10) {
    at = buffer.indexOf(`\n${keySp}`, at, "latin1");
    if (at >= 0) at++;
  }
  if (at < 0 || at + keySp.length > length) return undefined;
  const from = at + keySp.length;
  let end = buffer.indexOf(10, from);
  if (end < 0 || end > length) end = length;
  const rest = buffer.toString("latin1", from, end).trim();
  const n = Number(rest);
  return Number.isFinite(n) && rest !== "" ? n : undefined;
}

export interface BlockIo {
  readBytes: number;
  writeBytes: number;
}

/**
 * v1 `blkio.throttle.io_service_bytes`: `MAJ:MIN Read N` / `Write N` lines of every device, summed (the `Total` lines are not).
 * Scanned with indexOf, without splitting it into lines: it is read for every container on every cycle.
 */
export function parseBlkioServiceBytes(text: string): BlockIo {
  let readBytes = 0;
  let writeBytes = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const a = text.indexOf(" ", start);
    const b = a < 0 || a >= end ? -1 : text.indexOf(" ", a + 1);
    if (b >= 0 && b < end) {
      const read = b - a === 5 && text.startsWith("Read", a + 1);
      if (read || (b - a === 6 && text.startsWith("Write", a + 1))) {
        const n = Number(text.slice(b + 1, end).trim());
        if (Number.isFinite(n)) {
          if (read) readBytes += n;
          else writeBytes += n;
        }
      }
    }
    start = end + 1;
  }
  return { readBytes, writeBytes };
}

/** v2 `io.stat`: `MAJ:MIN rbytes=N wbytes=N rios=N …` per device, summed. */
export function parseIoStat(text: string): BlockIo {
  let readBytes = 0;
  let writeBytes = 0;
  for (const line of text.split("\n")) {
    for (const field of line.split(" ")) {
      if (field.startsWith("rbytes=")) readBytes += Number(field.slice(7)) || 0;
      else if (field.startsWith("wbytes=")) writeBytes += Number(field.slice(7)) || 0;
    }
  }
  return { readBytes, writeBytes };
}

export interface NetworkBytes {
  rxBytes: number;
  txBytes: number;
}

/**
 * /proc/<pid>/net/dev (proc(5)): two header lines, then `iface: rx_bytes
 * rx_packets … (8 receive columns) tx_bytes …`. Every interface but `lo`,
 * summed, as `docker stats` sums the container's networks.
 */
export function parseNetDev(text: string): NetworkBytes {
  let rxBytes = 0;
  let txBytes = 0;
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === "lo" || name === "" || name.includes("|")) continue;
    const f = fields(line.slice(colon + 1));
    if (f.length < 9) continue;
    rxBytes += Number(f[0]) || 0;
    txBytes += Number(f[8]) || 0;
  }
  return { rxBytes, txBytes };
}

/** `0-3`, `0,2-3` (/sys/devices/system/cpu/online): how many CPUs; null when unreadable. */
export function countCpuList(text: string): number | null {
  let n = 0;
  for (const part of text.trim().split(",")) {
    if (part === "") continue;
    const dash = part.indexOf("-");
    const a = Number(dash < 0 ? part : part.slice(0, dash));
    const b = dash < 0 ? a : Number(part.slice(dash + 1));
    if (!Number.isInteger(a) || !Number.isInteger(b) || b < a) return null;
    n += b - a + 1;
  }
  return n > 0 ? n : null;
}

/** MemTotal from /proc/meminfo, bytes; null when absent. */
export function memTotalBytes(meminfo: string): number | null {
  const rest = afterLineStart(meminfo, "MemTotal:");
  if (rest === null) return null;
  const kb = Number(fields(rest)[0]);
  return Number.isFinite(kb) && kb > 0 ? kb * 1024 : null;
}
