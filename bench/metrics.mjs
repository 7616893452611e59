#!/usr/bin/env node
/**
 * What a `/metrics` scrape costs with `--containers` (50) containers: a real
 * Agent (temp data directory) with this machine's host collector and a
 * stand-in Docker collector holding 50 running containers with Compose's
 * labels (8 each, a 64-hex config hash among them) and figures, behind the
 * real HTTP server on 127.0.0.1. For `--cycles` (20) cycles: the first scrape
 * after the cycle (renders the host and container parts, then caches them),
 * then `--scrapes` (10) more (cached; Lookout's own part rendered each time),
 * in both formats. Times are the client's (request to last byte, keep-alive),
 * median and max; sizes are the body's bytes, and gzipped for comparison (the
 * server does not compress).
 *
 *   npm run build && node bench/metrics.mjs [--containers 50] [--cycles 20] [--scrapes 10]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent as HttpAgent, request } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

const root = resolve(fileURLToPath(import.meta.url), "../..");
const dist = (p) => import(join(root, "dist", p));
const { Agent } = await dist("agent.js");
const { HostCollector } = await dist("collect/host/host.js");
const { newView } = await dist("collect/docker/tracker.js");
const { loadConfig } = await dist("config/load.js");
const { HttpServer } = await dist("http/server.js");
const { httpSettings } = await dist("http/settings.js");
const { agentSource } = await dist("http/source.js");

const { values: args } = parseArgs({
  options: { containers: { type: "string", default: "50" }, cycles: { type: "string", default: "20" }, scrapes: { type: "string", default: "10" } },
});
const N = Number(args.containers);
const CYCLES = Number(args.cycles);
const SCRAPES = Number(args.scrapes);

const dir = mkdtempSync(join(tmpdir(), "lookout-bench-metrics-"));
const config = join(dir, "lookout.yaml");
writeFileSync(config, "hostname: bench-host\nhttp:\n  listen: 127.0.0.1:0\n", { mode: 0o600 });
const loaded = loadConfig({ configPath: config, dataDir: join(dir, "data"), env: {} });

const services = ["web", "api", "worker", "db", "cache"];
const views = Array.from({ length: N }, (_, i) => {
  const service = services[i % services.length];
  const project = `shop${Math.floor(i / services.length)}`;
  return newView(i.toString(16).padStart(64, "c"), {
    name: `${project}-${service}-1`,
    image: `registry.example.com/${project}/${service}:1.${i}`,
    labels: {
      "com.docker.compose.config-hash": (i * 7919).toString(16).padStart(64, "0"),
      "com.docker.compose.container-number": "1",
      "com.docker.compose.depends_on": "",
      "com.docker.compose.image": `sha256:${(i * 104729).toString(16).padStart(64, "0")}`,
      "com.docker.compose.oneoff": "False",
      "com.docker.compose.project": project,
      "com.docker.compose.project.config_files": `/srv/${project}/compose.yaml`,
      "com.docker.compose.project.working_dir": `/srv/${project}`,
      "com.docker.compose.service": service,
      "com.docker.compose.version": "2.29.7",
    },
    startedAt: Date.now() - 3600_000,
    memoryLimit: i % 2 ? 512 * 1024 * 1024 : 0,
    health: i % 3 ? "healthy" : null,
    restartCount: i % 4,
  });
});
let tick = 0;
const docker = {
  name: "docker",
  async collect() {
    tick++;
    return { samples: [] };
  },
  containers: () => views,
  oomKilledIds: () => new Set(),
  logsOf: async () => null,
  metricFigures: () =>
    views.map((view, i) => ({
      view,
      figures: {
        cpuNs: (tick + i) * 1.7e9,
        memoryUsage: 80e6 + i * 1e6,
        pids: 12,
        network: { rxBytes: tick * 1e5, txBytes: tick * 2e5 },
        blockIo: { readBytes: 4096 * tick, writeBytes: 8192 * tick },
      },
      workingSet: 60e6 + i * 1e6,
      oomEvents: 0,
      seenAt: Date.now(),
    })),
};
const host = new HostCollector({ hostRoot: "" });
const agent = new Agent(loaded, { command: "run", collectors: [host, docker], notifiers: [] });
const server = await HttpServer.start({ settings: httpSettings(loaded), source: agentSource(agent) });
const { port } = server.address;
const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 1 });

function scrape(accept) {
  return new Promise((resolvePromise, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({ host: "127.0.0.1", port, path: "/metrics", agent: keepAlive, headers: accept ? { Accept: accept } : {} }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolvePromise({ ms: Number(process.hrtime.bigint() - t0) / 1e6, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

const OM = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";
const stats = { text: { first: [], cached: [] }, openmetrics: { first: [], cached: [] } };
const sizes = {};
for (let c = 0; c < CYCLES; c++) {
  await agent.cycle(Date.now());
  for (const [format, accept] of [
    ["text", undefined],
    ["openmetrics", OM],
  ]) {
    const first = await scrape(accept);
    stats[format].first.push(first.ms);
    for (let s = 0; s < SCRAPES; s++) stats[format].cached.push((await scrape(accept)).ms);
    const text = first.body.toString("utf8");
    sizes[format] = {
      bytes: first.body.length,
      gzip: gzipSync(first.body).length,
      series: text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length,
      container_series: text.split("\n").filter((l) => /^(container|lookout_container)_/.test(l)).length,
    };
  }
}
await server.close();
await agent.close();
keepAlive.destroy();
rmSync(dir, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => x.toFixed(2);
console.log(`/metrics with ${N} containers, ${CYCLES} cycles, ${SCRAPES} cached scrapes after each (node ${process.version})`);
for (const f of ["text", "openmetrics"]) {
  const s = stats[f];
  console.log(
    `${f.padEnd(11)} first after a cycle: median ${fmt(median(s.first))} ms, max ${fmt(Math.max(...s.first))} ms; cached: median ${fmt(median(s.cached))} ms, max ${fmt(Math.max(...s.cached))} ms; ` +
      `${sizes[f].bytes} B (${sizes[f].gzip} B gzipped), ${sizes[f].series} samples (${sizes[f].container_series} of containers)`,
  );
}
