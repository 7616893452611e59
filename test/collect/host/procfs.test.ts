import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type CpuCounters,
  cpuDelta,
  decodeOctal,
  MEMINFO_KEPT,
  memInfoOf,
  meminfoFields,
  parseLoadavg,
  parseMeminfo,
  parseMountinfo,
  parsePidStat,
  parseProcStat,
  parseUptime,
  parseVmstat,
  vmstatValue,
} from "../../../src/collect/host/procfs.js";

const FIX = fileURLToPath(new URL("../../fixtures/proc/", import.meta.url));
const fixture = (machine: string, file: string): string => readFileSync(`${FIX}${machine}/${file}`, "utf8");

describe("parseProcStat", () => {
  it("reads this sandbox's recorded /proc/stat", () => {
    const s = parseProcStat(fixture("this-sandbox", "stat"));
    expect(s.cpu).toEqual({ user: 1971, nice: 0, system: 1214, idle: 65021, iowait: 79, irq: 0, softirq: 23, steal: 8, guest: 0, guestNice: 0 });
    expect(s.cores).toBe(2);
    expect(s.btime).toBe(1795623937);
    // Each cpuN line for /metrics' node_cpu_seconds_total{cpu}: as many as the cores, numbered as the kernel numbers them.
    expect(s.perCpu.map((c) => c.cpu)).toEqual(["0", "1"]);
    const sum = s.perCpu.reduce((n, c) => n + c.counters.user, 0);
    expect(Math.abs(sum - s.cpu.user)).toBeLessThanOrEqual(2);
  });

  it("reads a 4-core cloud VM", () => {
    const s = parseProcStat(fixture("vm-with-steal", "stat.1"));
    expect(s.cpu).toEqual({
      user: 4705321,
      nice: 12034,
      system: 1203344,
      idle: 98234512,
      iowait: 45123,
      irq: 0,
      softirq: 34021,
      steal: 812345,
      guest: 0,
      guestNice: 0,
    });
    expect(s.cores).toBe(4);
    expect(s.btime).toBe(1714032211);
  });

  it("defaults columns an old kernel does not print to 0", () => {
    const s = parseProcStat(fixture("old-kernel-no-memavailable", "stat"));
    expect(s.cpu).toEqual({ user: 2255, nice: 34, system: 2290, idle: 22625563, iowait: 6290, irq: 127, softirq: 456, steal: 0, guest: 0, guestNice: 0 });
    expect(s.cores).toBe(2);
  });

  it("throws without an aggregate cpu line", () => {
    expect(() => parseProcStat("cpu0 1 2 3 4\nintr 5\n")).toThrow();
  });
});

describe("cpuDelta", () => {
  const zero: CpuCounters = { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0, guest: 0, guestNice: 0 };

  it("splits the VM's 10 s window, steal included in busy, guest not added to the total", () => {
    const a = parseProcStat(fixture("vm-with-steal", "stat.1")).cpu;
    const b = parseProcStat(fixture("vm-with-steal", "stat.2")).cpu;
    // deltas: user 1200 nice 40 system 400 idle 1800 iowait 200 irq 0 softirq 60 steal 300 (guest 100, inside user)
    const u = cpuDelta(a, b);
    expect(u.ticks).toBe(4000);
    expect(u.busy).toBeCloseTo(50, 10);
    expect(u.user).toBeCloseTo(31, 10); // (1200 + 40) / 4000
    expect(u.system).toBeCloseTo(11.5, 10); // (400 + 0 + 60) / 4000
    expect(u.iowait).toBeCloseTo(5, 10);
    expect(u.steal).toBeCloseTo(7.5, 10);
    expect(u.idle).toBeCloseTo(45, 10);
    expect(u.user + u.system + u.steal).toBeCloseTo(u.busy, 10);
  });

  it("is all zeros, not NaN, when no time passed", () => {
    const a = parseProcStat(fixture("vm-with-steal", "stat.1")).cpu;
    expect(cpuDelta(a, a)).toEqual({ busy: 0, user: 0, system: 0, iowait: 0, steal: 0, idle: 0, ticks: 0 });
    expect(cpuDelta(zero, zero).busy).toBe(0);
  });

  it("counts a counter that went backwards (iowait on NO_HZ, a wrap) as 0", () => {
    const a = { ...zero, user: 100, idle: 1000, iowait: 500 };
    const b = { ...zero, user: 150, idle: 1050, iowait: 400 };
    const u = cpuDelta(a, b);
    expect(u.ticks).toBe(100);
    expect(u.busy).toBe(50);
    expect(u.iowait).toBe(0);
    const all = cpuDelta(b, a); // everything backwards
    expect(all.busy).toBe(0);
    expect(Number.isNaN(all.user)).toBe(false);
  });
});

describe("parseMeminfo", () => {
  it("reads this sandbox (no swap)", () => {
    const m = parseMeminfo(fixture("this-sandbox", "meminfo"));
    expect(m).toEqual({
      totalBytes: 24684084 * 1024,
      availableBytes: 24357940 * 1024,
      swapTotalBytes: 0,
      swapFreeBytes: 0,
      availableEstimated: false,
    });
  });

  it("reads the VM with swap", () => {
    const m = parseMeminfo(fixture("vm-with-steal", "meminfo"));
    expect(m).toEqual({
      totalBytes: 16786898944,
      availableBytes: 10070138880,
      swapTotalBytes: 4294963200,
      swapFreeBytes: 3758092288,
      availableEstimated: false,
    });
  });

  it("estimates MemAvailable as MemFree + Buffers + Cached on kernels before 3.14", () => {
    const m = parseMeminfo(fixture("old-kernel-no-memavailable", "meminfo"));
    expect(m.availableEstimated).toBe(true);
    expect(m.totalBytes).toBe(8058880 * 1024);
    expect(m.availableBytes).toBe((734512 + 245684 + 4683468) * 1024);
    expect(m.swapTotalBytes).toBe(2097144 * 1024);
    expect(m.swapFreeBytes).toBe(2031604 * 1024);
  });

  it("throws without MemTotal", () => {
    expect(() => parseMeminfo("MemFree: 1 kB\n")).toThrow();
  });
});

describe("parseLoadavg / parseUptime", () => {
  it("reads the fixtures", () => {
    expect(parseLoadavg(fixture("this-sandbox", "loadavg"))).toEqual({ load1: 0.16, load5: 0.1, load15: 0.03, running: 1, entities: 82, lastPid: 3221 });
    expect(parseLoadavg(fixture("vm-with-steal", "loadavg"))).toEqual({ load1: 3.52, load5: 2.87, load15: 2.41, running: 5, entities: 612, lastPid: 48213 });
    expect(parseUptime(fixture("this-sandbox", "uptime"))).toEqual({ uptime: 343.03, idle: 650.22 });
    expect(parseUptime(fixture("vm-with-steal", "uptime"))).toEqual({ uptime: 1234567.89, idle: 4567890.12 });
  });

  it("throws on garbage", () => {
    expect(() => parseLoadavg("")).toThrow();
    expect(() => parseLoadavg("a b c 1/2 3")).toThrow();
    expect(() => parseUptime("")).toThrow();
  });
});

describe("parseMountinfo", () => {
  it("reads this sandbox's mountinfo", () => {
    const m = parseMountinfo(fixture("this-sandbox", "mountinfo"));
    expect(m).toHaveLength(20);
    const root = m.find((x) => x.mountPoint === "/");
    expect(root).toEqual({
      mountId: 27,
      parentId: 1,
      major: 254,
      minor: 0,
      device: "254:0",
      root: "/",
      mountPoint: "/",
      mountOptions: "rw,relatime",
      fstype: "ext4",
      source: "/dev/vda",
      superOptions: "rw,discard,resv_strict,resuid=65534,resgid=65534",
    });
    const tools = m.find((x) => x.source === "model_tools_unavailable");
    expect(tools?.fstype).toBe("tmpfs");
  });

  it("reads optional fields, bind-mount roots and octal escapes on the VM", () => {
    const m = parseMountinfo(fixture("vm-with-steal", "mountinfo"));
    expect(m).toHaveLength(32);
    const docker = m.find((x) => x.mountPoint === "/var/lib/docker");
    expect(docker).toMatchObject({ device: "259:1", root: "/var/lib/docker", fstype: "ext4", source: "/dev/nvme0n1p1" });
    const spaced = m.find((x) => x.device === "259:17");
    expect(spaced?.mountPoint).toBe("/srv/media files");
    const nfs = m.find((x) => x.fstype === "nfs4");
    expect(nfs).toMatchObject({ mountPoint: "/mnt/share", source: "10.0.0.5:/export/share", major: 0, minor: 45 });
    const netns = m.find((x) => x.fstype === "nsfs");
    expect(netns?.root).toBe("net:[4026532455]");
  });

  it("handles several optional fields, none, and skips broken lines", () => {
    const text = [
      "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue",
      "37 35 8:1 / /a\\011b\\134c rw - xfs /dev/sda1 rw",
      "garbage line",
      "",
    ].join("\n");
    const m = parseMountinfo(text);
    expect(m).toHaveLength(2);
    expect(m[0]).toMatchObject({ root: "/mnt1", mountPoint: "/mnt2", fstype: "ext3", source: "/dev/root", device: "98:0" });
    expect(m[1]).toMatchObject({ mountPoint: "/a\tb\\c", fstype: "xfs", superOptions: "rw" });
  });

  it("decodeOctal leaves text without escapes alone", () => {
    expect(decodeOctal("/plain")).toBe("/plain");
    expect(decodeOctal("/x\\040y")).toBe("/x y");
    expect(decodeOctal("/trailing\\04")).toBe("/trailing\\04");
  });
});

describe("parsePidStat", () => {
  const tail = "S 1 100 100 0 -1 4194560 1200 0 3 0 150 50 0 0 20 0 4 0 8123 123456789 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0";

  it("takes comm up to the last ')' (spaces and parentheses allowed)", () => {
    const s = parsePidStat(`100 (my (weird) app)) ${tail}\n`);
    expect(s).toEqual({ pid: 100, comm: "my (weird) app)", state: "S", ppid: 1, utime: 150, stime: 50, starttime: 8123, rssPages: 2560 });
    expect(parsePidStat(`7 (tmux: server) ${tail}`).comm).toBe("tmux: server");
    expect(parsePidStat(`8 () ${tail}`).comm).toBe("");
  });

  it("reads this process's real stat", () => {
    const s = parsePidStat(readFileSync("/proc/self/stat", "utf8"));
    expect(s.pid).toBe(process.pid);
    expect(s.rssPages).toBeGreaterThan(0);
    expect(s.utime + s.stime).toBeGreaterThan(0);
  });

  it("throws on truncated lines", () => {
    expect(() => parsePidStat("12 (x) S 1 2 3")).toThrow();
    expect(() => parsePidStat("no parens")).toThrow();
  });
});

describe("vmstatValue", () => {
  it("finds one counter as parseVmstat does, first line, last line or absent", () => {
    const text = "nr_free_pages 123\npgmajfault 7\noom_kill 4\n";
    expect(vmstatValue(text, "oom_kill")).toBe(parseVmstat(text).get("oom_kill"));
    expect(vmstatValue(text, "nr_free_pages")).toBe(123);
    expect(vmstatValue("nr_free_pages 123\noom_kill 9", "oom_kill")).toBe(9);
    expect(vmstatValue("nr_oom_kill_x 5\n", "oom_kill")).toBeUndefined();
    expect(vmstatValue("xoom_kill 5\n", "oom_kill")).toBeUndefined();
    expect(vmstatValue("oom_kill \n", "oom_kill")).toBeUndefined();
    expect(vmstatValue("", "oom_kill")).toBeUndefined();
  });
});

describe("meminfoFields and parseVmstat (for /metrics)", () => {
  it("gives every meminfo field in bytes and vmstat's counters", () => {
    const m = meminfoFields("MemTotal:        2014960 kB\nMemFree:          120000 kB\nHugePages_Total:       0\n");
    expect(m.get("MemTotal")).toBe(2014960 * 1024);
    expect(m.get("MemFree")).toBe(120000 * 1024);
    expect(m.get("HugePages_Total")).toBe(0);
    // Padding of spaces and tabs, a value without a unit, a line without a value, a last line without its newline.
    expect([...meminfoFields("A:1 kB\nB:\t 7\t kB \nC:   \nD: 5 MB\n:9\nnot a field\nE:  12 kB extra\nF: x kB\nG:       3")]).toEqual([
      ["A", 1024],
      ["B", 7 * 1024],
      ["C", 0],
      ["D", 5],
      ["E", 12 * 1024],
      ["F", 0],
      ["G", 3],
    ]);
    // The host collector's: only the kept fields, the same values as a whole reading, and none of the rest.
    for (const machine of ["vm-with-steal", "this-sandbox", "old-kernel-no-memavailable"]) {
      const text = fixture(machine, "meminfo");
      const all = meminfoFields(text);
      const kept = meminfoFields(text, MEMINFO_KEPT);
      expect([...kept.keys()].every((k) => MEMINFO_KEPT.has(k))).toBe(true);
      expect([...kept]).toEqual([...all].filter(([k]) => MEMINFO_KEPT.has(k)));
      expect(memInfoOf(kept)).toEqual(memInfoOf(all));
    }
    const v = parseVmstat("nr_free_pages 123\noom_kill 4\nbad line\n");
    expect(v.get("oom_kill")).toBe(4);
    expect(v.get("nr_free_pages")).toBe(123);
    expect(v.has("bad")).toBe(false);
  });
});
