/**
 * The API's container list and logs come from the real Docker collector
 * (`DockerCollector.containers()` and `logsOf()`, through `agentSource`'s
 * ContainerSource): recorded Engine API answers served on a unix socket.
 */
import { afterEach, expect, it } from "vitest";
import type { ContainerInspect } from "../../src/collect/docker/api-types.js";
import { DockerCollector } from "../../src/collect/docker/docker.js";
import { configSchema } from "../../src/config/schema.js";
import { setLogSink } from "../../src/log.js";
import { FixtureServer, fixture, fixtureJson, json } from "../collect/docker/fixture-server.js";

const servers: FixtureServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.dispose();
  setLogSink(() => undefined);
});

it("lists the watched containers and reads a container's last lines by name, the tail asked of Docker", async () => {
  setLogSink(() => undefined);
  const web = fixtureJson<ContainerInspect>("inspect-running-limited.json");
  const server = new FixtureServer((req) => {
    if (req.path.endsWith("/version")) return json(fixtureJson("version.json"));
    if (req.path.endsWith("/info")) return json({ DockerRootDir: "/var/lib/docker" });
    if (req.path.endsWith("/containers/json")) return json([{ Id: web.Id, Names: [web.Name], Labels: web.Config.Labels ?? {}, State: "running", Status: "Up" }]);
    if (req.path.endsWith(`/containers/${web.Id}/json`)) return json(web);
    if (req.path.endsWith(`/containers/${web.Id}/logs`)) return { body: fixture("logs-multiplexed.bin"), contentType: "application/octet-stream" };
    if (req.path.includes("/stats")) return json(fixtureJson("stats-running.json"));
    return undefined;
  });
  servers.push(server);
  const host = await server.listen();
  const config = configSchema.parse({ docker: { socket: host } });
  const docker = new DockerCollector({ config, statsSource: "api" });
  try {
    await docker.collect({ config, now: Date.now(), reason: "interval" });
    expect(docker.containers().map((v) => [v.name, v.status])).toEqual([["web-1", "running"]]);
    const lines = await docker.logsOf("web-1", 2);
    expect(lines).toHaveLength(2);
    expect(lines!.every((l) => l.length > 0)).toBe(true);
    const asked = server.requests.find((r) => r.path.endsWith("/logs"))!;
    expect(asked.query.get("tail")).toBe("2");
    expect(await docker.logsOf("nope", 2)).toBeNull();
    expect(docker.oomKilledIds()).toEqual(new Set());
  } finally {
    await docker.stop();
  }
});
