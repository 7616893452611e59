/**
 * Runs the installed command (`bin/lookout.cjs` and the bundle it loads,
 * built by `npm test` before vitest) as a real process, as a user or cron
 * would: through this `node`, with the Node flags of its first line
 * (`NODE_FLAGS`), as `env -S` gives them to the installed command.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { nodeFlags } from "../../src/cli/actions/install-service.js";
import { until } from "./wait.js";

export const CLI = resolve(import.meta.dirname, "../../bin/lookout.cjs");
/** The Node flags of bin/lookout.cjs's first line (`--lite-mode`…): every spawn of the CLI here runs with them, as the installed command does. */
export const NODE_FLAGS: readonly string[] = nodeFlags(CLI);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A clean environment: no LOOKOUT_*, SLACK_* or DOCKER_HOST from the developer's shell, and none of Node's own
 * NODE_OPTIONS or NODE_EXTRA_CA_CERTS, which cron does not give the command either: a preload would change what it
 * loads, and a CA bundle costs every Node process ~45 ms of CPU reading it (Debian's, ~220 kB; the tests' receivers
 * are on 127.0.0.1, over plain HTTP or with their own CA). The suite starts ~350 of these processes.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(LOOKOUT_|SLACK_|INVOCATION_ID|DOCKER_HOST|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$)/.test(k)) env[k] = v;
  // No Docker unless a test brings its own: a developer's own containers must not alert here.
  // No fixed HTTP port either: agents of tests running at once would take each other's 9817 (a test may give its own).
  return { ...env, DOCKER_HOST: "unix:///nonexistent/lookout-test/docker.sock", LOOKOUT_HTTP_LISTEN: "127.0.0.1:0", ...extra };
}

export function runCli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, CLI, ...args], { cwd: opts.cwd ?? tmpdir(), env: cleanEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running CLI process (`lookout run`) and collects its output as it comes. */
export function startCli(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) {
  const child: ChildProcess = spawn(process.execPath, [...NODE_FLAGS, CLI, ...args], { cwd: opts.cwd ?? tmpdir(), env: cleanEnv(opts.env), stdio: ["ignore", "pipe", "pipe"] });
  const out = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return {
    child,
    out,
    exited,
    /** Waits for the agent's "first check:" log line: its first cycle is done. */
    firstCheck(timeoutMs = 15_000): Promise<true> {
      return until(
        () => out.stderr.includes("first check:"),
        timeoutMs,
        "the agent's first check",
        () => out.stderr,
      );
    },
    async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000): Promise<number | null> {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A temp directory with a lookout.yaml (mode 600) and an empty data dir path. */
export function workspace(configYaml?: string): { dir: string; config: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), "lookout-cli-"));
  const config = join(dir, "lookout.yaml");
  if (configYaml !== undefined) {
    writeFileSync(config, configYaml);
    chmodSync(config, 0o600);
  }
  return { dir, config, data: join(dir, "data") };
}
