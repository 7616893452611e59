#!/usr/bin/env node
/**
 * History's size and speed: one year of history for one host with
 * `--containers` (50) containers at a `--interval` (10 s) interval, generated
 * straight into the tables (synthetic values, with the writers the roll-up
 * uses: store/history.ts `writeRaw`, `writeRolled`) as the default tiers keep
 * it: raw for the last 24 h, 1-minute for 7 days, 10-minute for 30 days,
 * 1-hour for the year. Then:
 *   - the database's size (after a checkpoint), and rows per tier;
 *   - the time to answer a 30-day chart of one container's CPU
 *     (`HistoryStore.points`, at a 10-minute and a 1-hour step), and of every
 *     container's at once (the overview), each the median of `--repeats` runs;
 *   - a cycle's duration (a real `Agent.cycle` with a collector handing it the
 *     host's and the containers' samples, which the record stage writes) with
 *     no roll-up to do, then with an hour of raw samples waiting to be rolled
 *     up, one `maintainHistory` step (the runner's budget, 50 ms) between
 *     cycles as `lookout run` does; and each step's duration.
 *
 *   npm run build && node bench/history.mjs [--containers 50] [--interval 10s] [--repeats 20] [--keep]
 *
 * Uses the built modules (dist/), a fresh temp data directory (real
 * lookout.db: WAL, synchronous=FULL) deleted at the end unless --keep.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const dist = (p) => import(join(root, "dist", p));
const { openDatabase } = await dist("store/database.js");
const { HistoryStore, retentionOf, writeRaw, writeRolled, TIERS } = await dist("store/history.js");
const { configSchema } = await dist("config/schema.js");
const { loadConfig } = await dist("config/load.js");
const { Agent } = await dist("agent.js");
const { sampleOf } = await dist("model/sample.js");
const M = await dist("model/metrics.js");
const { setLogSink } = await dist("log.js");
const { HISTORY_STEP_MS } = await dist("runner.js");

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : argv[i + 1];
};
const CONTAINERS = Number(option("--containers", "50"));
const INTERVAL = option("--interval", "10s");
const INTERVAL_MS = Number.parseFloat(INTERVAL) * (INTERVAL.endsWith("ms") ? 1 : INTERVAL.endsWith("m") ? 60_000 : 1000);
const REPEATS = Number(option("--repeats", "20"));
const KEEP = argv.includes("--keep");
const say = (...a) => process.stderr.write(`${a.join(" ")}\n`);

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

// The samples of one cycle, as the host and Docker collectors make them.
const DISKS = ["/", "/var/lib/docker"];
function cycleSamples(t) {
  const wave = (period, phase = 0) => Math.sin((2 * Math.PI * (t + phase)) / period);
  const r2 = (x) => Math.round(x * 100) / 100;
  const cpu = r2(20 + 15 * wave(DAY) + 5 * Math.random());
  const out = [
    sampleOf(M.HOST_CPU, cpu, { user: r2(cpu * 0.7), system: r2(cpu * 0.2), iowait: 0.4, steal: 0, windowMs: INTERVAL_MS }),
    sampleOf(M.HOST_CPU_USER, r2(cpu * 0.7)),
    sampleOf(M.HOST_CPU_SYSTEM, r2(cpu * 0.2)),
    sampleOf(M.HOST_CPU_IOWAIT, 0.4),
    sampleOf(M.HOST_CPU_STEAL, 0),
    sampleOf(M.HOST_CPU_CORES, 8),
    sampleOf(M.HOST_MEMORY, r2(55 + 10 * wave(DAY, 3 * HOUR)), { totalBytes: 32 << 30, availableBytes: 14 << 30, usedBytes: 18 << 30 }),
    sampleOf(M.HOST_SWAP, 1.5, { totalBytes: 4 << 30, freeBytes: 3 << 30 }),
    sampleOf(M.HOST_LOAD, r2(0.4 + 0.2 * wave(DAY)), { load1: 3.1, load5: 3.2, load15: 3, cores: 8 }),
    sampleOf(M.HOST_LOAD1, r2(3 + wave(HOUR))),
    sampleOf(M.HOST_LOAD5, r2(3 + wave(2 * HOUR))),
    sampleOf(M.HOST_LOAD15, r2(3 + wave(4 * HOUR))),
    sampleOf(M.HOST_UPTIME, Math.round(t / 1000) % (90 * 86_400)),
    sampleOf(M.HOST_REBOOTED, 0),
    sampleOf(M.HOST_PROCESSES, 400 + Math.round(20 * Math.random())),
    sampleOf(M.DOCKER_UNREACHABLE, 0),
  ];
  for (const mount of DISKS) {
    out.push(
      sampleOf(M.HOST_DISK, r2(60 + 10 * wave(30 * DAY)), { device: "/dev/sda1", fstype: "ext4", sizeBytes: 500e9, usedBytes: 300e9, freeBytes: 200e9 }, { mount }),
      sampleOf(M.HOST_INODES, r2(12 + wave(30 * DAY)), { inodes: 3e7, inodesFree: 2.6e7 }, { mount }),
    );
  }
  for (let i = 0; i < CONTAINERS; i++) {
    const labels = { container: `app-${i}`, image: `shop/app-${i}:1.4.${i % 7}`, compose_project: "shop", compose_service: `app-${i}` };
    const c = r2(Math.max(0, 5 + 4 * wave(DAY, i * HOUR) + 2 * Math.random()));
    const mem = Math.round((200 + 50 * wave(DAY, i * HOUR)) * 2 ** 20);
    const limit = 512 * 2 ** 20;
    const s = t / 1000;
    out.push(
      sampleOf(M.CONTAINER_CRASHED, 0, undefined, labels),
      sampleOf(M.CONTAINER_OOM_KILLED, 0, undefined, labels),
      sampleOf(M.CONTAINER_UNHEALTHY, 0, undefined, labels),
      sampleOf(M.CONTAINER_RESTART_LOOP, 0, { restartPolicy: "always", restartCount: 0, withinMs: 600_000, writesTo: [], lastExit: null, logs: [] }, labels),
      sampleOf(M.CONTAINER_NOT_RUNNING, 0, undefined, labels),
      sampleOf(M.CONTAINER_CPU, c, { ofOneCore: c * 8, cores: 8, limited: false }, labels),
      sampleOf(M.CONTAINER_MEMORY, r2((mem / limit) * 100), { usageBytes: mem, limitBytes: limit, limited: true }, labels),
      sampleOf(M.CONTAINER_CPU_USAGE, Math.round(s * 0.05 * 1000) / 1000, undefined, labels),
      sampleOf(M.CONTAINER_MEMORY_USAGE, mem + 30 * 2 ** 20, undefined, labels),
      sampleOf(M.CONTAINER_MEMORY_WORKING_SET, mem, undefined, labels),
      sampleOf(M.CONTAINER_PIDS, 12 + (i % 5), undefined, labels),
      sampleOf(M.CONTAINER_NETWORK_RECEIVE, Math.round(s * 2000), undefined, labels),
      sampleOf(M.CONTAINER_NETWORK_TRANSMIT, Math.round(s * 1500), undefined, labels),
      sampleOf(M.CONTAINER_BLOCK_READ, Math.round(s * 300), undefined, labels),
      sampleOf(M.CONTAINER_BLOCK_WRITE, Math.round(s * 900), undefined, labels),
    );
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "lookout-history-bench-"));
const dataDir = join(dir, "data");
setLogSink(() => undefined);
const retention = retentionOf(configSchema.parse({}).history);
const NOW = Math.floor(Date.now() / HOUR) * HOUR + 30 * MIN;

// --- generate -------------------------------------------------------------
const { historyPoints } = await dist("pipeline/record.js");
const db = openDatabase(dataDir);
const store = new HistoryStore(db, retention);
const template = historyPoints(cycleSamples(NOW));
const ids = template.map((p) => store.seriesId(p.metric, p.labels));
say(`${ids.length} series (${CONTAINERS} containers); generating a year…`);
const genStart = performance.now();
const tx = (fn) => db.transaction(fn).immediate();
// Where each tier's roll-up has got in a steady state: a minute behind, each tier's bucket under the finer one's.
const until = { "1m": Math.floor((NOW - MIN) / MIN) * MIN };
until["10m"] = Math.floor(until["1m"] / (10 * MIN)) * 10 * MIN;
until["1h"] = Math.floor(until["10m"] / HOUR) * HOUR;
const rows = {};
for (const tier of TIERS) {
  const from = Math.ceil((NOW - retention[tier.name]) / Math.max(tier.bucketMs, INTERVAL_MS)) * Math.max(tier.bucketMs, INTERVAL_MS);
  const to = tier.name === "raw" ? NOW : until[tier.name];
  const step = tier.name === "raw" ? INTERVAL_MS : tier.bucketMs;
  let n = 0;
  let batch = [];
  const flush = () => {
    const b = batch;
    batch = [];
    tx(() => (tier.name === "raw" ? writeRaw(db, b) : writeRolled(db, tier.name, b)));
  };
  for (let t = from; t < to; t += step) {
    const values = historyPoints(cycleSamples(t)).map((p) => p.value);
    for (let i = 0; i < ids.length; i++) {
      const v = values[i];
      if (tier.name === "raw") batch.push({ series: ids[i], t, v });
      else {
        // A bucket's spread around its value, as a roll-up of `n` samples would have it.
        const spread = Number.isInteger(v) ? 0 : Math.abs(v) * 0.1;
        batch.push({ series: ids[i], t, min: v - spread, avg: v, max: v + spread, n: Math.round(step / INTERVAL_MS) });
      }
    }
    n += ids.length;
    if (batch.length >= 200_000) flush();
  }
  flush();
  if (tier.name !== "raw") db.prepare("INSERT OR REPLACE INTO history_rollup (tier, done_until, next_series) VALUES (?, ?, 0)").run(tier.name, until[tier.name]);
  rows[tier.name] = n;
  say(`  ${tier.name}: ${n.toLocaleString("en")} rows`);
}
const genS = (performance.now() - genStart) / 1000;
db.pragma("wal_checkpoint(TRUNCATE)");
const pages = db.pragma("page_count", { simple: true });
const pageSize = db.pragma("page_size", { simple: true });
const fileBytes = statSync(join(dataDir, "lookout.db")).size;
const perTable = {};
try {
  for (const r of db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name").all()) perTable[r.name] = r.bytes;
} catch {
  /* no dbstat in this SQLite */
}

// --- queries --------------------------------------------------------------
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// With history on, one cycle in a minute's worth also writes the points kept in memory: the mean counts it, the median does not.
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
function timed(fn) {
  const times = [];
  let out;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    out = fn();
    times.push(performance.now() - t0);
  }
  return { first: times[0], median: median(times), out };
}
const cpuSeries = store.series(M.CONTAINER_CPU, { container: `app-${Math.min(7, CONTAINERS - 1)}` })[0];
const q10m = timed(() => store.points(cpuSeries.id, NOW - 30 * DAY, NOW, 10 * MIN, NOW));
const q1h = timed(() => store.points(cpuSeries.id, NOW - 30 * DAY, NOW, HOUR, NOW));
const overview = timed(() => store.series(M.CONTAINER_CPU).map((s) => store.points(s.id, NOW - 30 * DAY, NOW, HOUR, NOW)));
const q24h = timed(() => store.points(cpuSeries.id, NOW - DAY, NOW, INTERVAL_MS, NOW));
db.close();

// --- cycles while a roll-up runs ------------------------------------------
const config = join(dir, "lookout.yaml");
writeFileSync(config, "docker: { enabled: false }\n", { mode: 0o600 });
const loaded = loadConfig({ configPath: config, dataDir, env: {} });
let at = NOW;
const collector = { name: "bench", collect: async (ctx) => ({ samples: cycleSamples(ctx.now) }) };
const agent = new Agent(loaded, { command: "run", collectors: [collector], notifiers: [] });
async function cycles(n, backlog) {
  const cycleMs = [];
  const stepMs = [];
  for (let i = 0; i < n; i++) {
    at += INTERVAL_MS;
    const t0 = performance.now();
    await agent.cycle(at);
    cycleMs.push(performance.now() - t0);
    if (backlog) {
      const t1 = performance.now();
      agent.maintainHistory(at, HISTORY_STEP_MS);
      stepMs.push(performance.now() - t1);
    }
  }
  return {
    cycle: median(cycleMs),
    cycleMean: mean(cycleMs),
    cycleMax: Math.max(...cycleMs),
    step: stepMs.length ? median(stepMs) : null,
    stepMax: stepMs.length ? Math.max(...stepMs) : null,
  };
}
// Settle what is due now (as a running agent would have), then measure quiet cycles.
while (agent.maintainHistory(at, 1000));
const quiet = await cycles(REPEATS, false);
// An hour of raw samples waiting for their roll-up (the agent was busy, or just upgraded).
agent.db.prepare("UPDATE history_rollup SET done_until = done_until - ?, next_series = 0 WHERE tier = '1m'").run(HOUR);
const backlogFrom = agent.db.prepare("SELECT done_until FROM history_rollup WHERE tier = '1m'").pluck().get();
const busy = await cycles(REPEATS, true);
const rolledLeft = agent.db.prepare("SELECT (SELECT done_until FROM history_rollup WHERE tier = '1m')").pluck().get();
await agent.close();
// The same cycles with history off, for comparison.
writeFileSync(config, "docker: { enabled: false }\nhistory: { enabled: false }\n", { mode: 0o600 });
const off = new Agent(loadConfig({ configPath: config, dataDir, env: {} }), { command: "run", collectors: [collector], notifiers: [] });
const offCycles = [];
for (let i = 0; i < REPEATS; i++) {
  at += INTERVAL_MS;
  const t0 = performance.now();
  await off.cycle(at);
  offCycles.push(performance.now() - t0);
}
await off.close();

// --- report ---------------------------------------------------------------
const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const ms = (x) => `${x.toFixed(2)} ms`;
const out = [];
out.push(`## History: one year, 1 host + ${CONTAINERS} containers at ${INTERVAL}`);
out.push("");
out.push(`\`node bench/history.mjs --containers ${CONTAINERS} --interval ${INTERVAL} --repeats ${REPEATS}\` (Node ${process.version}, generated in ${genS.toFixed(0)} s)`);
out.push("");
out.push(`| | |`);
out.push(`|---|---|`);
out.push(`| series | ${ids.length} |`);
for (const tier of TIERS)
  out.push(
    `| ${tier.name} rows (kept ${tier.name === "raw" ? "24 h" : tier.name === "1m" ? "7 d" : tier.name === "10m" ? "30 d" : "365 d"}) | ${rows[tier.name].toLocaleString("en")}${perTable[tier.table] ? ` (${mb(perTable[tier.table])})` : ""} |`,
  );
out.push(`| lookout.db | ${mb(fileBytes)} (${pages} pages of ${pageSize} B) |`);
out.push(`| 30-day chart, one series, 10-min step (${q10m.out.points.length} points, tier ${q10m.out.tier}) | ${ms(q10m.median)} median, ${ms(q10m.first)} first |`);
out.push(`| 30-day chart, one series, 1-hour step (${q1h.out.points.length} points, tier ${q1h.out.tier}) | ${ms(q1h.median)} median, ${ms(q1h.first)} first |`);
out.push(`| 30-day chart, all ${CONTAINERS} containers' CPU, 1-hour step | ${ms(overview.median)} median |`);
out.push(`| 24-hour chart, one series, raw (${q24h.out.points.length} points) | ${ms(q24h.median)} median |`);
out.push(`| cycle, history off (history.enabled: false) | ${ms(median(offCycles))} median, ${ms(mean(offCycles))} mean, ${ms(Math.max(...offCycles))} max |`);
out.push(`| cycle (${ids.length} points recorded), nothing to roll up | ${ms(quiet.cycle)} median, ${ms(quiet.cycleMean)} mean, ${ms(quiet.cycleMax)} max |`);
out.push(`| cycle with an hour of raw waiting to be rolled up | ${ms(busy.cycle)} median, ${ms(busy.cycleMean)} mean, ${ms(busy.cycleMax)} max |`);
out.push(
  `| roll-up step between those cycles (budget ${HISTORY_STEP_MS} ms) | ${ms(busy.step)} median, ${ms(busy.stepMax)} max; the 1-minute roll-up moved on ${((rolledLeft - backlogFrom) / MIN).toFixed(0)} min in ${REPEATS} cycles (${((REPEATS * INTERVAL_MS) / MIN).toFixed(1)} min of samples came in meanwhile) |`,
);
process.stdout.write(`${out.join("\n")}\n`);
if (KEEP) say(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });
