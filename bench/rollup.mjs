#!/usr/bin/env node
/**
 * What rolling one hour of history up costs, for builds side by side: the
 * head's hour (a row per cycle) of a host with `--containers` (20)
 * containers at `--interval` (2 s) turned into raw and 1-minute chunks by
 * `HistoryMaintainer.step` (5 ms steps, as the runner takes them between
 * cycles) until it is done: CPU time of that work alone, in a process of its
 * own per run, the builds in turn for `--rounds` (5) rounds. `lookout run`
 * does this once an hour; spread over the hour's cycles it is part of what a
 * cycle costs in the long run, which a 10-minute footprint (bench/footprint.mjs)
 * sees only when an hour closes within it.
 *
 *   npm run build && node bench/rollup.mjs [--containers 20] [--interval 2s] [--rounds 5] ROOT …
 *   npm run build && node bench/rollup.mjs --live 420 [--containers 20] ROOT …   # as root; a private dockerd
 *
 * `--live SECONDS`: instead, each ROOT's `lookout run` as installed (all at
 * once, its own data directory, 2 s interval) on a private dockerd with
 * `--containers` busybox containers, its data directory holding beforehand
 * the same closed hour of head rows, so that it rolls that hour up in its
 * 5 ms steps between cycles while it watches: its RSS (VmRSS, every 2 s)
 * and CPU over SECONDS, and how far the roll-up got (series done).
 *
 * ROOT is a checkout with `dist/` built (tsc's output: the store's modules);
 * each runs under the Node flags of its bin/lookout.cjs's first line, as the
 * installed command does. Points: for each container its 15 series as the
 * Docker collector makes them (5 flags at 0, CPU with 2 decimals of noise,
 * memory moving by pages, counters that grow, a pid count), and 20 host
 * series (noisy percentages, counters, constants); each cycle 1 ms later than
 * the interval, as a running agent drifts (an hour of 2 s cycles is 1799 rows
 * as often as 1800); a temp data directory each run, deleted after.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { takeOption } from "./lib/args.mjs";

const HOUR = 3_600_000;
const argv = process.argv.slice(2);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** An hour of head rows (closed 2 h ago) of `containers` containers at `intervalMs`, in `dataDir`'s database, with `root`'s code; returns the store, its database and when the hour starts. */
async function fillHead(root, dataDir, containers, intervalMs) {
  const dist = (p) => import(join(root, "dist", p));
  const { openDatabase } = await dist("store/database.js");
  const { HistoryStore, retentionOf } = await dist("store/history.js");
  const { HistoryPoints } = await dist("pipeline/record.js");
  const { configSchema } = await dist("config/schema.js");
  const { setLogSink } = await dist("log.js");
  setLogSink(() => undefined);
  const db = openDatabase(dataDir);
  const store = new HistoryStore(db, retentionOf(configSchema.parse({}).history), { flushEveryMs: 0 });
  let seed = 42;
  const random = () => {
    seed = (seed * 16_807) % 2_147_483_647;
    return seed / 2_147_483_647;
  };
  const r2 = (x) => Math.round(x * 100) / 100;
  // [metric, labels, value at cycle i]
  const series = [];
  for (let h = 0; h < 20; h++) {
    const labels = h < 4 ? { mount: `/m${h}` } : {};
    const kind = h % 4;
    series.push([
      `host_${h}`,
      labels,
      (i) => (kind === 0 ? r2(20 + 10 * random()) : kind === 1 ? 1e9 + i * 5_000 + Math.floor(random() * 100) : kind === 2 ? 8 : r2(50 + random())),
    ]);
  }
  for (let c = 0; c < Number(containers); c++) {
    const labels = { container: `app-${c}`, image: `shop/app-${c}:1.4`, compose_project: "shop", compose_service: `app-${c}` };
    for (const flag of ["crashed", "oom_killed", "unhealthy", "restart_loop", "not_running"]) series.push([`container_${flag}`, labels, () => 0]);
    let mem = (200 + c) * 2 ** 20;
    series.push(
      ["container_cpu", labels, () => r2(5 * random())],
      ["container_memory", labels, () => r2((mem / 2 ** 29) * 100)],
      ["container_cpu_usage", labels, (i) => Math.round(i * 100 * random()) / 1000],
      ["container_memory_usage", labels, () => (mem += Math.floor((random() - 0.5) * 8) * 4096)],
      ["container_memory_working_set", labels, () => mem - 2 ** 20],
      ["container_pids", labels, () => 12],
      ["container_network_receive", labels, (i) => i * 2000 + Math.floor(random() * 100)],
      ["container_network_transmit", labels, (i) => i * 1500],
      ["container_block_read", labels, () => 4096],
      ["container_block_write", labels, (i) => Math.floor(i / 30) * 4096],
    );
  }
  const start = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
  const points = new HistoryPoints();
  // Each cycle 1 ms later than the interval, as a running agent's drift: 1799 rows at 2 s, not a round 1800.
  for (let i = 0, t = start; t < start + HOUR; i++, t += Number(intervalMs) + 1) {
    points.clear();
    for (const [metric, labels, value] of series) points.add(metric, labels, value(i));
    store.record(t, points, []);
  }
  return { db, store, start, series: series.length };
}

if (argv[0] === "--child") {
  const [, root, containers, intervalMs] = argv;
  const { HistoryMaintainer } = await import(join(root, "dist", "store/history.js"));
  const dir = mkdtempSync(join(tmpdir(), "lookout-rollup-bench-"));
  try {
    const { db, store, start, series } = await fillHead(root, join(dir, "data"), containers, intervalMs);
    const maintainer = new HistoryMaintainer(store, { clock: () => performance.now() });
    const before = process.cpuUsage();
    let steps = 0;
    while (maintainer.step(start + 2 * HOUR, 5).more && steps < 1_000_000) steps++;
    const used = process.cpuUsage(before);
    const chunks = db.prepare("SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS bytes FROM history_chunks").get();
    process.stdout.write(`${JSON.stringify({ cpuMs: (used.user + used.system) / 1000, steps: steps + 1, series, chunks: chunks.n, bytes: chunks.bytes })}\n`);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

const option = (name, fallback) => takeOption(argv, name, fallback);
const LIVE = Number(option("--live", "0"));
const CONTAINERS = Number(option("--containers", "20"));
const INTERVAL = option("--interval", "2s");
const ROUNDS = Number(option("--rounds", "5"));
const INTERVAL_MS = Number.parseFloat(INTERVAL) * (INTERVAL.endsWith("ms") ? 1 : 1000);
const roots = argv.map((r) => resolve(r));
if (roots.length === 0) {
  process.stderr.write("rollup: name at least one checkout with dist/ built\n");
  process.exit(2);
}
if (LIVE > 0) {
  const { buildImage, cleanStale, createRig, docker, ensureDeps, IMAGE, startDockerd, teardown } = await import("./lib/dockerd.mjs");
  const { startLookoutRun } = await import("./lib/lookout.mjs");
  const say = (m) => process.stderr.write(`rollup: ${m}\n`);
  ensureDeps({ say });
  cleanStale({ say });
  const rig = createRig();
  const runs = [];
  try {
    await startDockerd(rig);
    await buildImage(rig);
    for (let i = 0; i < CONTAINERS; i++)
      await docker(rig, ["run", "-d", "--network", "none", "--name", `ru-${i}`, IMAGE, "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 10 & wait; done"]);
    for (const root of roots) {
      const work = mkdtempSync(join(tmpdir(), "lookout-rollup-live-"));
      const { db, series } = await fillHead(root, join(work, "data"), CONTAINERS, 2000);
      db.close();
      const { child } = startLookoutRun({ root, work, dockerHost: rig.host, interval: "2s" });
      runs.push({ root, work, child, series, rss: [] });
    }
    const kib = (pid, key) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? Number.NaN);
    const cpu = (pid) => {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8")
        .slice(readFileSync(`/proc/${pid}/stat`, "utf8").lastIndexOf(")") + 2)
        .split(" ");
      return (Number(f[11]) + Number(f[12])) / 100;
    };
    const cpu0 = runs.map((r) => cpu(r.child.pid));
    for (let t = 0; t < LIVE; t += 2) {
      await new Promise((r) => setTimeout(r, 2000));
      for (const r of runs) r.rss.push(kib(r.child.pid, "VmRSS") / 1024);
    }
    const out = [
      `Command: \`node bench/rollup.mjs --live ${LIVE} --containers ${CONTAINERS} ${argv.join(" ")}\``,
      "",
      "| build | RSS median (MiB) | RSS max (MiB) | RSS at the end (MiB) | anonymous at the end (MiB) | CPU (s) | series rolled up |",
      "|---|---:|---:|---:|---:|---:|---:|",
    ];
    runs.forEach((r, i) => {
      const sorted = [...r.rss].sort((a, b) => a - b);
      const used = cpu(r.child.pid) - cpu0[i];
      const anon = kib(r.child.pid, "RssAnon") / 1024;
      r.child.kill("SIGTERM");
      r.row = [median(sorted), sorted.at(-1), r.rss.at(-1), anon, used];
    });
    await new Promise((r) => setTimeout(r, 1500));
    const Database = (await import(join(roots[0], "node_modules", "better-sqlite3", "lib", "index.js"))).default;
    for (const r of runs) {
      const db = new Database(join(r.work, "data", "lookout.db"), { readonly: true });
      const done = db.prepare("SELECT COUNT(*) FROM history_chunks WHERE tier = 'raw'").pluck().get();
      db.close();
      const [med, max, end, anon, used] = r.row;
      out.push(`| \`${r.root}\` | ${med.toFixed(1)} | ${max.toFixed(1)} | ${end.toFixed(1)} | ${anon.toFixed(1)} | ${used.toFixed(2)} | ${done} of ${r.series} |`);
    }
    process.stdout.write(`${out.join("\n")}\n`);
  } finally {
    for (const r of runs) r.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
    teardown(rig.dir);
    for (const r of runs) rmSync(r.work, { recursive: true, force: true });
  }
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const runs = new Map(roots.map((r) => [r, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const root of roots) {
    const flags = readFileSync(join(root, "bin/lookout.cjs"), "utf8").split("\n")[0].split(" ").slice(3);
    const r = spawnSync(process.execPath, [...flags, self, "--child", root, String(CONTAINERS), String(INTERVAL_MS)], { encoding: "utf8", timeout: 300_000 });
    if (r.status !== 0) {
      process.stderr.write(`rollup: ${root} failed: ${r.stderr.slice(-2000)}\n`);
      process.exit(1);
    }
    runs.get(root).push(JSON.parse(r.stdout.trim().split("\n").pop()));
  }
}
const cyclesAnHour = HOUR / INTERVAL_MS;
const out = [
  `Command: \`node bench/rollup.mjs --containers ${CONTAINERS} --interval ${INTERVAL} --rounds ${ROUNDS} ${argv.join(" ")}\``,
  "",
  "| build | series | chunks | packed KiB | CPU ms, min | CPU ms, median | steps (median) | per cycle, spread over the hour (ms, median) |",
  "|---|---:|---:|---:|---:|---:|---:|---:|",
];
for (const [root, rs] of runs) {
  const cpu = rs.map((r) => r.cpuMs);
  out.push(
    `| \`${root}\` | ${rs[0].series} | ${rs[0].chunks} | ${(rs[0].bytes / 1024).toFixed(0)} | ${Math.min(...cpu).toFixed(0)} | ${median(cpu).toFixed(0)} | ${median(rs.map((r) => r.steps))} | ${(median(cpu) / cyclesAnHour).toFixed(3)} |`,
  );
}
process.stdout.write(`${out.join("\n")}\n`);
