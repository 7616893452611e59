/**
 * Each command loads what it uses when it runs: `--version` and `--help` load
 * commander and the commands' definitions, not the config schema, YAML, SQLite,
 * the receivers or the Docker client (src/cli/lazy.ts). The built CLI is run
 * with a module hook that lists every module it loads.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { statusCommand } from "../../src/cli/commands/status.js";
import { statusDefinition } from "../../src/cli/commands/status-definition.js";
import { buildProgram } from "../../src/cli/program.js";
import { CLI, cleanEnv } from "../support/cli.js";

/**
 * Registers a load hook that appends the URL of every module loaded to the file
 * named by LOOKOUT_TEST_MODULE_LOG, synchronously: the hooks run on a thread of
 * their own, whose last writes to a pipe may be lost when the process exits.
 */
const HOOK = `data:text/javascript,${encodeURIComponent(
  `import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent("import { appendFileSync } from 'node:fs'; export async function load(url, context, next) { appendFileSync(process.env.LOOKOUT_TEST_MODULE_LOG, url + '\\\\n'); return next(url, context); }"));`,
)}`;

function loadedBy(args: string[]): Promise<{ code: number | null; modules: string[]; stdout: string }> {
  const log = join(mkdtempSync(join(tmpdir(), "lookout-modules-")), "loaded.txt");
  writeFileSync(log, "");
  return new Promise((resolve, reject) => {
    const env = cleanEnv({ LOOKOUT_TEST_MODULE_LOG: log });
    const child = spawn(process.execPath, ["--import", HOOK, CLI, ...args], { cwd: tmpdir(), env, stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const urls = readFileSync(log, "utf8").split("\n").filter(Boolean);
      resolve({ code, modules: urls.map((u) => u.replace(/^file:\/\/.*?\/(dist|node_modules)\//, "$1/")), stdout });
    });
  });
}

const HEAVY = [/node_modules\/(zod|yaml|undici|better-sqlite3)\//, /^dist\/(config|store|collect|notify|pipeline|agent|runner)/];
const heavyIn = (modules: string[]) => modules.filter((m) => HEAVY.some((re) => re.test(m)));

describe("what each command loads", () => {
  it("--version loads nothing but the version", async () => {
    const r = await loadedBy(["--version"]);
    expect(r.code).toBe(0);
    expect(r.modules.filter((m) => !m.startsWith("node:")).sort()).toEqual(["dist/cli/main.js", "dist/cli/output.js", "dist/errors.js", "dist/version.js"]);
  });

  const helps = [["--help"], ["help"], ["check", "--help"], ["run", "--help"], ["status", "--help"], ["silence", "add", "--help"], ["test-webhook", "--help"], ["init", "--help"]];
  it.each(helps.map((args) => [args.join(" "), args] as const))("%s loads no config, store, receiver or Docker code", async (_name, args) => {
    const r = await loadedBy(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: lookout/);
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it("init loads neither the config schema, YAML nor SQLite", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-lazy-"));
    const r = await loadedBy(["init", join(dir, "lookout.yaml")]);
    expect(r.code).toBe(0);
    expect(r.modules).toContain("dist/cli/actions/init.js");
    expect(heavyIn(r.modules).filter((m) => m !== "dist/config/template.js")).toEqual([]);
  });

  it("test-webhook loads neither SQLite nor the Docker client", async () => {
    const r = await loadedBy(["test-webhook", "--url", "not a url"]);
    expect(r.code).toBe(2);
    // It reads the config (so this hook does see them), …
    expect(r.modules.some((m) => m.startsWith("node_modules/yaml/"))).toBe(true);
    expect(r.modules.some((m) => m.startsWith("node_modules/zod/"))).toBe(true);
    // … and nothing of the store or Docker.
    expect(r.modules.filter((m) => /better-sqlite3|^dist\/(store|collect)\//.test(m))).toEqual([]);
  });
});

/** Everything `--help` prints for a command. */
function helpOf(cmd: Command): string {
  let out = "";
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

const sub = (program: Command, name: string) => program.commands.find((c) => c.name() === name)!;

describe("the status definition --help shows without loading commands/status.ts", () => {
  it("reads exactly as statusCommand()", () => {
    const lazy = statusDefinition(async () => undefined);
    const real = statusCommand();
    expect(lazy.description()).toBe(real.description());
    expect(lazy.options.map((o) => [o.flags, o.description, o.defaultValue])).toEqual(real.options.map((o) => [o.flags, o.description, o.defaultValue]));
    expect(lazy.registeredArguments.map((a) => a.name())).toEqual(real.registeredArguments.map((a) => a.name()));
  });

  it("and so does the program's help, and status --help with its global options", () => {
    const lazyProgram = buildProgram();
    const realProgram = buildProgram({ status: statusCommand() });
    expect(helpOf(lazyProgram)).toBe(helpOf(realProgram));
    expect(helpOf(sub(lazyProgram, "status"))).toBe(helpOf(sub(realProgram, "status")));
  });
});
