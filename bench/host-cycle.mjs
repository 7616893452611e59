#!/usr/bin/env node
import childProcess from "node:child_process";
/**
 * In-process benchmark of one Lookout host cycle: HostCollector.collect()
 * (/proc/stat, meminfo, loadavg, uptime, /proc pid count, mountinfo + statfs)
 * → evaluate() with every registered rule → step() of the alert state machine.
 * No notification, no state file: that is `lookout check` (bench/check-vs-blog.sh).
 *
 *   npm run build && node bench/host-cycle.mjs [--cycles N] [--warmup N]
 *                                              [--thresholds default|zero] [--no-strace] [--canary]
 *
 * Reports mean / p50 / p99 / max microseconds per cycle and the number of child
 * processes started while the dist modules were imported, warmed up and run,
 * which must be 0 (exit 1 otherwise):
 *   - JS level: every function of node:child_process is wrapped on the module's
 *     default export and syncBuiltinESMExports() is called BEFORE the dist
 *     modules are imported, so their `import { spawn } from "node:child_process"`
 *     bindings are the counting wrappers too;
 *   - kernel level (when strace works): the same bench is run again under
 *     `strace -f --seccomp-bpf -e trace=execve,clone,clone3,fork,vfork`, which
 *     must show one execve (node itself) and no clone without CLONE_THREAD.
 *
 * The CPU window. HostCollector enforces a minimum CPU window (cpuWindowMs,
 * default 500 ms) on EVERY collect: a collect less than 500 ms after the
 * previous one sleeps until 500 ms have passed. The first collect (no previous
 * counters) therefore samples twice 500 ms apart, and back-to-back collects
 * would each sleep ~500 ms, which is waiting, not work. In the agent the
 * interval (10 s by default) is longer than the window, so the sleep never
 * happens. So: the warm-up collect uses a default collector (500 ms); its
 * counters are handed with snapshot()/restore() to a collector built with
 * cpuWindowMs: 0, the one that is timed, which computes the CPU delta from the
 * previous cycle's counters as the agent does, without the sleep. One
 * back-to-back collect on the default collector is also timed and printed, to
 * show the sleep this avoids.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { hostname as osHostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// ---- 1. count child processes: wrap node:child_process before anything else is imported
const CP_FUNCTIONS = ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"];
const childCalls = Object.fromEntries(CP_FUNCTIONS.map((n) => [n, 0]));
const originals = Object.fromEntries(CP_FUNCTIONS.map((n) => [n, childProcess[n]]));
let counting = false;
for (const name of CP_FUNCTIONS) {
  const original = originals[name];
  childProcess[name] = function countedChildProcess(...args) {
    if (counting) childCalls[name]++;
    return original.apply(this, args);
  };
}
syncBuiltinESMExports();
const childTotal = () => Object.values(childCalls).reduce((a, b) => a + b, 0);

// ---- 2. arguments
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const args = process.argv.slice(2);
function option(name, fallback) {
  const i = args.indexOf(name);
  if (i === -1) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith("--")) {
    process.stderr.write(`host-cycle: ${name} needs a value\n`);
    process.exit(2);
  }
  return v;
}
const cycles = Number(option("--cycles", "2000"));
const warmupCycles = Number(option("--warmup", String(Math.min(200, Math.max(10, Math.floor(cycles / 10))))));
const thresholds = option("--thresholds", "default");
// --canary: start one `true` through the ESM named export during the timed run, to show the counters work (the bench must then fail)
const canary = args.includes("--canary");
const childMode = args.includes("--child"); // run under strace by the parent: JSON out, no strace, no note
const useStrace = !childMode && !args.includes("--no-strace");
if (!Number.isInteger(cycles) || cycles < 1 || !Number.isInteger(warmupCycles) || warmupCycles < 0) {
  process.stderr.write("host-cycle: --cycles must be an integer ≥ 1 and --warmup ≥ 0\n");
  process.exit(2);
}
if (thresholds !== "default" && thresholds !== "zero") {
  process.stderr.write("host-cycle: --thresholds must be default or zero\n");
  process.exit(2);
}

const distFiles = ["collect/host/host.js", "evaluate/evaluate.js", "evaluate/registry.js", "alert/state.js", "config/schema.js"];
for (const f of distFiles) {
  if (!existsSync(join(root, "dist", f))) {
    process.stderr.write(`host-cycle: dist/${f} is missing: run \`npm run build\` first\n`);
    process.exit(1);
  }
}

// ---- 3. import the dist modules (after the wrapping) and check the wrapping took
counting = true;
const dist = (f) => import(pathToFileURL(join(root, "dist", f)).href);
const [{ HostCollector }, { evaluate }, { ruleRegistry }, { step }, { configSchema }] = await Promise.all(distFiles.map(dist));
const esm = await import("node:child_process");
for (const name of CP_FUNCTIONS) {
  if (esm[name] !== childProcess[name]) {
    process.stderr.write(`host-cycle: wrapping node:child_process.${name} did not reach the ESM named export; cannot count children\n`);
    process.exit(1);
  }
}

// "zero": every host rule fires at once (warning 0, for 0s), so step() also does
// the firing/reminder work; "default": the built-in thresholds (nothing fires on an idle box).
const rawConfig =
  thresholds === "zero"
    ? {
        host: Object.fromEntries(
          ["cpu", "memory", "swap", "disk", "inodes"].map((k) => [k, { warning: 0, critical: null, for: "0s" }]).concat([["load", { warning: 0.0001, critical: null, for: "0s" }]]),
        ),
      }
    : {};
const config = configSchema.parse(rawConfig);
const hostname = osHostname();
const stepOptions = (evaluated) => ({ repeatIntervalMs: config.notify.repeat_interval, sendResolved: config.notify.send_resolved, evaluated });

// ---- 4. warm-up: the first collect (two readings 500 ms apart), then JIT warm-up cycles
const warm = new HostCollector({ hostRoot: "" });
let t = performance.now();
await warm.collect({ config, now: Date.now() });
const firstCollectMs = performance.now() - t;

let backToBackMs;
if (!childMode) {
  t = performance.now();
  await warm.collect({ config, now: Date.now() });
  backToBackMs = performance.now() - t;
}

const collector = new HostCollector({ hostRoot: "", cpuWindowMs: 0 });
collector.restore(warm.snapshot(), Date.now());
if (!collector.snapshot()) {
  process.stderr.write("host-cycle: restore() did not take the warm-up counters\n");
  process.exit(1);
}

let alerts = [];
let samplesPerCycle = 0;
let observationsPerCycle = 0;
let events = 0;
async function cycle() {
  const now = Date.now();
  const samples = await collector.collect({ config, now });
  const evaluation = evaluate(samples, ruleRegistry, config, hostname);
  const result = step(alerts, evaluation.observations, now, stepOptions(evaluation.evaluated));
  alerts = result.alerts;
  samplesPerCycle = samples.length;
  observationsPerCycle = evaluation.observations.length;
  events += result.events.length;
}
for (let i = 0; i < warmupCycles; i++) await cycle();

// ---- 5. the timed cycles
events = 0;
const us = new Float64Array(cycles);
const wallStart = performance.now();
for (let i = 0; i < cycles; i++) {
  const t0 = process.hrtime.bigint();
  if (canary && i === 0) esm.execFileSync("true");
  await cycle();
  us[i] = Number(process.hrtime.bigint() - t0) / 1000;
}
const wallMs = performance.now() - wallStart;
counting = false;

const sorted = Float64Array.from(us).sort();
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const mean = us.reduce((a, b) => a + b, 0) / us.length;
const result = {
  cycles,
  warmupCycles,
  thresholds,
  meanUs: mean,
  p50Us: pct(50),
  p99Us: pct(99),
  maxUs: sorted[sorted.length - 1],
  wallMs,
  samplesPerCycle,
  observationsPerCycle,
  firing: alerts.filter((a) => a.state === "firing").length,
  events,
  firstCollectMs,
  children: childTotal(),
  childCalls,
};

if (childMode) {
  process.stdout.write(JSON.stringify(result) + "\n");
  process.exit(result.children > 0 ? 1 : 0);
}

// ---- 6. kernel-level cross-check: the same bench under strace (the bench's own spawns use the unwrapped originals)
const realSpawnSync = originals.spawnSync;
function haveStrace() {
  const r = realSpawnSync("strace", ["-V"], { stdio: "ignore" });
  if (r.status === 0) return true;
  // install it when missing (root on Debian/Ubuntu), as the other benches do
  if (process.getuid?.() === 0 && realSpawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0) {
    process.stderr.write("host-cycle: strace missing, installing it (apt-get)\n");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (!process.env.BENCH_APT_UPDATED) realSpawnSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
    realSpawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "strace"], { stdio: ["ignore", "ignore", "inherit"], env });
    return realSpawnSync("strace", ["-V"], { stdio: "ignore" }).status === 0;
  }
  return false;
}

let kernel = { status: "skipped (--no-strace)" };
if (useStrace) {
  if (!haveStrace()) {
    kernel = { status: "skipped (no strace, could not install it)" };
  } else {
    const { countStrace } = await import(pathToFileURL(join(here, "lib", "strace-count.mjs")).href);
    const dir = mkdtempSync(join(tmpdir(), "lookout-host-cycle-"));
    const out = join(dir, "strace.txt");
    const childArgs = [
      fileURLToPath(import.meta.url),
      "--child",
      "--cycles",
      String(cycles),
      "--warmup",
      String(warmupCycles),
      "--thresholds",
      thresholds,
      ...(canary ? ["--canary"] : []),
    ];
    const base = ["-f", "-qq", "-e", "trace=execve,execveat,clone,clone3,fork,vfork", "-o", out];
    let r;
    for (const extra of [["--seccomp-bpf"], []]) {
      // --seccomp-bpf stops the tracee only on the traced calls (near-zero overhead); older kernels lack it
      r = realSpawnSync("strace", [...extra, ...base, process.execPath, ...childArgs], { encoding: "utf8", timeout: 110_000 });
      // the child exits 1 when it counted children itself (--canary): strace's log still stands
      if ((r.status === 0 || (canary && r.status === 1)) && existsSync(out)) break;
    }
    if (!(r.status === 0 || (canary && r.status === 1)) || !existsSync(out)) {
      kernel = { status: `failed (strace exit ${r.status}${r.error ? ", " + r.error.message : ""}): ${(r.stderr ?? "").trim().split("\n").pop()}` };
    } else {
      const counts = countStrace(readFileSync(out, "utf8"));
      // the only execve allowed is the traced node itself
      const extraExecs = Math.max(0, counts.execve - 1);
      kernel = { status: "ok", execve: counts.execve, processes: counts.processes, threads: counts.threads, extraExecs, programs: counts.programs };
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- 7. report
const f1 = (v) => v.toFixed(1);
const command = `node bench/host-cycle.mjs --cycles ${cycles}${thresholds !== "default" ? ` --thresholds ${thresholds}` : ""}${canary ? " --canary" : ""}${useStrace ? "" : " --no-strace"}`;
const kernelCell = kernel.status === "ok" ? `${kernel.processes} new processes, ${kernel.execve} execve (${kernel.programs.join(", ")}), ${kernel.threads} threads` : kernel.status;
const lines = [
  `command: ${command}`,
  `node ${process.version}, ${readFileSync("/proc/sys/kernel/osrelease", "utf8").trim()}, ${(await import("node:os")).availableParallelism()} CPUs`,
  `cycle = HostCollector.collect + evaluate(${ruleRegistry.length} rules) + step; ${samplesPerCycle} samples, ${observationsPerCycle} observations, ${result.firing} firing, ${events} events over the timed cycles; thresholds: ${thresholds}`,
  `warm-up: first collect ${f1(firstCollectMs)} ms (two /proc/stat readings ${500} ms apart), then ${warmupCycles} untimed cycles`,
  `note: a back-to-back collect on a default HostCollector took ${f1(backToBackMs)} ms (the 500 ms minimum CPU window is enforced per collect; the timed collector uses cpuWindowMs: 0)`,
  "",
  "| bench | cycles | mean µs | p50 µs | p99 µs | max µs | child processes (child_process calls) | kernel cross-check (strace -f, whole run) |",
  "|---|---:|---:|---:|---:|---:|---:|---|",
  `| host cycle (collect+evaluate+step), thresholds ${thresholds} | ${cycles} | ${f1(mean)} | ${f1(result.p50Us)} | ${f1(result.p99Us)} | ${f1(result.maxUs)} | ${result.children} | ${kernelCell} |`,
  "",
];
process.stdout.write(lines.join("\n") + "\n");

let failed = false;
if (result.children > 0) {
  process.stderr.write(`host-cycle: FAIL: ${result.children} child process call(s): ${JSON.stringify(childCalls)}\n`);
  failed = true;
}
if (kernel.status === "ok" && (kernel.processes > 0 || kernel.extraExecs > 0)) {
  process.stderr.write(`host-cycle: FAIL: strace saw ${kernel.processes} new process(es), execve of ${kernel.programs.join(", ")}\n`);
  failed = true;
}
process.exit(failed ? 1 : 0);
