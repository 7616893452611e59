import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { diskUsage, isExcludedMountPoint, type StatfsLike, selectFilesystems, statFilesystems } from "../../../src/collect/host/filesystems.js";
import { parseMountinfo } from "../../../src/collect/host/procfs.js";

const FIX = fileURLToPath(new URL("../../fixtures/proc/", import.meta.url));
const mountinfo = (machine: string) => parseMountinfo(readFileSync(`${FIX}${machine}/mountinfo`, "utf8"));

describe("selectFilesystems", () => {
  it("keeps the VM's real filesystems only, bind mount of / counted once", () => {
    const chosen = selectFilesystems(mountinfo("vm-with-steal"));
    expect(chosen.map((m) => m.mountPoint)).toEqual(["/", "/boot/efi", "/data", "/mnt/share", "/srv/media files"]);
    expect(chosen[0]?.source).toBe("/dev/nvme0n1p1");
  });

  it("keeps only / in this sandbox (tmpfs, cgroup, proc, devpts and the tools tmpfs dropped)", () => {
    expect(selectFilesystems(mountinfo("this-sandbox")).map((m) => m.mountPoint)).toEqual(["/"]);
  });

  it("with configured mounts, reports exactly those that are mounted", () => {
    const chosen = selectFilesystems(mountinfo("vm-with-steal"), ["/data", "/var/lib/docker/", "/not-mounted"]);
    expect(chosen.map((m) => m.mountPoint)).toEqual(["/data", "/var/lib/docker"]);
  });

  it("dedupes by device keeping the shortest mount point, and counts an over-mounted point once", () => {
    const text = [
      "30 1 8:1 /srv /var/lib/docker rw - ext4 /dev/sda1 rw",
      "31 1 8:1 / / rw - ext4 /dev/sda1 rw",
      "32 31 8:2 / /home rw - xfs /dev/sda2 rw",
      "33 31 8:3 / /home rw - xfs /dev/sda3 rw",
    ].join("\n");
    const chosen = selectFilesystems(parseMountinfo(text));
    expect(chosen.map((m) => [m.mountPoint, m.device])).toEqual([
      ["/", "8:1"],
      ["/home", "8:3"],
    ]);
  });

  it("skips kernel and container-runtime mount points but not look-alikes", () => {
    for (const p of [
      "/proc",
      "/proc/sys/fs/binfmt_misc",
      "/sys/fs/cgroup",
      "/dev/shm",
      "/run/docker/netns/abc",
      "/var/lib/docker/overlay2/abc/merged",
      "/var/lib/docker/containers/abc/mounts/shm",
      "/var/lib/kubelet/pods/1-2/volumes/kubernetes.io~empty-dir/x",
      "/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs",
      "/var/lib/containers/storage/overlay/abc/merged",
    ]) {
      expect(isExcludedMountPoint(p), p).toBe(true);
    }
    for (const p of ["/", "/devices", "/system", "/var/lib/docker", "/var/lib/docker/volumes/db/_data", "/var/lib/kubelet"]) {
      expect(isExcludedMountPoint(p), p).toBe(false);
    }
  });
});

describe("diskUsage", () => {
  it("matches df on this sandbox's / (ext4 with a large root reserve)", () => {
    // statfs of / recorded here: df -B1 showed Used 23339929600, Avail 85604364288, Use% 22%
    const u = diskUsage({ bsize: 4096, blocks: 66053021, bfree: 60354796, bavail: 20899503, files: 16777216, ffree: 16369825 });
    expect(u.sizeBytes).toBe(270553174016);
    expect(u.usedBytes).toBe(23339929600);
    expect(u.freeBytes).toBe(85604364288);
    expect(u.usedPercent).toBe(21.4); // 5698225 / (5698225 + 20899503) = 21.42…%; used / size would be 8.6%
    expect(u.inodes).toBe(16777216);
    expect(u.inodesFree).toBe(16369825);
    expect(u.inodesUsedPercent).toBe(2.4);
  });

  it("keeps one decimal instead of rounding up as df does", () => {
    // 9001 used, 999 available: df says 91%, the exact ratio is 90.01%
    expect(diskUsage({ bsize: 1024, blocks: 10000, bfree: 999, bavail: 999, files: 10, ffree: 10 }).usedPercent).toBe(90);
  });

  it("has no inode percentage when the filesystem reports no inodes, and 0% on an empty statfs", () => {
    const u = diskUsage({ bsize: 512, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 });
    expect(u.inodesUsedPercent).toBeNull();
    expect(u.usedPercent).toBe(0);
  });
});

describe("statFilesystems", () => {
  const fake = (mountPoint: string) => parseMountinfo(`40 1 0:99 / ${mountPoint} rw - nfs4 srv:/x rw`);

  it("skips a mount whose statfs hangs, and does not call it again while it still hangs", async () => {
    let calls = 0;
    const hang = (): Promise<StatfsLike> => {
      calls++;
      return new Promise(() => {});
    };
    const mounts = fake("/mnt/hung-test");
    const t0 = Date.now();
    const r1 = await statFilesystems(mounts, { hostRoot: "/nonexistent-root", timeoutMs: 50, statfs: hang });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r1.filesystems).toEqual([]);
    expect(r1.skipped).toEqual([{ mountPoint: "/mnt/hung-test", reason: "statfs did not answer within 50 ms" }]);
    const r2 = await statFilesystems(mounts, { hostRoot: "/nonexistent-root", timeoutMs: 50, statfs: hang });
    expect(r2.skipped[0]?.reason).toMatch(/still hangs/);
    expect(calls).toBe(1);
  });

  it("turns errors into skips", async () => {
    const r = await statFilesystems([...fake("/a"), ...fake("/b")], { hostRoot: "/definitely/not/here" });
    expect(r.filesystems).toEqual([]);
    expect(r.skipped.map((s) => s.reason)).toEqual(["mount point not found under the host root", "mount point not found under the host root"]);
  });

  it("asks a local filesystem's statfs on this thread, and any other (NFS, FUSE, unknown) in the thread pool", async () => {
    const asked: string[] = [];
    const st: StatfsLike = { bsize: 4096, blocks: 100, bfree: 50, bavail: 40, files: 10, ffree: 5 };
    const opts = {
      hostRoot: "",
      statfs: async (p: string) => {
        asked.push(`pool ${p}`);
        return st;
      },
      statfsSync: (p: string) => {
        asked.push(`here ${p}`);
        return st;
      },
    };
    const mounts = parseMountinfo(
      [
        "27 1 254:0 / / rw - ext4 /dev/vda rw",
        "28 1 254:1 / /data rw - xfs /dev/vdb rw",
        "40 1 0:99 / /nfs rw - nfs4 srv:/x rw",
        "41 1 0:98 / /fuse rw - fuse.sshfs me@h: rw",
        "42 1 0:97 / /odd rw - somefs x rw",
      ].join("\n"),
    );
    const r = await statFilesystems(mounts, opts);
    expect(r.skipped).toEqual([]);
    expect(asked).toEqual(["here /", "here /data", "pool /nfs", "pool /fuse", "pool /odd"]);
    expect(r.filesystems.map((f) => [f.mountPoint, f.sizeBytes])).toEqual(["/", "/data", "/nfs", "/fuse", "/odd"].map((p) => [p, 100 * 4096]));
    // A local one that cannot be stat'ed is a skip with its reason, as from the pool.
    const gone = await statFilesystems(parseMountinfo("27 1 254:0 / /gone rw - ext4 /dev/vda rw"), { hostRoot: "/definitely/not/here" });
    expect(gone.skipped).toEqual([{ mountPoint: "/gone", reason: "mount point not found under the host root" }]);
  });

  it("statfs's the real / under the host root", async () => {
    const root = parseMountinfo("27 1 254:0 / / rw - ext4 /dev/vda rw");
    const r = await statFilesystems(root, { hostRoot: "" });
    expect(r.skipped).toEqual([]);
    expect(r.filesystems[0]).toMatchObject({ mountPoint: "/", device: "/dev/vda", fstype: "ext4", deviceId: "254:0" });
    expect(r.filesystems[0]?.sizeBytes).toBeGreaterThan(0);
  });
});
