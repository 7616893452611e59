/**
 * The data directory: where it is by default (next to the config file, not in
 * the working directory), and one exit code, 3, whenever it cannot be used.
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveDataDir } from "../../src/config/load.js";
import { runCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF } from "../support/configs.js";

const QUIET = `${HOST_RULES_OFF}\n`;

function expectOneSentence(r: { code: number | null; stdout: string; stderr: string }, message: RegExp): void {
  expect(r.code, r.stderr).toBe(3);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(/^lookout: /);
  expect(r.stderr).not.toMatch(/\n\s+at |\.js:\d+/);
}

describe("a data directory that cannot be used exits 3, with one sentence", () => {
  it("a regular file where the directory should be, or on the way to it", async () => {
    const ws = workspace(QUIET);
    const file = join(ws.dir, "not-a-dir");
    writeFileSync(file, "just a file\n");
    // All at once: none can make anything there (not even a lock), so they cannot disturb each other.
    const runs: Array<Promise<Awaited<ReturnType<typeof runCli>>>> = [];
    for (const dataDir of [file, join(file, "data")]) {
      for (const cmd of [["check"], ["status"], ["silence", "list"], ["silence", "add", "--match", "container=db-1", "--for", "1h"], ["run"]]) {
        runs.push(runCli([...cmd, "--config", ws.config, "--data-dir", dataDir]));
      }
    }
    for (const r of await Promise.all(runs)) expectOneSentence(r, /ENOTDIR/);
    expect(readFileSync(file, "utf8")).toBe("just a file\n");
  }, 60_000);

  it("a lookout.db that is not a database", async () => {
    const ws = workspace(QUIET);
    mkdirSync(ws.data);
    writeFileSync(join(ws.data, "lookout.db"), "{ oops, this is not a database }".repeat(40));
    for (const cmd of [["check"], ["check", "--json"], ["status"], ["silence", "list"], ["run"]]) {
      const r = await runCli([...cmd, "--config", ws.config, "--data-dir", ws.data]);
      expectOneSentence(r, /lookout\.db is damaged or not a Lookout database \(SQLITE_NOTADB\); move it aside/);
    }
  }, 60_000);
});

describe("the default data directory", () => {
  it("is data/ next to the config file, whatever the working directory", async () => {
    const ws = workspace(QUIET);
    const elsewhere = mkdtempSync(join(tmpdir(), "lookout-cwd-"));
    const before = await runCli(["status", "--config", ws.config], { cwd: elsewhere });
    expect(before.code).toBe(0);
    expect(before.stdout).toContain(`no check has run yet with data directory ${join(ws.dir, "data")}`);

    const check = await runCli(["check", "--config", ws.config], { cwd: elsewhere });
    expect(check.code, check.stderr).toBe(0);
    expect(existsSync(join(ws.dir, "data", "lookout.db"))).toBe(true);
    expect(existsSync(join(elsewhere, "data"))).toBe(false);

    // From a third directory, status finds the same state.
    const third = mkdtempSync(join(tmpdir(), "lookout-cwd-"));
    const after = await runCli(["status", "--config", ws.config], { cwd: third });
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/: last check \d+(ms|s) ago/);
    expect(existsSync(join(third, "data"))).toBe(false);

    // data_dir, LOOKOUT_DATA_DIR and --data-dir still say where.
    const env = await runCli(["status", "--config", ws.config], { cwd: elsewhere, env: { LOOKOUT_DATA_DIR: join(elsewhere, "env-data") } });
    expect(env.stdout).toContain(`no check has run yet with data directory ${join(elsewhere, "env-data")}`);
  });

  it("resolves: --data-dir, LOOKOUT_DATA_DIR, data_dir, next to the config, /var/lib/lookout for /etc/lookout, ./data without a config", () => {
    const cwd = process.cwd();
    expect(resolveDataDir("/x", "state", "/opt/lookout/lookout.yaml", { LOOKOUT_DATA_DIR: "/y" })).toBe("/x");
    expect(resolveDataDir(undefined, "state", "/opt/lookout/lookout.yaml", { LOOKOUT_DATA_DIR: "/y" })).toBe("/y");
    expect(resolveDataDir(undefined, "state", "/opt/lookout/lookout.yaml", {})).toBe("/opt/lookout/state");
    expect(resolveDataDir(undefined, undefined, "/opt/lookout/lookout.yaml", {})).toBe("/opt/lookout/data");
    expect(resolveDataDir(undefined, undefined, "/opt/lookout/lookout.yaml", { INVOCATION_ID: "1" })).toBe("/opt/lookout/data");
    expect(resolveDataDir(undefined, undefined, "/etc/lookout/lookout.yaml", {})).toBe("/var/lib/lookout");
    expect(resolveDataDir(undefined, undefined, null, {})).toBe(join(cwd, "data"));
    expect(resolveDataDir(undefined, undefined, null, { INVOCATION_ID: "1" })).toBe("/var/lib/lookout");
  });
});
