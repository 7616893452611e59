/**
 * Taking agent.lock is atomic: processes that take and release it as fast as
 * they can, all at once, never hold it together. Each holder creates a marker
 * file exclusively (O_EXCL) while it holds the lock: a second holder at the
 * same time finds the marker there. Runs the built lock module (dist/, as the
 * CLI does) in real processes, since the lock is between processes.
 */

import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const LOCK = resolve(import.meta.dirname, "../../dist/store/lock.js");

describe("AgentLock between processes", () => {
  it("is never held by two at once (4 processes taking it over and over, over a stale note)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-lock-race-"));
    writeFileSync(join(dir, "agent.lock"), JSON.stringify({ pid: 999_999_999, command: "run", since: "x" })); // a stale note, as after a crash
    const startAt = Date.now() + 800;
    const code = `
import { AgentLock } from ${JSON.stringify(LOCK)};
import { openSync, closeSync, unlinkSync } from "node:fs";
const dir = ${JSON.stringify(dir)}, marker = dir + "/holder";
while (Date.now() < ${startAt}) {}
let held = 0, overlaps = 0;
const end = Date.now() + 3000;
while (Date.now() < end) {
  const lock = new AgentLock(dir, "check");
  try { lock.acquire(); } catch { continue; }
  held++;
  try { closeSync(openSync(marker, "wx")); } catch { overlaps++; lock.release(); continue; }
  unlinkSync(marker);
  lock.release();
}
process.stdout.write(JSON.stringify({ held, overlaps }));
`;
    const run = () =>
      new Promise<{ held: number; overlaps: number; stderr: string }>((res, rej) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOOKOUT_LOG_LEVEL: "error" } });
        let out = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", rej);
        child.on("close", () => {
          try {
            res({ ...(JSON.parse(out) as { held: number; overlaps: number }), stderr });
          } catch {
            rej(new Error(`child failed: ${stderr}`));
          }
        });
      });
    const results = await Promise.all([run(), run(), run(), run()]);
    const held = results.reduce((n, r) => n + r.held, 0);
    expect(held, results.map((r) => r.stderr).join("")).toBeGreaterThan(20);
    expect(results.map((r) => r.overlaps)).toEqual([0, 0, 0, 0]);
  }, 30_000);
});
