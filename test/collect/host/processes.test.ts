import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { countProcesses, topProcesses } from "../../../src/collect/host/processes.js";

const FIX = fileURLToPath(new URL("../../fixtures/proc/", import.meta.url));
const children: ChildProcess[] = [];
const temps: string[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function start(code: string): ChildProcess {
  const c = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(c);
  return c;
}

function waitFor(c: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    c.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes(text)) resolve();
    });
    c.on("exit", (code) => reject(new Error(`child exited early (${code})`)));
  });
}

const pidStat = (pid: number, comm: string, utime: number, stime: number, rss: number, start = 5000): string =>
  `${pid} (${comm}) S 1 ${pid} ${pid} 0 -1 4194560 1200 0 3 0 ${utime} ${stime} 0 0 20 0 1 0 ${start} 123456789 ${rss} 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n`;

/** Every process, so that the test finds its own children by pid whatever else runs on this machine. */
const ALL = Number.MAX_SAFE_INTEGER;

/** An idle node child: the test's reference for ranking, as nothing else on the machine can be. */
async function startIdle(): Promise<ChildProcess> {
  const idle = start("process.stdout.write('ready'); setInterval(() => {}, 1e6);");
  await waitFor(idle, "ready");
  return idle;
}

describe("topProcesses on this machine", () => {
  it("measures a busy child's CPU as a share of one core, and ranks it above an idle one", async () => {
    const idle = await startIdle();
    const busy = start("for(;;){}");
    try {
      await new Promise((r) => setTimeout(r, 300)); // let it start spinning
      const all = await topProcesses({ hostRoot: "", by: "cpu", limit: ALL, windowMs: 1000 });
      // Other work on the machine may be busier than the child: look it up by pid, not by rank.
      const b = all.find((p) => p.pid === busy.pid);
      const i = all.find((p) => p.pid === idle.pid);
      expect(b, "the busy child is listed").toBeDefined();
      expect(i, "the idle child is listed").toBeDefined();
      expect(b!.name).toBe("node");
      expect(i!.name).toBe("node");
      // One spinning thread: some CPU (how much depends on the machine's load), never much above one core.
      expect(b!.cpuPercent).toBeGreaterThan(i!.cpuPercent);
      expect(b!.cpuPercent).toBeLessThan(115);
      expect(all.findIndex((p) => p.pid === busy.pid)).toBeLessThan(all.findIndex((p) => p.pid === idle.pid));
      for (let k = 1; k < all.length; k++) expect(all[k - 1]!.cpuPercent).toBeGreaterThanOrEqual(all[k]!.cpuPercent);
      // The default limit keeps the first five of that same order.
      const top = await topProcesses({ hostRoot: "", by: "cpu", windowMs: 100 });
      expect(top.length).toBeGreaterThan(0);
      expect(top.length).toBeLessThanOrEqual(5);
    } finally {
      busy.kill("SIGKILL");
      idle.kill("SIGKILL");
    }
  }, 15_000);

  it("measures a child holding 300 MB by memory, and ranks it above an idle one", async () => {
    const idle = await startIdle();
    const hog = start("const b = Buffer.alloc(300 * 1024 * 1024, 1); process.stdout.write('ready'); setInterval(() => b[0], 1e6);");
    try {
      await waitFor(hog, "ready");
      const all = await topProcesses({ hostRoot: "", by: "memory", limit: ALL, windowMs: 100 });
      const h = all.find((p) => p.pid === hog.pid);
      expect(h, "the hog is listed").toBeDefined();
      expect(h!.rssBytes).toBeGreaterThan(300 * 1024 * 1024);
      const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]) * 1024;
      expect(h!.memoryPercent).toBeCloseTo((h!.rssBytes / memTotal) * 100, 1);
      expect(all.findIndex((p) => p.pid === hog.pid)).toBeLessThan(all.findIndex((p) => p.pid === idle.pid));
      expect(await topProcesses({ hostRoot: "", by: "memory", limit: 3, windowMs: 10 })).toHaveLength(3);
    } finally {
      hog.kill("SIGKILL");
      idle.kill("SIGKILL");
    }
  }, 15_000);

  it("counts the numeric entries of /proc", async () => {
    const pids = () => new Set(readdirSync("/proc").filter((e) => /^\d+$/.test(e)));
    const before = pids();
    const n = await countProcesses("");
    const after = pids();
    // Processes that were there before and after were there during the count; other work may start
    // and end processes meanwhile, so the count lies between those and all seen, give or take a few short-lived ones.
    const both = [...before].filter((p) => after.has(p)).length;
    const either = new Set([...before, ...after]).size;
    expect(both).toBeGreaterThan(1); // this process and its parent at least
    expect(n).toBeGreaterThanOrEqual(both);
    expect(n).toBeLessThanOrEqual(either + 20);
  });
});

describe("topProcesses under a host root", () => {
  it("computes CPU and memory from the stat files, and skips a process that exits in the window", async () => {
    const root = mkdtempSync(join(tmpdir(), "lookout-procs-"));
    temps.push(root);
    mkdirSync(join(root, "proc/100"), { recursive: true });
    mkdirSync(join(root, "proc/200"), { recursive: true });
    mkdirSync(join(root, "proc/300"), { recursive: true });
    mkdirSync(join(root, "proc/self"), { recursive: true });
    cpSync(`${FIX}vm-with-steal/meminfo`, join(root, "proc/meminfo"));
    writeFileSync(join(root, "proc/100/stat"), pidStat(100, "my (weird) app)", 150, 50, 2560));
    writeFileSync(join(root, "proc/200/stat"), pidStat(200, "goner", 900, 100, 1_000_000));
    writeFileSync(join(root, "proc/300/stat"), pidStat(300, "big", 10, 10, 409_600));
    expect(await countProcesses(root)).toBe(3);

    const t0 = performance.now();
    // the rewrite lands well after the first reading pass and well before the second, even when timers run late
    const pending = topProcesses({ hostRoot: root, by: "cpu", windowMs: 1000 });
    await new Promise((r) => setTimeout(r, 300));
    rmSync(join(root, "proc/200"), { recursive: true });
    writeFileSync(join(root, "proc/100/stat"), pidStat(100, "my (weird) app)", 225, 75, 2560)); // +100 ticks
    const top = await pending;
    const elapsed = (performance.now() - t0) / 1000;

    expect(top.map((p) => p.pid)).toEqual([100, 300]);
    const p = top[0]!;
    expect(p.name).toBe("my (weird) app)");
    // 100 ticks in 1 s = 100% of a core. The window is measured (midpoint to midpoint of the two
    // reading passes), and on a busy machine timers fire late: it is at most the call's whole duration
    // as the test timed it, and at least 1 s less half the first pass, which ended before the rewrite at 300 ms.
    expect(p.cpuPercent).toBeGreaterThanOrEqual(Math.floor((100 / (100 * elapsed)) * 1000) / 10);
    expect(p.cpuPercent).toBeLessThanOrEqual((100 / (100 * (1 - 0.3 / 2))) * 100);
    expect(p.rssBytes).toBe(2560 * 4096);
    expect(p.memoryPercent).toBe(0.06); // 10485760 / 16786898944
    expect(top[1]).toEqual({ pid: 300, name: "big", cpuPercent: 0, memoryPercent: 9.99, rssBytes: 409_600 * 4096 });

    const byMem = await topProcesses({ hostRoot: root, by: "memory", limit: 1, windowMs: 10 });
    expect(byMem.map((x) => x.pid)).toEqual([300]);
  });
});
