/**
 * The data directory's lock on the real CLI: a note naming a live process that
 * is not Lookout (a pid reused after a power cut and reboot) is taken over, and
 * agents started at the same instant never run at once.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, cleanEnv, NODE_FLAGS, runCli, workspace } from "../support/cli.js";
import { hostRulesOnly } from "../support/configs.js";
import { until } from "../support/wait.js";

const QUIET = `${hostRulesOnly()}\n`;

describe("agent.lock", () => {
  it("is taken over when its pid is a live process that is not this boot's Lookout", async () => {
    const sleeper: ChildProcess = spawn("sleep", ["60"], { stdio: "ignore" });
    try {
      const ws = workspace(QUIET);
      mkdirSync(ws.data);
      const notes = [
        { pid: sleeper.pid, command: "run", since: "2026-01-01T00:00:00.000Z" }, // as Lookout wrote it before
        { pid: sleeper.pid, command: "run", since: "2026-01-01T00:00:00.000Z", boot_id: "a-boot-before-the-power-cut", start_time: 1234 },
      ];
      for (const note of notes) {
        writeFileSync(join(ws.data, "agent.lock"), JSON.stringify(note));
        const r = await runCli(["check", "--config", ws.config, "--data-dir", ws.data]);
        expect(r.stderr).not.toMatch(/another Lookout agent/);
        expect(r.code, r.stderr).toBe(0);
        expect(existsSync(join(ws.data, "agent.lock"))).toBe(false); // released at exit
      }
      expect(sleeper.exitCode).toBeNull(); // nobody touched it
    } finally {
      sleeper.kill();
    }
  }, 60_000);

  it("refuses a second agent while one runs, naming it", async () => {
    const ws = workspace(QUIET);
    const { startCli } = await import("../support/cli.js");
    const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data]);
    try {
      const end = Date.now() + 15_000;
      while (!existsSync(join(ws.data, "agent.lock")) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      const r = await runCli(["check", "--config", ws.config, "--data-dir", ws.data]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(
        new RegExp(`^lookout: another Lookout agent \\(pid ${agent.child.pid}, "lookout run" since [^)]+\\) is using the data directory ${ws.data}; stop it first`),
      );
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  }, 60_000);

  it("never lets agents started at the same instant run at once (4 × check, 3 times (0, 30 and 60 µs apart), over a stale lock)", async () => {
    const ws = workspace(QUIET);
    // Each check waits, just before it takes the lock (where it checks that the data directory is writable),
    // until all four have got there (a barrier: each writes ready-<pid>, the test then writes the instant, `go`),
    // then for its instant on the monotonic clock all processes share: the four within microseconds of each other,
    // a few microseconds apart that change with each round, so the ways two can interleave are tried. Each
    // records when it lets the lock go: when it deletes its note (src/store/lock.ts release(), which still holds
    // the kernel lock then), or else when it exits. One that got the lock keeps it, before it lets go, until the
    // three others have exited (at most 15 s): so each of those was refused while it held it, however slow the
    // machine (else one that waited for the lock could take it just after, as it may).
    const preload = join(ws.dir, "same-instant.mjs");
    writeFileSync(
      preload,
      `import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
const offset = BigInt(process.env.SYNC_OFFSET_NS), dir = process.env.SYNC_DIR, barrier = process.env.SYNC_BARRIER, logFile = process.env.SYNC_LOG;
const access = fs.accessSync, unlink = fs.unlinkSync;
let end = null;
const sleepMs = (ms) => { if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };
fs.accessSync = function (p, ...rest) {
  if (String(p) === dir) {
    fs.writeFileSync(barrier + "/ready-" + process.pid, "");
    let go = null;
    for (const end = Date.now() + 60000; go === null && Date.now() < end; ) {
      try { go = fs.readFileSync(barrier + "/go", "utf8"); } catch { sleepMs(1); }
    }
    if (go !== null) {
      const at = BigInt(go) + offset;
      // Sleeps until 5 ms before the instant (so that the four do not take the CPU from each other), then spins to it.
      sleepMs(Number(at - process.hrtime.bigint()) / 1e6 - 5);
      while (process.hrtime.bigint() < at) {}
    }
  }
  return access.call(this, p, ...rest);
};
const othersExited = () => fs.readFileSync(logFile, "utf8").split("\\n").filter((l) => l && JSON.parse(l).pid !== process.pid).length >= 3;
fs.unlinkSync = function (p, ...rest) {
  if (String(p) === dir + "/agent.lock" && end === null) {
    for (const until = Date.now() + 15000; !othersExited() && Date.now() < until; ) sleepMs(10);
    end = Date.now();
  }
  return unlink.call(this, p, ...rest);
};
syncBuiltinESMExports();
process.on("exit", () => fs.appendFileSync(logFile, JSON.stringify({ pid: process.pid, end: end ?? Date.now() }) + "\\n"));
`,
    );
    const check = (dataDir: string, offsetNs: bigint, barrier: string, logFile: string) =>
      new Promise<{ pid: number; code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [...NODE_FLAGS, "--import", preload, CLI, "check", "--json", "--config", ws.config, "--data-dir", dataDir], {
          env: cleanEnv({ SYNC_OFFSET_NS: String(offsetNs), SYNC_DIR: dataDir, SYNC_BARRIER: barrier, SYNC_LOG: logFile }),
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.on("error", reject);
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ pid: child.pid!, code, stdout, stderr });
        });
      });
    const dead = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
      c.on("close", () => resolve(c.pid!));
    });
    // Three spacings, the two ends and the middle (five took 17 s of a worker: the suite is near its 3 minutes).
    for (let round = 0; round < 3; round++) {
      const dataDir = join(ws.dir, `data-${round}`);
      mkdirSync(dataDir);
      // Round 0 on a new data directory; the others next to the database an earlier agent left, as a stale
      // lock usually is found (and its first check then measures CPU since that one, without waiting 0.5 s).
      if (round > 0) copyFileSync(join(ws.dir, "data-0", "lookout.db"), join(dataDir, "lookout.db"));
      // A lock left by an agent that is gone: all four take the takeover path at once.
      writeFileSync(join(dataDir, "agent.lock"), JSON.stringify({ pid: dead, command: "run", since: "2026-01-01T00:00:00.000Z" }));
      const logFile = join(ws.dir, `exits-${round}.jsonl`);
      appendFileSync(logFile, "");
      const barrier = join(ws.dir, `barrier-${round}`);
      mkdirSync(barrier);
      const step = BigInt(round) * 30_000n; // 0, 30 or 60 µs between one start and the next
      const running = Promise.all([0n, 1n, 2n, 3n].map((i) => check(dataDir, i * step, barrier, logFile)));
      // All four wait at the lock: the instant is 50 ms from now.
      await until(
        () => readdirSync(barrier).filter((f) => f.startsWith("ready-")).length === 4,
        30_000,
        `round ${round}: the four checks to reach the lock`,
        () => readdirSync(barrier).join(" "),
        5,
      );
      writeFileSync(join(barrier, "go.tmp"), String(process.hrtime.bigint() + 50_000_000n));
      renameSync(join(barrier, "go.tmp"), join(barrier, "go"));
      const results = await running;
      const ends = new Map(
        readFileSync(logFile, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { pid: number; end: number })
          .map((e) => [e.pid, e.end]),
      );
      const winners = results.filter((r) => r.code !== 3);
      for (const r of results.filter((r) => r.code === 3)) expect(r.stderr).toMatch(/^lookout: another Lookout agent \(pid \d+, "lookout check" since/);
      expect(winners.length, results.map((r) => r.stderr).join("\n")).toBe(1);
      // Each winner held the lock at least from its check (checked_at) to its release: no two of those may overlap
      // (one that took the lock after another let it go checks in the same millisecond at the earliest).
      const spans = winners
        .map((w) => ({ pid: w.pid, from: Date.parse((JSON.parse(w.stdout) as { checked_at: string }).checked_at), to: ends.get(w.pid)! }))
        .sort((a, b) => a.from - b.from);
      for (let i = 1; i < spans.length; i++) {
        expect(spans[i]!.from, `round ${round}: pids ${spans[i - 1]!.pid} and ${spans[i]!.pid} ran at once`).toBeGreaterThanOrEqual(spans[i - 1]!.to);
      }
    }
  }, 180_000);
});
