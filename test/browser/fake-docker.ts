/**
 * A Docker Engine stand-in (unix socket) for the dashboard's browser test:
 * a few containers in the states the table must order (one crashed, one
 * unhealthy, two running), stats that move (so charts have a line), log lines
 * with machine text that must show as text, and no event stream (404: the
 * agent lists and inspects every cycle instead). Built on the unit tests'
 * FixtureServer and recorded answers (test/fixtures/docker/).
 */
import { FixtureServer, fixtureJson, json } from "../collect/docker/fixture-server.js";

export interface BrowserContainer {
  name: string;
  kind: "running" | "unhealthy" | "crashed";
  image?: string;
  labels?: Record<string, string>;
}

type Inspect = { Id: string; Name: string; State: Record<string, unknown>; Config: { Image: string; Labels: Record<string, string> } } & Record<string, unknown>;

/** Log lines of every container: one with HTML and one with a terminal escape, which the page must show as they are. */
export const HOSTILE_LOG_LINE = `<img src=x id=injected onerror="document.title='PWNED'"> GET /admin 500`;
const LOG_LINES = ["server listening on :8080", HOSTILE_LOG_LINE, "\u001b[31mERROR\u001b[0m database is gone", "exiting with code 3"];

/** Docker's multiplexed log stream: an 8-byte header (stream 1 = stdout, length) per frame. */
function multiplexed(lines: readonly string[]): Buffer {
  return Buffer.concat(
    lines.map((l) => {
      const payload = Buffer.from(`${l}\n`);
      const head = Buffer.alloc(8);
      head[0] = 1;
      head.writeUInt32BE(payload.length, 4);
      return Buffer.concat([head, payload]);
    }),
  );
}

export async function fakeDocker(containers: readonly BrowserContainer[]): Promise<{ server: FixtureServer; host: string }> {
  const base: Record<BrowserContainer["kind"], Inspect> = {
    running: fixtureJson<Inspect>("inspect-running-limited.json"),
    unhealthy: fixtureJson<Inspect>("inspect-unhealthy.json"),
    crashed: fixtureJson<Inspect>("inspect-crashed-exit3.json"),
  };
  const stats = fixtureJson<Record<string, Record<string, unknown>>>("stats-running.json");
  const ids = containers.map((_, i) => (i + 1).toString(16).padStart(64, "a"));
  const started = Date.now();
  const server = new FixtureServer((req) => {
    const path = req.path.replace(/^\/v1\.\d+/, "");
    if (req.path === "/version") return json(fixtureJson("version.json"));
    if (path === "/_ping") return { body: "OK", contentType: "text/plain" };
    if (path === "/info") return json({});
    if (path === "/containers/json") {
      return json(
        containers
          .map((c, i) => ({
            Id: ids[i],
            Names: [`/${c.name}`],
            Image: c.image ?? "nginx:1.27",
            Labels: c.labels ?? {},
            State: c.kind === "crashed" ? "exited" : "running",
            Status: c.kind === "crashed" ? "Exited (3) 1 minute ago" : c.kind === "unhealthy" ? "Up 5 minutes (unhealthy)" : "Up 5 minutes",
          }))
          .filter((_, i) => req.query.get("all") === "true" || containers[i]!.kind !== "crashed"),
      );
    }
    const m = /^\/containers\/([0-9a-f]{64})\/(json|stats|logs)$/.exec(path);
    if (!m) return undefined; // events: 404
    const i = ids.indexOf(m[1]!);
    if (i < 0) return undefined;
    const c = containers[i]!;
    if (m[2] === "json") {
      const b = base[c.kind];
      return json({ ...b, Id: ids[i], Name: `/${c.name}`, Config: { ...b.Config, Image: c.image ?? "nginx:1.27", Labels: c.labels ?? {} } });
    }
    if (m[2] === "logs") return { body: multiplexed(LOG_LINES), contentType: "application/vnd.docker.multiplexed-stream" };
    if (c.kind === "crashed") return json({ message: "container is not running" }, 409);
    // CPU time grows with the clock (about 20 % of one core, varying), memory wobbles: the charts get a line.
    const elapsed = Date.now() - started;
    const cpu = stats.cpu_stats!;
    const usage = cpu.cpu_usage as Record<string, unknown>;
    const total = Math.round(elapsed * 1e6 * (0.2 + 0.1 * Math.sin(elapsed / 4000)) * (i + 1));
    return json({
      ...stats,
      read: new Date().toISOString(),
      cpu_stats: { ...cpu, cpu_usage: { ...usage, total_usage: total }, system_cpu_usage: (cpu.system_cpu_usage as number) + elapsed * 2e6 },
      memory_stats: { ...stats.memory_stats, usage: 20_000_000 + (i + 1) * 5_000_000 + Math.round(3_000_000 * Math.sin(elapsed / 3000)) },
    });
  });
  const host = await server.listen();
  return { server, host };
}
