/**
 * bin/code-cache.cjs: V8's code cache for the bundled CLI. Each case runs a
 * plain `node` (no Lookout) that installs the cache for a directory of its own
 * with one CommonJS file in it, loads that file through load() and prints what
 * was done:
 * the first run compiles and writes the cache, the next one compiles from it;
 * a changed file, a refused cache, a file or directory someone else may write
 * to, and LOOKOUT_CODE_CACHE=off each behave as the file says.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const HOOK = resolve(import.meta.dirname, "../../bin/code-cache.cjs");

interface Counts {
  read: number;
  refused: number;
  written: number;
  answer: number;
}

/** A chunk's name as the bundle writes it: its content's hash in it. */
const LIB = "lib-AbCd1234.cjs";

/** Loads `root/LIB` (or `file`) through the hook with the cache of `env` and returns the counts and what the file answered. */
function load(root: string, env: Record<string, string>, file = LIB): Counts {
  const script = `const c = require(${JSON.stringify(HOOK)});
const counts = c.install(${JSON.stringify(root)}, c.cacheDir(process.env));
const answer = c.load(${JSON.stringify(join(root, file))}).answer();
process.on("exit", () => process.stdout.write(JSON.stringify({ ...counts, answer })));`;
  const out = execFileSync(process.execPath, ["-e", script], { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8", timeout: 20_000 });
  return JSON.parse(out) as Counts;
}

function rig(answer = 42) {
  const base = mkdtempSync(join(tmpdir(), "lookout-code-cache-"));
  const root = join(base, "cli");
  mkdirSync(root);
  for (const name of [LIB, "main.cjs"]) writeFileSync(join(root, name), `"use strict";\nexports.answer = function answer() { return ${answer}; };\n`);
  const cacheHome = join(base, "cache");
  return { root, cacheHome, dir: join(cacheHome, "lookout", "code"), env: { XDG_CACHE_HOME: cacheHome } };
}

describe("the code cache", () => {
  it("is written by the first run (0600 in a 0700 directory) and compiled from by the next", () => {
    const r = rig();
    expect(load(r.root, r.env)).toEqual({ read: 0, refused: 0, written: 1, answer: 42 });
    const files = readdirSync(r.dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^lib-AbCd1234\.cjs\.v\d+\.\d+\.\d+-[a-z0-9]+-[A-Za-z0-9]*\.v8$/);
    expect(statSync(r.dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(r.dir, files[0]!)).mode & 0o777).toBe(0o600);
    expect(load(r.root, r.env)).toEqual({ read: 1, refused: 0, written: 0, answer: 42 });
  });

  it("keeps only files named by their content (the chunks): the entry, main.cjs, is compiled without it", () => {
    const r = rig(42);
    expect(load(r.root, r.env, "main.cjs")).toEqual({ read: 0, refused: 0, written: 0, answer: 42 });
    expect(existsSync(r.dir)).toBe(false);
  });

  it("is kept apart for Node's flags: a run with others neither reads nor refuses it", () => {
    const r = rig();
    load(r.root, r.env);
    const script = `const c = require(${JSON.stringify(HOOK)}); const n = c.install(${JSON.stringify(r.root)}, c.cacheDir(process.env)); c.load(${JSON.stringify(join(r.root, LIB))}); process.on("exit", () => process.stdout.write(JSON.stringify(n)));`;
    const out = execFileSync(process.execPath, ["--no-expose-wasm", "-e", script], { env: { PATH: process.env.PATH ?? "", ...r.env }, encoding: "utf8", timeout: 20_000 });
    expect(JSON.parse(out)).toEqual({ read: 0, refused: 0, written: 1 });
    expect(readdirSync(r.dir)).toHaveLength(2);
  });

  it("a cache V8 refuses (damaged) is compiled around and written anew", () => {
    const r = rig();
    load(r.root, r.env);
    const file = join(r.dir, readdirSync(r.dir)[0]!);
    writeFileSync(file, Buffer.alloc(statSync(file).size, 7), { mode: 0o600 });
    expect(load(r.root, r.env)).toEqual({ read: 0, refused: 1, written: 1, answer: 42 });
    expect(load(r.root, r.env)).toEqual({ read: 1, refused: 0, written: 0, answer: 42 });
  });

  it("a cache file others may write to is not read (it is replaced by one of mode 0600)", () => {
    const r = rig();
    load(r.root, r.env);
    const file = join(r.dir, readdirSync(r.dir)[0]!);
    chmodSync(file, 0o666);
    expect(load(r.root, r.env)).toEqual({ read: 0, refused: 0, written: 1, answer: 42 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("a directory others may write to is neither read nor written", () => {
    const r = rig();
    load(r.root, r.env);
    chmodSync(r.dir, 0o777);
    expect(load(r.root, r.env)).toEqual({ read: 0, refused: 0, written: 0, answer: 42 });
  });

  it("LOOKOUT_CODE_CACHE=off, or no home at all, means no cache", () => {
    const r = rig();
    expect(load(r.root, { ...r.env, LOOKOUT_CODE_CACHE: "off" })).toEqual({ read: 0, refused: 0, written: 0, answer: 42 });
    expect(load(r.root, {})).toEqual({ read: 0, refused: 0, written: 0, answer: 42 });
    expect(existsSync(r.dir)).toBe(false);
  });

  it("a chunk's sibling chunks are loaded by path once, shared, and a missing one fails without being kept", () => {
    const r = rig();
    // lib requires two siblings; one of them requires the other again and a built-in: each is one module, loaded once.
    writeFileSync(
      join(r.root, LIB),
      `"use strict";
const a = require("./a-AbCd1234.cjs");
const b = require("./b-AbCd1234.cjs");
let missing = "none";
try { require("./gone-AbCd1234.cjs"); } catch (err) { missing = err.code; }
let again = "none";
try { require("./gone-AbCd1234.cjs"); } catch (err) { again = err.code; }
exports.answer = function answer() {
  return [a.n, b.n, a.loads(), b.a === a, b.os === require("node:os"), require.cache === undefined, missing, again, module.children.length].join(" ");
};`,
    );
    writeFileSync(
      join(r.root, "a-AbCd1234.cjs"),
      `"use strict";\nlet loads = (globalThis.__aLoads = (globalThis.__aLoads ?? 0) + 1);\nexports.n = 1;\nexports.loads = () => loads;\n`,
    );
    writeFileSync(join(r.root, "b-AbCd1234.cjs"), `"use strict";\nexports.a = require("./a-AbCd1234.cjs");\nexports.os = require("node:os");\nexports.n = 2;\n`);
    const first = load(r.root, r.env) as unknown as { answer: string; written: number };
    expect(first.answer).toBe("1 2 1 true true true ENOENT ENOENT 2");
    expect(first.written).toBe(3);
    const second = load(r.root, r.env) as unknown as { answer: string; read: number };
    expect(second.answer).toBe("1 2 1 true true true ENOENT ENOENT 2");
    expect(second.read).toBe(3);
  });

  it("the entry asks for its chunks as ./chunks/NAME.cjs; each is read once, kept in require's cache, and compiled through the cache", () => {
    const r = rig();
    mkdirSync(join(r.root, "chunks"));
    writeFileSync(join(r.root, "chunks", "c-AbCd1234.cjs"), `"use strict";\nexports.n = 7;\n`);
    writeFileSync(
      join(r.root, "main.cjs"),
      `"use strict";\nconst c = require("./chunks/c-AbCd1234.cjs");\nexports.answer = () => [c.n, require("./chunks/c-AbCd1234.cjs") === c, Object.keys(require("node:module")._cache).filter((f) => f.startsWith(${JSON.stringify(r.root)})).length].join(" ");\n`,
    );
    const first = load(r.root, r.env, "main.cjs") as unknown as { answer: string; written: number };
    expect(first.answer).toBe("7 true 2");
    expect(first.written).toBe(1);
    expect(readdirSync(r.dir)).toEqual([expect.stringMatching(/^c-AbCd1234\.cjs\./)]);
    const second = load(r.root, r.env, "main.cjs") as unknown as { answer: string; read: number };
    expect(second.answer).toBe("7 true 2");
    expect(second.read).toBe(1);
  });

  it("reads a file that is not all ASCII as UTF-8, from the cache too, and one larger than the shared buffer whole", () => {
    const r = rig();
    const long = "x".repeat(300 * 1024);
    writeFileSync(join(r.root, LIB), `"use strict";\nconst long = "${long}";\nexports.answer = () => "… 한국어 é " + long.length + " " + __filename.endsWith("${LIB}");\n`);
    expect(load(r.root, r.env).answer).toBe(`… 한국어 é ${300 * 1024} true`);
    expect(load(r.root, r.env)).toEqual({ read: 1, refused: 0, written: 0, answer: `… 한국어 é ${300 * 1024} true` });
  });

  it("a native addon asked for by its absolute path is loaded as Node loads it, without its resolution", () => {
    const r = rig();
    // Through a symbolic link: Node's resolution would keep it under its real path, found by a realpath of each part.
    const link = join(r.root, "..", "release");
    symlinkSync(resolve(import.meta.dirname, "../../node_modules/better-sqlite3/build/Release"), link);
    const addon = join(link, "better_sqlite3.node");
    writeFileSync(
      join(r.root, LIB),
      `"use strict";\nconst a = require(${JSON.stringify(addon)});\nexports.answer = () => [typeof a.Database, require(${JSON.stringify(addon)}) === a, module.children.length, ${JSON.stringify(addon)} in require("node:module")._cache].join(" ");\n`,
    );
    expect(load(r.root, r.env).answer).toBe("function true 1 true");
  });

  it("an unwritable place costs nothing but the cache", () => {
    const r = rig();
    writeFileSync(r.cacheHome, "a file where the directory would be");
    expect(load(r.root, r.env)).toEqual({ read: 0, refused: 0, written: 0, answer: 42 });
  });
});
