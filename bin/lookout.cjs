#!/usr/bin/env -S node --single-threaded-gc --lite-mode --no-expose-wasm
/**
 * The installed `lookout` command (package.json "bin"). CommonJS on purpose:
 * `lookout --version` is answered here, before anything else is loaded.
 * Everything else is the bundled CLI, dist/cli/main.cjs and its chunks, which
 * short commands compile through V8's code cache (bin/code-cache.cjs); `run`
 * does not: it starts once, and code it would never call again is not worth
 * its memory.
 *
 * Node's flags, on the first line because V8 takes them only at start (set
 * later, they crash it; NODE_OPTIONS refuses them): `lookout run` watching 20
 * containers measured 57–58 MiB RSS with them against 67–69 MiB without, at
 * the same CPU (docs/benchmarks.md). --lite-mode: V8 keeps no optimized code
 * and allocates feedback lazily (an agent that sleeps between cycles gains
 * little from optimizing); --single-threaded-gc: no helper threads racing for
 * the 2 cores the agent shares; --no-expose-wasm: no WebAssembly, which
 * lite mode would otherwise switch off with a warning on every command.
 * `env -S` splits them (coreutils 8.30, Debian 10 and later).
 */
"use strict";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  let version = "unknown";
  try {
    version = JSON.parse(require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "package.json"), "utf8")).version;
  } catch {
    // a package without its package.json: say "unknown" rather than fail
  }
  // With write(2), not Node's stdout stream, which costs more to make (~10 ms) than the rest of this answer;
  // `lookout --version | true`: a closed pipe is not an error worth a stack trace.
  try {
    require("node:fs").writeSync(1, `${version}\n`);
  } catch {
    // nobody reads it
  }
} else {
  const command = args.find((a) => !a.startsWith("-"));
  let cli;
  try {
    if (command === "run") cli = require("../dist/cli/main.cjs");
    else {
      const cache = require("./code-cache.cjs");
      const dist = require("node:path").join(__dirname, "..", "dist", "cli");
      cache.install(dist, cache.cacheDir(process.env));
      cli = cache.load(require("node:path").join(dist, "main.cjs"));
    }
  } catch (err) {
    process.stderr.write(`lookout: cannot load its own code (${err?.code ?? "error"}): run \`npm run build\` in its directory, or reinstall it\n`);
    process.exitCode = 1;
  }
  cli?.main(process.argv).then((code) => {
    process.exitCode = code;
    // A short command is done when main() answers: it exits then rather than when Node's event loop has emptied and
    // Node has freed V8's heap page by page (~40 munmap calls and a last scavenge, ~3 ms of a steady `check`). What it
    // printed is out: with write(2), or through Node's stdout and stderr, which write synchronously to files, pipes and
    // terminals on Linux. 'exit' handlers (the code cache's) still run.
    if (command !== "run") process.exit();
  });
}
