import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StorageError } from "../../src/errors.js";
import { AgentDatabase } from "../../src/store/agent-db.js";
import { AgentLock, LOCK_FILE } from "../../src/store/lock.js";

const dir = () => mkdtempSync(join(tmpdir(), "lookout-lock-"));

describe("AgentLock", () => {
  it("is taken once, refused to a second holder with who holds it, and released", () => {
    const d = dir();
    const a = new AgentLock(d, "run");
    a.acquire();
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), "utf8"))).toMatchObject({ pid: process.pid, command: "run" });
    // A live process (the test runner's parent shell would do; use pid 1, always alive) holding it:
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: 1, command: "run", since: "2026-01-01T00:00:00.000Z" }));
    const b = new AgentLock(d, "check");
    let err: unknown;
    try {
      b.acquire();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).exitCode).toBe(3);
    expect((err as StorageError).userMessage).toMatch(
      /another Lookout agent \(pid 1, "lookout run" since 2026-01-01T00:00:00.000Z\) is using the data directory .*; stop it first, or give this one its own --data-dir/,
    );
  });

  it("takes over a lock left by a process that is gone", () => {
    const d = dir();
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    writeFileSync(join(d, LOCK_FILE), JSON.stringify({ pid: Number(dead.stdout), command: "run", since: "x" }));
    const lock = new AgentLock(d, "check");
    lock.acquire();
    expect(JSON.parse(readFileSync(join(d, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(join(d, LOCK_FILE))).toBe(false);
  });
});

describe("the agent's database and its lock", () => {
  it("keeps no exit listener once closed: a process that opens and closes data directories (tests, reloads) leaves none behind", () => {
    const before = process.listenerCount("exit");
    for (let i = 0; i < 12; i++) {
      const data = new AgentDatabase(mkdtempSync(join(tmpdir(), "lookout-agentdb-")), "test");
      expect(process.listenerCount("exit")).toBe(before + 1);
      data.close();
    }
    expect(process.listenerCount("exit")).toBe(before);
  });
});
