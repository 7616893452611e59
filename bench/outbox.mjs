#!/usr/bin/env node
/**
 * The outbox, in process: notifications stored in SQLite, sent to a local
 * Slack stand-in, journaled as each answer comes back. Uses the built modules
 * (dist/store/database.js, dist/store/agent-store.js, dist/notify/dispatcher.js,
 * dist/notify/slack/slack.js), a fresh temp data directory per part (real
 * `lookout.db`: WAL, synchronous=FULL, as openDatabase sets it) and a receiver
 * on 127.0.0.1 in a child process (this file with --serve) that answers every
 * POST 200 `ok` like Slack and stamps each request with the system-wide
 * CLOCK_MONOTONIC (process.hrtime), the clock this process stamps with too.
 *
 *   npm run build && node bench/outbox.mjs [--count 1000] [--repeats 5]
 *                          [--latency-n 200] [--latency-gap-ms 10] [--paced-n 10] [--no-paced] [--keep]
 *
 * Parts:
 *   1. store, one commit per notification: --count times what the agent does
 *      per cycle (Dispatcher.enqueue, then AgentStore.commitCycle with the
 *      cycle's state: 5 firing alerts, the host collector's counters, meta);
 *      each commitCycle timed, and which of them ran SQLite's automatic
 *      checkpoint (lookout.db, written only by checkpoints in WAL mode, changed
 *      its mtime). Database files (lookout.db, -wal, -shm) with
 *      --count queued, after all are delivered, after
 *      `PRAGMA wal_checkpoint(TRUNCATE)`, after close.
 *   2a. the same --count sent one per message (a notifier without sendMany:
 *      SlackNotifier wrapped so only `send` is used), paceMs 0, groupWaitMs 0:
 *      one Dispatcher.drain, timed end to end, each answer's journal write
 *      (AgentStore.delivered: one transaction) timed too.
 *   1b/2b. --repeats times, in a fresh data dir each: --count notifications
 *      in ONE commitCycle (timed), then one drain with the real SlackNotifier
 *      (sendMany: up to 200 a message), paceMs 0, groupWaitMs 0.
 *   2c. (unless --no-paced) the same burst with the agent's defaults: paceMs
 *      1000 (Slack's 1 message/s), groupWaitMs 2000 (notify.group_wait's default).
 *   3. latency from state change to send: --latency-n times (after 5 untimed),
 *      t0 = before enqueue + commitCycle of one notification, then drain at
 *      once and wait for it; the receiver's stamp when the request's body has
 *      arrived. paceMs 0, groupWaitMs 0, and --latency-gap-ms of quiet after
 *      each delivery. Then (unless --no-paced) --paced-n more with the agent's
 *      pacing (1000/2000), each starting 2.1 s after the previous send, so the
 *      pacing never holds one back: it shows that a lone notification is not delayed.
 *
 * Every notification is checked: the receiver got each id exactly once, the
 * outbox is empty in memory and in the database after each drain, no attempt
 * failed. Lookout's log lines (one "notification delivered" per message) are
 * formatted but counted instead of written to stderr; warn/error lines are
 * printed. Talks only to 127.0.0.1; about 35 s with the defaults; a watchdog
 * stops everything after 170 s.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { createServer } from "node:http";
import { availableParallelism, loadavg, release, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";

const hr = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC, ms (system-wide on Linux)
const args = process.argv.slice(2);

// ---------------------------------------------------------------- receiver (child)
if (args.includes("--serve")) {
  let records = [];
  let requests = 0;
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/__log") {
      const body = JSON.stringify({ records, requests, cpu: process.cpuUsage() });
      records = [];
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    requests++;
    let bytes = 0;
    req.on("data", (c) => (bytes += c.length));
    req.on("end", () => {
      const tEnd = hr();
      const ids = String(req.headers["x-lookout-notification-id"] ?? "");
      records.push({ ids, tEnd, bytes });
      // what Slack answers
      res.writeHead(200, { "content-type": "text/html", "content-length": 2 });
      res.end("ok");
    });
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
  const stop = () => {
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.stdin.on("end", stop); // never outlive the bench
  process.stdin.resume();
} else {
  await main();
}

// ---------------------------------------------------------------- bench
async function main() {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, "..");
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    if (i === -1) return fallback;
    const v = Number(args[i + 1]);
    if (!Number.isInteger(v) || v < 0) {
      process.stderr.write(`outbox: ${name} needs an integer ≥ 0\n`);
      process.exit(2);
    }
    return v;
  };
  const count = option("--count", 1000);
  const repeats = option("--repeats", 5);
  const latencyN = option("--latency-n", 200);
  const latencyGapMs = option("--latency-gap-ms", 10);
  const pacedN = option("--paced-n", 10);
  const paced = !args.includes("--no-paced");
  const keep = args.includes("--keep");
  if (count < 1 || repeats < 1 || latencyN < 1) {
    process.stderr.write("outbox: --count, --repeats and --latency-n must be ≥ 1\n");
    process.exit(2);
  }
  const command = `node bench/outbox.mjs --count ${count} --repeats ${repeats} --latency-n ${latencyN} --latency-gap-ms ${latencyGapMs}${paced ? ` --paced-n ${pacedN}` : " --no-paced"}`;

  const distFiles = ["store/database.js", "store/agent-store.js", "notify/dispatcher.js", "notify/slack/slack.js", "log.js"];
  for (const f of distFiles) {
    if (!existsSync(join(root, "dist", f))) {
      process.stderr.write(`outbox: dist/${f} is missing: run \`npm run build\` first\n`);
      process.exit(1);
    }
  }
  const dist = (f) => import(pathToFileURL(join(root, "dist", f)).href);
  const [{ openDatabase, DB_FILE }, { AgentStore }, { Dispatcher }, { SlackNotifier }, { setLogSink }] = await Promise.all(distFiles.map(dist));

  // Lookout's log: formatted as usual, counted here instead of written to stderr.
  const logCounts = { DEBUG: 0, INFO: 0, WARN: 0, ERROR: 0 };
  const problems = [];
  setLogSink((line) => {
    const level = line.split(" ")[1];
    logCounts[level] = (logCounts[level] ?? 0) + 1;
    if (level === "WARN" || level === "ERROR") problems.push(line);
  });

  const progress = (s) => process.stderr.write(`outbox: ${s}\n`);
  const tmpDirs = [];
  let receiver;
  const cleanup = () => {
    receiver?.kill("SIGTERM");
    if (!keep) for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
  };
  const watchdog = setTimeout(() => {
    process.stderr.write("outbox: FAIL: still running after 170 s, stopping\n");
    cleanup();
    process.exit(1);
  }, 170_000);
  watchdog.unref();
  const fail = (msg) => {
    process.stderr.write(`outbox: FAIL: ${msg}\n`);
    cleanup();
    process.exit(1);
  };
  process.on("SIGINT", () => fail("interrupted"));

  // ---- the receiver, in its own process
  receiver = spawn(process.execPath, [fileURLToPath(import.meta.url), "--serve"], { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise((res, rej) => {
    const rl = createInterface({ input: receiver.stdout });
    rl.once("line", (l) => res(Number(l)));
    receiver.once("exit", (c) => rej(new Error(`receiver exited ${c}`)));
  });
  const url = `http://127.0.0.1:${port}/services/TBENCH/BBENCH/bench`;
  const receiverLog = async () => (await fetch(`http://127.0.0.1:${port}/__log`)).json();

  // ---- helpers
  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
  };
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const f1 = (v) => v.toFixed(1);
  const f2 = (v) => v.toFixed(2);
  const f3 = (v) => v.toFixed(3);
  const kib = (b) => (b === null ? "absent" : `${(b / 1024).toFixed(1)}`);
  const sizeOf = (p) => (existsSync(p) ? statSync(p).size : null);
  const files = (dir) => ({ db: sizeOf(join(dir, DB_FILE)), wal: sizeOf(join(dir, `${DB_FILE}-wal`)), shm: sizeOf(join(dir, `${DB_FILE}-shm`)) });
  const pages = (db) => ({ pages: db.pragma("page_count", { simple: true }), free: db.pragma("freelist_count", { simple: true }) });
  const rows = (db) => ({
    notifications: db.prepare("SELECT COUNT(*) FROM notifications").pluck().get(),
    deliveries: db.prepare("SELECT COUNT(*) FROM deliveries").pluck().get(),
    failed: db.prepare("SELECT COUNT(*) FROM failed_deliveries").pluck().get(),
  });
  const newDir = (tag) => {
    const d = mkdtempSync(join(tmpdir(), `lookout-outbox-${tag}-`));
    tmpDirs.push(d);
    return d;
  };

  const RECEIVER = "slack[0]";
  const slack = () => new SlackNotifier({ name: RECEIVER, url, minSeverity: "warning" });
  /** SlackNotifier without sendMany: the dispatcher sends one notification per message. */
  const oneByOne = () => {
    const s = slack();
    return { kind: s.kind, name: s.name, target: s.target, minSeverity: s.minSeverity, send: (n) => s.send(n), sendTest: (h) => s.sendTest(h) };
  };
  /** The store as the dispatcher's journal, with each `delivered` (one transaction) timed. */
  const timedJournal = (store) => {
    const j = {
      deliveredMs: [],
      otherCalls: 0,
      delivered(items) {
        const t = hr();
        store.delivered(items);
        j.deliveredMs.push(hr() - t);
      },
      attempted(items) {
        j.otherCalls++;
        store.attempted(items);
      },
      gaveUp(items, failures) {
        j.otherCalls++;
        store.gaveUp(items, failures);
      },
      markReported(failures, at) {
        store.markReported(failures, at);
      },
    };
    return j;
  };

  /** The test suite's sample notification (critical CPU alert, 2 facts, 2 top processes), a distinct alert each. */
  const notification = (i, now) => {
    const host = `web-${String(i).padStart(4, "0")}`;
    return {
      id: randomUUID(),
      kind: "firing",
      hostname: host,
      at: now,
      alert: {
        fingerprint: `host_cpu{hostname="${host}"}`,
        alertname: "host_cpu",
        labels: { alertname: "host_cpu", severity: "critical", hostname: host },
        severity: "critical",
        display: "CPU",
        value: 97.24,
        threshold: 95,
        unit: "%",
        activeSince: now - 180_000,
        firingSince: now - 120_000,
        peak: 97.24,
        maxSeverity: "critical",
      },
      details: {
        facts: [
          { label: "Load", value: "7.9 / 8 cores" },
          { label: "Steal", value: "0.0%" },
        ],
        topProcesses: {
          by: "cpu",
          processes: [
            { pid: 4242, name: "node", cpuPercent: 97.1, memoryPercent: 12.5, rssBytes: 512 * 1024 * 1024 },
            { pid: 17, name: "postgres", cpuPercent: 3.04, memoryPercent: 8, rssBytes: 256 * 1024 * 1024 },
          ],
        },
      },
    };
  };
  /** What a cycle commits besides the outbox: 5 firing host alerts, the host collector's counters, meta. */
  const cycleState = (state, now) => {
    state.alerts = ["cpu", "memory", "swap", "disk", "load"].map((k) => ({
      fingerprint: `host_${k}{hostname="vm"}`,
      alertname: `host_${k}`,
      labels: { alertname: `host_${k}`, severity: "warning", hostname: "vm" },
      display: k,
      unit: "%",
      state: "firing",
      severity: "warning",
      maxSeverity: "warning",
      activeSince: now - 600_000,
      firingSince: now - 540_000,
      criticalSince: null,
      value: 91.5,
      threshold: 90,
      peak: 93.2,
      lastNotifiedAt: now - 540_000,
      updatedAt: now,
    }));
    state.collectors = {
      host: {
        savedAt: now,
        data: { version: 1, at: now, cores: 2, btime: 1764000000, cpu: { user: 812345, nice: 12, system: 234567, idle: 9876543, iowait: 4321, irq: 0, softirq: 1234, steal: 56 } },
      },
    };
    state.lastCycleAt = now;
  };
  const openStore = (dir) => {
    const db = openDatabase(dir);
    const store = new AgentStore(db);
    const state = store.load();
    cycleState(state, Date.now());
    return { db, store, state };
  };
  /** The receiver got each id exactly once (and nothing else), the outbox is empty in memory and on disk. */
  const verify = (what, ids, records, db, state, journal) => {
    const got = records.flatMap((r) => r.ids.split(","));
    const want = new Set(ids);
    const seen = new Set();
    for (const id of got) {
      if (!want.has(id)) fail(`${what}: receiver got an unknown id ${id}`);
      if (seen.has(id)) fail(`${what}: receiver got ${id} twice`);
      seen.add(id);
    }
    if (seen.size !== want.size) fail(`${what}: receiver got ${seen.size} of ${want.size} notifications`);
    const r = rows(db);
    if (r.notifications !== 0 || r.deliveries !== 0 || r.failed !== 0) fail(`${what}: outbox not empty after the drain: ${JSON.stringify(r)}`);
    if (state.outbox.length !== 0) fail(`${what}: ${state.outbox.length} entries left in memory`);
    if (journal.otherCalls !== 0) fail(`${what}: ${journal.otherCalls} failed attempts`);
  };

  const load0 = loadavg();
  const cpu0 = process.cpuUsage();
  const wall0 = hr();

  // ---- machine
  const probeDir = newDir("probe");
  const df = spawnSync("df", ["-T", probeDir], { encoding: "utf8" }).stdout?.trim().split("\n").pop()?.split(/\s+/) ?? [];
  const probe = openDatabase(probeDir);
  const sqliteVersion = probe.prepare("SELECT sqlite_version()").pluck().get();
  const walAuto = probe.pragma("wal_autocheckpoint", { simple: true });
  const pageSize = probe.pragma("page_size", { simple: true });
  const sync = probe.pragma("synchronous", { simple: true });
  const mode = probe.pragma("journal_mode", { simple: true });
  probe.close();
  const bsqlVersion = JSON.parse(readFileSync(join(root, "node_modules/better-sqlite3/package.json"), "utf8")).version;
  // fdatasync baseline: append 4 KiB + fdatasync, 200 times, in the same directory
  const fsyncMs = [];
  {
    const fd = openSync(join(probeDir, "fsync-probe"), "w");
    const buf = Buffer.alloc(4096, 7);
    for (let i = 0; i < 200; i++) {
      writeSync(fd, buf);
      const t = hr();
      fdatasyncSync(fd);
      fsyncMs.push(hr() - t);
    }
    closeSync(fd);
  }

  // ================================================================ 1 + 2a: one commit per notification, sent one per message
  progress(`part 1: ${count} commitCycle, one notification each`);
  const dirA = newDir("percommit");
  const A = openStore(dirA);
  const journalA = timedJournal(A.store);
  const dispA = new Dispatcher({ notifiers: [oneByOne()], state: A.state, journal: journalA, paceMs: 0, groupWaitMs: 0 });
  const commitMs = [];
  const idsA = [];
  let walMaxA = 0;
  const checkpointed = [];
  let dbMtime = statSync(join(dirA, DB_FILE)).mtimeMs;
  let bodyBytes = 0;
  for (let i = 0; i < count; i++) {
    const now = Date.now();
    const n = notification(i, now);
    idsA.push(n.id);
    bodyBytes += JSON.stringify(n).length;
    A.state.lastCycleAt = now;
    const added = dispA.enqueue([n], now);
    const t = hr();
    A.store.commitCycle(A.state, added);
    commitMs.push(hr() - t);
    walMaxA = Math.max(walMaxA, sizeOf(join(dirA, `${DB_FILE}-wal`)) ?? 0);
    // lookout.db itself is written only by a checkpoint (WAL mode): which commits ran the automatic one
    const m = statSync(join(dirA, DB_FILE)).mtimeMs;
    checkpointed.push(m !== dbMtime);
    dbMtime = m;
  }
  const rowsQueuedA = rows(A.db);
  if (rowsQueuedA.notifications !== count || rowsQueuedA.deliveries !== count) fail(`store: ${JSON.stringify(rowsQueuedA)} after ${count} commits`);
  const sizesA = [{ when: `${count} queued (${count} commits)`, ...files(dirA), ...pages(A.db) }];

  progress(`part 2a: drain ${count}, one per message, pacing off`);
  await receiverLog(); // clear
  let t = hr();
  await dispA.drain(Date.now() + 120_000);
  const drainAms = hr() - t;
  const logA = await receiverLog();
  verify("2a", idsA, logA.records, A.db, A.state, journalA);
  const bytesA = logA.records.reduce((s, r) => s + r.bytes, 0);
  sizesA.push({ when: "all delivered (db still open)", ...files(dirA), ...pages(A.db) });
  const ckA = A.db.pragma("wal_checkpoint(TRUNCATE)")[0];
  sizesA.push({ when: "after PRAGMA wal_checkpoint(TRUNCATE)", ...files(dirA), ...pages(A.db) });
  A.db.close();
  sizesA.push({ when: "after close", ...files(dirA), pages: null, free: null });

  // ================================================================ 1b + 2b: all in one commit, sent grouped
  progress(`part 1b/2b: ${repeats} × (${count} in one commitCycle, drain grouped, pacing off)`);
  const batchCommitMs = [];
  const grouped = [];
  let sizesB;
  for (let r = 0; r < repeats; r++) {
    const dir = newDir(`batch${r}`);
    const B = openStore(dir);
    const journal = timedJournal(B.store);
    const disp = new Dispatcher({ notifiers: [slack()], state: B.state, journal, paceMs: 0, groupWaitMs: 0 });
    const now = Date.now();
    const ns = Array.from({ length: count }, (_, i) => notification(i, now));
    const added = disp.enqueue(ns, now);
    t = hr();
    B.store.commitCycle(B.state, added);
    batchCommitMs.push(hr() - t);
    if (r === 0) sizesB = [{ when: `${count} queued (1 commit)`, ...files(dir), ...pages(B.db) }];
    await receiverLog();
    t = hr();
    await disp.drain(Date.now() + 120_000);
    const ms = hr() - t;
    const log = await receiverLog();
    verify(
      `2b #${r + 1}`,
      ns.map((n) => n.id),
      log.records,
      B.db,
      B.state,
      journal,
    );
    grouped.push({ ms, messages: log.records.length, bytes: log.records.reduce((s, x) => s + x.bytes, 0), journalMs: journal.deliveredMs });
    if (r === 0) {
      sizesB.push({ when: "all delivered (db still open)", ...files(dir), ...pages(B.db) });
      B.db.pragma("wal_checkpoint(TRUNCATE)");
      sizesB.push({ when: "after PRAGMA wal_checkpoint(TRUNCATE)", ...files(dir), ...pages(B.db) });
    }
    B.db.close();
    if (r === 0) sizesB.push({ when: "after close", ...files(dir), pages: null, free: null });
  }

  // ================================================================ 2c: the burst with the agent's pacing
  let pacedBurst;
  if (paced) {
    progress(`part 2c: ${count} in one commit, drain grouped with the agent's pacing (1000 ms / group_wait 2000 ms)`);
    const dir = newDir("pacedburst");
    const C = openStore(dir);
    const journal = timedJournal(C.store);
    const disp = new Dispatcher({ notifiers: [slack()], state: C.state, journal, groupWaitMs: 2000 }); // paceMs: default
    const now = Date.now();
    const ns = Array.from({ length: count }, (_, i) => notification(i, now));
    C.store.commitCycle(C.state, disp.enqueue(ns, now));
    await receiverLog();
    t = hr();
    await disp.drain(Date.now() + 120_000);
    const ms = hr() - t;
    const log = await receiverLog();
    verify(
      "2c",
      ns.map((n) => n.id),
      log.records,
      C.db,
      C.state,
      journal,
    );
    const arrivals = log.records.map((x) => x.tEnd);
    pacedBurst = { ms, messages: log.records.length, gaps: arrivals.slice(1).map((a, i) => a - arrivals[i]), first: arrivals[0] - t };
    C.db.close();
  }

  // ================================================================ 3: latency, state change → receiver
  progress(
    `part 3: latency, ${latencyN} notifications one at a time (pacing off, ${latencyGapMs} ms quiet after each)${paced ? `, then ${pacedN} with the agent's pacing, 2.1 s apart` : ""}`,
  );
  const dirL = newDir("latency");
  const L = openStore(dirL);
  const journalL = timedJournal(L.store);
  const runLatency = async (disp, n, gapMs, warmup) => {
    const samples = [];
    for (let i = 0; i < warmup + n; i++) {
      const now = Date.now();
      const note = notification(i, now);
      const t0 = hr();
      L.state.lastCycleAt = now;
      const added = disp.enqueue([note], now);
      L.store.commitCycle(L.state, added);
      const t1 = hr();
      await disp.drain(Date.now() + 10_000);
      const t2 = hr();
      if (i >= warmup) samples.push({ id: note.id, t0, t1, t2 });
      await sleep(gapMs);
    }
    const log = await receiverLog();
    const byId = new Map(log.records.map((r) => [r.ids, r]));
    return samples.map((s) => {
      const r = byId.get(s.id);
      if (!r) fail(`latency: the receiver has no request for ${s.id}`);
      if (!(r.tEnd >= s.t1 && r.tEnd <= s.t2)) fail(`latency: receiver stamp outside [commit, drain end] for ${s.id}: clocks disagree?`);
      return { commit: s.t1 - s.t0, toArrival: r.tEnd - s.t1, total: r.tEnd - s.t0, after: s.t2 - r.tEnd };
    });
  };
  await receiverLog();
  const dispL = new Dispatcher({ notifiers: [slack()], state: L.state, journal: journalL, paceMs: 0, groupWaitMs: 0 });
  const lat = await runLatency(dispL, latencyN, latencyGapMs, 5);
  let latPaced;
  if (paced) {
    const dispP = new Dispatcher({ notifiers: [slack()], state: L.state, journal: journalL, groupWaitMs: 2000 });
    latPaced = await runLatency(dispP, pacedN, 2100, 0);
  }
  if (journalL.otherCalls !== 0) fail(`latency: ${journalL.otherCalls} failed attempts`);
  const rowsL = rows(L.db);
  if (rowsL.notifications !== 0 || rowsL.deliveries !== 0) fail(`latency: outbox not empty: ${JSON.stringify(rowsL)}`);
  L.db.close();

  const wallS = (hr() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const rlog = await receiverLog();
  const load1 = loadavg();

  // ================================================================ report
  const out = [];
  const p = (s = "") => out.push(s);
  p(`command: ${command}`);
  p(
    `node ${process.version}, kernel ${release()}, ${availableParallelism()} CPUs, better-sqlite3 ${bsqlVersion} (SQLite ${sqliteVersion}), journal_mode=${mode}, synchronous=${sync} (2 = FULL), page_size ${pageSize}, wal_autocheckpoint ${walAuto} pages`,
  );
  p(
    `data dirs under ${tmpdir()} (${df[1] ?? "?"} on ${df[0] ?? "?"}); fdatasync of a 4 KiB append there, 200 times: mean ${f3(mean(fsyncMs))} ms, p50 ${f3(pct(fsyncMs, 50))}, p99 ${f3(pct(fsyncMs, 99))}, max ${f3(Math.max(...fsyncMs))}`,
  );
  p(
    `load average at start ${load0.map(f2).join(" ")}, at end ${load1.map(f2).join(" ")}; wall ${f1(wallS)} s; bench process CPU user+sys ${f1((cpu.user + cpu.system) / 1000)} ms, receiver process ${f1((rlog.cpu.user + rlog.cpu.system) / 1000)} ms`,
  );
  p(
    `notification: the test suite's sample (critical CPU alert, 2 facts, 2 top processes), ${Math.round(bodyBytes / count)} bytes of JSON in the outbox each; each commit also rewrites 5 alerts, the host counters and 3 meta rows`,
  );
  p(
    `checked: every id reached the receiver exactly once, outbox empty in memory and in lookout.db after each drain, 0 failed attempts; Lookout log lines: ${Object.entries(
      logCounts,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  );
  p();
  p("Store: time per commitCycle (synchronous=FULL: each commit waits for its fsync)");
  p();
  p("| commits | notifications per commit | mean ms | p50 ms | p99 ms | max ms | per notification ms (mean) |");
  p("|---:|---:|---:|---:|---:|---:|---:|");
  p(`| ${count} | 1 | ${f3(mean(commitMs))} | ${f3(pct(commitMs, 50))} | ${f3(pct(commitMs, 99))} | ${f3(Math.max(...commitMs))} | ${f3(mean(commitMs))} |`);
  p(
    `| ${repeats} (a fresh data dir each) | ${count} | ${f1(mean(batchCommitMs))} | ${f1(pct(batchCommitMs, 50))} | ${repeats >= 100 ? f1(pct(batchCommitMs, 99)) : `n/a (${repeats} samples)`} | ${f1(Math.max(...batchCommitMs))} | ${f3(mean(batchCommitMs) / count)} |`,
  );
  p();
  {
    const ck = commitMs.filter((_, i) => checkpointed[i]);
    const rest = commitMs.filter((_, i) => !checkpointed[i]);
    p(
      `one-per-commit run: ${ck.length} of the ${count} commits ran SQLite's automatic checkpoint (lookout.db's mtime changed): mean ${ck.length ? f3(mean(ck)) : "-"} ms, max ${ck.length ? f3(Math.max(...ck)) : "-"}; the other ${rest.length}: mean ${f3(mean(rest))}, p99 ${f3(pct(rest, 99))}, max ${f3(Math.max(...rest))}`,
    );
  }
  p(
    `the 5 slowest single commits ${[...commitMs]
      .sort((a, b) => b - a)
      .slice(0, 5)
      .map(f1)
      .join(", ")} ms; the ${repeats} one-commit times ${batchCommitMs.map(f1).join(", ")} ms`,
  );
  p();
  p("Store: database files (KiB; pages and free pages of lookout.db from PRAGMA page_count / freelist_count)");
  p();
  p("| store | moment | lookout.db KiB | -wal KiB | -shm KiB | db pages (free) |");
  p("|---|---|---:|---:|---:|---:|");
  for (const s of sizesA) p(`| ${count} commits of 1 | ${s.when} | ${kib(s.db)} | ${kib(s.wal)} | ${kib(s.shm)} | ${s.pages === null ? "-" : `${s.pages} (${s.free})`} |`);
  for (const s of sizesB) p(`| 1 commit of ${count} | ${s.when} | ${kib(s.db)} | ${kib(s.wal)} | ${kib(s.shm)} | ${s.pages === null ? "-" : `${s.pages} (${s.free})`} |`);
  p();
  p(`largest -wal seen after any of the ${count} single commits: ${kib(walMaxA)} KiB; wal_checkpoint(TRUNCATE) answered busy=${ckA.busy}`);
  p();
  p("Throughput, pacing off (paceMs 0, groupWaitMs 0): one Dispatcher.drain of everything queued, until the last answer is journaled");
  p();
  p(
    "| how sent | notifications | drains | messages | drain ms (mean) | messages/s | notifications/s | journal write per answer ms: mean / p50 / p99 / max | bytes per message (mean) |",
  );
  p("|---|---:|---:|---:|---:|---:|---:|---|---:|");
  {
    const j = journalA.deliveredMs;
    p(
      `| one per message (send only) | ${count} | 1 | ${logA.records.length} | ${f1(drainAms)} | ${f1((logA.records.length / drainAms) * 1000)} | ${f1((count / drainAms) * 1000)} | ${f3(mean(j))} / ${f3(pct(j, 50))} / ${f3(pct(j, 99))} / ${f3(Math.max(...j))} | ${Math.round(bytesA / logA.records.length)} |`,
    );
    const msgs = grouped.reduce((s, g) => s + g.messages, 0);
    const ms = grouped.reduce((s, g) => s + g.ms, 0);
    const jg = grouped.flatMap((g) => g.journalMs);
    const bytes = grouped.reduce((s, g) => s + g.bytes, 0);
    p(
      `| grouped (sendMany, ≤ 200 a message) | ${count} × ${repeats} | ${repeats} | ${msgs} (${grouped.map((g) => g.messages).join("/")}) | ${f1(ms / repeats)} | ${f1((msgs / ms) * 1000)} | ${f1(((count * repeats) / ms) * 1000)} | ${f3(mean(jg))} / ${f3(pct(jg, 50))} / ${f3(pct(jg, 99))} / ${f3(Math.max(...jg))} | ${Math.round(bytes / msgs)} |`,
    );
  }
  p();
  p(`grouped drains, ms each: ${grouped.map((g) => f1(g.ms)).join(", ")}`);
  if (pacedBurst) {
    p(
      `with the agent's pacing (paceMs 1000, group_wait 2000): ${count} in ${pacedBurst.messages} messages, drain ${f1(pacedBurst.ms)} ms, first arrival ${f1(pacedBurst.first)} ms after the drain began, gaps between arrivals ${pacedBurst.gaps.map(f1).join(", ")} ms`,
    );
  }
  p();
  p(
    "Latency, state change → receiver: t0 before enqueue + commitCycle of one notification; drain at once; the receiver's stamp when the request body has arrived (same CLOCK_MONOTONIC)",
  );
  p();
  p("| run | n | phase | p50 ms | p90 ms | p99 ms | max ms | mean ms |");
  p("|---|---:|---|---:|---:|---:|---:|---:|");
  const latRows = (name, xs) => {
    const phases = [
      ["enqueue + commitCycle", (x) => x.commit],
      ["commit done → receiver has the body", (x) => x.toArrival],
      ["**t0 → receiver has the body**", (x) => x.total],
      ["receiver → drain returned (answer + journal commit)", (x) => x.after],
    ];
    for (const [phase, fn] of phases) {
      const v = xs.map(fn);
      const b = phase.startsWith("**") ? (s) => `**${s}**` : (s) => s;
      p(`| ${name} | ${xs.length} | ${phase} | ${b(f2(pct(v, 50)))} | ${b(f2(pct(v, 90)))} | ${b(f2(pct(v, 99)))} | ${b(f2(Math.max(...v)))} | ${b(f2(mean(v)))} |`);
    }
  };
  latRows(`pacing off (paceMs 0), ${latencyGapMs} ms quiet after each delivery, after 5 untimed`, lat);
  if (latPaced) latRows("agent's pacing (paceMs 1000, group_wait 2000), each 2.1 s after the previous send", latPaced);
  p();
  if (latPaced) p(`paced run, t0 → receiver each (ms): ${latPaced.map((x) => f2(x.total)).join(", ")}`);
  if (problems.length > 0) {
    p();
    p(`Lookout logged ${problems.length} warn/error lines:`);
    for (const l of problems.slice(0, 10)) p(`  ${l}`);
  }
  process.stdout.write(out.join("\n") + "\n");
  cleanup();
  process.exit(problems.length > 0 ? 1 : 0);
}
