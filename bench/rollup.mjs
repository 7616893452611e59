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

const HOUR = 3_600_000;
const argv = process.argv.slice(2);

if (argv[0] === "--child") {
  const [, root, containers, intervalMs] = argv;
  const dist = (p) => import(join(root, "dist", p));
  const { openDatabase } = await dist("store/database.js");
  const { HistoryStore, HistoryMaintainer, retentionOf } = await dist("store/history.js");
  const { HistoryPoints } = await dist("pipeline/record.js");
  const { configSchema } = await dist("config/schema.js");
  const { setLogSink } = await dist("log.js");
  setLogSink(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "lookout-rollup-bench-"));
  try {
    const db = openDatabase(join(dir, "data"));
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
    const maintainer = new HistoryMaintainer(store, { clock: () => performance.now() });
    const before = process.cpuUsage();
    let steps = 0;
    while (maintainer.step(start + 2 * HOUR, 5).more && steps < 1_000_000) steps++;
    const used = process.cpuUsage(before);
    const chunks = db.prepare("SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS bytes FROM history_chunks").get();
    process.stdout.write(`${JSON.stringify({ cpuMs: (used.user + used.system) / 1000, steps: steps + 1, series: series.length, chunks: chunks.n, bytes: chunks.bytes })}\n`);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

const option = (name, fallback) => {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const CONTAINERS = Number(option("--containers", "20"));
const INTERVAL = option("--interval", "2s");
const ROUNDS = Number(option("--rounds", "5"));
const INTERVAL_MS = Number.parseFloat(INTERVAL) * (INTERVAL.endsWith("ms") ? 1 : 1000);
const roots = argv.map((r) => resolve(r));
if (roots.length === 0) {
  process.stderr.write("rollup: name at least one checkout with dist/ built\n");
  process.exit(2);
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
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
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
