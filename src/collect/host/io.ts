/**
 * Host network and disk I/O: which devices count, and the rates between two
 * readings of their counters (/proc/net/dev, /proc/diskstats, parsed in
 * procfs.ts). Pure: counters and times in, samples out.
 */
import { HOST_DISK_READ, HOST_DISK_UTILIZATION, HOST_DISK_WRITE, HOST_NETWORK_RECEIVE, HOST_NETWORK_TRANSMIT } from "../../model/metrics.js";
import { type Sample, sampleOf } from "../../model/sample.js";
import { DISK_FIELDS, type DiskCounters, NET_DEV_FIELDS, type NetDevCounters } from "./procfs.js";

/**
 * Interfaces left out of the host's traffic: loopback, and Docker's plumbing
 * (a container's veth pair end, the default bridge, user-defined networks'
 * `br-<id>` bridges, swarm's gateway bridge), whose bytes also cross a physical
 * interface or never leave the host. Physical, bond and VLAN interfaces stay.
 * (node_exporter's `--collector.netdev.device-exclude` has no default; this is
 * the usual exclude for a Docker host.)
 */
export const NET_DEVICE_EXCLUDE = /^(lo|veth.*|docker0|docker_gwbridge|br-.*)$/;

/**
 * Block devices left out: node_exporter's default `--collector.diskstats.device-exclude`.
 * Partitions of sd/vd/xvd/hd and nvme disks, loop, ram, zram and floppy devices
 * go; whole disks, device-mapper (`dm-0`) and md arrays stay.
 */
export const DISK_DEVICE_EXCLUDE = /^(z?ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$/;

/** At most this many devices of each kind are kept (a host with thousands of interfaces is not summed into the snapshot). */
export const MAX_IO_DEVICES = 256;

/** The counters of the chosen devices at one reading. */
export interface IoCounters {
  /** When they were read, ms since epoch. */
  at: number;
  net: Record<string, NetDevCounters>;
  disks: Record<string, DiskCounters>;
}

/**
 * Whether each device name seen is left out, by kind: the same few names come
 * every cycle, and a regexp test per name and cycle is not free under
 * --lite-mode. Emptied when it grows past MAX_IO_DEVICES × 4 names (churn of
 * veth interfaces), so it stays small.
 */
const excludedNet = new Map<string, boolean>();
const excludedDisk = new Map<string, boolean>();

function excluded(kept: Map<string, boolean>, re: RegExp, name: string): boolean {
  let out = kept.get(name);
  if (out === undefined) {
    if (kept.size >= MAX_IO_DEVICES * 4) kept.clear();
    out = re.test(name);
    kept.set(name, out);
  }
  return out;
}

/** The devices that count, from all of /proc/net/dev's and /proc/diskstats' (null: that file could not be read). */
export function chooseIo(at: number, net: Map<string, NetDevCounters> | null, disks: Map<string, DiskCounters> | null): IoCounters {
  const out: IoCounters = { at, net: {}, disks: {} };
  let n = 0;
  for (const [name, c] of net ?? []) {
    if (n >= MAX_IO_DEVICES || excluded(excludedNet, NET_DEVICE_EXCLUDE, name)) continue;
    out.net[name] = c;
    n++;
  }
  n = 0;
  for (const [name, c] of disks ?? []) {
    if (n >= MAX_IO_DEVICES || excluded(excludedDisk, DISK_DEVICE_EXCLUDE, name)) continue;
    out.disks[name] = c;
    n++;
  }
  return out;
}

/**
 * How much a counter grew. A counter that went back (the interface was
 * re-created, the counter wrapped) started again from 0 inside the window,
 * as Prometheus' `rate()` takes it: its growth is its current value. Never negative.
 */
export function increase(prev: number, cur: number): number {
  if (!Number.isFinite(prev) || !Number.isFinite(cur) || cur < 0) return 0;
  return cur >= prev ? cur - prev : cur;
}

/**
 * `{ device }` of each device of the last `ioSamples`, the same object from
 * cycle to cycle: evaluation and the history keep a series' identity by its
 * labels object (evaluate/evaluate.ts, store/history.ts), and a new one each
 * cycle made them sort and quote every device's labels again. Labels are
 * never changed once made; devices gone are dropped at the next call.
 */
let deviceLabels = new Map<string, Record<string, string>>();

/**
 * The rate samples from `prev` to `cur`: per interface, bytes received and
 * sent per second; per disk, bytes read and written per second and the share
 * of the window it was busy. A device not in `prev` (new) has none until the
 * next reading; none at all when no time passed.
 */
export function ioSamples(prev: IoCounters | undefined, cur: IoCounters): Sample[] {
  const out: Sample[] = [];
  const kept = deviceLabels;
  const labelsOf = (device: string): Record<string, string> => {
    let labels = next.get(device) ?? kept.get(device);
    if (!labels) labels = { device };
    next.set(device, labels);
    return labels;
  };
  const next = new Map<string, Record<string, string>>();
  deviceLabels = next;
  const windowMs = prev ? cur.at - prev.at : 0;
  if (!prev || !(windowMs > 0)) return out;
  const perSecond = (p: number, c: number) => Math.round((increase(p, c) / windowMs) * 1000);
  for (const [device, c] of Object.entries(cur.net)) {
    const p = prev.net[device];
    if (!p) continue;
    const labels = labelsOf(device);
    out.push(
      sampleOf(HOST_NETWORK_RECEIVE, perSecond(p.rxBytes, c.rxBytes), { bytes: c.rxBytes, packets: c.rxPackets, errors: c.rxErrors, drops: c.rxDrops, windowMs }, labels),
      sampleOf(HOST_NETWORK_TRANSMIT, perSecond(p.txBytes, c.txBytes), { bytes: c.txBytes, packets: c.txPackets, errors: c.txErrors, drops: c.txDrops, windowMs }, labels),
    );
  }
  for (const [device, c] of Object.entries(cur.disks)) {
    const p = prev.disks[device];
    if (!p) continue;
    const labels = labelsOf(device);
    const busy = Math.min(100, (increase(p.ioMs, c.ioMs) / windowMs) * 100);
    out.push(
      sampleOf(HOST_DISK_READ, perSecond(p.readBytes, c.readBytes), { bytes: c.readBytes, ops: c.reads, ms: c.readMs, windowMs }, labels),
      sampleOf(HOST_DISK_WRITE, perSecond(p.writtenBytes, c.writtenBytes), { bytes: c.writtenBytes, ops: c.writes, ms: c.writeMs, windowMs }, labels),
      sampleOf(HOST_DISK_UTILIZATION, Math.round(busy * 100) / 100, { ioMs: c.ioMs, windowMs }, labels),
    );
  }
  return out;
}

function countersOf<K extends string>(v: unknown, keys: readonly K[]): Record<K, number> | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const out = {} as Record<K, number>;
  for (const k of keys) {
    const n = (v as Record<string, unknown>)[k];
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) return undefined;
    out[k] = n;
  }
  return out;
}

function devicesOf<T>(v: unknown, parse: (c: unknown) => T | undefined): Record<string, T> | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
  const entries = Object.entries(v);
  if (entries.length > MAX_IO_DEVICES) return undefined;
  const out: Record<string, T> = {};
  for (const [name, c] of entries) {
    const parsed = parse(c);
    if (parsed === undefined) return undefined;
    out[name] = parsed;
  }
  return out;
}

/** `IoCounters` read back from a snapshot (JSON from an earlier process); undefined when malformed. */
export function parseIoCounters(v: unknown): IoCounters | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const s = v as Record<string, unknown>;
  if (typeof s.at !== "number" || !Number.isFinite(s.at)) return undefined;
  const net = devicesOf(s.net, (c) => countersOf(c, NET_DEV_FIELDS));
  const disks = devicesOf(s.disks, (c) => countersOf(c, DISK_FIELDS));
  if (!net || !disks) return undefined;
  return { at: s.at, net, disks };
}
