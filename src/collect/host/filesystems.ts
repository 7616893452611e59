/**
 * Which mounts are real filesystems worth watching, and how full they are.
 * Mounts come from mountinfo (parsed in procfs.ts); usage from statfs(2).
 */
import { statfsSync } from "node:fs";
import { statfs as statfsAsync } from "../../fs-async.js";
import type { MountInfo } from "./procfs.js";

/**
 * Pseudo, virtual, read-only-image and in-memory filesystem types: node_exporter's
 * default fs-types-exclude, plus tmpfs-likes and FUSE helpers that are not disks.
 */
export const EXCLUDED_FSTYPES: ReadonlySet<string> = new Set([
  "autofs",
  "binfmt_misc",
  "bpf",
  "cgroup",
  "cgroup2",
  "configfs",
  "debugfs",
  "devfs",
  "devpts",
  "devtmpfs",
  "efivarfs",
  "erofs",
  "fusectl",
  "fuse.gvfs-fuse-daemon",
  "fuse.gvfsd-fuse",
  "fuse.lxcfs",
  "fuse.portal",
  "fuse.snapfuse",
  "hugetlbfs",
  "iso9660",
  "mqueue",
  "nfsd",
  "nsfs",
  "overlay",
  "proc",
  "procfs",
  "pstore",
  "ramfs",
  "rootfs",
  "rpc_pipefs",
  "securityfs",
  "selinuxfs",
  "squashfs",
  "sysfs",
  "tmpfs",
  "tracefs",
]);

/**
 * Mount points never reported: kernel trees, and the mounts container runtimes
 * make per container (rootfs overlays, shm, network namespaces). Each entry
 * matches itself and everything under it.
 */
export const EXCLUDED_MOUNT_PREFIXES: readonly string[] = [
  "/proc",
  "/sys",
  "/dev",
  "/run/docker/netns",
  "/run/netns",
  "/run/credentials",
  "/run/containerd",
  "/run/k3s/containerd",
  "/var/lib/containerd",
  "/var/lib/containers/storage",
  "/var/lib/kubelet/pods",
  "/var/lib/rancher/k3s/agent/containerd",
  "/snap",
];

/** Docker's own directory may be a real mount; everything under it is per-container, except named volumes. */
const DOCKER_DIR = "/var/lib/docker/";
const DOCKER_VOLUMES = "/var/lib/docker/volumes/";

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + "/");
}

export function isExcludedMountPoint(mountPoint: string): boolean {
  if (EXCLUDED_MOUNT_PREFIXES.some((p) => under(mountPoint, p))) return true;
  return mountPoint.startsWith(DOCKER_DIR) && !mountPoint.startsWith(DOCKER_VOLUMES);
}

/** `/var/` → `/var`; `/` stays. */
export function normalizeMountPoint(p: string): string {
  let s = p.trim();
  while (s.length > 1 && s.endsWith("/")) s = s.slice(0, -1);
  return s;
}

/**
 * The filesystems to report, in mountinfo order.
 * - A mount point mounted over twice counts once: the last (visible) mount.
 * - `only` non-empty (config `host.disk.mounts`): exactly those mount points that
 *   are mounted, whatever their type — the user asked for them.
 * - Otherwise: no pseudo types, no runtime/kernel mount points, and one entry per
 *   device (major:minor) so bind mounts count once, under the shortest mount point.
 */
export function selectFilesystems(mounts: readonly MountInfo[], only: readonly string[] = []): MountInfo[] {
  const visible = new Map<string, MountInfo>();
  for (const m of mounts) {
    visible.delete(m.mountPoint); // re-insert so order follows the visible mount
    visible.set(m.mountPoint, m);
  }
  const all = [...visible.values()];
  if (only.length > 0) {
    const wanted = new Set(only.map(normalizeMountPoint));
    return all.filter((m) => wanted.has(m.mountPoint));
  }
  const real = all.filter((m) => !EXCLUDED_FSTYPES.has(m.fstype) && !isExcludedMountPoint(m.mountPoint));
  const byDevice = new Map<string, MountInfo>();
  for (const m of real) {
    const seen = byDevice.get(m.device);
    if (!seen || m.mountPoint.length < seen.mountPoint.length) byDevice.set(m.device, m);
  }
  const keep = new Set(byDevice.values());
  return real.filter((m) => keep.has(m));
}

/** The statfs(2) fields used (Node's `StatFs`). Block counts are in `bsize` units. */
export interface StatfsLike {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
}

export interface DiskUsage {
  sizeBytes: number;
  /** (blocks − bfree) × bsize, as df's Used. */
  usedBytes: number;
  /** bavail × bsize: what an unprivileged user can still write (df's Available). */
  freeBytes: number;
  /** used / (used + bavail), df's Use% before df rounds it up; one decimal, rounded to nearest. */
  usedPercent: number;
  inodes: number;
  inodesFree: number;
  /** (files − ffree) / files; null when the filesystem reports no inode count (btrfs, vfat). */
  inodesUsedPercent: number | null;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

/**
 * Usage exactly as df computes it. Reserved blocks (ext4's root reserve) count
 * neither as used nor as available, so a "full" disk is 100% even when root
 * could still write into the reserve.
 */
export function diskUsage(st: StatfsLike): DiskUsage {
  const used = Math.max(0, st.blocks - st.bfree);
  const avail = Math.max(0, st.bavail);
  const denom = used + avail;
  const files = Math.max(0, st.files);
  const ffree = Math.min(Math.max(0, st.ffree), files);
  return {
    sizeBytes: st.blocks * st.bsize,
    usedBytes: used * st.bsize,
    freeBytes: avail * st.bsize,
    usedPercent: denom > 0 ? round1((used / denom) * 100) : 0,
    inodes: files,
    inodesFree: ffree,
    inodesUsedPercent: files > 0 ? round1(((files - ffree) / files) * 100) : null,
  };
}

export interface FilesystemUsage extends DiskUsage {
  mountPoint: string;
  /** Mount source: `/dev/nvme0n1p1`, `server:/export`. */
  device: string;
  fstype: string;
  /** major:minor. */
  deviceId: string;
  /** bfree × bsize: free blocks, the root-reserved ones included (node_exporter's node_filesystem_free_bytes). */
  rootFreeBytes: number;
}

export interface FilesystemSkip {
  mountPoint: string;
  reason: string;
}

/**
 * Filesystems on the machine's own disks or memory, whose statfs answers from the kernel's memory and never waits for
 * a server: asked on this thread. Any other (NFS, CIFS, FUSE, one not named here) is asked in libuv's thread pool,
 * bounded by the timeout (a hung server blocks the call until it comes back); a round trip there costs more than the
 * call itself (~0.3 ms of CPU on a 2-core machine, and four threads started for the first).
 */
export const LOCAL_FSTYPES: ReadonlySet<string> = new Set([
  "ext2",
  "ext3",
  "ext4",
  "xfs",
  "btrfs",
  "zfs",
  "f2fs",
  "jfs",
  "reiserfs",
  "vfat",
  "msdos",
  "exfat",
  "ntfs",
  "ntfs3",
  "hfsplus",
  "tmpfs",
  "ramfs",
  "overlay",
]);

export interface StatOptions {
  /** "" for the real root, else where the host's / is mounted (e.g. /host). */
  hostRoot: string;
  /** A hung NFS server must not hang the cycle: give up after this long. Default 2000. */
  timeoutMs?: number;
  /** For tests: statfs of a mount that may hang (not LOCAL_FSTYPES), and of one that cannot. */
  statfs?: (path: string) => Promise<StatfsLike>;
  statfsSync?: (path: string) => StatfsLike;
}

/**
 * statfs calls that have not returned yet, by path. A statfs on a dead NFS server
 * blocks a libuv thread-pool thread (there are 4) until the server comes back;
 * re-issuing it every cycle would use them all up and stall every file read in
 * the agent. So a path whose previous call still hangs is skipped, not retried.
 */
const inFlight = new Map<string, Promise<unknown>>();

function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === "ENOENT") return "mount point not found under the host root";
  if (e?.code) return `statfs failed: ${e.code}`;
  return `statfs failed: ${String((e as Error)?.message ?? err)}`;
}

/** A mount's usage from its statfs. */
function usageOf(m: MountInfo, st: StatfsLike): FilesystemUsage {
  return { mountPoint: m.mountPoint, device: m.source, fstype: m.fstype, deviceId: m.device, rootFreeBytes: st.bfree * st.bsize, ...diskUsage(st) };
}

/** statfs every mount (in parallel, each bounded by the timeout). Failures become `skipped` entries, never throws. */
export async function statFilesystems(mounts: readonly MountInfo[], opts: StatOptions): Promise<{ filesystems: FilesystemUsage[]; skipped: FilesystemSkip[] }> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const statfs = opts.statfs ?? ((p: string) => statfsAsync(p));
  const statfsHere = opts.statfsSync ?? ((p: string) => statfsSync(p));
  const root = opts.hostRoot.replace(/\/+$/, "");
  const results = await Promise.all(
    mounts.map(async (m): Promise<FilesystemUsage | FilesystemSkip> => {
      const path = root === "" ? m.mountPoint : root + m.mountPoint;
      if (LOCAL_FSTYPES.has(m.fstype)) {
        try {
          return usageOf(m, statfsHere(path));
        } catch (err) {
          return { mountPoint: m.mountPoint, reason: reasonOf(err) };
        }
      }
      if (inFlight.has(path)) return { mountPoint: m.mountPoint, reason: "statfs from an earlier cycle still hangs" };
      let call: Promise<StatfsLike>;
      try {
        call = statfs(path);
      } catch (err) {
        return { mountPoint: m.mountPoint, reason: reasonOf(err) };
      }
      inFlight.set(path, call);
      call.then(
        () => inFlight.delete(path),
        () => inFlight.delete(path),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
        timer.unref();
      });
      try {
        const st = await Promise.race([call, timeout]);
        if (st === "timeout") return { mountPoint: m.mountPoint, reason: `statfs did not answer within ${timeoutMs} ms` };
        return usageOf(m, st);
      } catch (err) {
        return { mountPoint: m.mountPoint, reason: reasonOf(err) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const filesystems: FilesystemUsage[] = [];
  const skipped: FilesystemSkip[] = [];
  for (const r of results) {
    if ("reason" in r) skipped.push(r);
    else filesystems.push(r);
  }
  return { filesystems, skipped };
}
