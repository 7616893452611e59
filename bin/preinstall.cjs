/**
 * Runs before `npm install` builds anything (package.json "preinstall"; npm
 * runs every package's preinstall before any install script). Lookout's
 * database, better-sqlite3, is a native addon: its install script downloads a
 * prebuilt binary for this Node and platform from GitHub, and compiles it from
 * source when it cannot, which needs python3, make and a C++ compiler. Without
 * them that compile fails with pages of node-gyp output; this says what is
 * missing and what to run instead, before it starts.
 *
 * Silent when the tools are there (no network then). When one is missing it
 * asks the place better-sqlite3 would download from (GitHub, or the mirror in
 * `npm_config_better_sqlite3_binary_host`, as prebuild-install reads it)
 * whether a binary exists, with a HEAD request: yes, and the install goes on;
 * no, unreachable, offline or `--build-from-source`, and the install stops
 * here, naming the missing tools and the command that installs them.
 * CommonJS and Node's built-ins only: nothing else is installed yet.
 */
"use strict";

const { existsSync, readFileSync } = require("node:fs");
const { join, delimiter } = require("node:path");
const { createHash } = require("node:crypto");
const { homedir } = require("node:os");

const TOOLS = [
  { name: "python3", any: ["python3"] },
  { name: "make", any: ["make"] },
  { name: "g++", any: ["g++", "c++", "clang++"] },
];
const TIMEOUT_MS = 8000;

function onPath(cmd, env) {
  return (env.PATH || "").split(delimiter).some((dir) => dir && existsSync(join(dir, cmd)));
}

/** The tools better-sqlite3's compile needs that are not on PATH. */
function missingTools(env) {
  return TOOLS.filter((t) => !t.any.some((cmd) => onPath(cmd, env))).map((t) => t.name);
}

/** better-sqlite3's version: the one npm unpacked beside us, else the one package.json asks for. */
function sqliteVersion(here) {
  for (const p of [join(here, "node_modules", "better-sqlite3", "package.json"), join(here, "..", "better-sqlite3", "package.json")]) {
    try {
      return JSON.parse(readFileSync(p, "utf8")).version;
    } catch {
      // not there: try the next place
    }
  }
  const wanted = JSON.parse(readFileSync(join(here, "package.json"), "utf8")).dependencies["better-sqlite3"];
  const m = /(\d+\.\d+\.\d+)/.exec(wanted || "");
  return m ? m[1] : undefined;
}

/** Where prebuild-install would download the binary from, as it builds the address. */
function prebuiltUrl(version, env) {
  const glibc = process.platform !== "linux" || Boolean(process.report?.getReport().header.glibcVersionRuntime);
  const libc = env.npm_config_libc || (glibc ? "" : "musl");
  const file = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}.tar.gz`;
  const mirror = env.npm_config_better_sqlite3_binary_host || env.npm_config_better_sqlite3_binary_host_mirror;
  if (mirror) return `${mirror.replace(/\/$/, "")}/v${version}/${file}`;
  return `https://github.com/WiseLibs/better-sqlite3/releases/download/v${version}/${file}`;
}

/** prebuild-install keeps what it downloaded in npm's cache: a binary there needs no network. */
function cached(url, env) {
  const cache = env.npm_config_cache || join(homedir(), ".npm");
  const digest = createHash("sha512").update(url).digest("hex").slice(0, 6);
  return existsSync(
    join(
      cache,
      "_prebuilds",
      `${digest}-${url
        .split("/")
        .pop()
        .replace(/[^a-zA-Z0-9.]+/g, "-")}`,
    ),
  );
}

/** Whether the address has a binary: 2xx, or a redirect (GitHub sends one to its file store). */
function exists(url) {
  return new Promise((resolve) => {
    const client = url.startsWith("http:") ? require("node:http") : require("node:https");
    const req = client.request(url, { method: "HEAD", timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(res.statusCode >= 200 && res.statusCode < 400);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(false));
    req.end();
  });
}

function installCommand() {
  if (existsSync("/etc/alpine-release")) return "apk add python3 make g++";
  if (existsSync("/etc/redhat-release") || existsSync("/etc/fedora-release")) return "dnf install python3 make gcc-c++";
  return "apt-get install -y python3 make g++";
}

async function main(env, here) {
  if (existsSync(join(here, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"))) return 0;
  const missing = missingTools(env);
  if (missing.length === 0) return 0;
  const version = sqliteVersion(here);
  const fromSource = env.npm_config_build_from_source === "true" || env.npm_config_build_from_source === "better-sqlite3";
  if (version && !fromSource) {
    const url = prebuiltUrl(version, env);
    if (cached(url, env)) return 0;
    if (env.npm_config_offline !== "true" && (await exists(url))) return 0;
  }
  const why = fromSource
    ? "it is to be compiled from source (--build-from-source)"
    : `no prebuilt binary of it could be downloaded for Node ${process.versions.node} (${process.platform}-${process.arch}), so npm would compile it from source`;
  process.stderr.write(
    `lookout: cannot install: its database, better-sqlite3, is a native addon and ${why}, which needs python3, make and g++; ` +
      `this machine has no ${missing.join(", no ")}. Install them (${installCommand()}, as root) and run the install again; ` +
      "or install on a machine that can reach github.com, where the prebuilt binary is used.\n",
  );
  return 1;
}

if (require.main === module) {
  main(process.env, join(__dirname, "..")).then((code) => {
    process.exitCode = code;
  });
}

module.exports = { main, missingTools, prebuiltUrl };
