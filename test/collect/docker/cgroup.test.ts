/**
 * The cgroup reader: its parsers and path resolution against recorded files
 * (test/fixtures/cgroup/, see its README), the reader against those trees as a
 * host_root, and the collector choosing the source per container.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SLOW_FIGURES_EVERY_MS } from "../../../src/collect/collector.js";
import type { ContainerInspect, ContainerStats, ContainerSummary } from "../../../src/collect/docker/api-types.js";
import {
  type CgroupDirs,
  cgroupMounts,
  countCpuList,
  keyedValue,
  keyedValueInBuffer,
  memTotalBytes,
  parseBlkioServiceBytes,
  parseIoStat,
  parseMemoryLimit,
  parseNetDev,
  parseProcCgroup,
  resolveCgroupDirs,
} from "../../../src/collect/docker/cgroup.js";
import { CgroupReader, HOST_FACTS_EVERY_MS, type KernelFigures, MEMORY_STAT_AGAIN_BYTES } from "../../../src/collect/docker/cgroup-reader.js";
import { containerLabels, containerSamples, DockerCollector, kernelStatsView, toStatsView } from "../../../src/collect/docker/docker.js";
import type { DockerEngine } from "../../../src/collect/docker/engine.js";
import { savedStatsSource, statsSourceText } from "../../../src/collect/docker/saved.js";
import { ContainerTracker, newView } from "../../../src/collect/docker/tracker.js";
import { configSchema } from "../../../src/config/schema.js";
import { setLogSink } from "../../../src/log.js";
import type { Sample } from "../../../src/model/sample.js";

const FIXTURES = join(import.meta.dirname, "../../fixtures/cgroup");
const V1 = join(FIXTURES, "v1-cgroupfs");
const V2 = join(FIXTURES, "v2-systemd");
const read = (path: string) => readFileSync(join(FIXTURES, path), "utf8");
const recorded = JSON.parse(read("v1-cgroupfs/containers.json")) as Record<"web" | "c2", { id: string; pid: number }>;
const WEB = recorded.web;
const C2 = recorded.c2;
const V2_ID = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d";
const V2_PID = 4242;

const temps: string[] = [];
/** A copy of a fixture tree that a test may change. */
function copyOf(tree: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-cgroup-"));
  temps.push(dir);
  cpSync(tree, dir, { recursive: true });
  return dir;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

const dirs = (r: CgroupDirs | { reason: string }): CgroupDirs => {
  if ("reason" in r) throw new Error(`unresolved: ${r.reason}`);
  return r;
};

describe("/proc/<pid>/cgroup and the mounts", () => {
  it("reads every hierarchy of a v1 process (recorded), and a v1 systemd one with co-mounted cpu,cpuacct", () => {
    const lines = parseProcCgroup(read(`v1-cgroupfs/proc/${WEB.pid}/cgroup`));
    expect(lines).toHaveLength(10);
    expect(lines.find((l) => l.controllers.includes("memory"))).toEqual({ hierarchy: 4, controllers: ["memory"], path: `/docker/${WEB.id}` });
    expect(lines.find((l) => l.hierarchy === 0)).toEqual({ hierarchy: 0, controllers: [], path: `/docker/${WEB.id}` });
    const systemd = parseProcCgroup(read("v1-systemd/proc-pid-cgroup"));
    expect(systemd.find((l) => l.hierarchy === 2)).toEqual({ hierarchy: 2, controllers: ["cpuacct", "cpu"], path: `/system.slice/docker-${V2_ID}.scope` });
  });

  it("finds the v1 hierarchies of this machine and ignores the hybrid's empty cgroup2 mount", () => {
    const mounts = cgroupMounts(read("v1-cgroupfs/proc/1/mountinfo"));
    expect(mounts.filter((m) => m.version === 1).map((m) => m.mountPoint)).toContain("/sys/fs/cgroup/memory");
    expect(mounts.find((m) => m.version === 2)?.mountPoint).toBe("/sys/fs/cgroup/unified");
    const d = dirs(resolveCgroupDirs(parseProcCgroup(read(`v1-cgroupfs/proc/${WEB.pid}/cgroup`)), mounts, WEB.id));
    expect(d).toEqual({
      version: 1,
      cpu: `/sys/fs/cgroup/cpuacct/docker/${WEB.id}`,
      memory: `/sys/fs/cgroup/memory/docker/${WEB.id}`,
      pids: `/sys/fs/cgroup/pids/docker/${WEB.id}`,
      io: `/sys/fs/cgroup/blkio/docker/${WEB.id}`,
    });
  });

  it("resolves the systemd driver's scope, v1 (co-mounted cpu,cpuacct; no pids hierarchy) and v2", () => {
    const v1 = cgroupMounts(
      [
        "25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
        "27 25 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:11 - cgroup cgroup rw,cpuacct,cpu",
        "28 25 0:25 / /sys/fs/cgroup/memory rw,nosuid shared:12 - cgroup cgroup rw,memory",
        "29 25 0:26 / /sys/fs/cgroup/blkio rw,nosuid shared:13 - cgroup cgroup rw,blkio",
      ].join("\n"),
    );
    const scope = `/system.slice/docker-${V2_ID}.scope`;
    expect(dirs(resolveCgroupDirs(parseProcCgroup(read("v1-systemd/proc-pid-cgroup")), v1, V2_ID))).toEqual({
      version: 1,
      cpu: `/sys/fs/cgroup/cpu,cpuacct${scope}`,
      memory: `/sys/fs/cgroup/memory${scope}`,
      pids: null,
      io: `/sys/fs/cgroup/blkio${scope}`,
    });
    const v2 = cgroupMounts(read("v2-systemd/proc/1/mountinfo"));
    const d = `/sys/fs/cgroup${scope}`;
    expect(dirs(resolveCgroupDirs(parseProcCgroup(read(`v2-systemd/proc/${V2_PID}/cgroup`)), v2, V2_ID))).toEqual({ version: 2, cpu: d, memory: d, pids: d, io: d });
  });

  it("finds the container's own cgroup from a process in a sub-cgroup of it, and Docker in Docker", () => {
    const v2 = cgroupMounts(read("v2-systemd/proc/1/mountinfo"));
    const inner = parseProcCgroup(`0::/system.slice/docker-${V2_ID}.scope/init.scope\n`);
    expect(dirs(resolveCgroupDirs(inner, v2, V2_ID)).memory).toBe(`/sys/fs/cgroup/system.slice/docker-${V2_ID}.scope`);
    const outer = "a9a5ad238e59234193ee7ec3fcff5e735b3708ea1068826952255b69e3cfa413";
    const nested = parseProcCgroup(`0::/docker/${outer}/docker/${V2_ID}\n`);
    expect(dirs(resolveCgroupDirs(nested, v2, V2_ID)).cpu).toBe(`/sys/fs/cgroup/docker/${outer}/docker/${V2_ID}`);
  });

  it("follows a cgroup namespace: paths and mount roots relative to it, `/..` outside it", () => {
    const lines = parseProcCgroup(`0::/../../system.slice/docker-${V2_ID}.scope\n`);
    // The host's hierarchy mounted under host_root, seen from Lookout's own cgroup namespace.
    const whole = cgroupMounts("41 30 0:29 /../.. /sys/fs/cgroup ro,relatime - cgroup2 cgroup2 rw\n");
    expect(dirs(resolveCgroupDirs(lines, whole, V2_ID)).cpu).toBe(`/sys/fs/cgroup/system.slice/docker-${V2_ID}.scope`);
    // A mount whose root is /system.slice: the path is taken relative to it.
    const part = cgroupMounts("41 30 0:29 /system.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    expect(dirs(resolveCgroupDirs(parseProcCgroup(`0::/system.slice/docker-${V2_ID}.scope\n`), part, V2_ID)).cpu).toBe(`/sys/fs/cgroup/docker-${V2_ID}.scope`);
    const elsewhere = resolveCgroupDirs(parseProcCgroup(`0::/docker/${V2_ID}\n`), part, V2_ID);
    expect(elsewhere).toMatchObject({ reason: expect.stringContaining("outside") });
  });

  it("refuses a process that is not in the container's cgroup (rootless Docker's pid, a reused pid), and a host without cgroups", () => {
    const v2 = cgroupMounts(read("v2-systemd/proc/1/mountinfo"));
    expect(resolveCgroupDirs(parseProcCgroup("0::/user.slice/user-1000.slice/session-3.scope\n"), v2, V2_ID)).toMatchObject({ reason: expect.stringContaining("rootless") });
    expect(resolveCgroupDirs(parseProcCgroup(read(`v1-cgroupfs/proc/${WEB.pid}/cgroup`)), [], WEB.id)).toMatchObject({ reason: expect.stringContaining("no cgroup") });
  });
});

describe("the figures' files", () => {
  it("reads limits: a number, v2's `max`, v1's huge value", () => {
    expect(parseMemoryLimit(read(`v1-cgroupfs/sys/fs/cgroup/memory/docker/${WEB.id}/memory.limit_in_bytes`))).toBe(64 * 1024 * 1024);
    expect(parseMemoryLimit(read(`v1-cgroupfs/sys/fs/cgroup/memory/docker/${C2.id}/memory.limit_in_bytes`))).toBeNull();
    expect(parseMemoryLimit(read(`v2-systemd/sys/fs/cgroup/system.slice/docker-${V2_ID}.scope/memory.max`))).toBeNull();
  });

  it("takes keys out of memory.stat and cpu.stat, not their prefixes' look-alikes", () => {
    const stat = read(`v2-systemd/sys/fs/cgroup/system.slice/docker-${V2_ID}.scope/memory.stat`);
    expect(keyedValue(stat, "inactive_file")).toBe(1626112);
    expect(keyedValue(stat, "anon")).toBe(15941632); // the first line, not anon_thp or inactive_anon
    expect(keyedValue(stat, "file")).toBe(3481600);
    expect(keyedValue(stat, "total_inactive_file")).toBeUndefined();
    expect(keyedValue(read(`v1-cgroupfs/sys/fs/cgroup/memory/docker/${WEB.id}/memory.stat`), "total_inactive_file")).toBe(0);
    expect(keyedValue(read(`v2-systemd/sys/fs/cgroup/system.slice/docker-${V2_ID}.scope/cpu.stat`), "usage_usec")).toBe(5616647428);
  });

  it("finds a key of memory.stat in the buffer it was read into as in its text, whatever the buffer holds past it", () => {
    // The reader reads every file into one buffer: past `length` are an earlier, longer file's bytes.
    const inBuffer = (text: string): [Buffer, number] => {
      const b = Buffer.alloc(text.length + 200, "\nusage_usec 9\ninactive_file 7\ntotal_inactive_file 5\nanon 3\n");
      b.write(text, 0, "latin1");
      return [b, text.length];
    };
    const v2Stat = read(`v2-systemd/sys/fs/cgroup/system.slice/docker-${V2_ID}.scope/memory.stat`);
    const v1Stat = read(`v1-cgroupfs/sys/fs/cgroup/memory/docker/${WEB.id}/memory.stat`);
    const cpuStat = read(`v2-systemd/sys/fs/cgroup/system.slice/docker-${V2_ID}.scope/cpu.stat`);
    const cases: Array<[string, string]> = [
      [v2Stat, "inactive_file"],
      [v2Stat, "anon"],
      [v2Stat, "file"],
      [v2Stat, "total_inactive_file"],
      [v1Stat, "total_inactive_file"],
      [v1Stat, "inactive_file"],
      [cpuStat, "usage_usec"],
      ["usage_usec 12 \n", "usage_usec"],
      ["usage_usec \n", "usage_usec"],
      ["usage_usec x\n", "usage_usec"],
      ["usage_usec 12", "usage_usec"],
      ["usage_usec", "usage_usec"],
      ["total_inactive_file 3\n", "inactive_file"],
      ["", "anon"],
    ];
    for (const [text, key] of cases) expect(keyedValueInBuffer(...inBuffer(text), key), `${key} in ${JSON.stringify(text.slice(0, 30))}`).toBe(keyedValue(text, key));
    expect(keyedValueInBuffer(...inBuffer(v2Stat), "inactive_file")).toBe(1626112);
    expect(keyedValueInBuffer(...inBuffer("total_inactive_file 3\n"), "inactive_file")).toBeUndefined(); // the stale bytes' line does not count
  });

  it("sums block I/O over devices: v1 Read/Write lines (not Total), v2 rbytes/wbytes", () => {
    expect(parseBlkioServiceBytes(read("v1-blkio-devices"))).toEqual({ readBytes: 585728 + 75057152 + 4410880, writeBytes: 1964221952 + 273678336 });
    expect(parseBlkioServiceBytes(read(`v1-cgroupfs/sys/fs/cgroup/blkio/docker/${WEB.id}/blkio.throttle.io_service_bytes`))).toEqual({ readBytes: 0, writeBytes: 0 });
    expect(parseBlkioServiceBytes("8:0 Read 10\n8:0 Write 20\n8:0 Sync 5\n8:0 Total 35\n8:16 Read  7 \n8:16 Write x\nTotal 35")).toEqual({ readBytes: 17, writeBytes: 20 });
    expect(parseBlkioServiceBytes("Total 0\n")).toEqual({ readBytes: 0, writeBytes: 0 });
    expect(parseBlkioServiceBytes("")).toEqual({ readBytes: 0, writeBytes: 0 });
    expect(parseIoStat(read(`v2-systemd/sys/fs/cgroup/system.slice/docker-${V2_ID}.scope/io.stat`))).toEqual({
      readBytes: 6901432320 + 2702336 + 6911345664,
      writeBytes: 14245535744 + 0 + 14245536256,
    });
  });

  it("sums the network of every interface but lo", () => {
    expect(parseNetDev(read(`v2-systemd/proc/${V2_PID}/net/dev`))).toEqual({ rxBytes: 894833953, txBytes: 3004500 });
    expect(parseNetDev(read(`v1-cgroupfs/proc/${WEB.pid}/net/dev`))).toEqual({ rxBytes: 0, txBytes: 0 });
  });

  it("counts CPUs and reads MemTotal", () => {
    expect(countCpuList("0-1\n")).toBe(2);
    expect(countCpuList("0,2-3,7\n")).toBe(4);
    expect(countCpuList("")).toBeNull();
    expect(memTotalBytes(read("v1-cgroupfs/proc/meminfo"))).toBe(24683584 * 1024);
    expect(memTotalBytes("MemFree: 1 kB\n")).toBeNull();
  });
});

describe("containerLabels", () => {
  it("gives a view's samples one labels object cycle after cycle, and a new one for a changed view", () => {
    const view = newView("a".repeat(64), { name: "api", image: "api:1", labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "api" } });
    const labels = containerLabels(view);
    expect(labels).toEqual({ container: "api", image: "api:1", compose_project: "shop", compose_service: "api" });
    expect(containerLabels(view)).toBe(labels);
    const redeployed = { ...view, image: "api:2" };
    expect(containerLabels(redeployed)).toEqual({ container: "api", image: "api:2", compose_project: "shop", compose_service: "api" });
    const healthier = { ...view, health: "healthy" as const };
    expect(containerLabels(healthier)).toEqual(labels);
  });
});

describe("CgroupReader", () => {
  it("reads the recorded v1 containers, and agrees with the Engine API's answer recorded with them", async () => {
    const reader = new CgroupReader({ hostRoot: V1 });
    const got = await reader.readMany([
      { id: WEB.id, pid: WEB.pid, hostNetwork: false },
      { id: C2.id, pid: C2.pid, hostNetwork: false },
    ]);
    const web = got.get(WEB.id) as { figures: KernelFigures };
    expect(web.figures).toMatchObject({
      version: 1,
      cpuNs: 5029020510,
      memoryUsage: 21684224,
      inactiveFile: 0,
      memoryLimit: 64 * 1024 * 1024,
      pids: 1,
      network: { rxBytes: 0, txBytes: 0 },
      blockIo: { readBytes: 0, writeBytes: 0 },
    });
    expect(web.figures.atNs).toBeGreaterThan(0);
    const host = await reader.hostFacts();
    expect(host).toEqual({ onlineCpus: 2, memTotalBytes: 24683584 * 1024 });
    for (const name of ["web", "c2"] as const) {
      const files = kernelStatsView((got.get(recorded[name].id) as { figures: KernelFigures }).figures, host);
      const api = toStatsView(JSON.parse(read(`v1-cgroupfs/api-stats-${name}.json`)) as ContainerStats)!;
      expect({ usage: files.memoryUsage, cache: files.memoryCache, limit: files.memoryLimit, pids: files.pids }).toEqual({
        usage: api.memoryUsage,
        cache: api.memoryCache,
        limit: api.memoryLimit, // c2 has no limit: the host's memory, as dockerd says
        pids: api.pids,
      });
      expect(files.onlineCpus).toBe(api.onlineCpus);
    }
  });

  it("reads a file whole whatever its size: one that fills the buffer many times over, one just short of it", async () => {
    for (const size of [40_000, 14_000, 200]) {
      const root = copyOf(V1);
      const file = join(root, `sys/fs/cgroup/memory/docker/${WEB.id}/memory.stat`);
      const filler = "x".repeat(60);
      let text = "";
      while (text.length < size) text += `${filler} 1\n`;
      writeFileSync(file, `${text}total_inactive_file 12345\n`);
      const reader = new CgroupReader({ hostRoot: root });
      const got = (await reader.readMany([{ id: WEB.id, pid: WEB.pid, hostNetwork: false }])).get(WEB.id) as { figures: KernelFigures };
      expect(got.figures.inactiveFile, `${size} bytes`).toBe(12345);
      // and again through the file kept open
      const again = (await reader.readMany([{ id: WEB.id, pid: WEB.pid, hostNetwork: false }])).get(WEB.id) as { figures: KernelFigures };
      expect(again.figures.inactiveFile, `${size} bytes, kept open`).toBe(12345);
      reader.close();
    }
  });

  it("reads the host's CPUs and memory once per HOST_FACTS_EVERY_MS, not every sweep", async () => {
    const root = copyOf(V1);
    let now = 1_000_000;
    const reader = new CgroupReader({ hostRoot: root, clock: () => now });
    expect(HOST_FACTS_EVERY_MS).toBe(60_000);
    expect(await reader.hostFacts()).toEqual({ onlineCpus: 2, memTotalBytes: 24683584 * 1024 });
    writeFileSync(join(root, "sys/devices/system/cpu/online"), "0-3\n"); // two CPUs hot-plugged
    now += 59_999;
    expect((await reader.hostFacts()).onlineCpus).toBe(2);
    now += 1;
    expect((await reader.hostFacts()).onlineCpus).toBe(4);
  });

  it("reads the v2 systemd-driver container: usage_usec, memory.current less inactive_file, memory.max `max`", async () => {
    const reader = new CgroupReader({ hostRoot: V2 });
    const got = (await reader.readMany([{ id: V2_ID, pid: V2_PID, hostNetwork: false }])).get(V2_ID) as { figures: KernelFigures };
    expect(got.figures).toMatchObject({
      version: 2,
      cpuNs: 5616647428 * 1000,
      memoryUsage: 6193152,
      inactiveFile: 1626112,
      memoryLimit: null,
      pids: 12,
      network: { rxBytes: 894833953, txBytes: 3004500 },
    });
    const view = kernelStatsView(got.figures, await reader.hostFacts());
    expect(view).toMatchObject({ memoryLimit: 24683584 * 1024, onlineCpus: 4, clock: "wall" });
    // A container on the host's network has no network figures (docker stats shows none either).
    const host = (await new CgroupReader({ hostRoot: V2 }).readMany([{ id: V2_ID, pid: V2_PID, hostNetwork: true }])).get(V2_ID) as { figures: KernelFigures };
    expect(host.figures.network).toBeNull();
  });

  it("says why when the files cannot be read: cgroup root hidden, pid not visible, no pid", async () => {
    const root = copyOf(V1);
    rmSync(join(root, "sys/fs/cgroup"), { recursive: true });
    const reader = new CgroupReader({ hostRoot: root });
    const got = await reader.readMany([
      { id: WEB.id, pid: WEB.pid, hostNetwork: false },
      { id: C2.id, pid: 999_999, hostNetwork: false },
      { id: "f".repeat(64), pid: 0, hostNetwork: false },
    ]);
    expect(got.get(WEB.id)).toEqual({ reason: `/sys/fs/cgroup/cpuacct is not readable under host_root ${root} (ENOENT on cpuacct.usage)` });
    expect(got.get(C2.id)).toEqual({ reason: `the containers' processes are not visible in ${root}/proc (ENOENT)` });
    expect(got.get("f".repeat(64))).toEqual({ reason: "Docker gave no process id for it" });
  });

  it("resolves a container's cgroup once per pid, keeps state only for the containers it was last asked about", async () => {
    const root = copyOf(V1);
    let now = 1_000_000;
    const reader = new CgroupReader({ hostRoot: root, clock: () => now });
    const web = { id: WEB.id, pid: WEB.pid, hostNetwork: false };
    const c2 = { id: C2.id, pid: C2.pid, hostNetwork: false };
    await reader.readMany([web, c2]);
    expect(reader.size).toBe(2);
    // Its /proc/<pid>/cgroup is not read again while the pid stays the same.
    rmSync(join(root, `proc/${WEB.pid}/cgroup`));
    expect(await reader.readMany([web, c2])).toSatisfy((m: Map<string, unknown>) => [...m.values()].every((r) => "figures" in (r as object)));
    // A new pid (a restart): found again, from the new process.
    const restarted = (await reader.readMany([{ ...web, pid: C2.pid }])).get(WEB.id);
    expect(restarted).toMatchObject({ reason: expect.stringContaining("not in its cgroup") });
    expect(reader.size).toBe(1); // c2 is gone from the list: forgotten
    // A failure is tried again only after a minute.
    cpSync(join(V1, `proc/${WEB.pid}`), join(root, `proc/${WEB.pid}`), { recursive: true });
    expect(await reader.readMany([{ ...web, pid: C2.pid }])).toSatisfy((m: Map<string, unknown>) => "reason" in (m.get(WEB.id) as object));
    now += 60_000;
    expect((await reader.readMany([web])).get(WEB.id)).toHaveProperty("figures");
    // Its cgroup removed (the container stopped): said, forgotten, found again next time. (The kernel answers ENODEV to a
    // file kept open in a removed cgroup, and the reader opens it anew; a file removed here stays readable through an
    // open descriptor, so the kept ones are closed first, as that failed read would.)
    reader.close();
    rmSync(join(root, `sys/fs/cgroup/memory/docker/${WEB.id}`), { recursive: true });
    expect((await reader.readMany([web])).get(WEB.id)).toEqual({ reason: "its cgroup files could not be read (ENOENT)" });
    expect(reader.size).toBe(0);
    await reader.readMany([]);
    expect(reader.size).toBe(0);
  });

  it("keeps each container's files open between sweeps, reads them anew from their start, and closes them with the container", async () => {
    const root = copyOf(V1);
    const reader = new CgroupReader({ hostRoot: root });
    const web = { id: WEB.id, pid: WEB.pid, hostNetwork: false };
    const c2 = { id: C2.id, pid: C2.pid, hostNetwork: false };
    const first = (await reader.readMany([web, c2])).get(WEB.id) as { figures: KernelFigures };
    const kept = reader.keptFiles;
    expect(kept).toBeGreaterThanOrEqual(10); // 2 containers × (cpu, memory usage, stat, limit, pids, io, net)
    // The kernel makes a file anew on each read: a longer or shorter text is read whole, from its start.
    const usage = join(root, `sys/fs/cgroup/memory/docker/${WEB.id}/memory.usage_in_bytes`);
    writeFileSync(usage, "123456789012\n");
    const second = (await reader.readMany([web, c2])).get(WEB.id) as { figures: KernelFigures };
    expect(second.figures.memoryUsage).toBe(123456789012);
    writeFileSync(usage, "7\n");
    expect(((await reader.readMany([web, c2])).get(WEB.id) as { figures: KernelFigures }).figures.memoryUsage).toBe(7);
    expect(first.figures.memoryUsage).not.toBe(7);
    expect(reader.keptFiles).toBe(kept); // no file opened twice
    // c2 leaves the list: its files are closed; a restart (new pid) closes the old ones.
    await reader.readMany([web]);
    expect(reader.keptFiles).toBe(kept / 2);
    await reader.readMany([{ ...web, pid: C2.pid }]);
    expect(reader.keptFiles).toBe(0);
    await reader.readMany([web, c2]);
    expect(reader.keptFiles).toBe(kept);
    reader.close();
    expect(reader.keptFiles).toBe(0);
    // Opened again: the files read every sweep at once (CPU, memory usage), memory.stat (usage unchanged) and the four
    // others when next due.
    expect((await reader.readMany([web, c2])).get(WEB.id)).toHaveProperty("figures");
    expect(reader.keptFiles).toBe(2 * 2);
    reader.close();
  });

  it("reads the figures no rule reads (limit, processes, block I/O, network) every SLOW_FIGURES_EVERY_MS, CPU and memory every sweep", async () => {
    expect(SLOW_FIGURES_EVERY_MS).toBe(10_000);
    const root = copyOf(V1);
    let now = 1_000_000;
    const reader = new CgroupReader({ hostRoot: root, clock: () => now });
    const web = { id: WEB.id, pid: WEB.pid, hostNetwork: false };
    const read = async () => ((await reader.readMany([web])).get(WEB.id) as { figures: KernelFigures }).figures;
    const first = await read();
    const dir = join(root, "sys/fs/cgroup");
    writeFileSync(join(dir, `memory/docker/${WEB.id}/memory.usage_in_bytes`), "5000\n");
    writeFileSync(join(dir, `cpuacct/docker/${WEB.id}/cpuacct.usage`), "777000000000\n");
    writeFileSync(join(dir, `pids/docker/${WEB.id}/pids.current`), "99\n");
    writeFileSync(join(dir, `memory/docker/${WEB.id}/memory.limit_in_bytes`), "1048576\n");
    now += SLOW_FIGURES_EVERY_MS - 1;
    const between = await read();
    expect(between).toMatchObject({ memoryUsage: 5000, cpuNs: 777000000000 });
    expect(between).toMatchObject({ pids: first.pids, memoryLimit: first.memoryLimit, network: first.network, blockIo: first.blockIo });
    expect(between.network).toBe(first.network); // the same reading, not a copy of it
    now += 1;
    expect(await read()).toMatchObject({ memoryUsage: 5000, pids: 99, memoryLimit: 1048576 });
    // The clock stepped back: read again rather than trust a reading from the future.
    writeFileSync(join(dir, `pids/docker/${WEB.id}/pids.current`), "3\n");
    now -= 60_000;
    expect((await read()).pids).toBe(3);
    reader.close();
  });

  it("reads memory.stat again when the usage moved by more than MEMORY_STAT_AGAIN_BYTES or fell below the cache, else every SLOW_FIGURES_EVERY_MS", async () => {
    expect(MEMORY_STAT_AGAIN_BYTES).toBe(1024 * 1024);
    const MiB = 1024 * 1024;
    const root = copyOf(V1);
    let now = 1_000_000;
    const reader = new CgroupReader({ hostRoot: root, clock: () => now });
    const web = { id: WEB.id, pid: WEB.pid, hostNetwork: false };
    const read = async () => ((await reader.readMany([web])).get(WEB.id) as { figures: KernelFigures }).figures;
    const dir = join(root, `sys/fs/cgroup/memory/docker/${WEB.id}`);
    const statText = readFileSync(join(dir, "memory.stat"), "utf8");
    const write = (usage: number, inactive: number) => {
      writeFileSync(join(dir, "memory.usage_in_bytes"), `${usage}\n`);
      writeFileSync(join(dir, "memory.stat"), statText.replace(/^total_inactive_file \d+$/m, `total_inactive_file ${inactive}`));
    };
    const memory = async () => {
      const f = await read();
      return [f.memoryUsage / MiB, f.inactiveFile / MiB];
    };
    write(20 * MiB, 4 * MiB);
    expect(await memory()).toEqual([20, 4]);
    // The usage moved by half a MiB: the cache of the last reading, the usage read anew.
    write(20.5 * MiB, 6 * MiB);
    now += 2000;
    expect(await memory()).toEqual([20.5, 4]);
    // By more than 1 MiB since memory.stat was read (at 20 MiB): read again.
    write(21.5 * MiB, 6 * MiB);
    now += 2000;
    expect(await memory()).toEqual([21.5, 6]);
    // Steady usage: read again SLOW_FIGURES_EVERY_MS after it was last read, not before.
    write(21.5 * MiB, 7 * MiB);
    now += SLOW_FIGURES_EVERY_MS - 1;
    expect(await memory()).toEqual([21.5, 6]);
    now += 1;
    expect(await memory()).toEqual([21.5, 7]);
    // A usage below the cache last read, though it moved less than 1 MiB: read again.
    write(7.5 * MiB, 7 * MiB);
    now += 2000;
    expect(await memory()).toEqual([7.5, 7]);
    write(6.9 * MiB, 6.5 * MiB);
    now += 2000;
    expect(await memory()).toEqual([6.9, 6.5]);
    // The clock stepped back: read again rather than trust a reading from the future.
    write(6.9 * MiB, 2 * MiB);
    now -= 60_000;
    expect(await memory()).toEqual([6.9, 2]);
    reader.close();
  });

  it("keeps no more than the containers asked about through churn", async () => {
    const reader = new CgroupReader({ hostRoot: V1 });
    for (let i = 0; i < 200; i++) {
      await reader.readMany([
        { id: WEB.id, pid: WEB.pid, hostNetwork: false },
        { id: `${i}`.padStart(64, "a"), pid: 100_000 + i, hostNetwork: false },
      ]);
      expect(reader.size).toBe(2);
    }
  });
});

describe("a container's samples of its slow figures", () => {
  it("are the same objects while the figures are the same reading, and new ones with a new reading or new labels", () => {
    const t = new ContainerTracker();
    t.applyView(newView("a", { name: "api", image: "api:1", status: "running" }), 0);
    const network = { rxBytes: 10, txBytes: 20 };
    const blockIo = { readBytes: 30, writeBytes: 40 };
    const base = { onlineCpus: 2, memoryUsage: 1, memoryCache: 0, memoryLimit: 10, clock: "wall" as const, pids: 3, network, blockIo };
    const slowOf = (samples: Sample[]) => samples.filter((s) => ["container_pids", "container_network_receive", "container_block_write"].includes(s.name));
    t.applyStats("a", { ...base, cpuTotal: 1e9, systemTotal: 100e9 });
    const first = slowOf(containerSamples(t.get("a")!, 0, t, 600_000, null));
    expect(first.map((s) => s.value)).toEqual([3, 10, 40]);
    // The next sweep: CPU and memory read anew, the slow figures reused (the same objects, as the reader gives them).
    t.applyStats("a", { ...base, cpuTotal: 2e9, systemTotal: 102e9, memoryUsage: 2 });
    const second = containerSamples(t.get("a")!, 2000, t, 600_000, null);
    expect(slowOf(second)).toEqual(first);
    for (const [i, s] of slowOf(second).entries()) expect(s).toBe(first[i]);
    expect(second.find((s) => s.name === "container_memory_usage")?.value).toBe(2);
    // A new reading: new samples of its values.
    t.applyStats("a", { ...base, cpuTotal: 3e9, systemTotal: 104e9, pids: 4, network: { rxBytes: 11, txBytes: 21 } });
    const third = slowOf(containerSamples(t.get("a")!, 4000, t, 600_000, null));
    expect(third.map((s) => s.value)).toEqual([4, 11, 40]);
    // Renamed (a new view, new labels): new samples with its name.
    t.applyView(newView("a", { name: "api-2", image: "api:1", status: "running" }), 5000);
    const renamed = slowOf(containerSamples(t.get("a")!, 6000, t, 600_000, null));
    expect(renamed.map((s) => s.labels.container)).toEqual(["api-2", "api-2", "api-2"]);
  });
});

describe("a container's samples of its failure conditions", () => {
  it("are the same 0 samples while nothing is wrong, a 1 with details when something is, and follow its Docker labels", () => {
    const t = new ContainerTracker();
    const T = 1_800_000_000_000;
    t.applyView(newView("a", { name: "api", image: "api:1", status: "running", restartPolicy: "always", startedAt: T - 60_000 }), T);
    const conditions = ["container_crashed", "container_oom_killed", "container_unhealthy", "container_not_running"];
    const of = (samples: Sample[]) => samples.filter((s) => conditions.includes(s.name));
    const first = of(containerSamples(t.get("a")!, T, t, 600_000, "/var/lib/docker"));
    expect(first.map((s) => [s.name, s.value, s.details])).toEqual(conditions.map((n) => [n, 0, undefined]));
    const again = of(containerSamples(t.get("a")!, T + 2000, t, 600_000, "/var/lib/docker"));
    for (const [i, s] of again.entries()) expect(s).toBe(first[i]);
    // It crashes (found by inspection: a new view): a crash sample of its own, with what happened; the others stay 0.
    t.applyView(newView("a", { name: "api", image: "api:1", status: "exited", exitCode: 3, restartPolicy: "always", startedAt: T - 60_000, finishedAt: T + 3000 }), T + 3000);
    const crashed = of(containerSamples(t.get("a")!, T + 4000, t, 600_000, "/var/lib/docker"));
    expect(crashed[0]).toMatchObject({ name: "container_crashed", value: 1, details: { exitCode: 3, writesTo: ["/var/lib/docker"] } });
    expect(crashed.slice(1).map((s) => s.value)).toEqual([0, 0, 0]);
    // New Docker labels (a new view): new 0 samples that carry them.
    t.applyView(newView("a", { name: "api", image: "api:1", status: "running", labels: { "lookout.cpu.warning": "50" }, startedAt: T + 5000 }), T + 5000);
    const relabelled = of(containerSamples(t.get("a")!, T + 6000, t, 600_000, null));
    expect(relabelled[1]).not.toBe(first[1]);
    expect(relabelled[1]!.meta).toEqual({ "lookout.cpu.warning": "50" });
  });
});

describe("CPU from two readings", () => {
  it("from cgroup files: Δcpu / Δwall, 100 = one core, as the API's Δcpu / Δsystem × CPUs", () => {
    const t = new ContainerTracker();
    t.applyView(newView("a"), 0);
    const base = { onlineCpus: 2, memoryUsage: 1, memoryCache: 0, memoryLimit: 10, clock: "wall" as const };
    t.applyStats("a", { ...base, cpuTotal: 1e9, systemTotal: 100e9 });
    t.applyStats("a", { ...base, cpuTotal: 1.5e9, systemTotal: 102e9 });
    expect(t.get("a")!.cpuPercentOfCore).toBeCloseTo(25, 6);
    // The API's clock is all cores' time: 2 s of wall time on 2 cores is 4e9.
    const api = { onlineCpus: 2, memoryUsage: 1, memoryCache: 0, memoryLimit: 10 };
    t.applyView(newView("b"), 0);
    t.applyStats("b", { ...api, cpuTotal: 1e9, systemTotal: 100e9 });
    t.applyStats("b", { ...api, cpuTotal: 1.5e9, systemTotal: 104e9 });
    expect(t.get("b")!.cpuPercentOfCore).toBeCloseTo(25, 6);
  });

  it("does not compare a cgroup reading with an API reading", () => {
    const t = new ContainerTracker();
    t.applyView(newView("a"), 0);
    const base = { onlineCpus: 2, memoryUsage: 1, memoryCache: 0, memoryLimit: 10 };
    t.applyStats("a", { ...base, cpuTotal: 1e9, systemTotal: 1e9 });
    t.applyStats("a", { ...base, cpuTotal: 2e9, systemTotal: 1.7e18, clock: "wall" });
    expect(t.get("a")!.cpuPercentOfCore).toBeNull();
    t.applyStats("a", { ...base, cpuTotal: 3e9, systemTotal: 1.7e18 + 4e9, clock: "wall" });
    expect(t.get("a")!.cpuPercentOfCore).toBeCloseTo(25, 6);
  });
});

describe("the stats source", () => {
  it("is said in one line, and read back from a saved snapshot", () => {
    expect(statsSourceText({ cgroup: 3, cgroupVersion: 1, api: 0, apiReasons: [], at: 0 })).toBe("container stats: from cgroup files (v1)");
    const hidden = "/sys/fs/cgroup/memory is not readable under host_root /host (ENOENT on memory.stat)";
    expect(statsSourceText({ cgroup: 0, cgroupVersion: null, api: 2, apiReasons: [{ reason: hidden, containers: 2 }], at: 0 })).toBe(
      `container stats: from the Engine API: ${hidden}`,
    );
    expect(statsSourceText({ cgroup: 8, cgroupVersion: 2, api: 1, apiReasons: [{ reason: "Docker gave no process id for it", containers: 1 }], at: 0 })).toBe(
      "container stats: from cgroup files (v2) for 8 container(s), from the Engine API for 1: Docker gave no process id for it",
    );
    expect(statsSourceText(null)).toBeNull();
    expect(statsSourceText({ cgroup: 0, cgroupVersion: null, api: 0, apiReasons: [], at: 0 })).toBeNull();
    expect(savedStatsSource({ statsSource: { cgroup: 1, cgroupVersion: 1, api: 0, apiReasons: [{ reason: 3 }], at: 5 } })).toEqual({
      cgroup: 1,
      cgroupVersion: 1,
      api: 0,
      apiReasons: [],
      at: 5,
    });
    expect(savedStatsSource({ problems: [] })).toBeNull();
    expect(savedStatsSource(null)).toBeNull();
  });
});

describe("the collector chooses the source per container", () => {
  const inspectBase = JSON.parse(readFileSync(join(import.meta.dirname, "../../fixtures/docker/inspect-running-limited.json"), "utf8")) as ContainerInspect;
  const inspectOf = (id: string, name: string, pid: number): ContainerInspect => ({ ...inspectBase, Id: id, Name: `/${name}`, State: { ...inspectBase.State, Pid: pid } });
  const stranger = "b".repeat(64);
  const apiStats = JSON.parse(read("v1-cgroupfs/api-stats-web.json")) as ContainerStats;

  function fakeEngine() {
    const asked: string[][] = [];
    const list: Array<[string, string, number]> = [
      [WEB.id, "web", WEB.pid],
      [C2.id, "c2", C2.pid],
      [stranger, "stranger", 999_999],
    ];
    const engine = {
      version: async () => ({ version: "20.10.24", apiVersion: "1.41" }),
      info: async () => ({}),
      listContainers: async (): Promise<ContainerSummary[]> =>
        list.map(([id, name]) => ({ Id: id, Names: [`/${name}`], Image: "x", ImageID: "x", Created: 0, State: "running", Status: "Up 1 minute", Labels: {} })),
      inspect: async (id: string) => {
        const c = list.find(([i]) => i === id);
        return c ? inspectOf(c[0], c[1], c[2]) : null;
      },
      statsMany: async (ids: string[]) => {
        asked.push(ids);
        return new Map(ids.map((id) => [id, apiStats]));
      },
      logs: async () => [],
      close: async () => undefined,
    };
    return { engine: engine as unknown as DockerEngine, asked };
  }

  it("reads the files where it can and asks the Engine API for the rest only, and says so once", async () => {
    const lines: string[] = [];
    setLogSink((l) => lines.push(l));
    try {
      const config = configSchema.parse({ docker: { enabled: true } });
      const { engine, asked } = fakeEngine();
      const collector = new DockerCollector({ config, engine, hostRoot: V1 });
      for (let i = 0; i < 2; i++) {
        const r = await collector.collect({ config, now: Date.now() + i * 1000, reason: "interval" });
        const memory = r.samples.filter((s) => s.name === "container_memory").map((s) => s.labels.container);
        expect(memory.sort()).toEqual(["c2", "stranger", "web"]);
        expect(r.samples.find((s) => s.name === "container_memory_usage" && s.labels.container === "web")?.value).toBe(21684224);
      }
      expect(asked).toEqual([[stranger], [stranger]]);
      expect(collector.snapshot().statsSource).toMatchObject({
        cgroup: 2,
        cgroupVersion: 1,
        api: 1,
        apiReasons: [{ reason: `the containers' processes are not visible in ${V1}/proc (ENOENT)`, containers: 1 }],
      });
      expect(lines.filter((l) => l.includes("container stats from cgroup files"))).toHaveLength(1);
      expect(lines.filter((l) => l.includes("container stats from the Engine API") && l.includes("not visible"))).toHaveLength(1);
      await collector.stop();
    } finally {
      setLogSink((line) => process.stderr.write(`${line}\n`));
    }
  });

  it("does not count as read through the API a container that stopped during the sweep (neither source has figures)", async () => {
    const lines: string[] = [];
    setLogSink((l) => lines.push(l));
    try {
      const config = configSchema.parse({ docker: { enabled: true } });
      const { engine, asked } = fakeEngine();
      // The stranger's process is gone (a crash just after its start), and Docker has no figures for it either.
      (engine as unknown as { statsMany: (ids: string[]) => Promise<Map<string, ContainerStats>> }).statsMany = async (ids) => {
        asked.push(ids);
        return new Map(ids.map((id) => [id, { ...apiStats, read: "0001-01-01T00:00:00Z", cpu_stats: undefined, memory_stats: {} } as unknown as ContainerStats]));
      };
      const collector = new DockerCollector({ config, engine, hostRoot: V1 });
      await collector.collect({ config, now: Date.now(), reason: "interval" });
      expect(asked).toEqual([[stranger]]);
      expect(collector.snapshot().statsSource).toMatchObject({ cgroup: 2, api: 0, apiReasons: [] });
      expect(lines.filter((l) => l.includes("container stats from the Engine API"))).toEqual([]);
      await collector.stop();
    } finally {
      setLogSink((line) => process.stderr.write(`${line}\n`));
    }
  });

  it("asks the Engine API for every container of a remote Docker", async () => {
    const config = configSchema.parse({ docker: { enabled: true, socket: "tcp://10.0.0.5:2375" } });
    const { engine, asked } = fakeEngine();
    const collector = new DockerCollector({ config, engine, hostRoot: V1 });
    await collector.collect({ config, now: Date.now(), reason: "interval" });
    expect(asked[0]?.sort()).toEqual([WEB.id, C2.id, stranger].sort());
    expect(statsSourceText(collector.statsSource)).toBe(
      "container stats: from the Engine API: Docker is remote (tcp://10.0.0.5:2375): its containers' cgroup files are on that machine",
    );
    expect(collector.cgroups).toBeNull();
    await collector.stop();
  });
});
