/**
 * bin/preinstall.cjs: an install on a machine without python3, make or g++
 * stops with one sentence naming what is missing and how to install it, unless
 * better-sqlite3's prebuilt binary can be downloaded; with the tools there it is
 * silent and asks nothing of the network. The download place is a stand-in on
 * 127.0.0.1, named as prebuild-install reads it
 * (npm_config_better_sqlite3_binary_host).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";

const require = createRequire(import.meta.url);
const ROOT = join(import.meta.dirname, "..", "..");
const preinstall = require(join(ROOT, "bin", "preinstall.cjs")) as {
  main(env: NodeJS.ProcessEnv, here: string): Promise<number>;
  missingTools(env: NodeJS.ProcessEnv): string[];
};

let dir: string;
let server: Server;
let mirror: string;
let answer = 404;
const asked: string[] = [];

/** A PATH holding only `tools` (empty executables). */
function pathWith(...tools: string[]): string {
  const bin = mkdtempSync(join(dir, "bin-"));
  for (const t of tools) {
    writeFileSync(join(bin, t), "#!/bin/sh\n");
    chmodSync(join(bin, t), 0o755);
  }
  return bin;
}

/** A package directory as npm unpacks lookout, before better-sqlite3 is built. */
function packageDir(): string {
  const here = mkdtempSync(join(dir, "pkg-"));
  writeFileSync(join(here, "package.json"), readFileSync(join(ROOT, "package.json")));
  mkdirSync(join(here, "node_modules", "better-sqlite3"), { recursive: true });
  writeFileSync(join(here, "node_modules", "better-sqlite3", "package.json"), JSON.stringify({ name: "better-sqlite3", version: "12.11.1" }));
  return here;
}

async function run(env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await preinstall.main({ npm_config_cache: join(dir, "cache"), npm_config_better_sqlite3_binary_host: mirror, ...env }, packageDir());
    return { code, stderr };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lookout-preinstall-"));
  server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    res.writeHead(answer, answer === 302 ? { location: "http://127.0.0.1:1/elsewhere" } : {}).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/download`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  asked.length = 0;
  answer = 404;
});

describe("bin/preinstall.cjs", () => {
  it("is the package's preinstall script", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.scripts.preinstall).toBe("node bin/preinstall.cjs");
    expect(pkg.files).toContain("bin");
  });

  it("names the tools missing from PATH (any C++ compiler will do)", () => {
    expect(preinstall.missingTools({ PATH: pathWith("python3", "make") })).toEqual(["g++"]);
    expect(preinstall.missingTools({ PATH: pathWith("python3", "make", "clang++") })).toEqual([]);
    expect(preinstall.missingTools({ PATH: pathWith() })).toEqual(["python3", "make", "g++"]);
  });

  it("says nothing and asks no one when the tools are there", async () => {
    const r = await run({ PATH: pathWith("python3", "make", "g++") });
    expect(r).toEqual({ code: 0, stderr: "" });
    expect(asked).toEqual([]);
  });

  it("stops the install with the missing tools and the command when no prebuilt binary exists", async () => {
    const r = await run({ PATH: pathWith("python3") });
    expect(r.code).toBe(1);
    expect(asked).toEqual([`HEAD /download/v12.11.1/better-sqlite3-v12.11.1-node-v${process.versions.modules}-linux-${process.arch}.tar.gz`]);
    expect(r.stderr).toContain("this machine has no make, no g++");
    expect(r.stderr).toMatch(/Install them \((apt-get install -y python3 make g\+\+|apk add python3 make g\+\+|dnf install python3 make gcc-c\+\+), as root\)/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("lets the install go on when the binary can be downloaded (a redirect, as GitHub answers)", async () => {
    answer = 302;
    expect(await run({ PATH: pathWith() })).toEqual({ code: 0, stderr: "" });
    expect(asked).toHaveLength(1);
  });

  it("stops when the download place cannot be reached", async () => {
    const r = await run({ PATH: pathWith(), npm_config_better_sqlite3_binary_host: "http://127.0.0.1:1/nothing" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no prebuilt binary of it could be downloaded");
  });

  it("asks no one offline or with --build-from-source, and says why", async () => {
    answer = 302;
    const offline = await run({ PATH: pathWith("make"), npm_config_offline: "true" });
    expect(offline.code).toBe(1);
    const fromSource = await run({ PATH: pathWith("make"), npm_config_build_from_source: "true" });
    expect(fromSource.code).toBe(1);
    expect(fromSource.stderr).toContain("(--build-from-source)");
    expect(asked).toEqual([]);
  });
});
