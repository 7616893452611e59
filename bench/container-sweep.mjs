#!/usr/bin/env node
/**
 * How long Lookout's container sweep takes with 1, 10, 50 and 100 running
 * containers, against a private dockerd this script starts and stops itself:
 * with the figures read from the containers' cgroup files (the default,
 * src/collect/docker/cgroup-reader.ts) and, for comparison, through the
 * Engine API's one-shot stats (the fallback; `statsSource: "api"`).
 *
 *   npm run build && node bench/container-sweep.mjs [--sizes 1,10,50,100] [--cycles 5]
 *       [--gap-ms 1100] [--start-concurrency 8] [--budget-s 240] [--full-sequential]
 *
 * --budget-s: past it no new phase starts (skipped phases are marked); 60 s
 * later a watchdog cleans up and exits 1.
 *
 * Measures, for each N (containers are added as N grows; each runs a `sleep`
 * loop, `--network none`, `--memory 16m`), for each of the two paths:
 *   - one DockerCollector.collect() interval cycle (list + inspect + the
 *     figures of every running container, docker.stats_concurrency = the
 *     default 16): the FIRST cycle of a fresh collector (inspects everything,
 *     negotiates the API version and, on the kernel path, finds every
 *     container's cgroup), then `--cycles` steady-state cycles (the same
 *     collector: nothing changed, so nothing is re-inspected or re-resolved);
 *   - the figures alone within those cycles: CgroupReader.readMany (+ the
 *     host's CPUs and memory) on the kernel path, DockerEngine.statsMany on
 *     the API path; the kernel path must read every container from its files
 *     (the run fails if any falls back to the API);
 *   - DockerEngine.statsMany(ids) with concurrency 16: timed around the call
 *     the collector makes in each steady cycle (the same call, so it is not
 *     run a sixth time on its own); alone with concurrency 1 (sequential) and,
 *     for N > 16, N (no limit: on the unix socket each request is a connection of its own);
 *   - for reference, the docker CLI as the blog's script calls it:
 *     `docker stats --no-stream --format "{{.CPUPerc}} {{.MemPerc}}" NAME`, for
 *     one container (3 runs) and for 10 containers one at a time (the blog's
 *     loop), and once with all names in one call at the largest N.
 *
 * The gap. dockerd 20.10 (Debian 12's docker.io, measured here) evidently
 * answers a stats request, one-shot or not, from its stats collector, a loop
 * that reads every subscribed container's cgroups and then sleeps 1 s: an
 * idle daemon answers one request in milliseconds, and a request made while
 * the loop sleeps waits for its next round (sequential requests take 1 s
 * each). Current moby source reads one-shot stats directly instead; that is
 * not measured here. Lookout's cycles are `interval` (10 s) apart, so its first
 * stats request finds the collector idle; to measure that case and not
 * back-to-back cycles, every timed measurement here is preceded by a
 * `--gap-ms` (1100 ms) pause with no stats request in flight.
 *
 * Sequential stats cost about one collector round (1 s) per container after
 * the first, so concurrency 1 is measured for N <= 10 only, and projected for
 * larger N as (N - 1) x (the N = 10 time / 9), printed as a projection;
 * `--full-sequential` measures it for every N (about 150 s more; the budget
 * becomes 340 s).
 *
 * The daemon is private (`--host unix://` in a short /tmp/lkb-XXXXXX dir, own
 * --data-root, --exec-root, --pidfile, --bridge none, --iptables=false), as
 * test/integration/docker-rig.ts does; the image `lookout-test:latest` is built
 * with `docker import` from the host's static busybox (no registry needed).
 * That code is in bench/lib/dockerd.mjs, shared with bench/crash-latency.mjs.
 * Everything is removed at the end, on failure, on Ctrl-C, and by a watchdog:
 * containers (`docker rm -f`), dockerd (SIGTERM, then SIGKILL), containerd and
 * shims left behind, mounts under the dir (umount -l), the dir. A dir left by a
 * run that was SIGKILLed is cleaned at the next start.
 *
 * Needs root, dockerd, the docker CLI, tar and a static /bin/busybox; installs
 * docker.io and busybox-static with apt-get when missing. Markdown tables on
 * stdout, progress on stderr.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildImage, cleanStale, cmdline, createRig, daemonPids, docker as dockerCli, ensureDeps, IMAGE, pids, startDockerd, teardown } from "./lib/dockerd.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const started = Date.now();

// ------------------------------------------------------------------ options
const argv = process.argv.slice(2);
function option(name, fallback) {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) die(`${name} needs a value`, 2);
  return v;
}
const SIZES = option("--sizes", "1,10,50,100").split(",").map(Number);
const CYCLES = Number(option("--cycles", "5"));
const GAP_MS = Number(option("--gap-ms", "1100"));
const START_CONCURRENCY = Number(option("--start-concurrency", "8"));
const FULL_SEQUENTIAL = argv.includes("--full-sequential");
const BUDGET_S = Number(option("--budget-s", FULL_SEQUENTIAL ? "410" : "240"));
if (SIZES.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(CYCLES) || CYCLES < 1 || !(GAP_MS >= 0) || !(START_CONCURRENCY >= 1) || !(BUDGET_S > 0)) {
  die("bad options: --sizes N,N,... (integers >= 1), --cycles >= 1, --gap-ms >= 0, --start-concurrency >= 1, --budget-s > 0", 2);
}
SIZES.sort((a, b) => a - b);
const MAX_N = SIZES[SIZES.length - 1];
/** Past this, phases are skipped (and said so); the watchdog kills the run 60 s later. */
const softDeadline = started + BUDGET_S * 1000;
const BLOG_FORMAT = "{{.CPUPerc}} {{.MemPerc}}";
const NAME = (i) => `sweep-${String(i).padStart(3, "0")}`;
const CONTAINER_CMD = "trap 'exit 0' TERM; while :; do sleep 10 & wait; done";

function die(msg, code = 1) {
  process.stderr.write(`container-sweep: ${msg}\n`);
  process.exit(code);
}
const say = (msg) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

// ------------------------------------------------------------------ preflight
if (process.platform !== "linux") die("Linux only");
if (process.getuid?.() !== 0) die("dockerd needs root: run this as root");
for (const f of ["collect/docker/engine.js", "collect/docker/docker.js", "config/schema.js", "log.js"]) {
  if (!existsSync(join(root, "dist", f))) die(`dist/${f} is missing: run \`npm run build\` first`);
}

try {
  ensureDeps({ say });
} catch (err) {
  die(err.message);
}

const { DockerEngine } = await import(pathToFileURL(join(root, "dist/collect/docker/engine.js")).href);
const { DockerCollector } = await import(pathToFileURL(join(root, "dist/collect/docker/docker.js")).href);
const { configSchema } = await import(pathToFileURL(join(root, "dist/config/schema.js")).href);
const { setLogSink } = await import(pathToFileURL(join(root, "dist/log.js")).href);
const logLines = [];
setLogSink((line) => logLines.push(line));

// ------------------------------------------------------------------ the private dockerd
let rig = null; // { dir, socket, host, pidfile, logFile, cliConfig, child }
const docker = (args, opts) => dockerCli(rig, args, opts);

async function mapLimit(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

let running = 0;
async function growTo(n) {
  const names = [];
  for (let i = running + 1; i <= n; i++) names.push(NAME(i));
  if (names.length === 0) return;
  const t = now();
  await mapLimit(names, START_CONCURRENCY, (name) =>
    docker(["run", "-d", "--network", "none", "--memory", "16m", "--label", "lookout.bench=container-sweep", "--name", name, IMAGE, "sh", "-c", CONTAINER_CMD]),
  );
  running = n;
  const up = (await docker(["ps", "-q", "--filter", "label=lookout.bench=container-sweep", "--filter", "status=running"])).split("\n").filter(Boolean).length;
  if (up !== n) throw new Error(`expected ${n} running containers, docker ps shows ${up}`);
  say(`${n} containers running (started ${names.length} in ${((now() - t) / 1000).toFixed(1)} s)`);
}

// ------------------------------------------------------------------ CPU accounting of the daemon side
const TICK_MS = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim() || 100);
/** utime+stime (ms) of dockerd, containerd and the shims of this rig. */
function daemonCpuMs() {
  let ticks = 0;
  for (const pid of daemonPids(rig.dir)) {
    try {
      const s = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]); // fields 14, 15: utime, stime
    } catch {
      // gone
    }
  }
  return ticks * TICK_MS;
}
const selfCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// ------------------------------------------------------------------ measurements
const stats = (xs) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
};
const f0 = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const range = (s) => (s.n > 1 ? `${f0(s.mean)} (${f0(s.min)}–${f0(s.max)})` : f0(s.mean));
const timeLeft = () => softDeadline - Date.now();

/** An engine that counts what it is asked and times statsMany. */
function countingEngine() {
  const engine = new DockerEngine({ host: rig.host });
  const c = { list: 0, inspect: 0, stats: 0, statsManyMs: 0 };
  const inspect = engine.inspect.bind(engine);
  const statsOne = engine.stats.bind(engine);
  const list = engine.listContainers.bind(engine);
  const many = engine.statsMany.bind(engine);
  engine.inspect = (id) => {
    c.inspect++;
    return inspect(id);
  };
  engine.stats = (id) => {
    c.stats++;
    return statsOne(id);
  };
  engine.listContainers = () => {
    c.list++;
    return list();
  };
  engine.statsMany = async (ids, conc) => {
    const t = now();
    try {
      return await many(ids, conc);
    } finally {
      c.statsManyMs += now() - t;
    }
  };
  return { engine, c };
}

/** `source`: "cgroup" (the default path: cgroup files) or "api" (the Engine API's stats only). */
async function measureCollect(n, source) {
  const config = configSchema.parse({ docker: { enabled: true, socket: rig.host } });
  const { engine, c } = countingEngine();
  const collector = new DockerCollector({ config, engine, statsSource: source === "api" ? "api" : "auto" });
  if (source === "cgroup") {
    // Time the figures alone: the cgroup files of every container, and the host's CPUs and memory, read in parallel.
    const reader = collector.cgroups;
    const readMany = reader.readMany.bind(reader);
    const hostFacts = reader.hostFacts.bind(reader);
    let t0 = 0;
    const done = () => {
      c.kernelMs = Math.max(c.kernelMs, now() - t0);
    };
    reader.readMany = async (targets, conc) => {
      t0 = now();
      try {
        return await readMany(targets, conc);
      } finally {
        done();
      }
    };
    reader.hostFacts = async () => {
      try {
        return await hostFacts();
      } finally {
        done();
      }
    };
  }
  const cycles = [];
  try {
    for (let k = 0; k <= CYCLES; k++) {
      if (k > 0 && timeLeft() < 0) break;
      await sleep(GAP_MS);
      Object.assign(c, { list: 0, inspect: 0, stats: 0, statsManyMs: 0, kernelMs: 0 });
      const d0 = daemonCpuMs();
      const s0 = selfCpuMs();
      const t = now();
      const res = await collector.collect({ config, now: Date.now(), reason: "interval" });
      const ms = now() - t;
      const selfMs = selfCpuMs() - s0;
      const daemonMs = daemonCpuMs() - d0;
      const memory = res.samples.filter((s) => s.name === "container_memory").length;
      const unreachable = res.samples.find((s) => s.name === "docker_unreachable")?.value;
      if (unreachable) throw new Error("the collector says Docker is unreachable");
      const src = collector.statsSource;
      if (source === "cgroup" && (src?.cgroup !== n || src.api !== 0)) {
        throw new Error(`the kernel path read ${src?.cgroup} of ${n} containers from cgroup files (${JSON.stringify(src?.apiReasons)})`);
      }
      cycles.push({ ms, ...c, figuresMs: source === "cgroup" ? c.kernelMs : c.statsManyMs, memory, selfMs, daemonMs });
    }
  } finally {
    await collector.stop();
  }
  const [first, ...steady] = cycles;
  say(
    `N=${n} ${source}: collect first ${first.ms.toFixed(0)} ms (${first.inspect} inspects, ${first.stats} API stats), steady ${steady.map((x) => x.ms.toFixed(0)).join(" ")} ms (figures ${steady.map((x) => x.figuresMs.toFixed(1)).join(" ")} ms)`,
  );
  return { first, steady };
}

async function measureStatsMany(n, concurrency, reps) {
  const engine = new DockerEngine({ host: rig.host });
  try {
    await engine.version();
    const ids = (await engine.listContainers()).filter((s) => s.State === "running" && s.Labels?.["lookout.bench"] === "container-sweep").map((s) => s.Id);
    if (ids.length !== n) throw new Error(`expected ${n} running containers, the API lists ${ids.length}`);
    const runs = [];
    for (let r = 0; r < reps; r++) {
      await sleep(GAP_MS);
      const t = now();
      const got = await engine.statsMany(ids, concurrency);
      runs.push({ ms: now() - t, got: got.size });
    }
    say(`N=${n}: statsMany c=${concurrency}: ${runs.map((r) => `${r.ms.toFixed(0)} ms (${r.got} answered)`).join(", ")}`);
    return { ...stats(runs.map((r) => r.ms)), got: Math.min(...runs.map((r) => r.got)) };
  } finally {
    await engine.close();
  }
}

async function cliStats(names) {
  await sleep(GAP_MS);
  const t = now();
  const out = await docker(["stats", "--no-stream", "--format", BLOG_FORMAT, ...names], { timeoutMs: 120_000 });
  const lines = out.split("\n").filter(Boolean).length;
  if (lines !== names.length) throw new Error(`docker stats printed ${lines} lines for ${names.length} containers`);
  return now() - t;
}

// ------------------------------------------------------------------ main
let cleaned = false;
function cleanup(why) {
  if (cleaned || !rig) return null;
  cleaned = true;
  say(`cleaning up (${why}): docker rm -f, stopping dockerd, unmounting, removing ${rig.dir}`);
  const r = teardown(rig.dir);
  say(`cleanup: ${r.dirRemoved ? "done" : "INCOMPLETE"} (processes left ${r.processes}, mounts left ${r.mounts}, SIGKILLed ${r.killed}, dir removed ${r.dirRemoved})`);
  return r;
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    cleanup(sig);
    process.exit(130);
  });
}
process.on("uncaughtException", (err) => {
  process.stderr.write(`container-sweep: ${err?.stack ?? err}\n`);
  cleanup("uncaught exception");
  process.exit(1);
});
const watchdog = setTimeout(
  () => {
    process.stderr.write(`container-sweep: still running ${BUDGET_S + 60} s after the start: giving up\n`);
    cleanup("watchdog");
    process.exit(1);
  },
  (BUDGET_S + 60) * 1000,
);
watchdog.unref();

const results = [];
const cli = [];
const facts = {};
let exitCode = 0;
const otherDockerd = () => pids().filter((p) => /(^|\/)dockerd\s/.test(cmdline(p) ?? "")).length;
facts.loadStart = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
facts.otherStart = otherDockerd();
try {
  cleanStale({ say });
  let t = now();
  rig = createRig();
  await startDockerd(rig);
  facts.dockerdStart = (now() - t) / 1000;
  t = now();
  await buildImage(rig);
  facts.image = (now() - t) / 1000;
  const probe = new DockerEngine({ host: rig.host });
  const v = await probe.version().finally(() => probe.close());
  facts.dockerd = v.version;
  facts.api = v.apiVersion;
  facts.cli = await docker(["version", "--format", "{{.Client.Version}}"]);
  facts.info = await docker(["info", "--format", "{{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}"]);
  say(`dockerd ${facts.dockerd} up in ${facts.dockerdStart.toFixed(1)} s (${rig.dir}), image built in ${facts.image.toFixed(1)} s`);

  let seqPerRound = null; // ms per request after the first, from the largest N <= 10 measured sequentially
  for (const n of SIZES) {
    if (timeLeft() < 0) {
      say(`N=${n}: skipped, past the ${BUDGET_S} s budget`);
      results.push({ n, skipped: true });
      continue;
    }
    await growTo(n);
    const row = { n };
    row.kernel = await measureCollect(n, "cgroup");
    row.collect = await measureCollect(n, "api");
    if (n > 16) row.cN = await measureStatsMany(n, n, 1);
    if (n <= 10 || FULL_SEQUENTIAL) {
      row.c1 = await measureStatsMany(n, 1, 1);
      if (n <= 10 && n >= 2) seqPerRound = row.c1.mean / (n - 1);
    } else if (seqPerRound !== null) {
      row.c1Projected = seqPerRound * (n - 1);
    }
    results.push(row);

    if (n === 1) {
      const runs = [];
      for (let r = 0; r < 3; r++) runs.push(await cliStats([NAME(1)]));
      cli.push({ what: "`docker stats --no-stream` one container", containers: 1, calls: 3, total: null, per: stats(runs) });
      say(`CLI, 1 container: ${runs.map((x) => x.toFixed(0)).join(", ")} ms`);
    }
    if (n === 10) {
      const runs = [];
      await sleep(GAP_MS);
      const t0 = now();
      for (let i = 1; i <= 10; i++) {
        const t1 = now();
        await docker(["stats", "--no-stream", "--format", BLOG_FORMAT, NAME(i)]);
        runs.push(now() - t1);
      }
      const total = now() - t0;
      cli.push({ what: "`docker stats --no-stream` one at a time (the blog's loop)", containers: 10, calls: 10, total, per: stats(runs) });
      say(`CLI, 10 containers one at a time: ${total.toFixed(0)} ms in all`);
    }
    if (n === MAX_N) {
      const names = Array.from({ length: n }, (_, i) => NAME(i + 1));
      const ms = await cliStats(names);
      cli.push({ what: "`docker stats --no-stream` all names in one call", containers: n, calls: 1, total: ms, per: stats([ms]) });
      say(`CLI, ${n} containers in one call: ${ms.toFixed(0)} ms`);
    }
  }
} catch (err) {
  exitCode = 1;
  process.stderr.write(`container-sweep: ${err?.stack ?? err}\n`);
} finally {
  facts.total = (Date.now() - started) / 1000;
  const r = cleanup(exitCode ? "failure" : "end");
  if (r && !r.dirRemoved) exitCode = 1;
  facts.totalWithCleanup = (Date.now() - started) / 1000;
}

// ------------------------------------------------------------------ report
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const out = [];
out.push(
  `machine: nproc ${cpus().length}, kernel ${release()}, node ${process.version}; dockerd ${facts.dockerd ?? "?"} (API ${facts.api ?? "?"}, ${facts.info ?? "?"}), docker CLI ${facts.cli ?? "?"}`,
);
out.push(
  `run: ${new Date(started).toISOString()}, ${facts.total?.toFixed(0)} s (+ cleanup: ${facts.totalWithCleanup?.toFixed(0)} s in all); load average at the start ${facts.loadStart}, at the end ${load}; other dockerd processes on the machine (other engineers' test rigs) at the start ${facts.otherStart}, at the end ${otherDockerd()}`,
);
out.push(`settings: sizes ${SIZES.join(",")}, ${CYCLES} steady cycles, ${GAP_MS} ms idle gap before each timed measurement, containers started ${START_CONCURRENCY} at a time`);
out.push("");
out.push("Kernel path (cgroup files, the default) against the Engine API path (the fallback), same containers, same collector:");
out.push("");
out.push(
  "| running containers | cgroup files: figures ms/cycle, mean (min–max) | cgroup files: collect steady ms | cgroup files: first cycle ms | cgroup files: daemon CPU ms/cycle | cgroup files: Lookout CPU ms/cycle | Engine API: statsMany ms/cycle | Engine API: collect steady ms | Engine API: first cycle ms | Engine API: daemon CPU ms/cycle | Engine API: Lookout CPU ms/cycle |",
);
out.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  if (r.skipped) {
    out.push(`| ${r.n} | skipped (time budget) | | | | | | | | | |`);
    continue;
  }
  const part = (m) => {
    const st = m.steady;
    if (st.length === 0) return ["-", "-", f0(m.first.ms), "-", "-"];
    const avg = (k) => f0(st.reduce((a, x) => a + x[k], 0) / st.length);
    return [range(stats(st.map((x) => x.figuresMs))), range(stats(st.map((x) => x.ms))), f0(m.first.ms), avg("daemonMs"), avg("selfMs")];
  };
  out.push(`| ${r.n} | ${[...part(r.kernel), ...part(r.collect)].join(" | ")} |`);
}
out.push("");
out.push("Engine API path in detail:");
out.push("");
out.push(
  "| running containers | collect, first cycle ms (inspects) | collect, steady cycle ms: mean (min–max) (cycles) | steady: inspects / stats per cycle | steady: daemon CPU ms/cycle (dockerd+containerd+shims) | steady: Lookout CPU ms/cycle | statsMany c=16 ms (in the steady cycles): mean (min–max) | statsMany c=1 ms | statsMany c=N ms | stats answered (of N) |",
);
out.push("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  if (r.skipped) {
    out.push(`| ${r.n} | skipped (time budget) | | | | | | | | |`);
    continue;
  }
  const st = r.collect.steady;
  const steady = st.length ? stats(st.map((x) => x.ms)) : null;
  const avg = (k) => (st.length ? f0(st.reduce((a, x) => a + x[k], 0) / st.length) : "-");
  const perCycle = st.length ? `${avg("inspect")} / ${avg("stats")}` : "-";
  const c1 = r.c1 ? f0(r.c1.mean) : r.c1Projected !== undefined ? `≈ ${f0(r.c1Projected)} (projected: (N−1) × N=10 time / 9)` : "-";
  const cN = r.cN ? f0(r.cN.mean) : "(= c=16)";
  const answered = Math.min(r.cN?.got ?? Infinity, r.c1?.got ?? Infinity, ...st.map((x) => x.stats), ...st.map((x) => x.memory));
  out.push(
    `| ${r.n} | ${f0(r.collect.first.ms)} (${r.collect.first.inspect}) | ${steady ? `${range(steady)} (${steady.n})` : "-"} | ${perCycle} | ${avg("daemonMs")} | ${avg("selfMs")} | ${st.length ? range(stats(st.map((x) => x.statsManyMs))) : "-"} | ${c1} | ${cN} | ${answered} |`,
  );
}
out.push("");
out.push("| docker CLI (blog's format `{{.CPUPerc}} {{.MemPerc}}`) | containers | calls | total ms | per call ms: mean (min–max) |");
out.push("|---|---:|---:|---:|---:|");
for (const c of cli) out.push(`| ${c.what} | ${c.containers} | ${c.calls} | ${c.total === null ? "-" : f0(c.total)} | ${range(c.per)} |`);
const bad = logLines.filter((l) => / (WARN|ERROR) /.test(l));
out.push("");
out.push(`Lookout log lines at warn/error during the run: ${bad.length}${bad.length ? ` (first: ${bad[0]})` : ""}`);
process.stdout.write(out.join("\n") + "\n");
process.exit(exitCode);
