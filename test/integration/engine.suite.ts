/**
 * The Engine API client and the event watcher against a real dockerd (the rig
 * started by global-setup.ts: private socket, `--network none` containers of
 * the busybox test image). No mocked API here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DockerEvent } from "../../src/collect/docker/api-types.js";
import { DockerEngine, DockerError } from "../../src/collect/docker/engine.js";
import { type EventStreamStatus, EventWatcher } from "../../src/collect/docker/events.js";
import { currentRig, docker, type RigInfo, removeAllContainers, restartDockerd, runContainer, setRig, uniqueName, waitContainer, withoutSocket } from "./docker-rig.js";

/**
 * Every HTTP request the engine and the watcher made in this file, as the daemon's socket saw them: they go through
 * a pass-through that reads their request lines (`SocketProxy`), whichever client sent them (socket-get.ts for
 * answers read whole, node:http for the events stream). The rig's own requests, which make containers, go to the
 * daemon's socket directly.
 */
const requests: { method: string; path: string }[] = [];
const record = (method: string, path: string): void => {
  requests.push({ method, path });
};

let rig: RigInfo;
let engine: DockerEngine;
let recorder: SocketProxy;

beforeAll(async () => {
  rig = await currentRig();
  setRig(rig);
  recorder = new SocketProxy(rig.socket, record);
  engine = new DockerEngine({ host: await recorder.start() });
});

afterAll(async () => {
  await engine?.close();
  await recorder?.close();
  await removeAllContainers().catch(() => undefined);
  setRig(null);
});

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A watcher on `eng` that records what it gets, stopped after the test. */
function watch(eng: DockerEngine, opts: { minBackoffMs?: number; maxBackoffMs?: number } = {}) {
  const events: { ev: DockerEvent; at: number }[] = [];
  const statuses: EventStreamStatus[] = [];
  const watcher = new EventWatcher({
    engine: eng,
    onEvent: (ev) => events.push({ ev, at: Date.now() }),
    onStatus: (s) => statuses.push(s),
    ...opts,
  });
  watcher.start();
  const dieOf = (id: string) => events.filter((e) => e.ev.Action === "die" && e.ev.Actor.ID === id);
  return { watcher, events, statuses, dieOf };
}

describe("DockerEngine against a real dockerd", () => {
  it("negotiates the API version from /version (dockerd 20.10 → 1.41)", async () => {
    const v = await engine.version();
    expect(v.apiVersion).toBe("1.41");
    expect(v.version).toBe(await docker(["version", "--format", "{{.Server.Version}}"]));
    expect(engine.apiVersion).toBe("1.41");
    await engine.ping();
    await engine.listContainers();
    expect(requests.at(-1)?.path).toBe("/v1.41/containers/json?all=true");
  });

  it("info: where Docker keeps its data (DockerRootDir), for the disk-full cause of crashes", async () => {
    expect((await engine.info()).DockerRootDir).toBe(rig.dataRoot);
  });

  it("lists all containers (all=true): a stopped one too", async () => {
    const stopped = uniqueName("stopped");
    const running = uniqueName("running");
    const stoppedId = await runContainer(stopped, { cmd: "exit 0" });
    const runningId = await runContainer(running);
    expect(await waitContainer(stopped)).toBe(0);
    const list = await engine.listContainers();
    expect(list.find((c) => c.Id === stoppedId)).toMatchObject({ Names: [`/${stopped}`], State: "exited", Image: "lookout-test:latest" });
    expect(list.find((c) => c.Id === runningId)).toMatchObject({ Names: [`/${running}`], State: "running" });
  });

  it("inspect: null for a container that does not exist; exit code, limits and labels of one that does", async () => {
    expect(await engine.inspect("lookout-no-such-container")).toBeNull();
    const name = uniqueName("crash");
    const id = await runContainer(name, { cmd: "exit 3", memory: "32m", cpus: 0.5, labels: { "com.docker.compose.project": "shop" } });
    await waitContainer(name);
    const c = await engine.inspect(id);
    expect(c?.Name).toBe(`/${name}`);
    expect(c?.State).toMatchObject({ Status: "exited", Running: false, ExitCode: 3, OOMKilled: false });
    expect(c?.HostConfig).toMatchObject({ Memory: 32 * 1024 * 1024, NanoCpus: 500_000_000 });
    expect(c?.Config.Labels?.["com.docker.compose.project"]).toBe("shop");
    expect(await engine.inspect(name)).toMatchObject({ Id: id }); // by name too
  });

  it("logs: the last 20 of 30 lines, in order, stderr lines too", async () => {
    const name = uniqueName("logs");
    // usleep: stdout and stderr are separate pipes; a pause keeps the daemon's order certain.
    const id = await runContainer(name, {
      cmd: 'for i in $(seq 1 30); do if [ $((i % 3)) = 0 ]; then echo "line $i on stderr" >&2; else echo "line $i on stdout"; fi; usleep 10000; done; exit 3',
    });
    expect(await waitContainer(name)).toBe(3);
    const lines = await engine.logs(id, { tail: 20 });
    // Docker stamps each line as it reads its pipe: on a busy machine a line of one stream can overtake a line of the
    // other by more than the pause, so the tail is checked stream by stream, each in its own order.
    expect(lines).toHaveLength(20);
    const numbers = (stream: string) => lines.filter((l) => l.endsWith(`on ${stream}`)).map((l) => Number(/line (\d+)/.exec(l)?.[1]));
    for (const stream of ["stdout", "stderr"]) {
      const n = numbers(stream);
      expect(n.length).toBeGreaterThan(3);
      expect(n).toEqual([...n].sort((a, b) => a - b));
      for (const i of n) expect(i % 3 === 0).toBe(stream === "stderr");
    }
    expect(lines).toContain("line 30 on stderr");
    expect(lines).toContain("line 29 on stdout");
    expect(Math.min(...numbers("stdout"), ...numbers("stderr"))).toBeGreaterThanOrEqual(8);
  });

  it("logs of a container with a TTY come raw, without \\r", async () => {
    const name = uniqueName("tty");
    const id = await runContainer(name, { tty: true, cmd: "echo one; echo two >&2; echo three" });
    await waitContainer(name);
    const tty = (await engine.inspect(id))?.Config.Tty;
    expect(tty).toBe(true);
    expect(await engine.logs(id, { tail: 2, tty })).toEqual(["two", "three"]);
  });

  it("statsMany: one sample for each of 5 running containers; none for stopped or missing ones", async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => runContainer(uniqueName(`stats${i}`), { memory: "64m" })));
    const stoppedName = uniqueName("stats-stopped");
    const stoppedId = await runContainer(stoppedName, { cmd: "exit 0" });
    await waitContainer(stoppedName);
    const asked = requests.length;
    const stats = await engine.statsMany([...ids, stoppedId, "lookout-no-such-container"]);
    expect([...stats.keys()].sort()).toEqual([...ids].sort());
    for (const s of stats.values()) {
      expect(s.read.startsWith("0001")).toBe(false);
      expect(s.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(0);
      expect(s.cpu_stats.system_cpu_usage).toBeGreaterThan(0);
      expect(s.memory_stats.usage).toBeGreaterThan(0);
      expect(s.memory_stats.limit).toBe(64 * 1024 * 1024);
      // One-shot: no second sample waited for (a streamed sample takes about 1 s), so no previous one in the answer.
      expect(s.precpu_stats?.cpu_usage.total_usage ?? 0).toBe(0);
      expect(s.precpu_stats?.system_cpu_usage ?? 0).toBe(0);
    }
    // Asked as one-shot, not as a stream: what makes the sweep take one round, whatever else the machine does.
    const statsPaths = requests.slice(asked).filter((r) => r.path.includes("/stats?"));
    expect(statsPaths).toHaveLength(7);
    for (const r of statsPaths) expect(r.path).toMatch(/\?stream=false&one-shot=true$/);
    expect(await engine.stats(stoppedId)).toBeNull();
    expect(await engine.stats("lookout-no-such-container")).toBeNull();
  });
});

describe("EventWatcher against a real dockerd", () => {
  it("delivers a die with its exitCode within 1 s of `docker run … exit 3`", async () => {
    const w = watch(engine);
    try {
      await until(() => w.watcher.status?.connected === true, 5_000, "the event stream");
      const name = uniqueName("die3");
      const t0 = Date.now();
      const id = await runContainer(name, { cmd: "exit 3" });
      await until(() => w.dieOf(id).length > 0, 5_000, "the die event");
      const [die] = w.dieOf(id);
      expect(die!.ev.Actor.Attributes).toMatchObject({ exitCode: "3", name, image: "lookout-test:latest" });
      expect(die!.ev.Type).toBe("container");
      // From the daemon's event to our callback: Lookout's part, the one bound that holds on a busy machine. From
      // `docker run` to it counts the docker CLI, containerd and the container's start too (3.2 s at a load average
      // of 8): only a sanity bound that the event is this run's.
      expect(die!.at - die!.ev.timeNano / 1e6).toBeLessThan(1_000);
      expect(die!.at - t0).toBeLessThan(15_000);
      expect(w.events.filter((e) => e.ev.Actor.ID === id).map((e) => e.ev.Action)).toEqual(["create", "start", "die"]);
    } finally {
      await w.watcher.stop();
    }
  });

  it("replays, with since, a die that happened while the stream was cut (socket hiccup)", async () => {
    const proxy = new SocketProxy(rig.socket, record);
    const host = await proxy.start();
    const eng = new DockerEngine({ host });
    const w = watch(eng, { minBackoffMs: 100, maxBackoffMs: 400 });
    try {
      await until(() => w.watcher.status?.connected === true, 5_000, "the event stream");
      const before = uniqueName("before-gap");
      const beforeId = await runContainer(before, { cmd: "exit 6" });
      await until(() => w.dieOf(beforeId).length > 0, 5_000, "the first die");
      await proxy.cut();
      await until(() => w.watcher.status?.connected === false, 5_000, "the stream to go down");
      expect(w.watcher.status?.error?.kind).toBe("unreachable");
      const during = uniqueName("during-gap");
      const duringId = await runContainer(during, { cmd: "exit 7" });
      await waitContainer(during);
      await proxy.resume();
      await until(() => w.dieOf(duringId).length > 0, 10_000, "the die that happened during the gap");
      expect(w.dieOf(duringId)[0]!.ev.Actor.Attributes.exitCode).toBe("7");
      const reconnect = requests.filter((r) => r.path.startsWith("/v1.41/events?")).at(-1)!;
      expect(new URL(reconnect.path, "http://x").searchParams.get("since")).toMatch(/^\d{10}\.\d{9}$/);
      await new Promise((r) => setTimeout(r, 300));
      // Each once: what the daemon replays that was already delivered is dropped.
      expect(w.dieOf(duringId)).toHaveLength(1);
      expect(w.dieOf(beforeId)).toHaveLength(1);
      expect(w.statuses.map((s) => s.connected)).toEqual([true, false, true]);
    } finally {
      await w.watcher.stop();
      await eng.close();
      await proxy.close();
    }
  });

  it("reconnects after dockerd restarts, and still delivers a later die", { timeout: 60_000 }, async () => {
    const w = watch(engine);
    try {
      await until(() => w.watcher.status?.connected === true, 5_000, "the event stream");
      const t0 = Date.now();
      await restartDockerd(rig);
      const restartTook = Date.now() - t0;
      await until(() => w.statuses.filter((s) => s.connected).length === 2, 30_000, "the stream to come back");
      expect(w.statuses.map((s) => s.connected)).toEqual([true, false, true]);
      expect(w.statuses[1]!.error?.kind).toBe("unreachable");
      const name = uniqueName("after-restart");
      const id = await runContainer(name, { cmd: "exit 4" });
      await until(() => w.dieOf(id).length > 0, 5_000, "the die after the restart");
      expect(w.dieOf(id)[0]!.ev.Actor.Attributes.exitCode).toBe("4");
      // The same client works on: its kept-alive connections died with the daemon.
      expect((await engine.listContainers()).some((c) => c.Id === id)).toBe(true);
      expect(restartTook).toBeLessThan(20_000);
    } finally {
      await w.watcher.stop();
    }
  });
});

describe("errors against a real setup", () => {
  it("a socket path that does not exist → unreachable, with the path and the fix", async () => {
    await withoutSocket(async () => {
      const eng = new DockerEngine({ host: rig.host });
      try {
        let err: unknown;
        try {
          await eng.version();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(DockerError);
        const e = err as DockerError;
        expect(e.kind).toBe("unreachable");
        expect(e.userMessage).toBe(
          `no Docker socket at ${rig.socket}: is Docker running? If it listens elsewhere, set docker.socket in the config, or DOCKER_HOST, to where Docker listens`,
        );
      } finally {
        await eng.close();
      }
    });
    // And back: the daemon never went away.
    await new DockerEngine({ host: rig.host }).ping();
  });
});

describe("read-only", () => {
  it("made only GET requests in all of the above", () => {
    expect(requests.length).toBeGreaterThan(20);
    expect(requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(requests.some((r) => r.path.startsWith("/v1.41/events?"))).toBe(true);
  });
});

/**
 * A unix-socket pass-through to the daemon that can be cut (its socket file
 * disappears and every connection drops) and brought back: a socket hiccup.
 * It hands `onRequest` the method and path of each request line the clients
 * send (GET requests have no body: all they send is request heads).
 */
class SocketProxy {
  readonly #dir = mkdtempSync(join(tmpdir(), "lookout-proxy-"));
  readonly path = join(this.#dir, "docker.sock");
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly target: string,
    readonly onRequest: (method: string, path: string) => void = () => undefined,
  ) {}

  async start(): Promise<string> {
    await this.resume();
    return `unix://${this.path}`;
  }

  async resume(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      let pending = "";
      client.on("data", (b: Buffer) => {
        const lines = (pending + b.toString("latin1")).split("\r\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(line);
          if (m) this.onRequest(m[1]!, m[2]!);
        }
      });
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((ok) => server.listen(this.path, ok));
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((ok) => server.close(() => ok()));
  }

  async close(): Promise<void> {
    await this.cut();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
