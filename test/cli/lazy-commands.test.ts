/**
 * Each command loads what it uses when it runs: `--version` and `--help` load
 * commander and the commands' definitions, not the config schema, YAML, SQLite,
 * the receivers or the Docker client (src/cli/lazy.ts). The built CLI (the
 * bundle, scripts/bundle.mjs: an entry and chunks) is run with a module hook
 * that lists every file it loads; what a file holds is told by what only that
 * code contains (zod's `ZodError`, yaml's `YAMLParseError`…).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { statusCommand } from "../../src/cli/commands/status.js";
import { statusDefinition } from "../../src/cli/commands/status-definition.js";
import { buildProgram } from "../../src/cli/program.js";
import { FixtureServer, fixture, json } from "../collect/docker/fixture-server.js";
import { CLI, cleanEnv, NODE_FLAGS } from "../support/cli.js";

/**
 * A preload (`node --require`) that writes the path of every file the process loaded (require's cache: the bundle's
 * CommonJS files, packages, native addons), then every module of Node's own it loaded, as `node:NAME` (its
 * moduleLoadList: also those Node loads for itself, as child_process loads net), to the file named by
 * LOOKOUT_TEST_MODULE_LOG as the process exits.
 */
function hookFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), "lookout-modules-")), "hook.cjs");
  const builtins = `process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => "node:" + m.slice(13))`;
  writeFileSync(
    file,
    `process.once("exit", () => require("node:fs").writeFileSync(process.env.LOOKOUT_TEST_MODULE_LOG, [...Object.keys(require.cache), ...${builtins}].join("\\n") + "\\n"));\n`,
  );
  return file;
}
const HOOK = hookFile();
const CACHES = mkdtempSync(join(tmpdir(), "lookout-lazy-caches-"));

function loadedBy(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; modules: string[]; builtins: string[]; stdout: string; stderr: string }> {
  const log = join(mkdtempSync(join(tmpdir(), "lookout-modules-")), "loaded.txt");
  writeFileSync(log, "");
  return new Promise((resolve, reject) => {
    // Caches of this file's own (bin/code-cache.cjs, config/cache.ts): whether a config was seen before is each test's to say.
    const env = cleanEnv({ XDG_CACHE_HOME: CACHES, ...extraEnv, LOOKOUT_TEST_MODULE_LOG: log });
    const child = spawn(process.execPath, [...NODE_FLAGS, "--require", HOOK, CLI, ...args], { cwd: tmpdir(), env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const paths = readFileSync(log, "utf8").split("\n").filter(Boolean);
      const files = paths.filter((p) => p !== HOOK && !p.startsWith("node:"));
      resolve({ code, modules: files.map((p) => p.replace(/^.*?\/(bin|dist|node_modules)\//, "$1/")), builtins: paths.filter((p) => p.startsWith("node:")), stdout, stderr });
    });
  });
}

const ROOT = resolve(import.meta.dirname, "../..");

/** Code each loaded file may hold, told by what only that code contains. */
const MARKERS: Record<string, RegExp> = {
  zod: /\bZodError\b/,
  yaml: /\bYAMLParseError\b/,
  "config schema": /\bconfigSchema\b/,
  "config template": /# Lookout configuration\. Every option is shown/,
  SQLite: /better-sqlite3/,
  store: /agent\.lock\.db/,
  "Docker client": /\/containers\/json/,
  receivers: /\bclass SlackNotifier\b|\bSlackNotifier = class\b/,
  "mail receiver": /\bEmailNotifier\b/,
  "config doc generator": /\brenderConfigDoc\b/,
};

/** What the files a command loaded hold (SQLite also when its native addon itself was loaded). */
function codeIn(modules: string[]): string[] {
  const found = new Set<string>();
  for (const m of modules) {
    if (m.startsWith("node_modules/nodemailer/")) found.add("nodemailer");
    if (m.startsWith("node_modules/better-sqlite3/")) found.add("SQLite");
    if (!m.startsWith("dist/") || !existsSync(join(ROOT, m))) continue;
    const text = readFileSync(join(ROOT, m), "utf8");
    for (const [what, re] of Object.entries(MARKERS)) if (re.test(text)) found.add(what);
  }
  return [...found].sort();
}
const HEAVY = ["zod", "yaml", "config schema", "SQLite", "store", "Docker client", "receivers", "nodemailer"];
const heavyIn = (modules: string[]) => codeIn(modules).filter((c) => HEAVY.includes(c));

describe("what each command loads", () => {
  it("--version loads nothing but the installed command itself", async () => {
    const r = await loadedBy(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.modules).toEqual(["bin/lookout.cjs"]);
  });

  const helps = [
    ["--help"],
    ["help"],
    ["check", "--help"],
    ["run", "--help"],
    ["status", "--help"],
    ["silence", "add", "--help"],
    ["test-notify", "--help"],
    ["test-webhook", "--help"],
    ["init", "--help"],
    ["export", "--help"],
    ["export", "prometheus-rules", "--help"],
    ["install-service", "--help"],
  ];
  // At once: each its own process and module log (twelve in a row took 7 s of a worker).
  for (const args of helps) {
    it.concurrent(`${args.join(" ")} loads no config, store, receiver or Docker code`, async ({ expect }) => {
      const r = await loadedBy(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: lookout/);
      expect(heavyIn(r.modules)).toEqual([]);
    });
  }

  it("init loads neither the config schema, YAML nor SQLite", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-lazy-"));
    const r = await loadedBy(["init", join(dir, "lookout.yaml")]);
    expect(r.code).toBe(0);
    expect(codeIn(r.modules)).toContain("config template");
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it("install-service --dry-run loads neither the config schema, YAML nor SQLite", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-lazy-"));
    const r = await loadedBy(["install-service", "--dry-run", "--unit-dir", dir, "--config", join(dir, "lookout.yaml"), "--data-dir", join(dir, "data")]);
    expect(r.code).toBe(0);
    expect(heavyIn(r.modules)).toEqual([]);
  });

  it("export loads the config, and neither SQLite, the store, the receivers nor the Docker client", async () => {
    for (const what of ["prometheus-rules", "alertmanager", "grafana"]) {
      const r = await loadedBy(["export", what]);
      expect(r.code).toBe(0);
      expect(codeIn(r.modules)).toEqual(expect.arrayContaining(["yaml", "zod", "config schema"]));
      expect(codeIn(r.modules).filter((c) => ["SQLite", "store", "Docker client", "receivers"].includes(c))).toEqual([]);
    }
  });

  it("test-notify (and its alias test-webhook) loads neither SQLite nor the Docker client, nor nodemailer without a mail receiver", async () => {
    for (const name of ["test-notify", "test-webhook"]) {
      const r = await loadedBy([name, "--url", "not a url"], { LOOKOUT_CONFIG_CACHE: "off" });
      expect(r.code).toBe(2);
      // It reads the config (so this hook does see them), …
      expect(codeIn(r.modules)).toEqual(expect.arrayContaining(["yaml", "zod", "config schema"]));
      // … and nothing of the store, Docker or the mail library.
      expect(codeIn(r.modules).filter((c) => ["SQLite", "store", "Docker client", "nodemailer"].includes(c))).toEqual([]);
    }
  });

  it("status and silence list load none of Node's network code (net, http, streams), nor the Docker client, whatever receivers the config has", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-lazy-"));
    const config = join(dir, "lookout.yaml");
    writeFileSync(config, "notify:\n  slack:\n    - webhook_url: ${HOOK}\n", { mode: 0o600 });
    const env = { XDG_CACHE_HOME: join(dir, "cache"), HOOK: "http://127.0.0.1:9/hook" };
    const data = ["--config", config, "--data-dir", join(dir, "data")];
    for (const args of [
      ["status", ...data],
      ["status", "--json", ...data],
      ["silence", "list", ...data],
    ]) {
      const r = await loadedBy(args, env);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout.length, args.join(" ")).toBeGreaterThan(0);
      // Their receivers were built (a bad URL is refused by every command): their code is there, Node's HTTP client is not.
      expect(codeIn(r.modules), args.join(" ")).toContain("receivers");
      expect(codeIn(r.modules), args.join(" ")).not.toContain("Docker client");
      expect(
        r.builtins.filter((b) => ["node:net", "node:http", "node:https", "node:stream", "node:child_process", "node:tty"].includes(b)),
        args.join(" "),
      ).toEqual([]);
    }
    // The same hook does see them where they are loaded: a command that prints through Node's stdout stream.
    expect((await loadedBy(["--help"])).builtins).toContain("node:stream");
  });

  it("check asks Docker's unix socket without Node's HTTP client or node:net (Node's pipe handle), and waits without node:timers/promises or an AbortController, on its first run and a steady one", async () => {
    const docker = new FixtureServer((req) => {
      if (req.path === "/version") return json(fixture("version.json"));
      if (req.path === "/v1.41/info") return json({ DockerRootDir: "/var/lib/docker", CgroupDriver: "systemd", CgroupVersion: "2" });
      if (req.path === "/v1.41/containers/json") return json([]);
      return undefined;
    });
    try {
      const host = await docker.listen();
      const dir = mkdtempSync(join(tmpdir(), "lookout-lazy-"));
      const args = ["check", "--data-dir", join(dir, "data"), "--json"];
      for (const run of ["first", "steady"]) {
        const r = await loadedBy(args, { DOCKER_HOST: host });
        const report = JSON.parse(r.stdout) as { metrics: { name: string; value: number }[] };
        expect(report.metrics.find((m) => m.name === "docker_unreachable")?.value, run).toBe(0);
        // unix-link.ts: node:net, and Node's streams with it, only where Node's pipe handle is not as expected (not Node 20).
        // clock.ts's sleep for the first run's CPU window; a string decoder only for logs and the events stream; engine.ts's
        // own deadline for a request on the unix socket, not Node's AbortController.
        const unwanted = [
          "node:net",
          "node:stream",
          "node:http",
          "node:https",
          "node:child_process",
          "node:timers/promises",
          "node:string_decoder",
          "node:internal/abort_controller",
        ];
        expect(
          r.builtins.filter((b) => unwanted.includes(b)),
          run,
        ).toEqual([]);
      }
      expect(docker.requests.map((q) => q.path)).toContain("/v1.41/containers/json");
      // Where process.binding would warn (--pending-deprecation), node:net instead, and no warning.
      const warned = await loadedBy(args, { DOCKER_HOST: host, NODE_OPTIONS: "--pending-deprecation" });
      expect((JSON.parse(warned.stdout) as { metrics: { name: string; value: number }[] }).metrics.find((m) => m.name === "docker_unreachable")?.value).toBe(0);
      expect(warned.builtins).toContain("node:net");
      expect(warned.stderr).not.toMatch(/Deprecation|DEP0/);
    } finally {
      await docker.dispose();
    }
  });

  it("check loads the Korean catalogue only to speak Korean, and croner only for maintenance windows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-lazy-"));
    const plain = join(dir, "plain.yaml");
    writeFileSync(plain, "host:\n  cpu: { warning: 90 }\n", { mode: 0o600 });
    const windows = join(dir, "windows.yaml");
    writeFileSync(windows, 'maintenance:\n  - cron: "0 3 * * SUN"\n    duration: 1h\n', { mode: 0o600 });
    const chunks = (modules: string[]) => modules.filter((m) => /chunks\/(ko|croner)-/.test(m)).map((m) => m.replace(/.*chunks\/(\w+)-.*/, "$1"));
    const env = { XDG_CACHE_HOME: join(dir, "cache") };
    for (const run of ["first", "steady"]) {
      const english = await loadedBy(["check", "--config", plain, "--data-dir", join(dir, "a"), "--json"], env);
      expect([0, 1], run).toContain(english.code); // ok, or a host rule firing on a busy machine: either way a report
      expect(chunks(english.modules), run).toEqual([]);
    }
    const korean = await loadedBy(["check", "--config", plain, "--data-dir", join(dir, "b")], { ...env, LOOKOUT_LOCALE: "ko" });
    expect([0, 1]).toContain(korean.code);
    expect(chunks(korean.modules)).toEqual(["ko"]);
    expect(korean.stdout).toMatch(/[\uac00-\ud7a3]/); // Hangul
    const maintenance = await loadedBy(["check", "--config", windows, "--data-dir", join(dir, "c"), "--json"], env);
    expect([0, 1]).toContain(maintenance.code);
    expect(chunks(maintenance.modules)).toEqual(["croner"]);
  });

  it("no command loads the generator of docs/configuration.md (src/export/config-doc.ts): it is in none of the CLI's files", async () => {
    const files = readdirSync(join(ROOT, "dist/cli"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".cjs"));
    expect(files.length).toBeGreaterThan(1);
    expect(codeIn(files.map((f) => `dist/cli/${f}`))).not.toContain("config doc generator");
    const dir = mkdtempSync(join(tmpdir(), "lookout-lazy-"));
    const checked = await loadedBy(["check", "--data-dir", join(dir, "data"), "--json"], { LOOKOUT_CONFIG_CACHE: "off" });
    expect(codeIn(checked.modules)).toContain("config schema");
    expect(codeIn(checked.modules)).not.toContain("config doc generator");
    // The markers find what they look for in the bundle: check does load the store and SQLite (and, with no receiver
    // configured, no receiver's code).
    expect(codeIn(checked.modules)).toEqual(expect.arrayContaining(["store", "SQLite"]));
    expect(codeIn(checked.modules)).not.toContain("receivers");
  });

  it("check from a config it has seen unchanged loads neither zod, yaml nor the config schema (the validated-config cache)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-lazy-"));
    const config = join(dir, "lookout.yaml");
    writeFileSync(config, "notify:\n  slack:\n    - webhook_url: ${HOOK}\n", { mode: 0o600 });
    const cache = { XDG_CACHE_HOME: join(dir, "cache"), HOOK: "http://127.0.0.1:9/hook" };
    const args = ["check", "--config", config, "--data-dir", join(dir, "data"), "--json"];
    const first = await loadedBy(args, cache);
    expect(codeIn(first.modules)).toEqual(expect.arrayContaining(["zod", "yaml", "config schema"]));
    const again = await loadedBy(args, cache);
    expect(again.code).toBe(first.code);
    expect(codeIn(again.modules).filter((c) => ["zod", "yaml", "config schema"].includes(c))).toEqual([]);
    expect(codeIn(again.modules)).toEqual(expect.arrayContaining(["receivers", "store", "SQLite"]));
    // Of the receivers' code, the Slack receiver's only: the kinds it has (notify/plugins-load.ts, a chunk each).
    const kinds = (m: string[]) => m.map((f) => /chunks\/(slack|webhook|alertmanager|discord|telegram|teams|ntfy|gotify|pushover|pagerduty|email)-/.exec(f)?.[1]).filter(Boolean);
    expect(kinds(first.modules)).toEqual(["slack"]);
    expect(kinds(again.modules)).toEqual(["slack"]);
    // better-sqlite3's JavaScript is in the bundle (scripts/bundle.mjs): of its package, only the native addon is loaded.
    for (const r of [first, again]) {
      expect(r.modules.filter((m) => m.startsWith("node_modules/better-sqlite3/"))).toEqual(["node_modules/better-sqlite3/build/Release/better_sqlite3.node"]);
      expect(r.modules.filter((m) => m.startsWith("node_modules/bindings/"))).toEqual([]);
    }
    // A changed file is read in full again.
    writeFileSync(config, "hostname: other\nnotify:\n  slack:\n    - webhook_url: ${HOOK}\n", { mode: 0o600 });
    expect(codeIn((await loadedBy(args, cache)).modules)).toContain("config schema");
  });

  it("nodemailer is loaded by the mail receiver when it sends, not when it is built", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-lazy-"));
    const config = join(dir, "lookout.yaml");
    // Port 9 on 127.0.0.1 (discard): nothing listens there, the send fails at once.
    writeFileSync(config, "notify:\n  email:\n    - name: m\n      smtp: { host: 127.0.0.1, port: 9 }\n      from: a@example.com\n      to: [b@example.com]\n");
    const checked = await loadedBy(["check", "--config", config, "--data-dir", join(dir, "data"), "--json"]);
    expect(codeIn(checked.modules)).toContain("mail receiver");
    expect(codeIn(checked.modules)).not.toContain("nodemailer");
    const tested = await loadedBy(["test-notify", "--config", config]);
    expect(tested.code).toBe(1);
    expect(codeIn(tested.modules)).toContain("nodemailer");
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
