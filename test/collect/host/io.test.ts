import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { chooseIo, DISK_DEVICE_EXCLUDE, increase, ioSamples, NET_DEVICE_EXCLUDE, parseIoCounters } from "../../../src/collect/host/io.js";
import { parseDiskstats, parseNetDev } from "../../../src/collect/host/procfs.js";
import type { Sample } from "../../../src/model/sample.js";

const FIX = fileURLToPath(new URL("../../fixtures/host/docker-host/", import.meta.url));
const fixture = (file: string): string => readFileSync(`${FIX}${file}`, "utf8");

const T0 = 1_764_580_000_000;

function reading(n: 1 | 2, at: number) {
  return chooseIo(at, parseNetDev(fixture(`net-dev.${n}`)), parseDiskstats(fixture(`diskstats.${n}`)));
}

function values(samples: Sample[], name: string): Record<string, number> {
  return Object.fromEntries(samples.filter((s) => s.name === name).map((s) => [s.labels.device, s.value]));
}

describe("parseNetDev", () => {
  it("reads every interface, a name or counter touching the colon included", () => {
    const m = parseNetDev(fixture("net-dev.1"));
    expect([...m.keys()]).toEqual(["lo", "eth0", "bond0", "bond0.100", "wg0", "docker0", "br-3f2a1b4c5d6e", "docker_gwbridge", "veth1a2b3c4", "vethd4e5f60"]);
    expect(m.get("eth0")).toEqual({
      rxBytes: 123456789012,
      rxPackets: 98123456,
      rxErrors: 0,
      rxDrops: 12,
      txBytes: 45678901234,
      txPackets: 61234567,
      txErrors: 0,
      txDrops: 0,
    });
    expect(m.get("docker_gwbridge")?.rxBytes).toBe(12345);
  });

  it("reads this machine's /proc/net/dev and skips lines that do not parse", () => {
    const m = parseNetDev(readFileSync("/proc/net/dev", "utf8"));
    expect(m.has("lo")).toBe(true);
    expect(parseNetDev("garbage\n  eth0: 1 2 3\n").size).toBe(0);
  });
});

describe("parseDiskstats", () => {
  it("reads sectors as bytes (×512), the times and io_ticks", () => {
    const m = parseDiskstats(fixture("diskstats.1"));
    expect(m.get("sda")).toEqual({ reads: 1253669, readBytes: 96161546 * 512, readMs: 754289, writes: 4290163, writtenBytes: 179239320 * 512, writeMs: 2945800, ioMs: 1465492 });
    expect(m.size).toBe(12);
  });

  it("reads an old kernel's 14 columns, and this machine's file", () => {
    const m = parseDiskstats("   8       0 sda 10 0 20 3 4 0 8 1 0 7 4\n   8       1 sda1 1 2\n");
    expect(m.get("sda")).toEqual({ reads: 10, readBytes: 20 * 512, readMs: 3, writes: 4, writtenBytes: 8 * 512, writeMs: 1, ioMs: 7 });
    expect(m.has("sda1")).toBe(false);
    expect(parseDiskstats(readFileSync("/proc/diskstats", "utf8")).size).toBeGreaterThan(0);
  });
});

describe("which devices count", () => {
  it("leaves out loopback and Docker's plumbing, keeps physical, bond, VLAN and tunnel interfaces", () => {
    for (const d of ["lo", "docker0", "docker_gwbridge", "br-3f2a1b4c5d6e", "veth1a2b3c4"]) expect(NET_DEVICE_EXCLUDE.test(d), d).toBe(true);
    for (const d of ["eth0", "ens5", "enp0s31f6", "bond0", "bond0.100", "eth0.42", "wg0", "wlan0", "lo0x", "bridge0"]) expect(NET_DEVICE_EXCLUDE.test(d), d).toBe(false);
  });

  it("keeps whole disks and leaves out partitions, loop, ram and floppy devices (node_exporter's default)", () => {
    for (const d of ["sda1", "vdb12", "xvda1", "hda3", "nvme0n1p1", "nvme10n2p15", "loop0", "ram0", "zram0", "fd0"]) expect(DISK_DEVICE_EXCLUDE.test(d), d).toBe(true);
    for (const d of ["sda", "vda", "xvdf", "nvme0n1", "dm-0", "md0", "sr0", "mmcblk0"]) expect(DISK_DEVICE_EXCLUDE.test(d), d).toBe(false);
  });

  it("chooses those of the fixture host", () => {
    const io = reading(2, T0);
    expect(Object.keys(io.net)).toEqual(["eth0", "eth1", "bond0", "bond0.100", "wg0"]);
    expect(Object.keys(io.disks)).toEqual(["sda", "nvme0n1", "dm-0", "md0", "sr0"]);
    expect(chooseIo(T0, null, null)).toEqual({ at: T0, net: {}, disks: {} });
  });
});

describe("ioSamples", () => {
  it("gives bytes per second per device over the window", () => {
    const s = ioSamples(reading(1, T0), reading(2, T0 + 10_000));
    // eth1 is new: no rate until the next reading; wg0 was re-created: its counters count from 0
    expect(values(s, "host_network_receive")).toEqual({ eth0: 1_250_000, bond0: 100_000, "bond0.100": 4096, wg0: 3000 });
    expect(values(s, "host_network_transmit")).toEqual({ eth0: 250_000, bond0: 50_000, "bond0.100": 2048, wg0: 1000 });
    expect(values(s, "host_disk_read")).toEqual({ sda: 1_048_576, nvme0n1: 0, "dm-0": 5_120_000, md0: 0, sr0: 0 });
    expect(values(s, "host_disk_write")).toEqual({ sda: 2_097_152, nvme0n1: 104_858, "dm-0": 10_240_000, md0: 0, sr0: 0 });
    // busy 2.5 s of 10, 0.1 s, and dm-0's 12 s capped at the window
    expect(values(s, "host_disk_utilization")).toEqual({ sda: 25, nvme0n1: 1, "dm-0": 100, md0: 0, sr0: 0 });
    expect(s.find((x) => x.name === "host_network_receive" && x.labels.device === "eth0")).toEqual({
      name: "host_network_receive",
      labels: { device: "eth0" },
      value: 1_250_000,
      details: { bytes: 123469289012, packets: 98132456, errors: 0, drops: 13, windowMs: 10_000 },
    });
    expect(s.find((x) => x.name === "host_disk_write" && x.labels.device === "sda")?.details).toEqual({
      bytes: (179239320 + 40960) * 512,
      ops: 4290483,
      ms: 2948000,
      windowMs: 10_000,
    });
  });

  it("gives a device the same labels object from reading to reading, each with its own device", () => {
    const a = ioSamples(reading(1, T0), reading(2, T0 + 10_000));
    const b = ioSamples(reading(2, T0 + 10_000), reading(2, T0 + 20_000));
    const labelsOf = (s: typeof a, name: string, device: string) => s.find((x) => x.name === name && x.labels.device === device)?.labels;
    expect(labelsOf(b, "host_network_receive", "eth0")).toBe(labelsOf(a, "host_network_receive", "eth0"));
    expect(labelsOf(b, "host_disk_write", "sda")).toBe(labelsOf(a, "host_disk_write", "sda"));
    for (const s of [...a, ...b]) expect(Object.keys(s.labels)).toEqual(["device"]);
    expect(new Set(b.map((s) => s.labels.device))).toEqual(new Set(b.map((s) => s.labels).map((l) => l.device)));
    expect(labelsOf(b, "host_network_receive", "eth0")).toEqual({ device: "eth0" });
    expect(labelsOf(b, "host_disk_read", "dm-0")).toEqual({ device: "dm-0" });
  });

  it("never gives a negative rate, and nothing without a window", () => {
    const a = reading(2, T0);
    const b = reading(1, T0 + 5000); // every counter went back
    for (const s of ioSamples(a, b)) expect(s.value, `${s.name} ${s.labels.device}`).toBeGreaterThanOrEqual(0);
    expect(ioSamples(undefined, a)).toEqual([]);
    expect(ioSamples(a, a)).toEqual([]);
    expect(ioSamples(b, a)).toEqual([]); // the clock went back
    expect(increase(10, 4)).toBe(4);
    expect(increase(4, 10)).toBe(6);
    expect(increase(Number.NaN, 10)).toBe(0);
  });
});

describe("parseIoCounters", () => {
  it("takes back what JSON kept, refuses what is malformed", () => {
    const io = reading(1, T0);
    expect(parseIoCounters(JSON.parse(JSON.stringify(io)))).toEqual(io);
    const bad: unknown[] = [
      null,
      "x",
      { ...io, at: "1" },
      { ...io, net: [] },
      { ...io, disks: undefined },
      { ...io, net: { eth0: { ...io.net.eth0, rxBytes: -1 } } },
      { ...io, disks: { sda: { ...io.disks.sda, ioMs: Number.NaN } } },
      { ...io, net: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`eth${i}`, io.net.eth0])) },
    ];
    for (const b of bad) expect(parseIoCounters(b), JSON.stringify(b)?.slice(0, 80)).toBeUndefined();
  });
});
