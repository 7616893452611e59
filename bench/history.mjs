#!/usr/bin/env node
/**
 * History's size and speed: one year of history for one host with
 * `--containers` (50) containers at a `--interval` (10 s) interval, generated
 * straight into the tables (synthetic values, with the writers the roll-up
 * uses: store/history.ts `writeChunk`, `writeHead`) as the default tiers keep
 * it: raw for the last 24 h, 1-minute for 7 days, 10-minute for 30 days,
 * 1-hour for the year, the hour under way in the head. Then:
 *   - the database's size (after a checkpoint), and chunks per tier;
 *   - the time to answer a 30-day chart of one container's CPU
 *     (`HistoryStore.points`, at a 10-minute and a 1-hour step), of every
 *     container's at once (the overview), of 24 hours raw and of a year by
 *     day, each the median of `--repeats` runs and the first (cold) one;
 *   - `--cycles` (60) cycles with history off and on, in turn (a real
 *     `Agent.cycle` with a collector handing it the host's and the
 *     containers' samples, which the record stage writes), each on-cycle
 *     followed by a `maintainHistory` step (the runner's `HISTORY_STEP_MS`)
 *     as `lookout run` does; the writes of points (a head row a cycle)
 *     timed apart;
 *   - then a backlog (the last hour of raw back in the head, a day of
 *     10-minute and a week of 1-hour chunks to roll up again) and cycles,
 *     each followed by a step, until it is caught up: each cycle's and each
 *     step's duration (max, not only the median).
 *
 *   npm run build && node bench/history.mjs [--containers 50] [--interval 10s] [--repeats 20] [--cycles 60] [--keep]
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
const { HistoryStore, retentionOf, writeChunk, writeHead, TIERS } = await dist("store/history.js");
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
const CYCLES = Number(option("--cycles", "60"));
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
const template = historyPoints(cycleSamples(NOW)).toArray();
const ids = template.map((p) => store.seriesId(p.metric, p.labels));
say(`${ids.length} series (${CONTAINERS} containers); generating a year…`);
const genStart = performance.now();
const tx = (fn) => db.transaction(fn).immediate();
const tier = (name) => TIERS.find((t) => t.name === name);
// Where each roll-up has got in a steady state: the head holds the hour under way, each coarser tier is a chunk span behind at most.
const LAG = 2 * MIN;
const until = { "1m": Math.floor((NOW - LAG) / HOUR) * HOUR };
until["10m"] = Math.floor(until["1m"] / tier("10m").chunkMs) * tier("10m").chunkMs;
until["1h"] = Math.floor(until["10m"] / tier("1h").chunkMs) * tier("1h").chunkMs;
const values = (t) => Array.from(historyPoints(cycleSamples(t)).values.subarray(0, template.length));
/** One tier's chunks (whole ones, as its retention keeps them) from `from` to `to`, made of points every `step`. */
function fillChunks(name, from, to, step) {
  const { chunkMs } = tier(name);
  let chunks = 0;
  for (let start = Math.floor(from / chunkMs) * chunkMs; start < to; start += chunkMs) {
    const per = ids.map(() => ({ t: [], min: [], avg: [], max: [], n: [] }));
    for (let t = start; t < Math.min(start + chunkMs, to); t += step) {
      const v = values(t);
      for (let i = 0; i < ids.length; i++) {
        // A bucket's spread around its value, as a roll-up of `n` samples would have it.
        const spread = name === "raw" || Number.isInteger(v[i]) ? 0 : Math.abs(v[i]) * 0.1;
        per[i].t.push(t);
        per[i].min.push(v[i] - spread);
        per[i].avg.push(v[i]);
        per[i].max.push(v[i] + spread);
        per[i].n.push(name === "raw" ? 1 : Math.round(step / INTERVAL_MS));
      }
    }
    tx(() => {
      for (let i = 0; i < ids.length; i++) writeChunk(db, name, ids[i], start, per[i]);
    });
    chunks += ids.length;
  }
  return chunks;
}
/** Head rows (one per cycle) from `from` to `to`. */
function fillHead(from, to) {
  let n = 0;
  tx(() => {
    for (let t = from; t < to; t += INTERVAL_MS, n++) {
      const v = values(t);
      writeHead(
        db,
        t,
        ids.map((id, i) => ({ series: id, v: v[i] })),
      );
    }
  });
  return n;
}
const rows = {};
rows.raw = fillChunks("raw", NOW - retention.raw, until["1m"], INTERVAL_MS);
rows["1m"] = fillChunks("1m", NOW - retention["1m"], until["1m"], MIN);
rows["10m"] = fillChunks("10m", NOW - retention["10m"], until["10m"], 10 * MIN);
rows["1h"] = fillChunks("1h", NOW - retention["1h"], until["1h"], HOUR);
rows.head = fillHead(until["1m"], NOW);
for (const t of ["1m", "10m", "1h"]) db.prepare("INSERT OR REPLACE INTO history_rollup (tier, done_until, next_series) VALUES (?, ?, 0)").run(t, until[t]);
for (const [t, n] of Object.entries(rows)) say(`  ${t}: ${n.toLocaleString("en")} rows`);
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
const perTier = Object.fromEntries(
  db
    .prepare("SELECT tier, SUM(length(data)) AS bytes FROM history_chunks GROUP BY tier")
    .all()
    .map((r) => [r.tier, r.bytes]),
);

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
const q1y = timed(() => store.points(cpuSeries.id, NOW - 365 * DAY, NOW, DAY, NOW));
db.close();

// --- cycles while a roll-up runs ------------------------------------------
const config = join(dir, "lookout.yaml");
const collector = { name: "bench", collect: async (ctx) => ({ samples: cycleSamples(ctx.now) }) };
let at = NOW;
/** An agent on the data directory with `yaml`; its history's writes (flush) and steps are timed. */
function agentWith(yaml, dataDir) {
  writeFileSync(config, `docker: { enabled: false }\n${yaml}`, { mode: 0o600 });
  return new Agent(loadConfig({ configPath: config, dataDir, env: {} }), { command: "run", collectors: [collector], notifiers: [] });
}
const flushMs = [];
function timeFlushes(agent) {
  const store = agent.history();
  if (!store) return;
  const flush = store.flush.bind(store);
  store.flush = () => {
    const pending = store.bufferedPoints();
    const t0 = performance.now();
    flush();
    if (pending > 0) flushMs.push(performance.now() - t0);
  };
}
/** `n` cycles `INTERVAL` apart, each followed by a roll-up step when `step` (the runner's budget) as `lookout run` does. */
async function cycles(agent, n, { step = false, until = () => false } = {}) {
  const cycleMs = [];
  const stepMs = [];
  // The CPU time of each step beside its wall time: on a shared machine a step can wait for a core (the cycles with history off show how much).
  const stepCpuMs = [];
  for (let i = 0; i < n && !until(); i++) {
    at += INTERVAL_MS;
    const t0 = performance.now();
    await agent.cycle(at);
    cycleMs.push(performance.now() - t0);
    if (step) {
      const c1 = process.cpuUsage();
      const t1 = performance.now();
      agent.maintainHistory(at, HISTORY_STEP_MS);
      stepMs.push(performance.now() - t1);
      const c = process.cpuUsage(c1);
      stepCpuMs.push((c.user + c.system) / 1000);
    }
  }
  return { cycleMs, stepMs, stepCpuMs };
}
const stats = (xs) => ({ median: median(xs), mean: mean(xs), max: Math.max(...xs), p99: [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] });
const on = agentWith("", dataDir);
timeFlushes(on);
// Settle what is due now (as a running agent would have).
while (on.maintainHistory(at, 1000));
// History off and on, cycle after cycle in turn (the same minutes of samples, the same machine load).
// Its own data directory: one agent at a time may use one.
const off = agentWith("history: { enabled: false }\n", join(dir, "data-off"));
const offMs = [];
const onMs = [];
const quietSteps = [];
for (let i = 0; i < CYCLES; i++) {
  const a = await cycles(off, 1);
  at -= INTERVAL_MS; // the same cycle's time for both
  const b = await cycles(on, 1, { step: true });
  offMs.push(...a.cycleMs);
  onMs.push(...b.cycleMs);
  quietSteps.push(...b.stepMs);
}
await off.close();
const quietFlushes = flushMs.splice(0);
// A backlog: the last hour of raw samples back in the head, the last day of 10-minute and week of 1-hour chunks to roll up again.
const cursor = (t) => on.db.prepare("SELECT done_until FROM history_rollup WHERE tier = ?").pluck().get(t);
const backlog = { "1m": cursor("1m") - HOUR, "10m": cursor("10m") - DAY, "1h": cursor("1h") - 7 * DAY };
on.history().flush();
on.db.transaction(() => {
  for (let t = Math.ceil(backlog["1m"] / INTERVAL_MS) * INTERVAL_MS; t < cursor("1m"); t += INTERVAL_MS) {
    const v = values(t);
    writeHead(
      on.db,
      t,
      ids.map((id, i) => ({ series: id, v: v[i] })),
    );
  }
  for (const [t, u] of Object.entries(backlog)) on.db.prepare("UPDATE history_rollup SET done_until = ?, next_series = 0 WHERE tier = ?").run(u, t);
})();
const caughtUp = () => cursor("1h") > backlog["1h"] && cursor("10m") > backlog["10m"] && cursor("1m") > backlog["1m"];
const busy = await cycles(on, 2000, { step: true, until: caughtUp });
const busyFlushes = flushMs.splice(0);
await on.close();

// --- report ---------------------------------------------------------------
const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const ms = (x) => `${x.toFixed(2)} ms`;
const line = (x) => (x.median === undefined ? "none" : `${ms(x.median)} median, ${ms(x.mean)} mean, ${ms(x.p99)} p99, ${ms(x.max)} max`);
const KEPT = { raw: "24 h", "1m": "7 d", "10m": "30 d", "1h": "365 d" };
const out = [];
out.push(`## History: one year, 1 host + ${CONTAINERS} containers at ${INTERVAL}`);
out.push("");
out.push(
  `\`node bench/history.mjs --containers ${CONTAINERS} --interval ${INTERVAL} --repeats ${REPEATS} --cycles ${CYCLES}\` (Node ${process.version}, generated in ${genS.toFixed(0)} s)`,
);
out.push("");
out.push("| | |");
out.push("|---|---|");
out.push(`| series | ${ids.length} |`);
for (const t of TIERS)
  out.push(`| ${t.name} chunks (kept ${KEPT[t.name]}, ${t.chunkMs / HOUR} h each) | ${rows[t.name].toLocaleString("en")}, ${mb(perTier[t.name] ?? 0)} packed |`);
out.push(`| head rows (the hour under way) | ${rows.head.toLocaleString("en")}${perTable.history_head ? ` (${mb(perTable.history_head)})` : ""} |`);
if (perTable.history_chunks)
  out.push(
    `| history_chunks table + its two indexes | ${mb(perTable.history_chunks)} + ${mb((perTable.sqlite_autoindex_history_chunks_1 ?? 0) + (perTable.history_chunks_by_start ?? 0))} |`,
  );
out.push(`| lookout.db | **${mb(fileBytes)}** (${pages} pages of ${pageSize} B) |`);
out.push(`| 30-day chart, one series, 10-min step (${q10m.out.points.length} points, tier ${q10m.out.tier}) | ${ms(q10m.median)} median, ${ms(q10m.first)} first |`);
out.push(`| 30-day chart, one series, 1-hour step (${q1h.out.points.length} points, tier ${q1h.out.tier}) | ${ms(q1h.median)} median, ${ms(q1h.first)} first |`);
out.push(`| 30-day chart, all ${CONTAINERS} containers' CPU, 1-hour step | ${ms(overview.median)} median |`);
out.push(`| 24-hour chart, one series, raw (${q24h.out.points.length} points) | ${ms(q24h.median)} median, ${ms(q24h.first)} first |`);
out.push(`| 1-year chart, one series, 1-day step (${q1y.out.points.length} points, tier ${q1y.out.tier}) | ${ms(q1y.median)} median, ${ms(q1y.first)} first |`);
out.push(`| cycle, history off (${CYCLES} cycles, in turn with the next line's) | ${line(stats(offMs))} |`);
out.push(`| cycle, history on (${ids.length} points recorded), a step after each | ${line(stats(onMs))} |`);
out.push(`| of which the write of the cycle's points (${quietFlushes.length} writes) | ${line(stats(quietFlushes))} |`);
out.push(`| step between those cycles (nothing due but the head's deletions) | ${line(stats(quietSteps))} |`);
out.push(`| cycle while a roll-up runs (an hour of head, a day of 10-min, a week of 1-hour to redo; ${busy.cycleMs.length} cycles to catch up) | ${line(stats(busy.cycleMs))} |`);
out.push(`| roll-up step between those cycles (budget ${HISTORY_STEP_MS} ms), wall time | ${line(stats(busy.stepMs))} |`);
out.push(`| the same steps, CPU time of the process | ${line(stats(busy.stepCpuMs))} |`);
if (busyFlushes.length > 0) out.push(`| writes of points meanwhile (${busyFlushes.length}) | ${line(stats(busyFlushes))} |`);
process.stdout.write(`${out.join("\n")}\n`);
if (KEEP) say(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });
