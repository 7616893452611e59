/**
 * A real Prometheus (Debian's /usr/bin/prometheus, scripts/install-test-deps.sh)
 * scrapes two `lookout run` agents (the built CLI: `npm run build` first), each
 * with its own data directory, port, `hostname:` and a stand-in Docker
 * socket (test/browser/fake-docker.ts). It negotiates OpenMetrics; the test
 * then asks its HTTP API for node_load1 and container_memory_working_set_bytes
 * of each host, joined to `lookout_build_info`'s hostname. Everything on
 * 127.0.0.1, bounded to 30 s.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fakeDocker } from "../browser/fake-docker.js";
import type { FixtureServer } from "../collect/docker/fixture-server.js";
import { startCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF } from "../support/configs.js";
import { until } from "../support/wait.js";

const PROMETHEUS = "/usr/bin/prometheus";
const have = existsSync(PROMETHEUS);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface VectorResult {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(port: number, promql: string): Promise<VectorResult[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data?: { result: VectorResult[] } };
  return body.status === "success" ? (body.data?.result ?? []) : [];
}

describe.skipIf(!have)("a real Prometheus scraping two agents", () => {
  it("gets node_load1 and container_memory_working_set_bytes per Lookout hostname", async () => {
    const hosts = ["alpha", "beta"] as const;
    const agents: { hostname: string; port: number; docker: FixtureServer }[] = [];
    for (const hostname of hosts) {
      const fake = await fakeDocker([
        { name: `${hostname}-web-1`, kind: "running", image: "nginx:1.27", labels: { "com.docker.compose.project": hostname, 'odd"label\n': "x\\y" } },
        { name: `${hostname}-db-1`, kind: "running", image: "postgres:16" },
      ]);
      cleanups.push(() => fake.server.dispose());
      const port = await freePort();
      const ws = workspace([`hostname: ${hostname}`, HOST_RULES_OFF, "interval: 1s", "docker:", `  socket: ${fake.host}`, ""].join("\n"));
      const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { LOOKOUT_HTTP_LISTEN: `127.0.0.1:${port}` } });
      cleanups.push(() => agent.stop());
      agents.push({ hostname, port, docker: fake.server });
      await agent.firstCheck(15_000);
    }

    const promPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "lookout-prometheus-"));
    const config = join(dir, "prometheus.yml");
    writeFileSync(
      config,
      [
        "global:",
        "  scrape_interval: 1s",
        "  scrape_timeout: 1s",
        "scrape_configs:",
        "  - job_name: lookout",
        "    static_configs:",
        `      - targets: [${agents.map((a) => `"127.0.0.1:${a.port}"`).join(", ")}]`,
        "",
      ].join("\n"),
    );
    const check = spawnSync("/usr/bin/promtool", ["check", "config", config], { encoding: "utf8" });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    let log = "";
    const prom: ChildProcess = spawn(
      PROMETHEUS,
      [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${promPort}`, "--log.level=warn"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prom.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          if (prom.exitCode !== null) return resolve();
          prom.once("close", () => resolve());
          prom.kill("SIGTERM");
          setTimeout(() => prom.kill("SIGKILL"), 5000).unref();
        }),
    );

    // Both targets up (scraped without error), then their series.
    const joined = (metric: string) => `${metric} * on(instance) group_left(hostname) lookout_build_info`;
    await until(
      async () => {
        const up = await query(promPort, "up").catch(() => []);
        if (up.length !== 2 || !up.every((r) => r.value[1] === "1")) return false;
        const load = await query(promPort, joined("node_load1"));
        const ws = await query(promPort, joined("container_memory_working_set_bytes"));
        return new Set(load.map((r) => r.metric.hostname)).size === 2 && new Set(ws.map((r) => r.metric.hostname)).size === 2;
      },
      20_000,
      "Prometheus to scrape both agents",
      () => log,
    );

    const load = await query(promPort, joined("node_load1"));
    expect(load.map((r) => r.metric.hostname).sort()).toEqual(["alpha", "beta"]);
    for (const r of load) expect(Number(r.value[1])).toBeGreaterThanOrEqual(0);

    const ws = await query(promPort, joined("container_memory_working_set_bytes"));
    const byHost = new Map<string, string[]>();
    for (const r of ws) byHost.set(r.metric.hostname!, [...(byHost.get(r.metric.hostname!) ?? []), r.metric.name!]);
    expect([...byHost.keys()].sort()).toEqual(["alpha", "beta"]);
    expect(byHost.get("alpha")!.sort()).toEqual(["alpha-db-1", "alpha-web-1"]);
    for (const r of ws) expect(Number(r.value[1])).toBeGreaterThan(0);
    // cAdvisor's labels came through: the compose project label, and the hostile one under its sanitized name.
    const web = ws.find((r) => r.metric.name === "beta-web-1")!;
    expect(web.metric.container_label_com_docker_compose_project).toBe("beta");
    expect(web.metric.container_label_odd_label_).toBe("x\\y");
    expect(web.metric.id).toMatch(/^\/docker\/[0-9a-f]{64}$/);
    // Prometheus negotiated OpenMetrics (counters keep _total; the histogram came through).
    expect((await query(promPort, "lookout_cycle_duration_seconds_count")).length).toBe(2);
    expect((await query(promPort, "node_cpu_seconds_total")).length).toBeGreaterThan(0);
  }, 30_000);
});
