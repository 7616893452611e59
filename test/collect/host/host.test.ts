import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { CollectContext } from "../../../src/collect/collector.js";
import { isExcludedMountPoint } from "../../../src/collect/host/filesystems.js";
import { HostCollector, type HostSnapshot, rebootSample, SLOW_FIGURES_EVERY_MS } from "../../../src/collect/host/host.js";
import { parseProcStat } from "../../../src/collect/host/procfs.js";
import { configSchema } from "../../../src/config/schema.js";
import { setLogSink } from "../../../src/log.js";
import type { MetricName } from "../../../src/model/metrics.js";
import { isSampleOf, type Sample, type SampleOf } from "../../../src/model/sample.js";

const FIX = fileURLToPath(new URL("../../fixtures/proc/", import.meta.url));
const IO_FIX = fileURLToPath(new URL("../../fixtures/host/docker-host/", import.meta.url));
const temps: string[] = [];
const logs: string[] = [];
setLogSink((line) => logs.push(line));

afterAll(() => {
  setLogSink((line) => process.stderr.write(line + "\n"));
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function ctx(mounts: string[] = []): CollectContext {
  return { config: configSchema.parse({ host: { disk: { mounts } } }), now: Date.now(), reason: "interval" };
}

function get<N extends MetricName>(samples: Sample[], name: N, labels: Record<string, string> = {}): SampleOf<N> | undefined {
  return samples.find((s): s is SampleOf<N> => isSampleOf(s, name) && JSON.stringify(s.labels) === JSON.stringify(labels));
}

function value(samples: Sample[], name: MetricName): number | undefined {
  return get(samples, name)?.value;
}

/** A host root holding the machine's recorded /proc files, mountinfo where node_exporter reads it (PID 1). */
function fixtureRoot(machine: string, stat: string): string {
  const root = mkdtempSync(join(tmpdir(), "lookout-host-"));
  temps.push(root);
  mkdirSync(join(root, "proc/1"), { recursive: true });
  cpSync(`${FIX}${machine}/${stat}`, join(root, "proc/stat"));
  for (const f of ["meminfo", "loadavg", "uptime"]) cpSync(`${FIX}${machine}/${f}`, join(root, `proc/${f}`));
  cpSync(`${FIX}${machine}/mountinfo`, join(root, "proc/1/mountinfo"));
  ioFiles(root, 1);
  return root;
}

/** The Docker host's /proc/net/dev (where the collector reads it under a host root: PID 1's) and /proc/diskstats, reading `n`. */
function ioFiles(root: string, n: 1 | 2): void {
  mkdirSync(join(root, "proc/1/net"), { recursive: true });
  // Written over in place, as the kernel's files change: the same file with new contents (the collector keeps it open).
  writeFileSync(join(root, "proc/1/net/dev"), readFileSync(`${IO_FIX}net-dev.${n}`));
  writeFileSync(join(root, "proc/diskstats"), readFileSync(`${IO_FIX}diskstats.${n}`));
}

function snapshotOf(statText: string, at: number): HostSnapshot {
  const s = parseProcStat(statText);
  return { version: 1, at, cpu: s.cpu, cores: s.cores, ...(s.btime !== undefined ? { btime: s.btime } : {}) };
}

const vmStat1 = readFileSync(`${FIX}vm-with-steal/stat.1`, "utf8");
const vmStat2 = readFileSync(`${FIX}vm-with-steal/stat.2`, "utf8");

describe("HostCollector on a fixture host root", () => {
  beforeEach(() => {
    logs.length = 0;
  });

  it("reads every metric from the files under the root, not the real ones", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.2");
    const c = new HostCollector({ hostRoot: root + "/" });
    const t0 = Date.now();
    c.restore(snapshotOf(vmStat1, t0 - 10_000), t0 - 10_000);
    const s = await c.collect(ctx());

    expect(get(s, "host_cpu")).toEqual({
      name: "host_cpu",
      labels: {},
      value: 50,
      details: { user: 31, system: 11.5, iowait: 5, steal: 7.5, windowMs: expect.any(Number) },
    });
    const windowMs = get(s, "host_cpu")!.details.windowMs;
    expect(windowMs).toBeGreaterThanOrEqual(10_000);
    expect(windowMs).toBeLessThan(11_000);
    expect(get(s, "host_cpu_user")).toEqual({ name: "host_cpu_user", labels: {}, value: 31 });
    expect(value(s, "host_cpu_system")).toBe(11.5);
    expect(value(s, "host_cpu_iowait")).toBe(5);
    expect(value(s, "host_cpu_steal")).toBe(7.5);
    expect(get(s, "host_cpu_cores")).toEqual({ name: "host_cpu_cores", labels: {}, value: 4 });

    expect(get(s, "host_memory")).toEqual({
      name: "host_memory",
      labels: {},
      value: 40.01,
      details: { totalBytes: 16786898944, availableBytes: 10070138880, usedBytes: 6716760064 },
    });
    expect(get(s, "host_swap")).toEqual({
      name: "host_swap",
      labels: {},
      value: 12.5,
      details: { totalBytes: 4294963200, freeBytes: 3758092288 },
    });
    expect(get(s, "host_load")).toEqual({
      name: "host_load",
      labels: {},
      value: 0.72,
      details: { load1: 3.52, load5: 2.87, load15: 2.41, cores: 4 },
    });
    expect(get(s, "host_load1")).toEqual({ name: "host_load1", labels: {}, value: 3.52 });
    expect(value(s, "host_load5")).toBe(2.87);
    expect(value(s, "host_load15")).toBe(2.41);
    expect(get(s, "host_uptime")).toEqual({ name: "host_uptime", labels: {}, value: 1234567.89 });
    expect(get(s, "host_processes")).toEqual({ name: "host_processes", labels: {}, value: 1 });

    // "/" exists under the temp root (statfs gives the temp dir's filesystem); the VM's other mounts do not
    const disks = s.filter((x) => isSampleOf(x, "host_disk"));
    expect(disks.map((d) => d.labels.mount)).toEqual(["/"]);
    expect(disks[0]?.details).toMatchObject({ device: "/dev/nvme0n1p1", fstype: "ext4" });
    for (const m of ["/boot/efi", "/data", "/mnt/share", "/srv/media files"]) {
      expect(
        logs.some((l) => l.includes("skipping filesystem") && l.includes(m)),
        m,
      ).toBe(true);
    }

    expect(new Set(s.map((x) => x.name))).toEqual(
      new Set([
        "host_cpu",
        "host_cpu_user",
        "host_cpu_system",
        "host_cpu_iowait",
        "host_cpu_steal",
        "host_cpu_cores",
        "host_memory",
        "host_swap",
        "host_load",
        "host_load1",
        "host_load5",
        "host_load15",
        "host_uptime",
        "host_rebooted",
        "host_processes",
        "host_disk",
        "host_inodes",
        "host_network_receive",
        "host_network_transmit",
        "host_disk_read",
        "host_disk_write",
        "host_disk_utilization",
      ]),
    );
    expect(c.snapshot()?.cpu).toEqual(parseProcStat(vmStat2).cpu);
  });

  it("without previous counters, measures over 500 ms between two readings", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    const c = new HostCollector({ hostRoot: root });
    const pending = c.collect(ctx());
    setTimeout(() => writeFileSync(join(root, "proc/stat"), vmStat2), 200);
    const s = await pending;
    expect(value(s, "host_cpu")).toBe(50);
    const windowMs = get(s, "host_cpu")!.details.windowMs;
    expect(windowMs).toBeGreaterThanOrEqual(499);
    expect(windowMs).toBeLessThan(1000);

    // same counters again: no time passed for the kernel, 0% and no NaN
    const again = await c.collect(ctx());
    expect(value(again, "host_cpu")).toBe(0);
    expect(value(again, "host_cpu_steal")).toBe(0);
  });

  it("has no host_swap without swap", async () => {
    const root = fixtureRoot("this-sandbox", "stat");
    const s = await new HostCollector({ hostRoot: root, cpuWindowMs: 50 }).collect(ctx());
    expect(get(s, "host_swap")).toBeUndefined();
    expect(value(s, "host_memory")).toBe(1.32); // (24684084 - 24357940) / 24684084
    expect(value(s, "host_cpu_cores")).toBe(2);
    expect(value(s, "host_load")).toBe(0.05); // 0.10 / 2
  });

  it("estimates memory on a kernel without MemAvailable", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    cpSync(`${FIX}old-kernel-no-memavailable/meminfo`, join(root, "proc/meminfo"));
    const s = await new HostCollector({ hostRoot: root, cpuWindowMs: 50 }).collect(ctx());
    expect(get(s, "host_memory")?.value).toBe(29.72);
    expect(get(s, "host_memory")?.details.availableBytes).toBe(5663664 * 1024);
  });

  it("skips only the metrics whose files are missing, and warns once", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    rmSync(join(root, "proc/loadavg"));
    rmSync(join(root, "proc/meminfo"));
    rmSync(join(root, "proc/1"), { recursive: true });
    const c = new HostCollector({ hostRoot: root, cpuWindowMs: 50 });
    const s1 = await c.collect(ctx());
    const s2 = await c.collect(ctx());
    for (const s of [s1, s2]) {
      const names = new Set<string>(s.map((x) => x.name));
      for (const gone of ["host_memory", "host_swap", "host_load", "host_load1", "host_disk", "host_inodes"]) expect(names.has(gone), gone).toBe(false);
      for (const kept of ["host_cpu", "host_cpu_cores", "host_uptime", "host_processes"]) expect(names.has(kept), kept).toBe(true);
    }
    expect(value(s1, "host_processes")).toBe(0);
    const warn = (what: string) => logs.filter((l) => l.includes("WARN") && l.includes(what)).length;
    expect(warn("/proc/loadavg")).toBe(1);
    expect(warn("/proc/meminfo")).toBe(1);
    expect(warn("/proc/1/mountinfo")).toBe(1);
  });

  it("reports a mount point whose name holds a newline (\\012 in mountinfo) under its real name", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    const name = "/mnt/x\nINJECTED";
    mkdirSync(join(root, name), { recursive: true });
    writeFileSync(
      join(root, "proc/1/mountinfo"),
      "29 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n99 29 259:9 / /mnt/x\\012INJECTED rw,relatime - ext4 /dev/sdz1 rw\n",
    );
    const s = await new HostCollector({ hostRoot: root, cpuWindowMs: 50 }).collect(ctx());
    expect(s.filter((x) => x.name === "host_disk").map((d) => d.labels.mount)).toEqual(["/", name]);
  });

  it("reports only the configured mounts", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    const c = new HostCollector({ hostRoot: root, cpuWindowMs: 50 });
    const s = await c.collect(ctx(["/data", "/not-mounted"]));
    expect(s.filter((x) => x.name === "host_disk")).toEqual([]); // /data is in mountinfo but absent under the temp root
    expect(logs.some((l) => l.includes("not mounted") && l.includes("/not-mounted"))).toBe(true);
    expect(logs.some((l) => l.includes("skipping filesystem") && l.includes("/data"))).toBe(true);
    const onlyRoot = await c.collect(ctx(["/"]));
    expect(onlyRoot.filter((x) => x.name === "host_disk").map((d) => d.labels.mount)).toEqual(["/"]);
  });
});

describe("HostCollector's slow figures (disks, inodes, process count, vmstat's oom_kill)", () => {
  const T0 = 1_764_580_000_000;
  const disks = (s: Sample[]) => s.filter((x) => x.name === "host_disk").map((d) => d.labels.mount);

  it("reads them once per SLOW_FIGURES_EVERY_MS, reuses them in between, and reads them again within that period", async () => {
    expect(SLOW_FIGURES_EVERY_MS).toBe(10_000);
    const root = fixtureRoot("vm-with-steal", "stat.1");
    writeFileSync(join(root, "proc/1/mountinfo"), "29 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n");
    writeFileSync(join(root, "proc/vmstat"), "nr_free_pages 123\noom_kill 4\n");
    let now = T0;
    const c = new HostCollector({ hostRoot: root, cpuWindowMs: 20, clock: () => now });
    const first = await c.collect(ctx());
    expect(value(first, "host_processes")).toBe(1); // proc/1
    expect(disks(first)).toEqual(["/"]);
    expect(c.readings()?.filesystems?.map((f) => f.mountPoint)).toEqual(["/"]);
    expect(c.readings()?.oomKill).toBe(4);
    writeFileSync(join(root, "proc/vmstat"), "nr_free_pages 123\noom_kill 5\n");
    // A process starts and a disk is mounted: the cycles before the period ends still evaluate the first reading.
    mkdirSync(join(root, "proc/4242"));
    mkdirSync(join(root, "data"));
    writeFileSync(join(root, "proc/1/mountinfo"), "29 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n30 29 259:2 / /data rw - ext4 /dev/sdb1 rw\n");
    for (const at of [2_000, 4_000, 9_999]) {
      now = T0 + at;
      const s = await c.collect(ctx());
      expect(value(s, "host_processes"), `at +${at} ms`).toBe(1);
      expect(disks(s), `at +${at} ms`).toEqual(["/"]);
      expect(c.readings()?.filesystems?.map((f) => f.mountPoint)).toEqual(["/"]); // /metrics shows the same reading
      expect(c.readings()?.oomKill).toBe(4);
      expect(value(s, "host_memory")).toBeDefined(); // the rest is read every time
    }
    now = T0 + 10_000;
    const later = await c.collect(ctx());
    expect(value(later, "host_processes")).toBe(2);
    expect(disks(later)).toEqual(["/", "/data"]);
    expect(c.readings()?.filesystems?.map((f) => f.mountPoint)).toEqual(["/", "/data"]);
    expect(c.readings()?.oomKill).toBe(5);
  });

  it("reads them again at once for another list of mounts, or when the clock went back", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    writeFileSync(join(root, "proc/1/mountinfo"), "29 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw\n");
    let now = T0;
    const c = new HostCollector({ hostRoot: root, cpuWindowMs: 20, clock: () => now });
    expect(value(await c.collect(ctx()), "host_processes")).toBe(1);
    mkdirSync(join(root, "proc/4242"));
    now = T0 + 1_000;
    expect(value(await c.collect(ctx(["/"])), "host_processes")).toBe(2);
    mkdirSync(join(root, "proc/4243"));
    now = T0 - 60_000;
    expect(value(await c.collect(ctx(["/"])), "host_processes")).toBe(3);
  });
});

describe("HostCollector's open files", () => {
  const KERNEL_FILES = new Set(["/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/uptime", "/proc/diskstats"]);
  /** This process's descriptors open on those /proc files. */
  const openOnProc = () =>
    readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return KERNEL_FILES.has(readlinkSync(`/proc/self/fd/${fd}`));
      } catch {
        return false; // closed meanwhile (readdir's own)
      }
    }).length;

  it("keeps the kernel's /proc files open across collects (one pread each, no open and close) and closes them on stop", async () => {
    const before = openOnProc();
    const c = new HostCollector({ hostRoot: "", cpuWindowMs: 20 });
    await c.collect(ctx());
    const kept = openOnProc() - before;
    expect(kept).toBe(KERNEL_FILES.size);
    const s = await c.collect(ctx());
    expect(openOnProc() - before).toBe(kept);
    expect(value(s, "host_memory")).toBeGreaterThan(0);
    c.stop();
    expect(openOnProc()).toBe(before);
  });

  it("reads the files of a host root that is not procfs afresh: one replaced by renaming a new file over it is seen", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    const c = new HostCollector({ hostRoot: root, cpuWindowMs: 20 });
    expect(value(await c.collect(ctx()), "host_load1")).not.toBe(7.5);
    writeFileSync(join(root, "proc/loadavg.new"), "7.50 6.00 5.00 3/500 4242\n");
    renameSync(join(root, "proc/loadavg.new"), join(root, "proc/loadavg")); // as test/support/fake-host-proc.ts writes
    expect(value(await c.collect(ctx()), "host_load1")).toBe(7.5);
    c.stop();
  });
});

describe("HostCollector network and disk I/O", () => {
  const T0 = 1_764_580_000_000;

  it("gives rates between cycles, at the collector's clock, and keeps the counters in its snapshot", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    let now = T0;
    const c = new HostCollector({ hostRoot: root, cpuWindowMs: 20, clock: () => now });
    const first = await c.collect(ctx()); // no earlier counters: a window of cpuWindowMs, the clock standing still gives none
    expect(first.filter((x) => x.name.startsWith("host_network") || x.name.startsWith("host_disk_"))).toEqual([]);
    expect(Object.keys(c.snapshot()?.io?.net ?? {})).toEqual(["eth0", "bond0", "bond0.100", "wg0"]);
    ioFiles(root, 2);
    now = T0 + 10_000;
    const s = await c.collect(ctx());
    expect(get(s, "host_network_receive", { device: "eth0" })?.value).toBe(1_250_000);
    expect(get(s, "host_network_transmit", { device: "bond0.100" })?.value).toBe(2048);
    expect(get(s, "host_network_receive", { device: "docker0" })).toBeUndefined();
    expect(get(s, "host_network_receive", { device: "lo" })).toBeUndefined();
    expect(get(s, "host_disk_read", { device: "sda" })?.value).toBe(1_048_576);
    expect(get(s, "host_disk_write", { device: "sda" })?.value).toBe(2_097_152);
    expect(get(s, "host_disk_utilization", { device: "sda" })?.value).toBe(25);
    expect(get(s, "host_disk_read", { device: "sda1" })).toBeUndefined();
    expect(get(s, "host_disk_utilization", { device: "sda" })?.details).toEqual({ ioMs: 1467992, windowMs: 10_000 });
    const io = c.snapshot()?.io;
    expect(io?.at).toBe(T0 + 10_000);
    expect(io?.disks.sda?.readBytes).toBe((96161546 + 20480) * 512);
  });

  it("reads the counters every SLOW_FIGURES_EVERY_MS: the cycles in between give the last rates", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    let now = T0;
    const c = new HostCollector({ hostRoot: root, cpuWindowMs: 20, clock: () => now });
    await c.collect(ctx());
    ioFiles(root, 2);
    now = T0 + SLOW_FIGURES_EVERY_MS;
    const rates = (await c.collect(ctx())).filter((x) => x.name.startsWith("host_network") || x.name.startsWith("host_disk_"));
    expect(get(rates, "host_network_receive", { device: "eth0" })?.value).toBe(1_250_000);
    // The counters change (here: back to the first reading, which counts as an interface made anew), but are not read before the period is over.
    ioFiles(root, 1);
    now += SLOW_FIGURES_EVERY_MS - 1;
    const between = (await c.collect(ctx())).filter((x) => x.name.startsWith("host_network") || x.name.startsWith("host_disk_"));
    expect(between).toEqual(rates);
    expect(c.readings()?.io?.at).toBe(T0 + SLOW_FIGURES_EVERY_MS); // /metrics: the counters as last read
    now += 1;
    const next = await c.collect(ctx());
    const eth0 = get(next, "host_network_receive", { device: "eth0" });
    expect(eth0?.value).not.toBe(1_250_000);
    expect(eth0?.details.windowMs).toBe(SLOW_FIGURES_EVERY_MS);
    expect(c.readings()?.io?.at).toBe(now);
  });

  it("carries the counters to the next run through the snapshot (lookout check from cron)", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.2");
    let now = T0;
    const one = new HostCollector({ hostRoot: root, cpuWindowMs: 20, clock: () => now });
    one.restore(snapshotOf(vmStat1, T0 - 60_000), T0 - 60_000);
    await one.collect(ctx());
    const saved = JSON.parse(JSON.stringify(one.snapshot()));
    expect(saved.io.at).toBe(T0);

    ioFiles(root, 2);
    now = T0 + 10_000;
    const two = new HostCollector({ hostRoot: root, cpuWindowMs: 20, clock: () => now });
    two.restore(saved, T0);
    const s = await two.collect(ctx());
    expect(get(s, "host_network_receive", { device: "wg0" })?.value).toBe(3000); // re-created: counted from 0, never negative
    expect(get(s, "host_disk_write", { device: "nvme0n1" })?.value).toBe(104_858);
    expect(get(s, "host_network_receive", { device: "eth0" })?.details.windowMs).toBe(10_000);

    // counters too old to make a rate of: a fresh window instead
    now = T0 + 20 * 60_000;
    const three = new HostCollector({ hostRoot: root, cpuWindowMs: 20, clock: () => now });
    three.restore(saved, T0);
    expect(three.snapshot()).toBeUndefined();
  });

  it("skips I/O when its files are missing, says so once, and the rest is measured", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    rmSync(join(root, "proc/diskstats"));
    rmSync(join(root, "proc/1/net"), { recursive: true });
    const c = new HostCollector({ hostRoot: root, cpuWindowMs: 20 });
    await c.collect(ctx());
    const s = await c.collect(ctx());
    expect(s.filter((x) => x.name.startsWith("host_network") || x.name.startsWith("host_disk_"))).toEqual([]);
    expect(value(s, "host_memory")).toBeDefined();
    expect(logs.filter((l) => l.includes("WARN") && l.includes("/proc/diskstats")).length).toBe(1);
    expect(logs.filter((l) => l.includes("WARN") && l.includes("/proc/1/net/dev")).length).toBe(1);
  });
});

describe("HostCollector.restore", () => {
  const now = Date.now();

  it("accepts a fresh, well-formed snapshot and gives it back", () => {
    const c = new HostCollector({ hostRoot: "" });
    expect(c.snapshot()).toBeUndefined();
    const snap = snapshotOf(vmStat1, now - 60_000);
    c.restore(JSON.parse(JSON.stringify(snap)), now - 60_000);
    expect(c.snapshot()).toEqual(snap);
  });

  it("ignores old, future, malformed or empty snapshots", () => {
    const good = snapshotOf(vmStat1, now - 1000);
    const cases: Array<[unknown, number]> = [
      [good, now - 16 * 60_000],
      [{ ...good, at: now - 16 * 60_000 }, now - 1000],
      [good, now + 10 * 60_000],
      [{ ...good, cpu: { ...good.cpu, user: "12" } }, now],
      [{ ...good, cpu: { ...good.cpu, idle: -1 } }, now],
      [{ ...good, cpu: { ...good.cpu, steal: Number.NaN } }, now],
      [{ version: 1, at: now }, now],
      [null, now],
      ["cpu 1 2 3", now],
      [{ ...good, cpu: { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 } }, now],
      [good, Number.NaN],
    ];
    for (const [saved, at] of cases) {
      const c = new HostCollector({ hostRoot: "" });
      c.restore(saved, at);
      expect(c.snapshot(), JSON.stringify([saved, at])).toBeUndefined();
    }
  });

  it("measures a fresh window when the saved counters are from another boot or ahead of the kernel's", async () => {
    const root = fixtureRoot("vm-with-steal", "stat.1");
    for (const snap of [
      { ...snapshotOf(vmStat1, now - 60_000), btime: 1714032211 - 3600 },
      snapshotOf(vmStat2, now - 60_000), // counters larger than the current ones
    ]) {
      const c = new HostCollector({ hostRoot: root, cpuWindowMs: 100 });
      c.restore(snap, snap.at);
      const s = await c.collect(ctx());
      expect(get(s, "host_cpu")!.details.windowMs).toBeLessThan(1000);
      expect(value(s, "host_cpu")).toBe(0);
    }
  });
});

/** The aggregate cpu line's first 8 counters (user … steal), parsed here independently of the collector. */
function cpuCounters(statText: string): number[] {
  return statText.split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
}

/** Busy (all but idle and iowait) and total ticks from `a` to `b`; a counter that went back counts 0, as in the collector. */
function ticksBetween(a: number[], b: number[]): { busy: number; total: number } {
  const d = b.map((v, i) => Math.max(0, v - a[i]!));
  const total = d.reduce((s, v) => s + v, 0);
  return { busy: total - d[3]! - d[4]!, total };
}

function freeMemoryPercent(): number {
  const line = execFileSync("free", ["-b"], { encoding: "utf8" })
    .split("\n")
    .find((l) => l.startsWith("Mem:"))!;
  const f = line.split(/\s+/).map(Number); // Mem: total used free shared buff/cache available
  return ((f[1]! - f[6]!) / f[1]!) * 100;
}

/** The mount points of this mount namespace, decoded (mountinfo writes space, tab, newline and backslash as \ooo). */
function mountPoints(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split(" ")[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/** df prints a mount point as it is only without control characters (df 9 shows a newline as "?", older ones split the line). */
// eslint-disable-next-line no-control-regex
const dfCanPrint = (mount: string): boolean => !/[\u0000-\u001f\u007f]/.test(mount);

interface DfRow {
  fstype: string;
  used: number;
  avail: number;
  itotal: number;
  iused: number;
}

function df(): Map<string, DfRow> {
  const rows = new Map<string, DfRow>();
  const lines = execFileSync("df", ["-B1", "--output=used,avail,itotal,iused,fstype,target"], { encoding: "utf8" }).trim().split("\n").slice(1);
  for (const l of lines) {
    // the target is last so that a mount point with spaces stays whole; a line that does not parse is a broken-up name
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+|-)\s+(\d+|-)\s+(\S+)\s+(\/.*)$/.exec(l);
    if (!m) continue;
    rows.set(m[6]!, { used: Number(m[1]), avail: Number(m[2]), itotal: Number(m[3]), iused: Number(m[4]), fstype: m[5]! });
  }
  return rows;
}

/** `v` within `tolerance` of the range the values span. */
function expectWithin(v: number, values: number[], tolerance: number, what: string): void {
  expect(v, `${what}: ${v} vs ${values.join(" / ")}`).toBeGreaterThanOrEqual(Math.min(...values) - tolerance);
  expect(v, `${what}: ${v} vs ${values.join(" / ")}`).toBeLessThanOrEqual(Math.max(...values) + tolerance);
}

describe("HostCollector agrees with the kernel and procps on this machine", () => {
  // Other work runs on the machine: CPU, memory, disks and mounts change while the test reads them.
  // So each comparison reads the kernel or procps just before and just after the collector,
  // and the collector's value must lie within what those two readings allow.

  it("CPU between the /proc/stat deltas read just before and just after the collector's reading", async () => {
    const c = new HostCollector({ hostRoot: "" });
    const aText = readFileSync("/proc/stat", "utf8");
    const t0 = Date.now();
    c.restore(snapshotOf(aText, t0), t0);
    await new Promise((r) => setTimeout(r, 1500));
    const a = cpuCounters(aText);
    const b1 = cpuCounters(readFileSync("/proc/stat", "utf8"));
    const s = await c.collect(ctx());
    const b2 = cpuCounters(readFileSync("/proc/stat", "utf8"));
    // The collector read counters between b1 and b2: its busy share over the window is at least the
    // busy ticks up to b1 over the total up to b2, and at most the busy ticks up to b2 over the total up to b1.
    const early = ticksBetween(a, b1);
    const late = ticksBetween(a, b2);
    const low = (early.busy / late.total) * 100;
    const high = (late.busy / early.total) * 100;
    const got = value(s, "host_cpu")!;
    expect(got, `collector ${got}, /proc/stat ${low}…${high}`).toBeGreaterThanOrEqual(low - 0.01);
    expect(got, `collector ${got}, /proc/stat ${low}…${high}`).toBeLessThanOrEqual(high + 0.01);
    expect(get(s, "host_cpu")!.details.windowMs).toBeGreaterThanOrEqual(1500);
    expect(value(s, "host_cpu_cores")).toBe(parseProcStat(aText).cores);
  }, 10_000);

  it("memory within 0.5 points of free -b", async () => {
    const before = freeMemoryPercent();
    const s = await new HostCollector({ hostRoot: "", cpuWindowMs: 50 }).collect(ctx());
    const after = freeMemoryPercent();
    expectWithin(value(s, "host_memory")!, [before, after], 0.5, "memory");
  });

  it("each disk within 0.5 points of df, / included, no pseudo filesystems", async () => {
    const mountsBefore = mountPoints();
    const dfBefore = df();
    const s = await new HostCollector({ hostRoot: "", cpuWindowMs: 50 }).collect(ctx());
    const dfAfter = df();
    const mountedNow = new Set([...mountsBefore, ...mountPoints()]);

    const disks = s.filter((x) => isSampleOf(x, "host_disk"));
    const mounts = disks.map((d) => d.labels.mount!);
    expect(mounts).toContain("/");
    for (const d of disks) {
      const mount = d.labels.mount!;
      expect(["tmpfs", "proc", "cgroup", "cgroup2", "devtmpfs", "sysfs", "devpts", "overlay"]).not.toContain(d.details.fstype);
      expect(mount.startsWith("/proc") || mount.startsWith("/sys") || mount.startsWith("/dev")).toBe(false);
      // the name is mountinfo's, decoded (a newline in it is \012 there)
      expect(mountedNow.has(mount), JSON.stringify(mount)).toBe(true);
      if (!dfCanPrint(mount)) continue; // df cannot name it: nothing to compare with

      const rows = [dfBefore.get(mount), dfAfter.get(mount)].filter((r): r is DfRow => r !== undefined);
      expect(rows.length, `df has ${mount}`).toBeGreaterThan(0);
      expectWithin(
        d.value,
        rows.map((r) => (r.used / (r.used + r.avail)) * 100),
        0.5,
        mount,
      );
      const inodes = get(s, "host_inodes", { mount });
      const withInodes = rows.filter((r) => r.itotal > 0);
      if (withInodes.length > 0)
        expectWithin(
          inodes!.value,
          withInodes.map((r) => (r.iused / r.itotal) * 100),
          0.5,
          `${mount} inodes`,
        );
    }
    // every real filesystem df lists before and after (df already shows a bind-mounted device once) is reported,
    // if df printed its name as mountinfo has it
    const pseudo = new Set(["tmpfs", "devtmpfs", "proc", "sysfs", "cgroup", "cgroup2", "devpts", "overlay", "squashfs", "nsfs"]);
    for (const [m, r] of dfBefore) {
      if (!dfAfter.has(m) || !mountedNow.has(m) || !dfCanPrint(m)) continue;
      if (!pseudo.has(r.fstype) && !isExcludedMountPoint(m)) expect(mounts, `df's ${m} (${r.fstype})`).toContain(m);
    }
  });
});

describe("rebootSample", () => {
  const DAY = 86_400;
  const T = Date.UTC(2026, 10, 30, 3, 0, 0);

  it("says nothing on the first sight of a host, nor while it stays up", () => {
    const first = rebootSample(undefined, 10 * DAY, T);
    expect(first.sample).toMatchObject({ name: "host_rebooted", value: 0 });
    const later = rebootSample(first.memory, 10 * DAY + 60, T + 60_000);
    expect(later.sample.value).toBe(0);
    expect(later.memory.seen.bootAt).toBe(first.memory.seen.bootAt);
  });

  it("finds a boot after the host was last seen up, and reports it for 10 minutes", () => {
    const before = rebootSample(undefined, 10 * DAY, T);
    const after = rebootSample(before.memory, 30, T + 5 * 60_000); // down 4.5 min, up 30 s
    expect(after.sample.value).toBe(1);
    expect(after.sample.details).toEqual({ bootAt: T + 4.5 * 60_000, previousBootAt: T - 10 * DAY * 1000, lastSeenUpAt: T });
    expect(rebootSample(after.memory, 30 + 9 * 60, T + 14 * 60_000).sample.value).toBe(1);
    expect(rebootSample(after.memory, 30 + 10 * 60, T + 15 * 60_000).sample.value).toBe(0);
  });

  it("does not take a clock step for a reboot (uptime keeps growing)", () => {
    const before = rebootSample(undefined, 10 * DAY, T);
    expect(rebootSample(before.memory, 10 * DAY + 10, T + 10_000 + 3600_000).sample.value).toBe(0); // clock jumped 1 h ahead
    expect(rebootSample(before.memory, 10 * DAY + 10, T + 10_000 - 3600_000).sample.value).toBe(0); // and back
  });
});
