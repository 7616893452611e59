#!/usr/bin/env node
/**
 * What `lookout run` costs to keep running, beside what a user would run
 * instead: Debian's node_exporter (`prometheus-node-exporter`), in the same run.
 *
 *   npm run build && node bench/footprint.mjs [--containers 20] [--interval 2s] [--minutes 10]
 *   npm run build && node bench/footprint.mjs --soak [--containers 100] [--minutes 30]
 *   npm run build && node bench/footprint.mjs --growth 1,10,50,100,200 [--window 60]
 *   … [--cold-config]: no `lookout check` before `run` (below)
 *   … [--cpu-prof DIR]: `run` under V8's sampling profiler, its .cpuprofile written
 *     to DIR when it stops (for finding the costs, not for the figures: the
 *     profiler costs CPU itself)
 *
 * Before `run`, one `lookout check` of the same config keeps its validated
 * config (src/config/cache.ts), as a first check after writing a config does:
 * `run` then starts without YAML and zod. With --cold-config it does not, as
 * the first start after a config change (about 3 MiB more RSS for the life of
 * that process).
 *
 * Both start a private dockerd (bench/lib/dockerd.mjs: own socket, data root,
 * exec root, no bridge, no iptables) with `--containers` busybox containers
 * (`--network none`), then, side by side:
 *   - `lookout run` (bin/lookout.cjs, as installed) watching that dockerd at `--interval`,
 *     host rules on (no receiver: nothing is sent anywhere);
 *   - node_exporter on 127.0.0.1, scraped every `--interval` as Prometheus
 *     would (it costs nothing between scrapes, so it is scraped as often as
 *     Lookout collects).
 * Every 5 s it reads each process's RSS (VmRSS) and CPU time (utime + stime,
 * /proc/PID/stat), and dockerd's, containerd's and the shims' CPU: their
 * rate while Lookout runs minus their idle rate (the mean of `--baseline`
 * seconds before Lookout starts and as long after it stops: the idle daemons'
 * own rate drifts) is what Lookout adds to Docker.
 *
 * --soak: containers are created and removed continuously (one every 2 s,
 * each lives about `--containers` x 2 s, so about `--containers` run at any
 * time) for `--minutes`; RSS is printed each minute, to show it flat.
 *
 * --growth N,N,…: one `lookout run` while containers are added up to each N
 * in turn; at each N, after a cycle to settle, a `--window` (60 s) of
 * measurement: Lookout's CPU per cycle (CPU time / cycles in the window),
 * its RSS at the end, and the CPU of dockerd, containerd and the shims per
 * cycle: all their work (running N containers costs them something with or
 * without Lookout), not only what Lookout asks of them. Writes the table as
 * Markdown, and docs/growth.png (gnuplot, installed when missing).
 *
 * Markdown on stdout, progress on stderr. Needs root, dockerd, the docker CLI;
 * installs prometheus-node-exporter with apt-get when it is missing.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { createServer } from "node:net";
import { cpus, release } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildImage, cleanStale, createRig, daemonPids, docker as dockerCli, ensureDeps, IMAGE, startDockerd, teardown } from "./lib/dockerd.mjs";
import { startLookoutRun } from "./lib/lookout.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : argv[i + 1];
};
const SOAK = argv.includes("--soak");
const COLD_CONFIG = argv.includes("--cold-config");
const CPU_PROF = option("--cpu-prof", null);
const GROWTH = option("--growth", null)
  ?.split(",")
  .map(Number)
  .sort((a, b) => a - b);
const WINDOW_S = Number(option("--window", "60"));
const CONTAINERS = Number(option("--containers", SOAK ? "100" : "20"));
const INTERVAL = option("--interval", "2s");
const INTERVAL_MS = Number.parseFloat(INTERVAL) * (INTERVAL.endsWith("ms") ? 1 : 1000);
const MINUTES = Number(option("--minutes", SOAK ? "30" : "10"));
const BASELINE_S = Number(option("--baseline", "30"));
const SAMPLE_MS = 5000;
/** A free port for node_exporter, so that two benches on one machine do not collide. */
const NODE_EXPORTER_PORT = await new Promise((resolvePort, reject) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port } = probe.address();
    probe.close(() => resolvePort(port));
  });
  probe.on("error", reject);
});
const TICK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

const started = Date.now();
const say = (msg) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const die = (msg) => {
  process.stderr.write(`footprint: ${msg}\n`);
  process.exit(1);
};

if (process.getuid?.() !== 0) die("dockerd needs root: run this as root");
if (!existsSync(join(root, "dist/cli/main.cjs"))) die("dist/ is missing: run `npm run build` first");
ensureDeps({ say });
if (!existsSync("/usr/bin/prometheus-node-exporter")) {
  say("installing prometheus-node-exporter (apt-get)");
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "prometheus-node-exporter"], {
    stdio: "ignore",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

/** CPU seconds (user + system) and RSS bytes of a pid, or null when it is gone. */
function usage(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(f[11]) + Number(f[12])) / TICK;
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
    return { cpu, rss };
  } catch {
    return null;
  }
}
const cpuOf = (pids) => pids.reduce((s, p) => s + (usage(p)?.cpu ?? 0), 0);
const mib = (b) => (b / 1048576).toFixed(1);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
};

cleanStale({ say });
const rig = createRig();
const work = mkdtempSync("/tmp/lkf-");
const children = [];
let soakTimer = null;
async function cleanup() {
  if (soakTimer) clearInterval(soakTimer);
  for (const c of children) {
    try {
      c.kill("SIGTERM");
    } catch {}
  }
  await sleep(500);
  teardown(rig.dir);
  rmSync(work, { recursive: true, force: true });
}
process.on("SIGINT", () => cleanup().then(() => process.exit(130)));

try {
  say(`dockerd on ${rig.socket}`);
  await startDockerd(rig);
  await buildImage(rig);
  const docker = (args) => dockerCli(rig, args);
  const run = (name) => docker(["run", "-d", "--network", "none", "--name", name, IMAGE, "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 10 & wait; done"]);
  if (GROWTH) {
    await growth(docker, run);
    await cleanup();
    process.exit(0);
  }
  if (!SOAK) {
    say(`starting ${CONTAINERS} containers`);
    for (let i = 0; i < CONTAINERS; i++) await run(`fp-${i}`);
  }

  const dockerPids = () => daemonPids(rig.dir);
  say(`baseline: dockerd, containerd and shims for ${BASELINE_S} s without Lookout`);
  const b0 = cpuOf(dockerPids());
  await sleep(BASELINE_S * 1000);
  const dockerBaseRate = (cpuOf(dockerPids()) - b0) / BASELINE_S;

  const { lookout, stderr } = startLookout();
  const exporter = spawn("/usr/bin/prometheus-node-exporter", [`--web.listen-address=127.0.0.1:${NODE_EXPORTER_PORT}`], { stdio: "ignore" });
  children.push(exporter);
  const scrape = () =>
    new Promise((r) => {
      const req = get({ host: "127.0.0.1", port: NODE_EXPORTER_PORT, path: "/metrics" }, (res) => res.resume().on("end", r));
      req.on("error", r);
    });
  const scraper = setInterval(scrape, INTERVAL_MS);

  if (SOAK) {
    let n = 0;
    const live = [];
    soakTimer = setInterval(() => {
      const name = `soak-${n++}`;
      live.push(name);
      run(name).catch(() => {});
      if (live.length > CONTAINERS) docker(["rm", "-f", live.shift()]).catch(() => {});
    }, 2000);
  }

  // Let both start and warm up before measuring.
  await sleep(15_000);
  const t0 = Date.now();
  const l0 = usage(lookout.pid);
  const e0 = usage(exporter.pid);
  const d0 = cpuOf(dockerPids());
  if (!l0 || !e0) die(`a process did not start: lookout ${l0 ? "up" : "down"}, node_exporter ${e0 ? "up" : "down"}\n${stderr()}`);
  const samples = [];
  const end = t0 + MINUTES * 60_000;
  while (Date.now() < end) {
    await sleep(SAMPLE_MS);
    const l = usage(lookout.pid);
    const e = usage(exporter.pid);
    if (!l) die(`lookout run exited\n${stderr()}`);
    samples.push({ at: Date.now() - t0, lookout: l, exporter: e });
    if (samples.length % 12 === 0) say(`${Math.round((Date.now() - t0) / 60_000)} min: lookout ${mib(l.rss)} MiB, node_exporter ${mib(e?.rss ?? 0)} MiB`);
  }
  clearInterval(scraper);
  const seconds = (Date.now() - t0) / 1000;
  const last = samples[samples.length - 1];
  const lookoutPct = ((last.lookout.cpu - l0.cpu) / seconds) * 100;
  const exporterPct = ((last.exporter.cpu - e0.cpu) / seconds) * 100;
  const dockerRate = (cpuOf(dockerPids()) - d0) / seconds;
  // The idle daemons' own rate drifts: measured again after Lookout stopped, and the two baselines averaged.
  if (soakTimer) clearInterval(soakTimer);
  lookout.kill("SIGTERM");
  await sleep(3000);
  say(`baseline again: dockerd, containerd and shims for ${BASELINE_S} s after Lookout stopped`);
  const a0 = cpuOf(dockerPids());
  await sleep(BASELINE_S * 1000);
  const dockerAfterRate = (cpuOf(dockerPids()) - a0) / BASELINE_S;
  const dockerPct = (dockerRate - (dockerBaseRate + dockerAfterRate) / 2) * 100;
  say(`docker daemons: ${(dockerBaseRate * 100).toFixed(3)} % before, ${(dockerRate * 100).toFixed(3)} % while Lookout ran, ${(dockerAfterRate * 100).toFixed(3)} % after`);

  const out = [];
  out.push(`# ${SOAK ? `Soak: ${CONTAINERS} containers created and removed continuously` : `Footprint: ${CONTAINERS} containers`}, interval ${INTERVAL}, ${MINUTES} min`);
  out.push("", `Machine: ${cpus().length} CPUs, kernel ${release()}, node ${process.version}, ${new Date().toISOString()}`);
  out.push("", `Command: \`node bench/footprint.mjs ${argv.join(" ")}\``.trim());
  out.push("", "| process | RSS at start (MiB) | RSS median (MiB) | RSS max (MiB) | RSS at end (MiB) | CPU, % of one core |", "|---|---|---|---|---|---|");
  for (const [name, key, pct] of [
    ["lookout run", "lookout", lookoutPct],
    ["node_exporter (scraped every interval)", "exporter", exporterPct],
  ]) {
    const rss = samples.map((s) => s[key]?.rss ?? 0);
    out.push(`| ${name} | ${mib(rss[0])} | ${mib(median(rss))} | ${mib(Math.max(...rss))} | ${mib(rss[rss.length - 1])} | ${pct.toFixed(2)} |`);
  }
  out.push(`| dockerd + containerd + shims, added while Lookout ran | | | | | ${dockerPct.toFixed(2)} |`);
  out.push("", `Lookout plus what it adds to Docker: ${(lookoutPct + Math.max(0, dockerPct)).toFixed(2)} % of one core.`);
  if (SOAK) {
    out.push("", "| minute | lookout RSS (MiB) |", "|---|---|");
    for (const s of samples.filter((_, i) => (i + 1) % 12 === 0)) out.push(`| ${Math.round(s.at / 60_000)} | ${mib(s.lookout.rss)} |`);
  }
  process.stdout.write(out.join("\n") + "\n");
} catch (err) {
  process.stderr.write(`footprint: ${err.stack ?? err}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}

/** `lookout run` on the rig's dockerd at INTERVAL, host rules on, no receiver (bench/lib/lookout.mjs). */
function startLookout() {
  const nodeFlags = CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", resolve(CPU_PROF)] : [];
  const { child, stderr } = startLookoutRun({ root, work, dockerHost: rig.host, interval: INTERVAL, nodeFlags, coldConfig: COLD_CONFIG });
  children.push(child);
  return { lookout: child, stderr };
}

/** --growth: per-cycle CPU and RSS of one `lookout run` at each number of containers. */
async function growth(_docker, run) {
  const { lookout, stderr } = startLookout();
  const rows = [];
  let have = 0;
  for (const n of GROWTH) {
    say(`${n} containers`);
    const names = [];
    for (let i = have; i < n; i++) names.push(`gr-${i}`);
    for (let i = 0; i < names.length; i += 8) await Promise.all(names.slice(i, i + 8).map(run));
    have = n;
    await sleep(Math.max(have === n && rows.length === 0 ? 30_000 : 10_000, 3 * INTERVAL_MS)); // warmed up; every new container inspected, its cgroup found
    const l0 = usage(lookout.pid);
    const d0 = cpuOf(daemonPids(rig.dir));
    if (!l0) throw new Error(`lookout run exited\n${stderr()}`);
    await sleep(WINDOW_S * 1000);
    const l1 = usage(lookout.pid);
    if (!l1) throw new Error(`lookout run exited\n${stderr()}`);
    const cycles = (WINDOW_S * 1000) / INTERVAL_MS;
    rows.push({ n, cpuMs: ((l1.cpu - l0.cpu) / cycles) * 1000, rss: l1.rss, dockerMs: ((cpuOf(daemonPids(rig.dir)) - d0) / cycles) * 1000 });
  }
  const out = [
    `# Growth: one \`lookout run\`, interval ${INTERVAL}, ${WINDOW_S} s at each size`,
    "",
    `Machine: ${cpus().length} CPUs, kernel ${release()}, node ${process.version}, ${new Date().toISOString()}`,
    "",
    `Command: \`node bench/footprint.mjs ${argv.join(" ")}\``,
    "",
    "| containers | Lookout CPU per cycle (ms) | Lookout RSS (MiB) | dockerd + containerd + shims CPU per cycle, all their work (ms) |",
    "|---:|---:|---:|---:|",
    ...rows.map((r) => `| ${r.n} | ${r.cpuMs.toFixed(1)} | ${mib(r.rss)} | ${r.dockerMs.toFixed(1)} |`),
  ];
  process.stdout.write(out.join("\n") + "\n");
  plot(rows);
}

/** docs/growth.png: CPU per cycle and RSS against the number of containers. */
function plot(rows) {
  if (!existsSync("/usr/bin/gnuplot")) {
    say("installing gnuplot-nox (apt-get)");
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "gnuplot-nox"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  }
  const data = join(work, "growth.dat");
  writeFileSync(data, rows.map((r) => `${r.n} ${r.cpuMs.toFixed(2)} ${(r.rss / 1048576).toFixed(2)} ${r.dockerMs.toFixed(2)}`).join("\n") + "\n");
  const png = join(root, "docs", "growth.png");
  const script = [
    `set terminal pngcairo size 900,420 font "sans,10"`,
    `set output "${png}"`,
    `set multiplot layout 1,2 title "lookout run, interval ${INTERVAL}: cost against running containers"`,
    `set xlabel "running containers"`,
    `set grid`,
    `set key top left`,
    `set ylabel "CPU per cycle (ms)"`,
    `plot "${data}" using 1:2 with linespoints title "Lookout", "" using 1:4 with linespoints title "dockerd + containerd + shims, all their work"`,
    `set ylabel "RSS (MiB)"`,
    `set yrange [0:*]`,
    `plot "${data}" using 1:3 with linespoints title "Lookout RSS"`,
    `unset multiplot`,
  ].join("\n");
  execFileSync("gnuplot", { input: script });
  say(`wrote ${png}`);
}
