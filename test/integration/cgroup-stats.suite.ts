/**
 * Container figures from cgroup files, against the rig's real dockerd: they
 * agree with the Engine API's stats for the same container over the same
 * window (CPU within 2 points under a known load, memory within 1 %), and when
 * the cgroup files cannot be read the collector reports CPU and memory through
 * the API and says why. The collector runs in this process, as `lookout check`
 * runs it.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerStats } from "../../src/collect/docker/api-types.js";
import { DockerCollector } from "../../src/collect/docker/docker.js";
import { DockerEngine } from "../../src/collect/docker/engine.js";
import { statsSourceText } from "../../src/collect/docker/saved.js";
import { configSchema } from "../../src/config/schema.js";
import { setLogSink } from "../../src/log.js";
import type { Sample } from "../../src/model/sample.js";
import { until } from "../support/wait.js";
import { currentRig, type RigInfo, removeContainers, runContainer, setRig, uniqueName } from "./docker-rig.js";

let rig: RigInfo;
let engine: DockerEngine;
const mine: string[] = [];
const temps: string[] = [];
const logLines: string[] = [];

/** A busy loop held to half a core by `--cpus 0.5`: a known load whatever else the machine runs. */
const BUSY = "trap 'exit 143' TERM; while :; do :; done";
/** 24 MiB on a tmpfs (charged to the container's memory, not reclaimable page cache), then waits. */
const HOLD_MIB = 24;
const HOLD = `dd if=/dev/zero of=/data/f bs=1M count=${HOLD_MIB} 2>/dev/null && touch /data/done; trap 'exit 143' TERM; sleep 86400 & wait`;

let busy: { name: string; id: string };
let holder: { name: string; id: string };

beforeAll(async () => {
  rig = await currentRig();
  setRig(rig);
  setLogSink((line) => logLines.push(line));
  engine = new DockerEngine({ host: rig.host });
  await engine.version();
  const b = uniqueName("cg-busy");
  const h = uniqueName("cg-hold");
  mine.push(b, h);
  busy = { name: b, id: await runContainer(b, { cmd: BUSY, cpus: 0.5 }) };
  holder = { name: h, id: await runContainer(h, { cmd: HOLD, memory: "64m", tmpfs: { "/data": "size=40m" } }) };
  await until(async () => ((await engine.stats(holder.id))?.memory_stats.usage ?? 0) >= HOLD_MIB * 1024 * 1024, 20_000, `${h} to hold ${HOLD_MIB} MiB`);
});

afterAll(async () => {
  setLogSink((line) => process.stderr.write(`${line}\n`));
  if (mine.length > 0) await removeContainers(mine).catch(() => undefined);
  await engine?.close();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function collectorFor(names: string[], hostRoot = "") {
  const config = configSchema.parse({ docker: { enabled: true, socket: rig.host }, containers: { include: names } });
  const collector = new DockerCollector({ config, hostRoot });
  const collect = async (): Promise<Sample[]> => (await collector.collect({ config, now: Date.now(), reason: "interval" })).samples;
  return { collector, collect };
}

const sampleOf = (samples: Sample[], name: string, container: string) => samples.find((s) => s.name === name && s.labels.container === container);

/** docker stats' CPU figure between two API answers (100 = one core). */
function apiCpu(a: ContainerStats, b: ContainerStats): number {
  const cpu = b.cpu_stats.cpu_usage.total_usage - a.cpu_stats.cpu_usage.total_usage;
  const system = (b.cpu_stats.system_cpu_usage ?? 0) - (a.cpu_stats.system_cpu_usage ?? 0);
  return (cpu / system) * (b.cpu_stats.online_cpus ?? 1) * 100;
}

/** What `fn` gave, and the clock just before and just after it. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; start: number; end: number }> {
  const start = Date.now();
  const value = await fn();
  return { value, start, end: Date.now() };
}

/** The container's CPU time now, from the API (to wait until the window holds enough of its work). */
async function cpuNs(id: string): Promise<number> {
  return (await engine.stats(id))?.cpu_stats.cpu_usage.total_usage ?? 0;
}

describe("figures from cgroup files", () => {
  it("agree with the Engine API's over the same window: CPU within 2 points (a --cpus 0.5 busy loop), memory within 1 %", async () => {
    const { collector, collect } = collectorFor([busy.name, holder.name]);
    try {
      // Each end of the window: the API's answer (dockerd reads the cgroup when it answers), then the collector's read right after.
      await collect(); // lists and inspects the containers: the collects that bracket the window only read their files
      const a0 = (await engine.stats(busy.id))!;
      const c0 = await timed(collect);
      expect(collector.statsSource).toMatchObject({ cgroup: 2, api: 0 });
      expect(statsSourceText(collector.statsSource)).toMatch(/^container stats: from cgroup files \(v[12]\)$/);
      // Long enough for the loop to have used 2 s of CPU (4 s at its limit; longer on a machine that starves it): the two
      // sources count time differently (the API against the host's CPU time, in ticks; the files against the clock), and
      // a read at each end is a few ms apart from the other's: over a 2 s window that came to 2.0 points on a loaded machine.
      const start = a0.cpu_stats.cpu_usage.total_usage;
      await until(async () => (await cpuNs(busy.id)) - start >= 2e9, 45_000, "the busy loop to use 2 s of CPU");
      const a1 = (await engine.stats(busy.id))!;
      const c1 = await timed(collect);
      const samples = c1.value;

      const cpu = sampleOf(samples, "container_cpu", busy.name);
      expect(cpu, "a container_cpu sample from two cgroup readings").toBeDefined();
      const files = (cpu!.details as { ofOneCore: number }).ofOneCore;
      const api = apiCpu(a0, a1);
      // The 2 points are for the same window. On a busy machine the two reads at an end can be far apart (dockerd's
      // answer, then a whole collect), and a loop the machine starves does not run at a steady rate: so the windows'
      // difference is allowed on top, at the loop's half core at most, once in the time counted and once in the window's
      // length (50 + 50 points a second apart). dockerd stamps its reading (`read`); the collector's is within its collect().
      const window = Date.parse(a1.read) - Date.parse(a0.read);
      const apart = (c: { start: number; end: number }, read: string) => Math.max(Math.abs(c.start - Date.parse(read)), Math.abs(c.end - Date.parse(read)));
      const allowed = 2 + (100 * (apart(c0, a0.read) + apart(c1, a1.read))) / window;
      expect(Math.abs(files - api), `cgroup files ${files} vs Engine API ${api.toFixed(2)} (100 = one core), ${allowed.toFixed(2)} allowed`).toBeLessThanOrEqual(allowed);
      expect(api).toBeLessThanOrEqual(52); // the load is the known one: at most half a core
      // The rule's value is a share of its half core, as before.
      expect(cpu!.details).toMatchObject({ cores: 0.5, limited: true });

      // Memory: the API's answer, then the collector's read, twice (the holder is idle: nothing moves between).
      const m = (await engine.stats(holder.id))!;
      const after = await collect();
      const mem = sampleOf(after, "container_memory", holder.name)!.details as { usageBytes: number; limitBytes: number; limited: boolean };
      const apiWorkingSet = m.memory_stats.usage! - (m.memory_stats.stats?.total_inactive_file ?? m.memory_stats.stats?.inactive_file ?? 0);
      expect(Math.abs(mem.usageBytes - apiWorkingSet) / apiWorkingSet, `cgroup files ${mem.usageBytes} vs Engine API ${apiWorkingSet}`).toBeLessThanOrEqual(0.01);
      expect(mem.usageBytes).toBeGreaterThanOrEqual(HOLD_MIB * 1024 * 1024);
      expect(mem.limitBytes).toBe(m.memory_stats.limit);
      expect(mem.limitBytes).toBe(64 * 1024 * 1024);
      const usage = sampleOf(after, "container_memory_usage", holder.name)!.value;
      expect(Math.abs(usage - m.memory_stats.usage!) / m.memory_stats.usage!).toBeLessThanOrEqual(0.01);
      expect(sampleOf(after, "container_pids", holder.name)?.value).toBe(m.pids_stats?.current);
      expect(logLines.some((l) => l.includes("container stats from cgroup files"))).toBe(true);
    } finally {
      await collector.stop();
    }
  }, 60_000);
});

describe("the Engine API as the fallback", () => {
  /** A host_root whose /proc is the real one and whose sys/fs/cgroup is empty: the cgroup root is hidden. */
  function hiddenCgroupRoot(): string {
    const dir = mkdtempSync(join(tmpdir(), "lookout-hostroot-"));
    temps.push(dir);
    symlinkSync("/proc", join(dir, "proc"));
    mkdirSync(join(dir, "sys/fs/cgroup"), { recursive: true });
    return dir;
  }

  /** A host_root with this host's mountinfo but no processes: the containers' pids are not visible. */
  async function noPids(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), "lookout-hostroot-"));
    temps.push(dir);
    mkdirSync(join(dir, "proc/1"), { recursive: true });
    writeFileSync(join(dir, "proc/1/mountinfo"), await readFile("/proc/self/mountinfo", "utf8"));
    return dir;
  }

  for (const [what, make, says] of [
    ["the cgroup root is hidden", async () => hiddenCgroupRoot(), /is not readable under host_root/],
    ["the pids are not visible", noPids, /processes are not visible in .*\/proc/],
  ] as const) {
    it(`reports CPU and memory through the API when ${what}, and says so`, async () => {
      const hostRoot = await make();
      const { collector, collect } = collectorFor([busy.name, holder.name], hostRoot);
      const before = logLines.length;
      try {
        const samples = await until(
          async () => {
            const s = await collect();
            return sampleOf(s, "container_cpu", busy.name) && s;
          },
          20_000,
          "a container_cpu sample through the API",
        );
        expect((sampleOf(samples, "container_cpu", busy.name)!.details as { ofOneCore: number }).ofOneCore).toBeGreaterThan(0);
        const mem = sampleOf(samples, "container_memory", holder.name)!.details as { usageBytes: number; limitBytes: number };
        expect(mem.usageBytes).toBeGreaterThanOrEqual(HOLD_MIB * 1024 * 1024);
        expect(mem.limitBytes).toBe(64 * 1024 * 1024);
        expect(collector.statsSource).toMatchObject({ cgroup: 0, api: 2 });
        const text = statsSourceText(collector.statsSource)!;
        expect(text).toMatch(/^container stats: from the Engine API: /);
        expect(text).toMatch(says);
        const said = logLines.slice(before).filter((l) => l.includes("container stats from the Engine API"));
        expect(said).toHaveLength(1);
        expect(said[0]).toMatch(says);
        expect(said[0]).toContain(hostRoot);
      } finally {
        await collector.stop();
      }
    });
  }
});
