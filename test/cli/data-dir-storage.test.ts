/**
 * The data directory going wrong under Lookout, on the real CLI: lookout.db
 * deleted while the agent runs, a full disk (a 1 MiB tmpfs mounted in a
 * private mount namespace: `unshare -m`, so nothing outside the test sees it;
 * skipped where mounting is not allowed), and database files other users can
 * read.
 */

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { CLI, cleanEnv, NODE_FLAGS, runCli, startCli, workspace } from "../support/cli.js";
import { hostRulesOnly } from "../support/configs.js";
import { until } from "../support/wait.js";

const DISK_FIRES = hostRulesOnly({ disk: '{ warning: 1, critical: null, mounts: ["/"] }' });

describe("lookout.db deleted while the agent runs", () => {
  it("status and silence refuse to make a new empty one; the agent makes it again from memory, with the silences, and says so", async () => {
    const ws = workspace(`interval: 1s\n${DISK_FIRES}\n`);
    const args = ["--config", ws.config, "--data-dir", ws.data];
    const added = await runCli(["silence", "add", "--match", "container=db-1", "--for", "2h", "--comment", "kept", ...args]);
    expect(added.code, added.stderr).toBe(0);
    const agent = startCli(["run", ...args]);
    try {
      await agent.firstCheck();
      // status and silence below run between two of the agent's cycles, however slow the machine: the agent is
      // held (SIGSTOP; it still holds the data directory's lock) until they are done, then goes on (SIGCONT).
      process.kill(agent.child.pid!, "SIGSTOP");
      try {
        rmSync(join(ws.data, "lookout.db"));
        for (const cmd of [["status"], ["silence", "add", "--match", "container=web-1", "--for", "1h"]]) {
          const r = await runCli([...cmd, ...args]);
          expect(r.code, r.stdout).toBe(3);
          expect(r.stderr).toMatch(
            new RegExp(
              `^lookout: ${join(ws.data, "lookout.db")} is missing, but the agent \\(pid ${agent.child.pid}, "lookout run"\\) is using the data directory .*: the database was deleted while it ran\\. The agent makes a new one`,
            ),
          );
          expect(existsSync(join(ws.data, "lookout.db"))).toBe(false);
        }
      } finally {
        process.kill(agent.child.pid!, "SIGCONT");
      }
      await until(
        () => agent.out.stderr.includes("was deleted while the agent ran"),
        20_000,
        "the agent to see it",
        () => agent.out.stderr,
      );
      expect(agent.out.stderr).toMatch(/ERROR .*lookout\.db was deleted while the agent ran: made a new one/);
      const status = await runCli(["status", ...args]);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/host_disk .*FIRING warning/);
      const list = await runCli(["silence", "list", ...args]);
      expect(list.stdout).toMatch(/container=db-1/);
      expect(list.stdout).toMatch(/kept/);
      expect(agent.child.exitCode).toBeNull();
      expect(await agent.stop()).toBe(0);
    } finally {
      await agent.stop("SIGKILL");
    }
  }, 60_000);
});

describe("database files other users can read", () => {
  it("are made 600 when opened (lookout.db, -wal, -shm)", async () => {
    const ws = workspace(`${hostRulesOnly()}\n`);
    const args = ["--config", ws.config, "--data-dir", ws.data];
    expect((await runCli(["check", ...args])).code).toBe(0);
    // Another process holds it open, so its -wal and -shm stay; all three made 644.
    const other = new Database(join(ws.data, "lookout.db"));
    other.prepare("INSERT INTO meta (key, value) VALUES ('x', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value").run();
    const files = ["lookout.db", "lookout.db-wal", "lookout.db-shm"].map((f) => join(ws.data, f));
    for (const f of files) chmodSync(f, 0o644);
    const r = await runCli(["status", ...args]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of files) expect((statSync(f).mode & 0o777).toString(8), f).toBe("600");
    other.close();
  }, 30_000);
});

/** Whether this process may mount a tmpfs in a private mount namespace (root, or a user namespace that allows it). */
function canMount(): boolean {
  const r = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d && rmdir $d"], {
    stdio: "ignore",
  });
  return r.status === 0;
}

describe.skipIf(!canMount())("a full disk under the data directory (1 MiB tmpfs, private mount namespace)", () => {
  /** Runs `script` in a private mount namespace with the tmpfs mounted on `dir` and $CLI set. */
  const inNamespace = (dir: string, script: string, env: Record<string, string> = {}) =>
    spawn("unshare", ["-m", "--propagation", "private", "sh", "-c", `mount -t tmpfs -o size=1m tmpfs "${dir}" && ${script}`], {
      env: cleanEnv({ ...env, CLI, NODE: process.execPath, NODE_FLAGS: NODE_FLAGS.join(" ") }),
      stdio: ["ignore", "pipe", "pipe"],
    });
  const collect = (child: ReturnType<typeof spawn>) => {
    const out = { stdout: "", stderr: "" };
    child.stdout!.on("data", (d: Buffer) => (out.stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (out.stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("close", (c) => r(c)));
    return { out, exited };
  };
  const FILL = `dd if=/dev/zero of="$DATA/fill" bs=4k 2>/dev/null; true`;

  it("starting on it: check exits 3, naming the data directory's disk, and leaves no agent.lock", async () => {
    const ws = workspace(`${hostRulesOnly()}\n`);
    mkdirSync(ws.data);
    const child = inNamespace(ws.data, `${FILL}; "$NODE" $NODE_FLAGS "$CLI" check --config "${ws.config}" --data-dir "$DATA"; echo "exit=$?"; ls -a "$DATA"`, { DATA: ws.data });
    const { out, exited } = collect(child);
    await exited;
    expect(out.stdout).toMatch(/exit=3/);
    expect(out.stderr).toMatch(
      new RegExp(
        `^lookout: cannot (write|read or write) ${ws.data}/\\S+ \\((ENOSPC|SQLITE_FULL|SQLITE_IOERR\\w*)\\): the disk holding the data directory ${ws.data} is (likely )?full`,
      ),
    );
    expect(out.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(out.stdout).not.toMatch(/^agent\.lock$/m);
  }, 30_000);

  it("filling up under run: alerts still reach stdout, the log says why once, the agent goes on", async () => {
    // Memory (always over 1 %) fires 4 s after the start, when the disk is already full.
    const ws = workspace(`interval: 500ms\n${hostRulesOnly({ memory: "{ warning: 1, critical: null, for: 4s }" })}\n`);
    mkdirSync(ws.data);
    const pidFile = join(ws.dir, "agent.pid");
    const fillNow = join(ws.dir, "fill-now");
    const child = inNamespace(
      ws.data,
      `"$NODE" $NODE_FLAGS "$CLI" run --config "${ws.config}" --data-dir "$DATA" & echo $! > "${pidFile}"; until [ -e "${fillNow}" ]; do sleep 0.1; done; ${FILL}; wait`,
      { DATA: ws.data },
    );
    const { out, exited } = collect(child);
    try {
      await until(
        () => out.stderr.includes("first check:"),
        20_000,
        "the first check",
        () => out.stderr,
      );
      writeFileSync(fillNow, ""); // the disk fills up now, under the running agent
      await until(
        () => /memory/i.test(out.stdout),
        20_000,
        "the memory alert on stdout",
        () => out.stderr,
      );
      await until(
        () => out.stderr.includes("could not save this check"),
        5_000,
        "the log to say why",
        () => out.stderr,
      );
      await new Promise((r) => setTimeout(r, 2000)); // more cycles on the full disk
      expect(out.stderr).toMatch(new RegExp(`could not save this check in the data directory: .*the disk holding (the data directory )?${ws.data} is (likely )?full`));
      expect(out.stderr.match(/could not save this check/g)).toHaveLength(1);
      expect(out.stderr).not.toMatch(/check failed|\n\s+at /);
    } finally {
      const pid = Number(readFileSync(pidFile, "utf8"));
      if (pid > 0) process.kill(pid, "SIGTERM");
      await exited;
    }
    expect(out.stderr).toMatch(/INFO {2}stopped/);
  }, 60_000);
});
