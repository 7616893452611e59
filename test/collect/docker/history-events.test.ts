/**
 * The container events the Docker collector hands the history with its
 * samples (`CollectResult.events`): a crash with its exit code, a stop on
 * purpose, a restart, a health change, an OOM kill, a redeploy to another
 * image, and, for `lookout check` from cron (no event stream), an exit found
 * by inspection. Against a stand-in engine (no socket), at chosen times.
 */
import { describe, expect, it } from "vitest";
import type { ContainerInspect, ContainerSummary } from "../../../src/collect/docker/api-types.js";
import { DockerCollector } from "../../../src/collect/docker/docker.js";
import type { DockerEngine } from "../../../src/collect/docker/engine.js";
import { configSchema } from "../../../src/config/schema.js";
import type { ContainerEvent } from "../../../src/model/history.js";
import { cycleEvents } from "../../../src/pipeline/record.js";

const T = 1_800_000_000_000;
const iso = (ms: number | null) => (ms === null ? "0001-01-01T00:00:00Z" : new Date(ms).toISOString());

interface Box {
  id: string;
  name: string;
  image: string;
  status: string;
  exitCode: number;
  startedAt: number;
  finishedAt: number | null;
  restartPolicy?: string;
}

/** An engine that answers from `boxes` as they are when asked. */
function engine(boxes: Map<string, Box>): DockerEngine {
  const inspect = (b: Box): ContainerInspect =>
    ({
      Id: b.id,
      Name: `/${b.name}`,
      Config: { Image: b.image, Labels: {}, Tty: false },
      State: { Status: b.status, ExitCode: b.exitCode, OOMKilled: false, Error: "", StartedAt: iso(b.startedAt), FinishedAt: iso(b.finishedAt), Pid: 0 },
      RestartCount: 0,
      HostConfig: { RestartPolicy: { Name: b.restartPolicy ?? "no" }, Memory: 0 },
      Mounts: [],
    }) as unknown as ContainerInspect;
  return {
    version: async () => ({ version: "27.0", apiVersion: "1.41" }),
    info: async () => ({ DockerRootDir: "/var/lib/docker" }),
    listContainers: async () => [...boxes.values()].map((b) => ({ Id: b.id, Names: [`/${b.name}`], State: b.status, Status: b.status, Labels: {} }) as unknown as ContainerSummary),
    inspect: async (id: string) => {
      const b = boxes.get(id);
      return b ? inspect(b) : null;
    },
    logs: async () => ["boom"],
    statsMany: async () => new Map(),
    close: async () => undefined,
  } as unknown as DockerEngine;
}

const config = configSchema.parse({ docker: { socket: "unix:///nonexistent.sock" } });

function collector(boxes: Map<string, Box>) {
  const c = new DockerCollector({ config, engine: engine(boxes), statsSource: "api" });
  /** An event from Docker's stream, as the watcher hands it over. */
  const event = (id: string, action: string, time: number, attributes: Record<string, string> = {}) =>
    (c as unknown as { handleEvent(id: string, action: string, time: number, attributes: Record<string, string>, onChange: () => void): Promise<void> }).handleEvent(
      id,
      action,
      time,
      attributes,
      () => undefined,
    );
  const collect = async (now: number): Promise<ContainerEvent[]> => (await c.collect({ config, now, reason: "event" })).events ?? [];
  return { c, event, collect };
}

describe("container events for the history", () => {
  it("a crash (die with its exit code), a restart, a stop on purpose and a health change, each once", async () => {
    const web: Box = { id: "a1", name: "web-1", image: "shop/web:1", status: "running", exitCode: 0, startedAt: T - 60_000, finishedAt: null, restartPolicy: "always" };
    const boxes = new Map([[web.id, web]]);
    const { event, collect } = collector(boxes);
    expect(await collect(T)).toEqual([]);

    Object.assign(web, { status: "exited", exitCode: 3, finishedAt: T + 1000 });
    await event("a1", "die", T + 1000, { exitCode: "3" });
    Object.assign(web, { status: "running", exitCode: 3, startedAt: T + 2000 });
    await event("a1", "start", T + 2000);
    await event("a1", "health_status: unhealthy", T + 3000);
    await event("a1", "health_status: unhealthy", T + 3500); // no change: not an event
    const labels = { container: "web-1", image: "shop/web:1" };
    expect(await collect(T + 5000)).toEqual([
      { kind: "die", at: T + 1000, labels, exitCode: 3, cause: "crash" },
      { kind: "restart", at: T + 2000, labels },
      { kind: "health", at: T + 3000, labels, health: "unhealthy" },
    ]);
    // Taken once.
    expect(await collect(T + 6000)).toEqual([]);

    await event("a1", "kill", T + 7000, { signal: "15" });
    Object.assign(web, { status: "exited", exitCode: 143, finishedAt: T + 7500 });
    await event("a1", "die", T + 7500, { exitCode: "143" });
    await event("a1", "oom", T + 8000);
    expect((await collect(T + 9000)).map((e) => [e.kind, e.exitCode])).toEqual([
      ["stop", 143],
      ["oom", null],
    ]);
  });

  it("as the events journal keeps them: container.die with its exit code, about the container", async () => {
    const web: Box = { id: "a1", name: "web-1", image: "shop/web:1", status: "running", exitCode: 0, startedAt: T - 60_000, finishedAt: null };
    const { event, collect } = collector(new Map([[web.id, web]]));
    await collect(T);
    await event("a1", "die", T + 1000, { exitCode: "137" });
    const journal = cycleEvents({ stepEvents: [], events: [], held: [] }, await collect(T + 2000), T + 2000);
    expect(journal).toEqual([
      { at: T + 1000, kind: "container.die", subject: "web-1", labels: { container: "web-1", image: "shop/web:1" }, data: { exitCode: 137, cause: "crash" } },
    ]);
  });

  it("a container name back with another image is a redeploy, also across `check` runs", async () => {
    const old: Box = { id: "a1", name: "web-1", image: "shop/web:1", status: "running", exitCode: 0, startedAt: T - 60_000, finishedAt: null };
    const boxes = new Map([[old.id, old]]);
    const first = collector(boxes);
    await first.collect(T);
    // compose up with a new image: the old container goes, a new one takes its name.
    boxes.clear();
    boxes.set("b2", { ...old, id: "b2", image: "shop/web:2", startedAt: T + 30_000 });
    const second = collector(boxes);
    second.c.restore(JSON.parse(JSON.stringify(first.c.snapshot())));
    expect(await second.collect(T + 60_000)).toEqual([{ kind: "redeploy", at: T + 60_000, labels: { container: "web-1", image: "shop/web:2" }, previousImage: "shop/web:1" }]);
    expect(await second.collect(T + 70_000)).toEqual([]);
  });

  it("`check` from cron (no event stream): an exit found by inspection is a die, reconciled", async () => {
    const job: Box = { id: "a1", name: "worker-1", image: "shop/worker:1", status: "running", exitCode: 0, startedAt: T - 60_000, finishedAt: null };
    const boxes = new Map([[job.id, job]]);
    const first = collector(boxes);
    await first.collect(T);
    Object.assign(job, { status: "exited", exitCode: 2, finishedAt: T + 20_000 });
    const second = collector(boxes);
    second.c.restore(JSON.parse(JSON.stringify(first.c.snapshot())));
    expect(await second.collect(T + 60_000)).toEqual([
      { kind: "die", at: T + 20_000, labels: { container: "worker-1", image: "shop/worker:1" }, exitCode: 2, cause: "crash", reconciled: true },
    ]);
  });
});
