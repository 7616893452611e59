#!/usr/bin/env node
/**
 * How long Lookout's container sweep takes with 1, 10, 50 and 100 running
 * containers, against a private dockerd this script starts and stops itself.
 *
 *   npm run build && node bench/container-sweep.mjs [--sizes 1,10,50,100] [--cycles 5]
 *       [--gap-ms 1100] [--start-concurrency 8] [--budget-s 170] [--full-sequential]
 *
 * --budget-s: past it no new phase starts (skipped phases are marked); 60 s
 * later a watchdog cleans up and exits 1.
 *
 * Measures, for each N (containers are added as N grows; each runs a `sleep`
 * loop, `--network none`, `--memory 16m`):
 *   - one DockerCollector.collect() interval cycle (list + inspect + one-shot
 *     stats of every running container, docker.stats_concurrency = the
 *     default 16): the FIRST cycle of a fresh collector (inspects everything,
 *     and negotiates the API version), then `--cycles` steady-state cycles (the
 *     same collector: nothing changed, so nothing is re-inspected);
 *   - DockerEngine.statsMany(ids) with concurrency 16: timed around the call
 *     the collector makes in each steady cycle (the same call, so it is not
 *     run a sixth time on its own); alone with concurrency 1 (sequential) and,
 *     for N > 16, N (no limit but the engine's pool of 32 connections);
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
 * Everything is removed at the end, on failure, on Ctrl-C, and by a watchdog:
 * containers (`docker rm -f`), dockerd (SIGTERM, then SIGKILL), containerd and
 * shims left behind, mounts under the dir (umount -l), the dir. A dir left by a
 * run that was SIGKILLed is cleaned at the next start.
 *
 * Needs root, dockerd, the docker CLI, tar and a static /bin/busybox; installs
 * docker.io and busybox-static with apt-get when missing. Markdown tables on
 * stdout, progress on stderr.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  rmdirSync,
  statSync,
  symlinkSync,
  copyFileSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { cpus, release } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

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
const BUDGET_S = Number(option("--budget-s", FULL_SEQUENTIAL ? "340" : "170"));
if (SIZES.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(CYCLES) || CYCLES < 1 || !(GAP_MS >= 0) || !(START_CONCURRENCY >= 1) || !(BUDGET_S > 0)) {
  die("bad options: --sizes N,N,... (integers >= 1), --cycles >= 1, --gap-ms >= 0, --start-concurrency >= 1, --budget-s > 0", 2);
}
SIZES.sort((a, b) => a - b);
const MAX_N = SIZES[SIZES.length - 1];
/** Past this, phases are skipped (and said so); the watchdog kills the run 60 s later. */
const softDeadline = started + BUDGET_S * 1000;
const BLOG_FORMAT = "{{.CPUPerc}} {{.MemPerc}}";
const IMAGE = "lookout-test:latest";
const PREFIX = "/tmp/lkb-";
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

function onPath(bin) {
  return (process.env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    .split(":")
    .concat(["/usr/sbin", "/sbin"])
    .some((d) => d && existsSync(join(d, bin)));
}
/** An ELF executable without a program interpreter (PT_INTERP) is static. */
function isStaticElf(path) {
  const buf = readFileSync(path);
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) return false;
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > buf.length) return false;
    if (buf.readUInt32LE(at) === 3) return false;
  }
  return true;
}
function ensureDeps() {
  const need = [];
  if (!onPath("dockerd") || !onPath("docker")) need.push("docker.io");
  if (!existsSync("/bin/busybox") || !isStaticElf("/bin/busybox")) need.push("busybox-static");
  if (!onPath("tar")) need.push("tar");
  if (need.length === 0) return;
  say(`installing ${need.join(" ")} with apt-get`);
  // As scripts/install-test-deps.sh: keep docker.io's postinst from starting the system dockerd.
  let policy = false;
  if (!existsSync("/usr/sbin/policy-rc.d")) {
    writeFileSync("/usr/sbin/policy-rc.d", "#!/bin/sh\n# container-sweep bench: no service starts during package installs\nexit 101\n", { mode: 0o755 });
    policy = true;
  }
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", 2, 2], env });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...need], { stdio: ["ignore", 2, 2], env });
  } finally {
    if (policy) rmSync("/usr/sbin/policy-rc.d", { force: true });
  }
  if (!onPath("dockerd") || !onPath("docker") || !isStaticElf("/bin/busybox")) die(`still missing after apt-get install ${need.join(" ")}`);
}
ensureDeps();

const { DockerEngine } = await import(pathToFileURL(join(root, "dist/collect/docker/engine.js")).href);
const { DockerCollector } = await import(pathToFileURL(join(root, "dist/collect/docker/docker.js")).href);
const { configSchema } = await import(pathToFileURL(join(root, "dist/config/schema.js")).href);
const { setLogSink } = await import(pathToFileURL(join(root, "dist/log.js")).href);
const logLines = [];
setLogSink((line) => logLines.push(line));

// ------------------------------------------------------------------ the private dockerd
let rig = null; // { dir, socket, host, pidfile, logFile, cliConfig, child }

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return null;
  }
}
function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
function pids() {
  return readdirSync("/proc").filter((e) => /^\d+$/.test(e)).map(Number);
}
/** Processes of this dir's daemon: dockerd, containerd, shims (their command lines name the dir). */
function daemonPids(dir) {
  return pids().filter((p) => p !== process.pid && (cmdline(p) ?? "").includes(`${dir}/`));
}
function dockerdPid(dir) {
  for (const f of [join(dir, "docker.pid"), join(dir, "spawned.pid")]) {
    try {
      const pid = Number.parseInt(readFileSync(f, "utf8").trim(), 10);
      if (pid > 0 && isAlive(pid) && (cmdline(pid) ?? "").includes(dir)) return pid;
    } catch {
      // none
    }
  }
  return null;
}
function mountsUnder(dir) {
  let text = "";
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const out = [];
  for (const line of text.split("\n")) {
    const mp = line.split(" ")[4];
    if (!mp) continue;
    const path = mp.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)));
    if (path === dir || path.startsWith(`${dir}/`)) out.push(path);
  }
  return out.sort((a, b) => b.length - a.length);
}
function containerIds(dir) {
  try {
    return readdirSync(join(dir, "data", "containers")).filter((id) => /^[0-9a-f]{64}$/.test(id));
  } catch {
    return [];
  }
}
/** SIGKILL to whatever is left: the daemon's processes and the containers' (found by id in their cgroup). */
function killLeftovers(dir) {
  const ids = containerIds(dir);
  let n = 0;
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    let ours = /\b(dockerd|containerd|containerd-shim[\w-]*|runc)\b/.test(cmdline(pid) ?? "") && (cmdline(pid) ?? "").includes(`${dir}/`);
    if (!ours && ids.length > 0) {
      try {
        const cg = readFileSync(`/proc/${pid}/cgroup`, "utf8");
        ours = ids.some((id) => cg.includes(id));
      } catch {
        ours = false;
      }
    }
    if (ours) {
      try {
        process.kill(pid, "SIGKILL");
        n++;
      } catch {
        // gone
      }
    }
  }
  return n;
}
/** Empty cgroup dirs of these containers that a killed dockerd left (cgroupfs driver, v1 or v2). */
function removeCgroups(ids) {
  if (ids.length === 0) return;
  const bases = [];
  try {
    if (existsSync("/sys/fs/cgroup/cgroup.controllers")) bases.push("/sys/fs/cgroup");
    else for (const c of readdirSync("/sys/fs/cgroup")) bases.push(join("/sys/fs/cgroup", c));
  } catch {
    return;
  }
  for (const b of bases) for (const id of ids) {
    const d = join(b, "docker", id);
    if (existsSync(d)) {
      try {
        rmdirSync(d);
      } catch {
        // busy or gone
      }
    }
  }
}
function syncSleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Stops dockerd and removes everything under dir. Synchronous, so it also runs from signal handlers. */
function teardown(dir, { removeContainers = true } = {}) {
  const ids = containerIds(dir);
  const pid = dockerdPid(dir);
  if (pid !== null && removeContainers && ids.length > 0 && existsSync(join(dir, "docker.sock"))) {
    try {
      execFileSync("docker", ["-H", `unix://${join(dir, "docker.sock")}`, "rm", "-f", ...ids], {
        env: cliEnv(join(dir, "cli")),
        stdio: "ignore",
        timeout: 60_000,
      });
    } catch {
      // dockerd's shutdown stops them anyway
    }
  }
  if (pid !== null) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // gone
    }
    const until = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < until) syncSleep(50);
    if (isAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
  const killed = killLeftovers(dir);
  if (killed > 0) syncSleep(300);
  for (const mp of mountsUnder(dir)) {
    try {
      execFileSync("umount", ["-l", mp], { stdio: "ignore" });
    } catch {
      // gone with its parent
    }
  }
  removeCgroups(ids);
  const left = { processes: daemonPids(dir).filter(isAlive).length, mounts: mountsUnder(dir).length, killed };
  if (left.mounts === 0) rmSync(dir, { recursive: true, force: true });
  return { ...left, dirRemoved: !existsSync(dir) };
}

/** Dirs of earlier runs whose owner died without cleaning up. */
function cleanStale() {
  for (const e of readdirSync("/tmp")) {
    if (!e.startsWith("lkb-")) continue;
    const dir = join("/tmp", e);
    let owner = 0;
    try {
      if (!statSync(dir).isDirectory()) continue;
      owner = JSON.parse(readFileSync(join(dir, "bench.json"), "utf8")).ownerPid ?? 0;
    } catch {
      continue;
    }
    if (owner && isAlive(owner) && (cmdline(owner) ?? "").includes("container-sweep")) continue;
    say(`removing ${dir}, left by an earlier run (pid ${owner})`);
    teardown(dir);
  }
}

function cliEnv(cliConfig) {
  const env = { ...process.env, DOCKER_CONFIG: cliConfig };
  delete env.DOCKER_HOST;
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  return env;
}
function docker(args, { timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile("docker", ["-H", rig.host, ...args], { env: cliEnv(rig.cliConfig), timeout: timeoutMs, maxBuffer: 16 << 20, encoding: "utf8" }, (err, out, errOut) =>
      err ? reject(new Error(`docker ${args.slice(0, 3).join(" ")}…: ${errOut.trim() || err.message}`)) : resolve(out.replace(/\n$/, "")),
    );
  });
}
function ping(socketPath) {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", method: "GET", timeout: 1000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(res.statusCode === 200 && body.trim() === "OK"));
      res.on("error", () => resolve(false));
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}
function dockerdSupports(flag) {
  try {
    return execFileSync("dockerd", ["--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 }).includes(flag);
  } catch {
    return false;
  }
}

async function startRig() {
  const dir = mkdtempSync(PREFIX);
  rig = {
    dir,
    socket: join(dir, "docker.sock"),
    host: `unix://${join(dir, "docker.sock")}`,
    pidfile: join(dir, "docker.pid"),
    logFile: join(dir, "dockerd.log"),
    cliConfig: join(dir, "cli"),
  };
  mkdirSync(rig.cliConfig);
  writeFileSync(join(dir, "bench.json"), JSON.stringify({ ownerPid: process.pid }));
  const args = [
    "--host", rig.host,
    "--data-root", join(dir, "data"),
    "--exec-root", join(dir, "x"),
    "--pidfile", rig.pidfile,
    "--bridge", "none",
    "--iptables=false",
    ...(dockerdSupports("--ip6tables") ? ["--ip6tables=false"] : []),
    "--log-level", "warn",
    "--shutdown-timeout", "2",
  ];
  const log = openSync(rig.logFile, "a");
  let exited = null;
  const child = spawn("dockerd", args, { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  child.on("error", (e) => (exited = e.message));
  child.on("exit", (code, sig) => (exited = `dockerd exited (${sig ?? `code ${code}`})`));
  child.unref();
  writeFileSync(join(dir, "spawned.pid"), String(child.pid));
  const deadline = Date.now() + 30_000;
  while (!(await ping(rig.socket))) {
    if (exited || Date.now() > deadline) {
      let tail = "";
      try {
        tail = readFileSync(rig.logFile, "utf8").trim().split("\n").slice(-15).join("\n");
      } catch {
        // no log
      }
      throw new Error(`dockerd did not start: ${exited ?? "no answer to /_ping in 30 s"}\n${tail}`);
    }
    await sleep(50);
  }
}

async function buildImage() {
  const r = join(rig.dir, "rootfs");
  for (const d of ["bin", "etc", "proc", "sys", "dev", "root", "tmp"]) mkdirSync(join(r, d), { recursive: true });
  chmodSync(join(r, "tmp"), 0o1777);
  copyFileSync("/bin/busybox", join(r, "bin", "busybox"));
  chmodSync(join(r, "bin", "busybox"), 0o755);
  for (const a of ["sh", "sleep"]) symlinkSync("busybox", join(r, "bin", a));
  writeFileSync(join(r, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(r, "etc", "group"), "root:x:0:\n");
  const tarball = join(rig.dir, "rootfs.tar");
  execFileSync("tar", ["-C", r, "-cf", tarball, "."]);
  await docker(["import", "--change", 'CMD ["sh"]', "--change", "ENV PATH=/bin", tarball, IMAGE]);
  rmSync(r, { recursive: true, force: true });
  rmSync(tarball, { force: true });
}

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
  engine.inspect = (id) => (c.inspect++, inspect(id));
  engine.stats = (id) => (c.stats++, statsOne(id));
  engine.listContainers = () => (c.list++, list());
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

async function measureCollect(n) {
  const config = configSchema.parse({ docker: { enabled: true, socket: rig.host } });
  const { engine, c } = countingEngine();
  const collector = new DockerCollector({ config, engine });
  const cycles = [];
  try {
    for (let k = 0; k <= CYCLES; k++) {
      if (k > 0 && timeLeft() < 0) break;
      await sleep(GAP_MS);
      Object.assign(c, { list: 0, inspect: 0, stats: 0, statsManyMs: 0 });
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
      cycles.push({ ms, ...c, memory, selfMs, daemonMs });
    }
  } finally {
    await collector.stop();
  }
  const [first, ...steady] = cycles;
  say(
    `N=${n}: collect first ${first.ms.toFixed(0)} ms (${first.inspect} inspects, ${first.stats} stats), steady ${steady.map((x) => x.ms.toFixed(0)).join(" ")} ms`,
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
const watchdog = setTimeout(() => {
  process.stderr.write(`container-sweep: still running ${BUDGET_S + 60} s after the start: giving up\n`);
  cleanup("watchdog");
  process.exit(1);
}, (BUDGET_S + 60) * 1000);
watchdog.unref();

const results = [];
const cli = [];
const facts = {};
let exitCode = 0;
const otherDockerd = () => pids().filter((p) => /(^|\/)dockerd\s/.test(cmdline(p) ?? "")).length;
facts.loadStart = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
facts.otherStart = otherDockerd();
try {
  cleanStale();
  let t = now();
  await startRig();
  facts.dockerdStart = (now() - t) / 1000;
  t = now();
  await buildImage();
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
    row.collect = await measureCollect(n);
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
out.push(`machine: nproc ${cpus().length}, kernel ${release()}, node ${process.version}; dockerd ${facts.dockerd ?? "?"} (API ${facts.api ?? "?"}, ${facts.info ?? "?"}), docker CLI ${facts.cli ?? "?"}`);
out.push(`run: ${new Date(started).toISOString()}, ${facts.total?.toFixed(0)} s (+ cleanup: ${facts.totalWithCleanup?.toFixed(0)} s in all); load average at the start ${facts.loadStart}, at the end ${load}; other dockerd processes on the machine (other engineers' test rigs) at the start ${facts.otherStart}, at the end ${otherDockerd()}`);
out.push(`settings: sizes ${SIZES.join(",")}, ${CYCLES} steady cycles, ${GAP_MS} ms idle gap before each timed measurement, containers started ${START_CONCURRENCY} at a time`);
out.push("");
out.push("| running containers | collect, first cycle ms (inspects) | collect, steady cycle ms: mean (min–max) (cycles) | steady: inspects / stats per cycle | steady: daemon CPU ms/cycle (dockerd+containerd+shims) | steady: Lookout CPU ms/cycle | statsMany c=16 ms (in the steady cycles): mean (min–max) | statsMany c=1 ms | statsMany c=N ms | stats answered (of N) |");
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
