#!/usr/bin/env node
/**
 * What `lookout run` asks of Docker, costed apart: bench/footprint.mjs measures
 * Docker's share as the daemons' CPU while Lookout ran less their idle rate,
 * and their idle rate drifts by more than that share from one minute to the
 * next. This bench costs the requests themselves instead, on a private dockerd
 * with N running busybox containers:
 *
 *   node bench/docker-share.mjs [--containers 20] [--requests 300] [--idle 20]
 *
 * - the daemons' (dockerd, containerd, shims) idle rate for --idle seconds;
 * - --requests lists of all containers (`GET /containers/json?all=true`),
 *   one after another, and as many inspections (`GET /containers/<id>/json`,
 *   round the containers), each costed as the daemons' CPU during them less
 *   the idle rate over the same time;
 * - what `lookout run` asks with its event stream up (README, "Docker"): a list
 *   every LIST_EVERY_MS (30 s) and each running container inspected again every
 *   REINSPECT_STREAM_MS (10 minutes), both taken from dist/; the event stream itself costs nothing while no container
 *   changes. Printed as % of one core.
 *
 * Needs root (a private dockerd, as bench/lib/dockerd.mjs says).
 */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { LIST_EVERY_MS, REINSPECT_STREAM_MS } from "../dist/collect/docker/docker.js";
import { takeOption } from "./lib/args.mjs";
import * as rigs from "./lib/dockerd.mjs";

const argv = process.argv.slice(2);
const CONTAINERS = Number(takeOption(argv, "--containers", "20"));
const REQUESTS = Number(takeOption(argv, "--requests", "300"));
const IDLE_S = Number(takeOption(argv, "--idle", "20"));
const LIST_EVERY_S = LIST_EVERY_MS / 1000;
const INSPECT_EVERY_S = REINSPECT_STREAM_MS / 1000;
const say = (line) => process.stderr.write(`docker-share: ${line}\n`);
const TICK_MS = 1000 / 100; // USER_HZ

rigs.ensureDeps({ say });
rigs.cleanStale({ say });
const rig = rigs.createRig();
const down = (code) => {
  rigs.teardown(rig.dir);
  process.exit(code);
};
process.on("SIGINT", () => down(130));
process.on("SIGTERM", () => down(143));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** CPU ticks of the rig's daemons (dockerd, containerd, the shims: dockerd.mjs's daemonPids). */
function daemonTicks() {
  let ticks = 0;
  for (const pid of rigs.daemonPids(rig.dir)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks;
}
function get(path) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: rig.socket, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
    req.end();
  });
}

try {
  await rigs.startDockerd(rig);
  await rigs.buildImage(rig);
  say(`starting ${CONTAINERS} containers`);
  for (let i = 0; i < CONTAINERS; i++) await rigs.docker(rig, ["run", "-d", "--network", "none", "--name", `share-${i}`, rigs.IMAGE, "sleep", "1000000"]);
  const ids = JSON.parse(await get("/v1.41/containers/json")).map((c) => c.Id);
  await sleep(5000);
  say(`idle rate: ${IDLE_S} s`);
  let t0 = Date.now();
  let c0 = daemonTicks();
  await sleep(IDLE_S * 1000);
  const idlePerS = (daemonTicks() - c0) / ((Date.now() - t0) / 1000);
  /** ms of the daemons' CPU per request of `paths`, less their idle rate. */
  const cost = async (paths) => {
    t0 = Date.now();
    c0 = daemonTicks();
    for (const p of paths) await get(p);
    const secs = (Date.now() - t0) / 1000;
    return ((daemonTicks() - c0 - idlePerS * secs) * TICK_MS) / paths.length;
  };
  const listMs = await cost(Array.from({ length: REQUESTS }, () => "/v1.41/containers/json?all=true"));
  const inspectMs = await cost(Array.from({ length: REQUESTS }, (_, i) => `/v1.41/containers/${ids[i % ids.length]}/json`));
  const share = (listMs / LIST_EVERY_S + (inspectMs * CONTAINERS) / INSPECT_EVERY_S) / 10; // ms per s → % of a core
  const out = [
    `# What lookout run asks of Docker: ${CONTAINERS} containers`,
    "",
    `Command: \`node bench/docker-share.mjs ${process.argv.slice(2).join(" ")}\``.trim(),
    "",
    "| | |",
    "|---|---|",
    `| the daemons' idle rate | ${((idlePerS * TICK_MS) / 10).toFixed(2)} % of one core |`,
    `| one list of all containers | ${listMs.toFixed(2)} ms of the daemons' CPU |`,
    `| one inspection | ${inspectMs.toFixed(2)} ms |`,
    `| a list every ${LIST_EVERY_S} s and each container inspected every ${INSPECT_EVERY_S / 60} min | **${share.toFixed(3)} % of one core** |`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
  down(0);
} catch (err) {
  say(err.message);
  down(1);
}
