/**
 * What `npm pack` ships, and that it runs once installed. No network: the
 * tarball is unpacked where `npm install -g --prefix P` puts it
 * (P/lib/node_modules/lookout, with P/bin/lookout a link to its bin), and its
 * production dependencies are links to this checkout's node_modules, where npm
 * would have installed them. The real `npm install -g` (registry, better-sqlite3's
 * build) is README's "Install", run by hand.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cleanEnv } from "../support/cli.js";

const ROOT = resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };

interface Packed {
  files: { path: string; size: number }[];
  size: number;
  unpackedSize: number;
  filename: string;
}

/** `npm pack` of the built checkout (npm run build ran before: --ignore-scripts skips prepare's second build). */
function pack(dest: string): Packed {
  const out = execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", dest], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, npm_config_offline: "true" },
  });
  return (JSON.parse(out) as Packed[])[0]!;
}

let packedOnce: { dir: string; packed: Packed } | undefined;
/** One `npm pack` for the whole file (each costs npm's start, a few seconds of CPU): its listing and its tarball. */
function packed(): { dir: string; packed: Packed } {
  if (!packedOnce) {
    const dir = mkdtempSync(join(tmpdir(), "lookout-global-"));
    packedOnce = { dir, packed: pack(dir) };
  }
  return packedOnce;
}

function run(bin: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(bin, args, { cwd: tmpdir(), env: cleanEnv(env), encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("npm pack", () => {
  it("ships the bundle, the dashboard, the bin and the unit, and no sources, tests, benches, docs or source maps", () => {
    const { packed: p } = packed();
    const paths = p.files.map((f) => f.path);
    for (const needed of ["package.json", "README.md", "bin/lookout.cjs", "bin/code-cache.cjs", "dist/cli/main.cjs", "dist/http/page/index.html", "deploy/lookout.service"]) {
      expect(paths).toContain(needed);
    }
    expect(paths.some((p) => p.startsWith("dist/cli/chunks/") && p.endsWith(".cjs"))).toBe(true);
    expect(paths.filter((p) => /^(src|test|bench|docs|scripts|node_modules)\//.test(p) || p.endsWith(".map") || p.endsWith(".ts"))).toEqual([]);
    // Only the bundle of dist/ (tsc's one file per module is for the benches).
    expect(paths.filter((p) => p.startsWith("dist/") && !p.startsWith("dist/cli/chunks/") && !p.startsWith("dist/http/page/") && p !== "dist/cli/main.cjs")).toEqual([]);
    // README says about 550 kB packed, 2.0 MB unpacked: a doubling is worth a look.
    expect(p.size).toBeLessThan(900_000);
    expect(p.unpackedSize).toBeLessThan(3_000_000);
  });
});

describe("the packed lookout, installed in a temporary prefix", () => {
  let prefix: string;
  let bin: string;
  let work: string;

  beforeAll(() => {
    const { dir, packed: tarball } = packed();
    prefix = join(dir, "prefix");
    const home = join(prefix, "lib", "node_modules", "lookout");
    mkdirSync(home, { recursive: true });
    execFileSync("tar", ["-xzf", join(dir, tarball.filename), "-C", home, "--strip-components=1"]);
    mkdirSync(join(home, "node_modules"));
    for (const dep of Object.keys(pkg.dependencies)) symlinkSync(join(ROOT, "node_modules", dep), join(home, "node_modules", dep));
    mkdirSync(join(prefix, "bin"));
    symlinkSync("../lib/node_modules/lookout/bin/lookout.cjs", join(prefix, "bin", "lookout"));
    bin = join(prefix, "bin", "lookout");
    work = mkdtempSync(join(tmpdir(), "lookout-global-work-"));
  });

  it("holds nothing of the checkout but what was packed", () => {
    const home = join(prefix, "lib", "node_modules", "lookout");
    expect(readdirSync(home).sort()).toEqual(["README.ko.md", "README.md", "bin", "deploy", "dist", "node_modules", "package.json"]);
    expect(existsSync(join(home, "src"))).toBe(false);
  });

  it("answers --version and --help", () => {
    const version = run(bin, ["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}\n`);
    const help = run(bin, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: lookout/);
    expect(help.stdout).toMatch(/install-service/);
  });

  it("runs every command: init, check --json, export, silence list, status, install-service --dry-run", () => {
    const config = join(work, "lookout.yaml");
    const data = join(work, "data");
    expect(run(bin, ["init", config]).code).toBe(0);
    const check = run(bin, ["check", "--json", "--config", config, "--data-dir", data]);
    expect(check.stderr).not.toMatch(/internal error|cannot load/);
    expect([0, 1, 2]).toContain(check.code); // OK, WARNING or CRITICAL: whatever this machine is doing
    expect(JSON.parse(check.stdout).status).toMatch(/^(ok|warning|critical)$/);
    const rules = run(bin, ["export", "prometheus-rules", "--config", config]);
    expect(rules.code).toBe(0);
    expect(rules.stdout).toMatch(/^groups:/m);
    const silences = run(bin, ["silence", "list", "--config", config, "--data-dir", data]);
    expect(silences.code).toBe(0);
    expect(silences.stdout).toMatch(/no silence is in force/);
    const status = run(bin, ["status", "--config", config, "--data-dir", data]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/last check/);
    const service = run(bin, ["install-service", "--dry-run", "--unit-dir", join(work, "units"), "--config", config, "--data-dir", data]);
    expect(service.code).toBe(0);
    // ExecStart names the installed copy, with bin/lookout.cjs's node flags.
    expect(service.stdout).toContain(
      `ExecStart=${process.execPath} --single-threaded-gc --lite-mode --no-expose-wasm ${join(prefix, "lib", "node_modules", "lookout", "bin", "lookout.cjs")} run`,
    );
  });

  it("serves the dashboard page from the package (dist/http/page)", async () => {
    const port = await freePort();
    const child = spawn(bin, ["run", "--data-dir", join(work, "run-data")], { cwd: tmpdir(), env: cleanEnv({ LOOKOUT_HTTP_LISTEN: `127.0.0.1:${port}` }), stdio: "ignore" });
    try {
      let page = "";
      for (let i = 0; i < 100 && !page; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/`);
          if (res.ok) page = await res.text();
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(page).toMatch(/<html/i);
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("says what to do when better-sqlite3's native addon was not built (npm 11 runs no install script unless allowed)", () => {
    const home = join(prefix, "lib", "node_modules", "lookout");
    const unbuilt = mkdtempSync(join(tmpdir(), "lookout-unbuilt-"));
    const modules = join(unbuilt, "node_modules");
    mkdirSync(modules);
    cpSync(join(ROOT, "node_modules", "better-sqlite3"), join(modules, "better-sqlite3"), {
      recursive: true,
      dereference: true,
      filter: (src) => !/\/(build|deps|src)(\/|$)/.test(src.slice(src.indexOf("better-sqlite3"))),
    });
    symlinkSync(join(ROOT, "node_modules", "bindings"), join(modules, "bindings"));
    symlinkSync(join(ROOT, "node_modules", "file-uri-to-path"), join(modules, "file-uri-to-path"));
    // A second install whose better-sqlite3 is this unbuilt copy.
    const other = join(unbuilt, "lookout");
    cpSync(home, other, { recursive: true, verbatimSymlinks: true, filter: (src) => !src.startsWith(join(home, "node_modules")) });
    mkdirSync(join(other, "node_modules"));
    for (const dep of Object.keys(pkg.dependencies)) {
      symlinkSync(dep === "better-sqlite3" ? join(modules, dep) : join(ROOT, "node_modules", dep), join(other, "node_modules", dep));
    }
    const r = run(join(other, "bin", "lookout.cjs"), ["check", "--data-dir", join(unbuilt, "data")]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/better-sqlite3, the database library, cannot load its native addon \(it was not built\): run npm rebuild better-sqlite3 in /);
    expect(r.stderr).toMatch(/--allow-scripts=better-sqlite3/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}
