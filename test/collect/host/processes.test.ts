import { spawn, type ChildProcess } from "node:child_process";
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

describe("topProcesses on this machine", () => {
  it("puts a busy child first by CPU, above 50% of a core", async () => {
    const busy = start("for(;;){}");
    try {
      await new Promise((r) => setTimeout(r, 300)); // let it start spinning
      const top = await topProcesses({ hostRoot: "", by: "cpu", windowMs: 1000 });
      expect(top.length).toBeGreaterThan(0);
      expect(top.length).toBeLessThanOrEqual(5);
      expect(top[0]?.pid).toBe(busy.pid);
      expect(top[0]?.name).toBe("node");
      expect(top[0]?.cpuPercent).toBeGreaterThan(50);
      expect(top[0]?.cpuPercent).toBeLessThan(115);
      for (let i = 1; i < top.length; i++) expect(top[i - 1]!.cpuPercent).toBeGreaterThanOrEqual(top[i]!.cpuPercent);
    } finally {
      busy.kill("SIGKILL");
    }
  }, 15_000);

  it("puts a child holding 300 MB first by memory", async () => {
    const hog = start("const b = Buffer.alloc(300 * 1024 * 1024, 1); process.stdout.write('ready'); setInterval(() => b[0], 1e6);");
    try {
      await waitFor(hog, "ready");
      const top = await topProcesses({ hostRoot: "", by: "memory", limit: 3, windowMs: 100 });
      expect(top).toHaveLength(3);
      expect(top[0]?.pid).toBe(hog.pid);
      expect(top[0]?.rssBytes).toBeGreaterThan(300 * 1024 * 1024);
      const memTotal = Number(/MemTotal:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1]) * 1024;
      expect(top[0]?.memoryPercent).toBeCloseTo((top[0]!.rssBytes / memTotal) * 100, 1);
    } finally {
      hog.kill("SIGKILL");
    }
  }, 15_000);

  it("counts the numeric entries of /proc", async () => {
    const n = await countProcesses("");
    const direct = readdirSync("/proc").filter((e) => /^\d+$/.test(e)).length;
    expect(n).toBeGreaterThan(1);
    expect(Math.abs(n - direct)).toBeLessThanOrEqual(5);
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

    const pending = topProcesses({ hostRoot: root, by: "cpu", windowMs: 400 });
    await new Promise((r) => setTimeout(r, 150));
    rmSync(join(root, "proc/200"), { recursive: true });
    writeFileSync(join(root, "proc/100/stat"), pidStat(100, "my (weird) app)", 180, 60, 2560)); // +40 ticks
    const top = await pending;

    expect(top.map((p) => p.pid)).toEqual([100, 300]);
    const p = top[0]!;
    expect(p.name).toBe("my (weird) app)");
    // 40 ticks in ~0.4 s = 100% of a core (the window is measured, so allow for timer slack)
    expect(p.cpuPercent).toBeGreaterThan(85);
    expect(p.cpuPercent).toBeLessThanOrEqual(100);
    expect(p.rssBytes).toBe(2560 * 4096);
    expect(p.memoryPercent).toBe(0.06); // 10485760 / 16786898944
    expect(top[1]).toEqual({ pid: 300, name: "big", cpuPercent: 0, memoryPercent: 9.99, rssBytes: 409_600 * 4096 });

    const byMem = await topProcesses({ hostRoot: root, by: "memory", limit: 1, windowMs: 10 });
    expect(byMem.map((x) => x.pid)).toEqual([300]);
  });
});
