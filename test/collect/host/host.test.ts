import type { CollectContext } from "../../../src/collect/collector.js";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { isExcludedMountPoint } from "../../../src/collect/host/filesystems.js";
import { rebootSample, HostCollector, type HostSnapshot } from "../../../src/collect/host/host.js";
import { parseProcStat } from "../../../src/collect/host/procfs.js";
import type { Sample } from "../../../src/collect/sample.js";
import { configSchema } from "../../../src/config/schema.js";
import { setLogSink } from "../../../src/log.js";

const FIX = fileURLToPath(new URL("../../fixtures/proc/", import.meta.url));
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

function get(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample | undefined {
  return samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels));
}

function value(samples: Sample[], name: string): number | undefined {
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
  return root;
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
      unit: "%",
      info: { user: 31, system: 11.5, iowait: 5, steal: 7.5, window_ms: expect.any(Number) },
    });
    const windowMs = get(s, "host_cpu")!.info!.window_ms as number;
    expect(windowMs).toBeGreaterThanOrEqual(10_000);
    expect(windowMs).toBeLessThan(11_000);
    expect(get(s, "host_cpu_user")).toEqual({ name: "host_cpu_user", labels: {}, value: 31, unit: "%" });
    expect(value(s, "host_cpu_system")).toBe(11.5);
    expect(value(s, "host_cpu_iowait")).toBe(5);
    expect(value(s, "host_cpu_steal")).toBe(7.5);
    expect(get(s, "host_cpu_cores")).toEqual({ name: "host_cpu_cores", labels: {}, value: 4, unit: "count" });

    expect(get(s, "host_memory")).toEqual({
      name: "host_memory",
      labels: {},
      value: 40.01,
      unit: "%",
      info: { total_bytes: 16786898944, available_bytes: 10070138880, used_bytes: 6716760064 },
    });
    expect(get(s, "host_swap")).toEqual({
      name: "host_swap",
      labels: {},
      value: 12.5,
      unit: "%",
      info: { total_bytes: 4294963200, free_bytes: 3758092288 },
    });
    expect(get(s, "host_load")).toEqual({
      name: "host_load",
      labels: {},
      value: 0.72,
      unit: "per_core",
      info: { load1: 3.52, load5: 2.87, load15: 2.41, cores: 4 },
    });
    expect(get(s, "host_load1")).toEqual({ name: "host_load1", labels: {}, value: 3.52, unit: "" });
    expect(value(s, "host_load5")).toBe(2.87);
    expect(value(s, "host_load15")).toBe(2.41);
    expect(get(s, "host_uptime")).toEqual({ name: "host_uptime", labels: {}, value: 1234567.89, unit: "s" });
    expect(get(s, "host_processes")).toEqual({ name: "host_processes", labels: {}, value: 1, unit: "count" });

    // "/" exists under the temp root (statfs gives the temp dir's filesystem); the VM's other mounts do not
    const disks = s.filter((x) => x.name === "host_disk");
    expect(disks.map((d) => d.labels.mount)).toEqual(["/"]);
    expect(disks[0]?.info).toMatchObject({ device: "/dev/nvme0n1p1", fstype: "ext4" });
    for (const m of ["/boot/efi", "/data", "/mnt/share", "/srv/media files"]) {
      expect(logs.some((l) => l.includes("skipping filesystem") && l.includes(m)), m).toBe(true);
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
    const windowMs = get(s, "host_cpu")!.info!.window_ms as number;
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
    expect(get(s, "host_memory")?.info?.available_bytes).toBe(5663664 * 1024);
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
      const names = new Set(s.map((x) => x.name));
      for (const gone of ["host_memory", "host_swap", "host_load", "host_load1", "host_disk", "host_inodes"]) expect(names.has(gone), gone).toBe(false);
      for (const kept of ["host_cpu", "host_cpu_cores", "host_uptime", "host_processes"]) expect(names.has(kept), kept).toBe(true);
    }
    expect(value(s1, "host_processes")).toBe(0);
    const warn = (what: string) => logs.filter((l) => l.includes("WARN") && l.includes(what)).length;
    expect(warn("/proc/loadavg")).toBe(1);
    expect(warn("/proc/meminfo")).toBe(1);
    expect(warn("/proc/1/mountinfo")).toBe(1);
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
      expect(get(s, "host_cpu")!.info!.window_ms as number).toBeLessThan(1000);
      expect(value(s, "host_cpu")).toBe(0);
    }
  });
});

/** The aggregate cpu line's first 8 counters, parsed here independently of the collector. */
function busyBetween(a: string, b: string): number {
  const counters = (t: string) => t.split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const x = counters(a);
  const y = counters(b);
  const d = y.map((v, i) => v - x[i]!);
  const total = d.reduce((s, v) => s + v, 0);
  return total > 0 ? ((total - d[3]! - d[4]!) / total) * 100 : 0;
}

function freeMemoryPercent(): number {
  const line = execFileSync("free", ["-b"], { encoding: "utf8" })
    .split("\n")
    .find((l) => l.startsWith("Mem:"))!;
  const f = line.split(/\s+/).map(Number); // Mem: total used free shared buff/cache available
  return ((f[1]! - f[6]!) / f[1]!) * 100;
}

describe("HostCollector agrees with the kernel and procps on this machine", () => {
  it("CPU within 2 points of the /proc/stat delta over the same window", async () => {
    const c = new HostCollector({ hostRoot: "" });
    const a = readFileSync("/proc/stat", "utf8");
    const t0 = Date.now();
    c.restore(snapshotOf(a, t0), t0);
    await new Promise((r) => setTimeout(r, 1500));
    const s = await c.collect(ctx());
    const b = readFileSync("/proc/stat", "utf8");
    const expected = busyBetween(a, b);
    const got = value(s, "host_cpu")!;
    expect(Math.abs(got - expected), `collector ${got}, /proc/stat ${expected}`).toBeLessThan(2);
    expect(get(s, "host_cpu")!.info!.window_ms as number).toBeGreaterThanOrEqual(1500);
    expect(value(s, "host_cpu_cores")).toBe(parseProcStat(a).cores);
  }, 10_000);

  it("memory within 0.5 points of free -b", async () => {
    const before = freeMemoryPercent();
    const s = await new HostCollector({ hostRoot: "", cpuWindowMs: 50 }).collect(ctx());
    const after = freeMemoryPercent();
    const got = value(s, "host_memory")!;
    expect(Math.min(Math.abs(got - before), Math.abs(got - after)), `collector ${got}, free ${before}/${after}`).toBeLessThan(0.5);
  });

  it("each disk within 0.5 points of df, / included, no pseudo filesystems", async () => {
    const s = await new HostCollector({ hostRoot: "", cpuWindowMs: 50 }).collect(ctx());
    const df = new Map<string, { fstype: string; used: number; avail: number; itotal: number; iused: number }>();
    const lines = execFileSync("df", ["-B1", "--output=used,avail,itotal,iused,fstype,target"], { encoding: "utf8" }).trim().split("\n").slice(1);
    for (const l of lines) {
      // the target is last so that a mount point with spaces stays whole
      const m = /^\s*(\d+)\s+(\d+)\s+(\d+|-)\s+(\d+|-)\s+(\S+)\s+(.+)$/.exec(l);
      if (!m) continue;
      df.set(m[6]!, { used: Number(m[1]), avail: Number(m[2]), itotal: Number(m[3]), iused: Number(m[4]), fstype: m[5]! });
    }

    const disks = s.filter((x) => x.name === "host_disk");
    const mounts = disks.map((d) => d.labels.mount);
    expect(mounts).toContain("/");
    for (const d of disks) {
      const mount = d.labels.mount!;
      const row = df.get(mount);
      expect(row, `df has ${mount}`).toBeDefined();
      const exact = (row!.used / (row!.used + row!.avail)) * 100;
      expect(Math.abs(d.value - exact), `${mount}: collector ${d.value}, df ${exact}`).toBeLessThan(0.5);
      expect(["tmpfs", "proc", "cgroup", "cgroup2", "devtmpfs", "sysfs", "devpts", "overlay"]).not.toContain(d.info!.fstype);
      expect(mount.startsWith("/proc") || mount.startsWith("/sys") || mount.startsWith("/dev")).toBe(false);

      const inodes = get(s, "host_inodes", { mount });
      if (row!.itotal > 0) {
        expect(Math.abs(inodes!.value - (row!.iused / row!.itotal) * 100)).toBeLessThan(0.5);
      }
    }
    // every real filesystem df lists (df already shows a bind-mounted device once) is reported
    const pseudo = new Set(["tmpfs", "devtmpfs", "proc", "sysfs", "cgroup", "cgroup2", "devpts", "overlay", "squashfs", "nsfs"]);
    for (const [m, r] of df) {
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
    expect(after.sample.info).toEqual({ boot_at: T + 4.5 * 60_000, previous_boot_at: T - 10 * DAY * 1000, last_seen_up_at: T });
    expect(rebootSample(after.memory, 30 + 9 * 60, T + 14 * 60_000).sample.value).toBe(1);
    expect(rebootSample(after.memory, 30 + 10 * 60, T + 15 * 60_000).sample.value).toBe(0);
  });

  it("does not take a clock step for a reboot (uptime keeps growing)", () => {
    const before = rebootSample(undefined, 10 * DAY, T);
    expect(rebootSample(before.memory, 10 * DAY + 10, T + 10_000 + 3600_000).sample.value).toBe(0); // clock jumped 1 h ahead
    expect(rebootSample(before.memory, 10 * DAY + 10, T + 10_000 - 3600_000).sample.value).toBe(0); // and back
  });
});
