#!/usr/bin/env node
/**
 * From a container's death to the Slack message about it, with the real
 * `lookout run` process, against a private dockerd this script starts and
 * stops itself (bench/lib/dockerd.mjs) and a local Slack stand-in in this file.
 *
 *   npm run build && node bench/crash-latency.mjs [--runs 10] [--gap-ms 2000] [--budget-s 120]
 *
 * What it does:
 *   - starts the private dockerd (own socket in /tmp/lkb-XXXXXX, own
 *     --data-root/--exec-root/--pidfile, --bridge none, --iptables=false) and
 *     builds `lookout-test:latest` (static busybox) with `docker import`;
 *   - listens on 127.0.0.1 (any free port), answers every POST 200 `ok` as
 *     Slack does, and records each POST's arrival time (Date.now() when its
 *     body has been read: 1 ms resolution) and body;
 *   - writes a temp config: interval 10s (the default, so a reaction within
 *     it comes from the event stream, not from polling), every host rule
 *     disabled, docker.enabled true, `notify.slack: [{ webhook_url: ${HOOK} }]`
 *     with HOOK = the receiver's URL in the environment; a temp data dir;
 *   - starts `node bin/lookout.cjs run --config … --data-dir …` with
 *     DOCKER_HOST=unix://<the private socket> (LOOKOUT_* variables removed from
 *     its environment) and waits until its stderr says "following container
 *     events";
 *   - then `--runs` times, one after the other: `docker run -d --network none
 *     --name crash-NNN lookout-test:latest sh -c 'sleep 0.5; exit 3'`,
 *     `docker wait`, the death time from `docker inspect -f
 *     '{{.State.FinishedAt}}'` (dockerd's wall clock, nanoseconds: the same
 *     clock as Date.now() here, on the same machine), and the arrival of the
 *     first POST whose body names the container. latency = arrival − FinishedAt.
 *     Each run starts `--gap-ms` (≥ 2000) after the previous message arrived,
 *     so Lookout's Slack pacing (1 message per second per webhook) never delays
 *     one. Also printed, from Lookout's own stdout line for the alert
 *     (`<ISO time of the cycle> <title>`): the start of the cycle that made
 *     the notification (Lookout's timestamp) and when this script read that
 *     line, both relative to the death.
 *   - containers stay (exited) until the end, so no "resolved" message mixes in.
 *
 * No run starts past `--budget-s` (120 s from the start; skipped runs are
 * counted); a watchdog 60 s later cleans up and exits 1. At the end, on
 * failure, on Ctrl-C: SIGTERM to Lookout (SIGKILL after 10 s), the receiver
 * closed, the containers removed, dockerd stopped, leftovers killed, mounts
 * and temp dirs removed.
 *
 * Needs root, dockerd, the docker CLI, tar and a static /bin/busybox; installs
 * docker.io and busybox-static with apt-get when missing. Markdown tables on
 * stdout, progress on stderr.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, release } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { buildImage, cleanStale, cmdline, createRig, docker as dockerCli, ensureDeps, IMAGE, isAlive, pids, startDockerd, teardown } from "./lib/dockerd.mjs";

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
const RUNS = Number(option("--runs", "10"));
const GAP_MS = Number(option("--gap-ms", "2000"));
const BUDGET_S = Number(option("--budget-s", "120"));
if (!Number.isInteger(RUNS) || RUNS < 1 || !(GAP_MS >= 2000) || !(BUDGET_S > 0)) {
  die("bad options: --runs >= 1, --gap-ms >= 2000 (Slack pacing is 1 message/s), --budget-s > 0", 2);
}
const softDeadline = started + BUDGET_S * 1000;
const CONTAINER_CMD = "sleep 0.5; exit 3";
const NAME = (i) => `crash-${String(i).padStart(3, "0")}`;
/** How long to wait for a message after the container died. */
const ARRIVAL_TIMEOUT_MS = 15_000;
const READY_TIMEOUT_MS = 30_000;
const CLI = join(root, "bin", "lookout.cjs");

function die(msg, code = 1) {
  process.stderr.write(`crash-latency: ${msg}\n`);
  process.exit(code);
}
const say = (msg) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ preflight
if (process.platform !== "linux") die("Linux only");
if (process.getuid?.() !== 0) die("dockerd needs root: run this as root");
if (!existsSync(CLI)) die("dist/cli/main.cjs is missing: run `npm run build` first");
try {
  ensureDeps({ say });
} catch (err) {
  die(err.message);
}

// ------------------------------------------------------------------ state cleaned up at the end
let rig = null;
let tmp = null; // config + data dir
let agent = null; // the `lookout run` child
let server = null;
const docker = (args, opts) => dockerCli(rig, args, opts);

function syncSleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGTERM to Lookout and wait (synchronously: also from signal handlers), then SIGKILL. */
function stopAgentSync(waitMs) {
  if (!agent || agent.exitCode !== null || agent.signalCode !== null) return "not running";
  const pid = agent.pid;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return "gone";
  }
  const until = Date.now() + waitMs;
  while (isAlive(pid) && Date.now() < until) syncSleep(50);
  if (!isAlive(pid)) return "exited on SIGTERM";
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone
  }
  return "SIGKILLed";
}

let cleaned = false;
function cleanup(why) {
  if (cleaned) return null;
  cleaned = true;
  say(`cleaning up (${why}): stopping lookout, receiver, docker rm -f, stopping dockerd, removing temp dirs`);
  const agentHow = stopAgentSync(10_000);
  try {
    server?.close();
    server?.closeAllConnections?.();
  } catch {
    // closed
  }
  const r = rig ? teardown(rig.dir) : { processes: 0, mounts: 0, killed: 0, dirRemoved: true };
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  const tmpRemoved = !tmp || !existsSync(tmp);
  say(
    `cleanup: ${r.dirRemoved && tmpRemoved ? "done" : "INCOMPLETE"} (lookout ${agentHow}; dockerd processes left ${r.processes}, mounts left ${r.mounts}, SIGKILLed ${r.killed}, rig dir removed ${r.dirRemoved}, temp dir removed ${tmpRemoved})`,
  );
  return { ...r, agentHow, tmpRemoved };
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    cleanup(sig);
    process.exit(130);
  });
}
process.on("uncaughtException", (err) => {
  process.stderr.write(`crash-latency: ${err?.stack ?? err}\n`);
  cleanup("uncaught exception");
  process.exit(1);
});
const watchdog = setTimeout(
  () => {
    process.stderr.write(`crash-latency: still running ${BUDGET_S + 60} s after the start: giving up\n`);
    cleanup("watchdog");
    process.exit(1);
  },
  (BUDGET_S + 60) * 1000,
);
watchdog.unref();

// ------------------------------------------------------------------ the Slack stand-in
/** Every POST: arrival time (ms, wall clock) and body. */
const posts = [];
const postWaiters = new Set();
function startReceiver() {
  return new Promise((resolveUrl, reject) => {
    server = createServer((req, res) => {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const at = Date.now();
        const body = Buffer.concat(chunks).toString("utf8");
        if (req.method === "POST") {
          posts.push({ at, body });
          for (const w of postWaiters) w();
        }
        res.writeHead(200, { "content-type": "text/plain", "content-length": 2 });
        res.end("ok");
      });
    });
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => resolveUrl(`http://127.0.0.1:${server.address().port}/services/TBENCH/BBENCH/crash-latency`));
  });
}
/** The first POST naming this container, waited for until `until` (wall clock). */
async function arrivalOf(name, until) {
  const find = () => posts.find((p) => p.body.includes(name));
  for (;;) {
    const hit = find();
    if (hit) return hit;
    const left = until - Date.now();
    if (left <= 0) return null;
    await new Promise((r) => {
      const done = () => {
        clearTimeout(t);
        postWaiters.delete(done);
        r();
      };
      const t = setTimeout(done, left);
      postWaiters.add(done);
    });
  }
}

// ------------------------------------------------------------------ lookout run
const stderrLines = [];
const stdoutLines = []; // { at, line }
let ready = null; // wall-clock ms when "following container events" was read
function startAgent(hook) {
  tmp = mkdtempSync("/tmp/lkcl-");
  const config = join(tmp, "lookout.yaml");
  const data = join(tmp, "data");
  mkdirSync(data);
  const off = "{ enabled: false }";
  writeFileSync(
    config,
    [
      "# bench/crash-latency.mjs: containers only, reaction through the event stream",
      "interval: 10s",
      "host:",
      ...["cpu", "memory", "swap", "disk", "inodes", "load"].map((r) => `  ${r}: ${off}`),
      "docker:",
      "  enabled: true",
      "notify:",
      "  slack:",
      "    - webhook_url: ${HOOK}",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  const env = { ...process.env, HOOK: hook, DOCKER_HOST: rig.host };
  for (const k of Object.keys(env)) if (k.startsWith("LOOKOUT_")) delete env[k];
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  delete env.DOCKER_CERT_PATH;
  agent = spawn(process.execPath, [CLI, "run", "--config", config, "--data-dir", data], { cwd: tmp, env, stdio: ["ignore", "pipe", "pipe"] });
  createInterface({ input: agent.stdout }).on("line", (line) => stdoutLines.push({ at: Date.now(), line }));
  createInterface({ input: agent.stderr }).on("line", (line) => {
    stderrLines.push(line);
    if (ready === null && line.includes("following container events")) ready = Date.now();
  });
  return { config, data };
}
async function waitReady() {
  const until = Date.now() + READY_TIMEOUT_MS;
  while (ready === null) {
    if (agent.exitCode !== null || agent.signalCode !== null) {
      throw new Error(`lookout run exited (${agent.signalCode ?? `code ${agent.exitCode}`}) before following events:\n${stderrLines.slice(-15).join("\n")}`);
    }
    if (Date.now() > until) throw new Error(`lookout run did not say "following container events" in ${READY_TIMEOUT_MS / 1000} s:\n${stderrLines.slice(-15).join("\n")}`);
    await sleep(20);
  }
}

// ------------------------------------------------------------------ measurement
/** "2026-11-25T17:40:01.123456789Z" → ms since the epoch, with the sub-ms digits kept. */
function parseNanoIso(iso) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(iso.trim());
  if (!m) throw new Error(`unexpected FinishedAt: ${iso}`);
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const frac = Number(`0.${(m[2] ?? "0").padEnd(9, "0")}`);
  return whole + frac * 1000;
}

async function oneRun(i) {
  const name = NAME(i);
  const runAt = Date.now();
  await docker(["run", "-d", "--network", "none", "--label", "lookout.bench=crash-latency", "--name", name, IMAGE, "sh", "-c", CONTAINER_CMD]);
  const code = Number(await docker(["wait", name], { timeoutMs: 30_000 }));
  const finishedIso = await docker(["inspect", "-f", "{{.State.FinishedAt}}", name]);
  const finished = parseNanoIso(finishedIso);
  const post = await arrivalOf(name, finished + ARRIVAL_TIMEOUT_MS);
  const line = stdoutLines.find((l) => l.line.includes(name));
  let cycleAt = null;
  if (line) {
    const t = Date.parse(line.line.split(" ")[0]);
    if (Number.isFinite(t)) cycleAt = t;
  }
  const row = {
    i,
    name,
    code,
    runAt,
    finishedIso,
    finished,
    arrival: post?.at ?? null,
    latency: post ? post.at - finished : null,
    cycle: cycleAt !== null ? cycleAt - finished : null,
    line: line ? line.at - finished : null,
  };
  say(
    `${name}: exit ${code}, died ${finishedIso}, ${post ? `message ${row.latency.toFixed(1)} ms later` : `NO message within ${ARRIVAL_TIMEOUT_MS / 1000} s`}` +
      (row.cycle !== null ? ` (cycle +${row.cycle.toFixed(1)} ms, alert line read +${row.line.toFixed(1)} ms)` : ""),
  );
  return row;
}

const fmt = (x) => (x === null || x === undefined ? "-" : x.toFixed(1));
function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return null;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const p90 = s[Math.ceil(0.9 * n) - 1]; // nearest rank
  return { n, min: s[0], median, p90, max: s[n - 1], mean: s.reduce((a, b) => a + b, 0) / n };
}

// ------------------------------------------------------------------ main
const facts = {};
const rows = [];
let skipped = 0;
let exitCode = 0;
const otherDockerd = () => pids().filter((p) => /(^|\/)dockerd\s/.test(cmdline(p) ?? "")).length;
facts.loadStart = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
facts.otherStart = otherDockerd();
try {
  facts.distBuilt = statSync(CLI).mtime.toISOString();
} catch {
  facts.distBuilt = "?";
}
try {
  facts.head = execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
} catch {
  facts.head = "?";
}
facts.lookout = (() => {
  try {
    return execFileSync(process.execPath, [CLI, "--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 }).trim();
  } catch {
    return "?";
  }
})();
try {
  cleanStale({ say });
  rig = createRig();
  await startDockerd(rig);
  await buildImage(rig);
  facts.dockerd = await docker(["version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"]);
  facts.cli = await docker(["version", "--format", "{{.Client.Version}}"]);
  facts.info = await docker(["info", "--format", "{{.Driver}}, cgroup {{.CgroupDriver}} v{{.CgroupVersion}}"]);
  say(`dockerd ${facts.dockerd} up (${rig.dir}), image built`);

  const hook = await startReceiver();
  startAgent(hook);
  const t0 = Date.now();
  await waitReady();
  say(`lookout run is following container events (${((ready - t0) / 1000).toFixed(1)} s after its start)`);
  facts.readyAfter = (ready - t0) / 1000;
  // Let the first interval cycle (started with the process) finish before the first crash.
  await sleep(GAP_MS);

  let lastArrival = Date.now() - GAP_MS;
  for (let i = 1; i <= RUNS; i++) {
    if (Date.now() > softDeadline) {
      skipped = RUNS - i + 1;
      say(`past the ${BUDGET_S} s budget: ${skipped} runs skipped`);
      break;
    }
    const wait = lastArrival + GAP_MS - Date.now();
    if (wait > 0) await sleep(wait);
    const row = await oneRun(i);
    rows.push(row);
    lastArrival = row.arrival ?? Date.now();
    if (agent.exitCode !== null || agent.signalCode !== null) throw new Error(`lookout run exited during the runs (${agent.signalCode ?? `code ${agent.exitCode}`})`);
  }
  if (rows.some((r) => r.latency === null)) exitCode = 1;
} catch (err) {
  exitCode = 1;
  process.stderr.write(`crash-latency: ${err?.stack ?? err}\n`);
} finally {
  facts.total = (Date.now() - started) / 1000;
  const r = cleanup(exitCode ? "failure" : "end");
  if (r && (!r.dirRemoved || !r.tmpRemoved)) exitCode = 1;
  facts.totalWithCleanup = (Date.now() - started) / 1000;
}

// ------------------------------------------------------------------ report
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const names = new Set(rows.map((r) => r.name));
const otherPosts = posts.filter((p) => ![...names].some((n) => p.body.includes(n))).length;
const badLog = stderrLines.filter((l) => / (WARN|ERROR) /.test(l));
const out = [];
out.push(`machine: nproc ${cpus().length}, kernel ${release()}, node ${process.version}; dockerd ${facts.dockerd ?? "?"}, ${facts.info ?? "?"}; docker CLI ${facts.cli ?? "?"}`);
out.push(`lookout: ${facts.lookout}, dist/cli/main.cjs built ${facts.distBuilt}, HEAD ${facts.head}`);
out.push(
  `run: ${new Date(started).toISOString()}, ${facts.total?.toFixed(0)} s (+ cleanup: ${facts.totalWithCleanup?.toFixed(0)} s in all); load average at the start ${facts.loadStart}, at the end ${load}; other dockerd processes on the machine at the start ${facts.otherStart}, at the end ${otherDockerd()}`,
);
out.push(
  `settings: ${RUNS} runs (${rows.length} done, ${skipped} skipped), each ≥ ${GAP_MS} ms after the previous message; container \`sh -c '${CONTAINER_CMD}'\`; lookout interval 10s, host rules off; "following container events" ${facts.readyAfter?.toFixed(1) ?? "?"} s after its start`,
);
out.push("");
out.push("| run | container | exit | FinishedAt (dockerd) | cycle start (Lookout's stamp) − death ms | alert line read − death ms | message arrived − death ms |");
out.push("|---:|---|---:|---|---:|---:|---:|");
for (const r of rows) out.push(`| ${r.i} | ${r.name} | ${r.code} | ${r.finishedIso} | ${fmt(r.cycle)} | ${fmt(r.line)} | ${r.latency === null ? "no message" : fmt(r.latency)} |`);
out.push("");
const lat = summary(rows.filter((r) => r.latency !== null).map((r) => r.latency));
const cyc = summary(rows.filter((r) => r.cycle !== null).map((r) => r.cycle));
const lin = summary(rows.filter((r) => r.line !== null).map((r) => r.line));
out.push("| from the container's death (FinishedAt) to | n | min ms | median ms | p90 ms (nearest rank) | max ms | mean ms |");
out.push("|---|---:|---:|---:|---:|---:|---:|");
for (const [what, s] of [
  ["the Slack message arriving at the receiver", lat],
  ["the start of Lookout's cycle that made the notification (its stdout stamp, 1 ms)", cyc],
  ["this script reading Lookout's alert line on stdout", lin],
]) {
  out.push(s ? `| ${what} | ${s.n} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.max)} | ${fmt(s.mean)} |` : `| ${what} | 0 | - | - | - | - | - |`);
}
out.push("");
out.push(
  `messages: ${posts.length} POSTs received, ${otherPosts} naming none of the containers; runs with no message: ${rows.filter((r) => r.latency === null).length}; runs with more than one message naming the container: ${rows.filter((r) => posts.filter((p) => p.body.includes(r.name)).length > 1).length}`,
);
const firstLine = stdoutLines.find((l) => rows.some((r) => l.line.includes(r.name)));
if (firstLine) out.push(`Lookout's stdout line for the first run: ${firstLine.line}`);
out.push(`Lookout log lines at warn/error: ${badLog.length}${badLog.length ? ` (first: ${badLog[0]})` : ""}`);
process.stdout.write(out.join("\n") + "\n");
process.exit(exitCode);
