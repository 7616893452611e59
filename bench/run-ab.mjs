#!/usr/bin/env node
/**
 * Two (or more) builds of Lookout side by side: each `lookout run` at once
 * against one private dockerd with `--containers` busybox containers, so that
 * whatever else the machine does weighs on all of them alike; CPU per cycle
 * of each, from /proc/<pid>/stat (utime, stime: clock ticks, so the
 * resolution is 10 ms over the window's cycles).
 *
 *   npm run build && node bench/run-ab.mjs [--containers 20] [--seconds 120] [--interval 2s] [--warmup 15] ROOT[::FLAGS[::YAML]] …
 *
 * ROOT is a checkout with `dist/` built (a git worktree of another commit,
 * say); FLAGS are Node flags added after those of its bin's first line
 * ("--no-lite-mode"); YAML replaces the config's `docker:` lines, `\n` for a
 * newline and RIG for the rig's socket ("docker:\n  socket: RIG\nhistory:\n  enabled: false").
 * Each root runs once per time it is named: name it twice for two processes.
 * The window starts `--warmup` seconds (15) after the start.
 * As root; needs dockerd and the docker CLI.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { takeOption } from "./lib/args.mjs";
import { buildImage, cleanStale, createRig, docker, ensureDeps, IMAGE, startDockerd, teardown } from "./lib/dockerd.mjs";
import { startLookoutRun } from "./lib/lookout.mjs";

const argv = process.argv.slice(2);
const option = (name, fallback) => takeOption(argv, name, fallback);
const CONTAINERS = Number(option("--containers", "20"));
const SECONDS = Number(option("--seconds", "120"));
const INTERVAL = option("--interval", "2s");
const WARMUP = Number(option("--warmup", "15"));
const INTERVAL_S = Number.parseFloat(INTERVAL) / (INTERVAL.endsWith("ms") ? 1000 : 1);
const specs = argv;
if (specs.length === 0) {
  process.stderr.write("run-ab: name at least one checkout (ROOT[::FLAGS[::YAML]])\n");
  process.exit(2);
}
const TICK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
const say = (m) => process.stderr.write(`run-ab: ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpu = (pid) => {
  const s = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return { user: Number(f[11]) / TICK, sys: Number(f[12]) / TICK };
};
/** A process's resident set now and at its peak (VmRSS, VmHWM), MiB. */
const rss = (pid) => {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key) => Number(s.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? Number.NaN);
  return { now: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
};

ensureDeps({ say });
cleanStale({ say });
const rig = createRig();
const works = [];
const procs = [];
try {
  await startDockerd(rig);
  await buildImage(rig);
  say(`${CONTAINERS} containers`);
  for (let i = 0; i < CONTAINERS; i++)
    await docker(rig, ["run", "-d", "--network", "none", "--name", `ab-${i}`, IMAGE, "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 10 & wait; done"]);
  for (const spec of specs) {
    const [root, flags, yaml] = spec.split("::");
    const work = mkdtempSync("/tmp/lkab-");
    works.push(work);
    const dockerYaml = yaml ? yaml.replaceAll("\\n", "\n").replaceAll("RIG", rig.host) : null;
    const { child } = startLookoutRun({ root, work, dockerHost: rig.host, interval: INTERVAL, dockerYaml, nodeFlags: flags ? flags.split(" ") : [] });
    child.stderr.pipe(process.stderr);
    procs.push({ spec, p: child });
  }
  await sleep(WARMUP * 1000); // started, first inspections done (and, with --warmup, what the JIT makes of it)
  const a = procs.map(({ p }) => cpu(p.pid));
  await sleep(SECONDS * 1000);
  const b = procs.map(({ p }) => cpu(p.pid));
  const mem = procs.map(({ p }) => rss(p.pid));
  const cycles = SECONDS / INTERVAL_S;
  const out = [
    `Command: \`node bench/run-ab.mjs --containers ${CONTAINERS} --seconds ${SECONDS} --interval ${INTERVAL}${WARMUP !== 15 ? ` --warmup ${WARMUP}` : ""} ${specs.map((s) => `'${s}'`).join(" ")}\``,
    "",
    "| run | user ms / cycle | system ms / cycle | total ms / cycle | % of one core | RSS at the end (MiB) | peak RSS (MiB) |",
    "|---|---|---|---|---|---|---|",
  ];
  procs.forEach(({ spec }, i) => {
    const user = ((b[i].user - a[i].user) * 1000) / cycles;
    const sys = ((b[i].sys - a[i].sys) * 1000) / cycles;
    out.push(
      `| \`${spec}\` | ${user.toFixed(2)} | ${sys.toFixed(2)} | ${(user + sys).toFixed(2)} | ${(((user + sys) / 1000 / INTERVAL_S) * 100).toFixed(3)} | ${mem[i].now.toFixed(1)} | ${mem[i].peak.toFixed(1)} |`,
    );
  });
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  for (const { p } of procs) p.kill("SIGTERM");
  await sleep(1000);
  teardown(rig.dir);
  for (const w of works) rmSync(w, { recursive: true, force: true });
}
