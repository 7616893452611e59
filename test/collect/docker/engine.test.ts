/**
 * The Engine API client against recorded answers of a real dockerd 20.10
 * (test/fixtures/docker/, captured by test/integration/capture-fixtures.suite.ts),
 * served over a unix socket. test/integration/engine.suite.ts runs it against
 * a real daemon.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ContainerInspect, ContainerStats, ContainerSummary, EngineVersion } from "../../../src/collect/docker/api-types.js";
import { compareApiVersions, DockerEngine, DockerError, negotiateApiVersion, toDockerError } from "../../../src/collect/docker/engine.js";
import { LookoutError } from "../../../src/errors.js";
import { until } from "../../support/wait.js";
import { FixtureServer, fixture, fixtureJson, type Handler, json } from "./fixture-server.js";

const servers: FixtureServer[] = [];
const engines: DockerEngine[] = [];

afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
  for (const s of servers.splice(0)) await s.dispose();
});

/** The recorded daemon: every fixture at its path. */
const recorded: Handler = (req) => {
  const p = req.path;
  if (p === "/version") return json(fixture("version.json"));
  if (p === "/_ping") return { body: "OK", contentType: "text/plain" };
  const m = /^\/v1\.41\/containers\/([^/]+)\/(json|stats|logs)$/.exec(p);
  if (p === "/v1.41/containers/json") return json(fixture("containers.json"));
  if (!m) return undefined;
  const [, id, what] = m;
  const files: Record<string, Record<string, string>> = {
    json: { "shop-api-1": "inspect-crashed-exit3.json", "oom-1": "inspect-oom-killed.json", "unhealthy-1": "inspect-unhealthy.json", "web-1": "inspect-running-limited.json" },
    stats: { "web-1": "stats-running.json", "shop-api-1": "stats-stopped.json" },
    logs: { "logs-1": "logs-multiplexed.bin", "logs-tty-1": "logs-tty.bin" },
  };
  const file = files[what!]?.[id!];
  if (!file) return json({ message: `No such container: ${id}` }, 404);
  return what === "logs" ? { body: fixture(file), contentType: "application/octet-stream" } : json(fixture(file));
};

async function serve(handler: Handler = recorded, on: "unix" | "tcp" = "unix", timeoutMs?: number): Promise<{ server: FixtureServer; engine: DockerEngine }> {
  const server = new FixtureServer(handler);
  servers.push(server);
  const host = await server.listen(on);
  const engine = new DockerEngine({ host, ...(timeoutMs ? { timeoutMs } : {}) });
  engines.push(engine);
  return { server, engine };
}

async function failure(p: Promise<unknown>): Promise<DockerError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DockerError);
    expect(err).toBeInstanceOf(LookoutError);
    const e = err as DockerError;
    expect(e.userMessage).not.toMatch(/\n\s+at /); // no stack
    return e;
  }
  throw new Error("expected a DockerError");
}

describe("DockerEngine.resolveHost", () => {
  it("takes docker.socket, else DOCKER_HOST, else /var/run/docker.sock", () => {
    expect(DockerEngine.resolveHost("/run/user/1000/docker.sock", { DOCKER_HOST: "tcp://10.0.0.1:2375" })).toBe("unix:///run/user/1000/docker.sock");
    expect(DockerEngine.resolveHost(undefined, { DOCKER_HOST: "tcp://10.0.0.1:2375" })).toBe("tcp://10.0.0.1:2375");
    expect(DockerEngine.resolveHost(undefined, { DOCKER_HOST: "unix:///srv/docker.sock" })).toBe("unix:///srv/docker.sock");
    expect(DockerEngine.resolveHost(undefined, {})).toBe("unix:///var/run/docker.sock");
    expect(DockerEngine.resolveHost("", { DOCKER_HOST: "" })).toBe("unix:///var/run/docker.sock");
    expect(DockerEngine.resolveHost("unix:///a/b.sock", {})).toBe("unix:///a/b.sock");
  });

  it("refuses an address it cannot use, saying what works", () => {
    for (const bad of ["ssh://me@host", "npipe:////./pipe/docker_engine", "docker.sock", "tcp://"]) {
      let err: unknown;
      try {
        DockerEngine.resolveHost(undefined, { DOCKER_HOST: bad });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(DockerError);
      expect((err as DockerError).userMessage).toContain("DOCKER_HOST");
      expect((err as DockerError).userMessage).toContain("tcp://host:port");
    }
  });
});

describe("API version negotiation", () => {
  it("uses min(daemon, 1.41), never below the daemon's minimum", () => {
    expect(negotiateApiVersion("1.41", "1.12")).toBe("1.41");
    expect(negotiateApiVersion("1.47", "1.24")).toBe("1.41");
    expect(negotiateApiVersion("1.40", "1.12")).toBe("1.40");
    expect(negotiateApiVersion("1.52", "1.44")).toBe("1.44");
    expect(negotiateApiVersion("1.9")).toBe("1.9");
    expect(compareApiVersions("1.9", "1.41")).toBe(-1);
    expect(compareApiVersions("1.41", "1.41")).toBe(0);
  });

  it("reads the recorded /version and prefixes later paths with /v1.41", async () => {
    const { server, engine } = await serve();
    expect(await engine.version()).toEqual({ version: "20.10.24+dfsg1", apiVersion: "1.41" });
    expect(engine.apiVersion).toBe("1.41");
    await engine.listContainers();
    expect(server.requests.map((r) => r.path)).toEqual(["/version", "/v1.41/containers/json"]);
  });

  it("negotiates on first use when version() was not called, once for concurrent calls", async () => {
    const { server, engine } = await serve();
    await Promise.all([engine.listContainers(), engine.inspect("web-1"), engine.stats("web-1")]);
    expect(server.requests.filter((r) => r.path === "/version")).toHaveLength(1);
  });

  it("speaks a newer daemon's minimum when that is above 1.41", async () => {
    const v = fixtureJson<EngineVersion>("version.json");
    const { server, engine } = await serve((req) => (req.path === "/version" ? json({ ...v, Version: "29.0.0", ApiVersion: "1.52", MinAPIVersion: "1.44" }) : json([])));
    expect((await engine.version()).apiVersion).toBe("1.44");
    await engine.listContainers();
    expect(server.requests[1]?.path).toBe("/v1.44/containers/json");
  });

  it("fails clearly when /version is not a Docker answer", async () => {
    const { engine } = await serve(() => json({ hello: "world" }));
    const e = await failure(engine.version());
    expect(e.kind).toBe("api");
    expect(e.userMessage).toContain("is it a Docker Engine?");
    // A version that is not one (it would go into every later path) is not taken either; a bad minimum is ignored.
    for (const ApiVersion of ["1.40/../../x", "1.40\r\nX: y", "latest", ""]) {
      const { engine: other } = await serve(() => json({ ApiVersion, Version: "x" }));
      expect((await failure(other.version())).userMessage, ApiVersion).toContain("is it a Docker Engine?");
    }
    const { engine: lenient } = await serve(() => json({ ApiVersion: "1.40", MinAPIVersion: "1.12 beta", Version: "x" }));
    expect((await lenient.version()).apiVersion).toBe("1.40");
  });
});

describe("reading containers from recorded answers", () => {
  it("lists all containers, stopped ones too (all=true)", async () => {
    const { server, engine } = await serve();
    const list: ContainerSummary[] = await engine.listContainers();
    expect(server.requests[1]?.query.get("all")).toBe("true");
    expect(list.map((c) => c.Names[0]).sort()).toEqual(["/logs-1", "/logs-tty-1", "/oom-1", "/shop-api-1", "/unhealthy-1", "/web-1"]);
    const crashed = list.find((c) => c.Names[0] === "/shop-api-1")!;
    expect(crashed.State).toBe("exited");
    expect(crashed.Status).toMatch(/^Exited \(3\)/);
    expect(crashed.Labels?.["com.docker.compose.project"]).toBe("shop");
    expect(typeof crashed.Created).toBe("number");
  });

  it("inspects a crashed, an OOM-killed, an unhealthy and a limited running container", async () => {
    const { engine } = await serve();
    const crashed = (await engine.inspect("shop-api-1")) as ContainerInspect;
    expect(crashed.State).toMatchObject({ Status: "exited", Running: false, ExitCode: 3, OOMKilled: false, Error: "" });
    expect(crashed.HostConfig.RestartPolicy.Name).toBe("no");
    expect(crashed.Config.Labels?.["com.docker.compose.service"]).toBe("api");
    expect(crashed.Name).toBe("/shop-api-1");
    expect(crashed.RestartCount).toBe(0);

    const oom = (await engine.inspect("oom-1"))!;
    expect(oom.State).toMatchObject({ ExitCode: 137, OOMKilled: true });
    expect(oom.HostConfig.Memory).toBe(16 * 1024 * 1024);

    const unhealthy = (await engine.inspect("unhealthy-1"))!;
    expect(unhealthy.State.Health?.Status).toBe("unhealthy");
    expect(unhealthy.State.Health?.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(unhealthy.State.Health?.Log?.at(-1)).toMatchObject({ ExitCode: 1, Output: "checking /tmp/healthy\nnot ready: /tmp/healthy missing\n" });
    expect(unhealthy.Config.Healthcheck?.Test?.[0]).toBe("CMD-SHELL");

    const web = (await engine.inspect("web-1"))!;
    expect(web.HostConfig).toMatchObject({ NanoCpus: 500_000_000, Memory: 64 * 1024 * 1024, AutoRemove: false, CpusetCpus: "" });
    expect(web.Config.Labels).toMatchObject({ "lookout.expect": "running" });
  });

  it("answers null for a container that does not exist (404)", async () => {
    const { engine } = await serve();
    expect(await engine.inspect("no-such-container")).toBeNull();
  });

  it("reads one-shot stats; null for a stopped container (dockerd's zeroed 200) and a missing one", async () => {
    const { server, engine } = await serve();
    const s = (await engine.stats("web-1")) as ContainerStats;
    expect(server.requests.at(-1)?.query.get("stream")).toBe("false");
    expect(server.requests.at(-1)?.query.get("one-shot")).toBe("true");
    expect(s.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(0);
    expect(s.cpu_stats.system_cpu_usage).toBeGreaterThan(0);
    expect(s.cpu_stats.online_cpus).toBeGreaterThan(0);
    expect(s.memory_stats.limit).toBe(64 * 1024 * 1024);
    expect(s.memory_stats.usage).toBeGreaterThan(0);
    expect(s.memory_stats.stats?.total_inactive_file).toBeTypeOf("number");
    expect(await engine.stats("shop-api-1")).toBeNull();
    expect(await engine.stats("gone")).toBeNull();
  });

  it("answers null for 409 (container not running)", async () => {
    const { engine } = await serve((req) => (req.path === "/version" ? json(fixture("version.json")) : json({ message: "Container abc is not running" }, 409)));
    expect(await engine.stats("abc")).toBeNull();
  });

  it("reads the last lines of a multiplexed log, stderr included, and of a TTY log", async () => {
    const { server, engine } = await serve();
    const lines = await engine.logs("logs-1", { tail: 20 });
    expect(server.requests.at(-1)?.query.get("tail")).toBe("20");
    expect(server.requests.at(-1)?.query.get("stdout")).toBe("1");
    expect(server.requests.at(-1)?.query.get("stderr")).toBe("1");
    // The fixture holds all 30 lines (the server ignores tail): the client keeps the last 20.
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe("line 11 out");
    expect(lines).toContain("line 12 err é");
    expect(lines[19]).toBe("line 30 err é");
    const tty = await engine.logs("logs-tty-1", { tail: 3, tty: true });
    expect(tty).toEqual(["line 28 out", "line 29 out", "line 30 err é"]);
    expect(await engine.logs("gone", { tail: 5 })).toEqual([]);
    expect(await engine.logs("logs-1", { tail: 0 })).toEqual([]);
  });
});

describe("statsMany", () => {
  const stats = fixture("stats-running.json");

  it("runs at most `concurrency` requests at once and leaves out containers without stats", async () => {
    const { server, engine } = await serve((req) => {
      if (req.path === "/version") return json(fixture("version.json"));
      if (req.path.includes("/gone/")) return json({ message: "No such container: gone" }, 404);
      return { ...json(stats), delayMs: 40 };
    });
    const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const got = await engine.statsMany([...ids, "gone"], 3);
    expect([...got.keys()].sort()).toEqual(ids.sort());
    expect(server.maxInFlight).toBe(3);
  });

  it("defaults to 16 at once", async () => {
    const { server, engine } = await serve((req) => (req.path === "/version" ? json(fixture("version.json")) : { ...json(stats), delayMs: 60 }));
    await engine.statsMany(Array.from({ length: 40 }, (_, i) => `c${i}`));
    expect(server.maxInFlight).toBe(16);
  });

  it("skips a container whose request failed on its own; throws when all failed", async () => {
    const { engine } = await serve((req) => {
      if (req.path === "/version") return json(fixture("version.json"));
      if (req.path.includes("/bad")) return json({ message: "cgroup read failed" }, 500);
      return json(stats);
    });
    expect([...(await engine.statsMany(["a", "bad1", "b"])).keys()].sort()).toEqual(["a", "b"]);
    const e = await failure(engine.statsMany(["bad1", "bad2"]));
    expect(e.kind).toBe("api");
    expect(e.userMessage).toContain('"cgroup read failed"');
  });

  it("returns an empty map for no ids without asking the daemon", async () => {
    const { server, engine } = await serve();
    expect((await engine.statsMany([])).size).toBe(0);
    expect(server.requests).toHaveLength(0);
  });
});

describe("errors say what to do", () => {
  it("maps a missing socket, a refused connection, a permission error and timeouts", () => {
    const at = { socketPath: "/var/run/docker.sock" };
    const enoent = toDockerError(Object.assign(new Error("connect ENOENT /var/run/docker.sock"), { code: "ENOENT" }), at);
    expect(enoent.kind).toBe("unreachable");
    expect(enoent.userMessage).toBe(
      "no Docker socket at /var/run/docker.sock: is Docker running? If it listens elsewhere, set docker.socket in the config, or DOCKER_HOST, to where Docker listens",
    );
    const eacces = toDockerError(Object.assign(new Error("connect EACCES /var/run/docker.sock"), { code: "EACCES" }), at);
    expect(eacces.kind).toBe("permission");
    expect(eacces.userMessage).toContain("permission denied on the Docker socket /var/run/docker.sock");
    expect(eacces.userMessage).toContain("docker group");
    expect(eacces.userMessage).toContain("root");
    expect(eacces.userMessage).toContain("socket proxy");
    const refused = toDockerError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), at);
    expect(refused.kind).toBe("unreachable");
    expect(refused.userMessage).toMatch(/^Docker is not running/);
    const refusedTcp = toDockerError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), { tcp: "tcp://10.0.0.1:2375" });
    expect(refusedTcp.userMessage).toContain("Docker is not running at tcp://10.0.0.1:2375");
    // ETIMEDOUT: the kernel's, and the engine's own when a stream's headers do not come in time.
    expect(toDockerError(Object.assign(new Error("x"), { code: "ETIMEDOUT" }), at).kind).toBe("timeout");
    expect(toDockerError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), at).userMessage).toContain("restarting");
    // A code found on the cause, as fetch wraps it.
    expect(toDockerError(new Error("fetch failed", { cause: Object.assign(new Error("x"), { code: "EACCES" }) }), at).kind).toBe("permission");
  });

  it("a socket path that does not exist → unreachable, with the path and the fix", async () => {
    const engine = new DockerEngine({ host: "unix:///nonexistent/lookout/docker.sock" });
    engines.push(engine);
    const e = await failure(engine.version());
    expect(e.kind).toBe("unreachable");
    expect(e.userMessage).toContain("no Docker socket at /nonexistent/lookout/docker.sock");
    expect(e.userMessage).toContain("DOCKER_HOST");
  });

  it("a file that is not listening → Docker is not running", async () => {
    const engine = new DockerEngine({ host: `unix://${import.meta.filename}` });
    engines.push(engine);
    const e = await failure(engine.ping());
    expect(e.kind).toBe("unreachable");
    expect(e.userMessage).toMatch(/^Docker is not running/);
  });

  it("something else listening on the socket (not HTTP) → says so, where, and what to do", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-not-http-"));
    const path = join(dir, "docker.sock");
    // resume(): read what the client sends, so that its close is seen and server.close() can finish.
    const server = createServer((s) => s.resume().end("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    await new Promise<void>((ok) => server.listen(path, ok));
    try {
      const engine = new DockerEngine({ host: `unix://${path}` });
      engines.push(engine);
      const e = await failure(engine.version());
      expect(e.kind).toBe("unreachable");
      expect(e.userMessage).toBe(
        `cannot talk to Docker at ${path} (the answer is not HTTP (EPROTO)): is Docker running? If it listens elsewhere, set docker.socket in the config, or DOCKER_HOST, to where Docker listens`,
      );
    } finally {
      await new Promise((ok) => server.close(ok));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("quotes the daemon's message on an HTTP error", async () => {
    const { engine } = await serve((req) =>
      req.path === "/version" ? json(fixture("version.json")) : json({ message: "client version 1.41 is too new. Maximum supported API version is 1.40" }, 400),
    );
    const e = await failure(engine.listContainers());
    expect(e.kind).toBe("api");
    expect(e.status).toBe(400);
    expect(e.userMessage).toContain('HTTP 400: "client version 1.41 is too new. Maximum supported API version is 1.40"');
    expect(e.userMessage).toContain("GET /v1.41/containers/json");
  });

  it("negotiates again when the daemon says the API version is too old (upgraded under us)", async () => {
    const v = fixtureJson<EngineVersion>("version.json");
    let upgraded = false;
    const { server, engine } = await serve((req) => {
      if (req.path === "/version") return json(upgraded ? { ...v, ApiVersion: "1.52", MinAPIVersion: "1.44" } : v);
      if (upgraded && req.path.startsWith("/v1.41/")) {
        return json({ message: "client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version" }, 400);
      }
      return json([]);
    });
    await engine.listContainers();
    upgraded = true;
    const e = await failure(engine.listContainers());
    expect(e.userMessage).toContain("is too old");
    expect(await engine.listContainers()).toEqual([]);
    expect(server.requests.map((r) => r.path)).toEqual(["/version", "/v1.41/containers/json", "/v1.41/containers/json", "/version", "/v1.44/containers/json"]);
  });

  it("says a socket proxy may refuse, on 403", async () => {
    const { engine } = await serve(() => ({ status: 403, body: "<html>Forbidden</html>", contentType: "text/html" }));
    const e = await failure(engine.version());
    expect(e.kind).toBe("api");
    expect(e.userMessage).toContain("socket proxy");
  });

  it("gives up after timeoutMs on a daemon that does not answer", async () => {
    const { engine } = await serve(() => ({ hang: true }), "unix", 300);
    const t0 = Date.now();
    const e = await failure(engine.version());
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(e.kind).toBe("timeout");
    expect(e.userMessage).toContain("did not answer GET /version within 0.3 s");
  });

  it("refuses to work after close()", async () => {
    const { engine } = await serve();
    await engine.close();
    const e = await failure(engine.version());
    expect(e.kind).toBe("unreachable");
  });

  it("close() ends a request in flight at once, as closed rather than as a timeout", async () => {
    const { server, engine } = await serve((req) => (req.path === "/version" ? json(fixture("version.json")) : { hang: true }), "unix", 30_000);
    const listing = failure(engine.listContainers());
    await until(() => server.requests.some((r) => r.path === "/v1.41/containers/json"), 2_000, "the list to be asked for", undefined, 10);
    const t0 = Date.now();
    await engine.close();
    const e = await listing;
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(e.kind).toBe("unreachable");
    expect(e.userMessage).toBe("the Docker client is closed");
    await until(() => server.openConnections === 0, 2_000, "the server to see every connection closed", undefined, 10);
  });
});

describe("transport", () => {
  it("talks to tcp://host:port", async () => {
    const { engine } = await serve(recorded, "tcp");
    expect((await engine.version()).apiVersion).toBe("1.41");
    await engine.ping();
    expect(await engine.listContainers()).toHaveLength(6);
  });

  it("sends only GET requests, whatever it is asked", async () => {
    const { server, engine } = await serve();
    await engine.version();
    await engine.ping();
    await engine.listContainers();
    await engine.inspect("web-1");
    await engine.stats("web-1");
    await engine.statsMany(["web-1", "shop-api-1"]);
    await engine.logs("logs-1", { tail: 5 });
    expect(server.requests.length).toBeGreaterThanOrEqual(8);
    expect(new Set(server.requests.map((r) => r.method))).toEqual(new Set(["GET"]));
  });

  it("gives up after timeoutMs on an answer whose body stops coming", async () => {
    const { engine } = await serve(
      () => ({
        stream: (res) => {
          res.write('{"ApiVersion": "1.41", ');
        },
      }),
      "unix",
      300,
    );
    const t0 = Date.now();
    const e = await failure(engine.version());
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(e.kind).toBe("timeout");
    expect(e.userMessage).toContain("did not answer GET /version within 0.3 s");
  });

  it("gives up on the events stream when its headers do not come within timeoutMs", async () => {
    const { engine } = await serve((req) => (req.path === "/version" ? json(fixture("version.json")) : { hang: true }), "unix", 300);
    const t0 = Date.now();
    const e = await failure(engine.openEvents({}, new AbortController().signal));
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(e.kind).toBe("timeout");
    expect(e.userMessage).toContain("did not answer GET /v1.41/events in time");
  });

  it("asks again, once, when the connection is cut during an answer (the daemon restarted)", async () => {
    let cut = 0;
    const { server, engine } = await serve((req) => {
      if (req.path === "/version") return json(fixture("version.json"));
      if (cut++ === 0) return { stream: (res) => res.socket?.destroy() };
      return json([]);
    });
    expect(await engine.listContainers()).toEqual([]);
    expect(server.requests.map((r) => r.path)).toEqual(["/version", "/v1.41/containers/json", "/v1.41/containers/json"]);
  });

  it("keeps no connection to the unix socket between answers read whole", async () => {
    const { server, engine } = await serve();
    await engine.statsMany(["web-1", "shop-api-1", "x", "y"]);
    await engine.listContainers();
    expect(server.requests.length).toBe(6);
    await until(() => server.openConnections === 0, 2_000, "the server to see every connection closed", undefined, 10);
  });

  it("leaves no connection open after close(): the events stream and, over TCP, the kept-alive ones", async () => {
    for (const on of ["unix", "tcp"] as const) {
      const { server, engine } = await serve((req) => (req.path.endsWith("/events") ? { stream: () => undefined } : recorded(req)), on);
      await engine.statsMany(["web-1", "shop-api-1", "x", "y"]);
      await engine.openEvents({}, new AbortController().signal);
      expect(server.openConnections).toBeGreaterThan(on === "tcp" ? 1 : 0);
      await engine.close();
      await until(() => server.openConnections === 0, 2_000, "the server to see every connection closed", undefined, 10);
    }
  });
});
