/**
 * While the event stream is up, `lookout run` does not list every container on
 * every cycle (LIST_EVERY_MS): the events keep the tracker current (a die marks
 * the container for inspection), and a list comes every LIST_EVERY_MS, on a
 * cycle run by an event, and as soon as the stream is lost or comes back. The
 * daemon is a stand-in on a unix socket that answers as dockerd 20.10 does;
 * cycle times are chosen (no waiting).
 */
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { ContainerInspect } from "../../../src/collect/docker/api-types.js";
import { DockerCollector, LIST_EVERY_MS, REINSPECT_MS, REINSPECT_STREAM_MS } from "../../../src/collect/docker/docker.js";
import { configSchema } from "../../../src/config/schema.js";
import type { Sample } from "../../../src/model/sample.js";
import { FixtureServer, fixtureJson, json } from "./fixture-server.js";

const servers: FixtureServer[] = [];
const collectors: DockerCollector[] = [];
afterEach(async () => {
  await Promise.all(collectors.splice(0).map((c) => c.stop()));
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
});

async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const T = 1_800_000_000_000;
const base = fixtureJson<ContainerInspect>("inspect-running-limited.json");
const id = base.Id;

/**
 * A stand-in daemon with one container (its inspection: `inspect()`), an event stream (refused once `events.answered`
 * is false) and a collector watching it, the stream connected; what it was asked, counted.
 */
async function daemon(inspect: () => ContainerInspect) {
  const events = { stream: null as ServerResponse | null, answered: true };
  const server = new FixtureServer((req) => {
    const state = inspect();
    if (req.path.endsWith("/version")) return json(fixtureJson("version.json"));
    if (req.path.endsWith("/info")) return json({ DockerRootDir: "/var/lib/docker" });
    if (req.path.endsWith("/containers/json")) return json([{ Id: id, Names: [state.Name], Labels: state.Config.Labels ?? {}, State: state.State.Status, Status: "Up" }]);
    if (req.path.endsWith(`/containers/${id}/json`)) return json(state);
    if (req.path.endsWith("/events") && events.answered) return { stream: (res) => (events.stream = res) };
    return undefined;
  });
  servers.push(server);
  const host = await server.listen();
  const config = configSchema.parse({ docker: { socket: host } });
  const collector = new DockerCollector({ config, statsSource: "api" });
  collectors.push(collector);
  const watched = { changes: 0 };
  collector.watch(() => watched.changes++);
  await until(() => events.stream !== null && watched.changes > 0, "the event stream");
  return {
    events,
    watched,
    lists: () => server.requests.filter((r) => r.path.endsWith("/containers/json")).length,
    inspects: () => server.requests.filter((r) => r.path.endsWith(`/containers/${id}/json`)).length,
    cycle: async (now: number, reason: "interval" | "event" = "interval"): Promise<Sample[]> => (await collector.collect({ config, now, reason })).samples,
  };
}

describe("listing containers while the event stream is up", () => {
  it("lists once per LIST_EVERY_MS, finds a death from its event alone, and lists again when the stream is lost", async () => {
    let state: ContainerInspect = { ...base, State: { ...base.State, Status: "running", Running: true } };
    const { events, watched, lists, inspects, cycle } = await daemon(() => state);

    let now = T;
    await cycle(now);
    expect(lists()).toBe(1);
    // A cycle every 2 s for just under LIST_EVERY_MS: no list, no inspect.
    const inspected = inspects();
    for (now = T + 2_000; now < T + LIST_EVERY_MS; now += 2_000) await cycle(now);
    expect(lists()).toBe(1);
    expect(inspects()).toBe(inspected);

    // It dies: the event alone tells the next cycle, which inspects it without listing.
    const finished = new Date(now - 500).toISOString();
    state = { ...state, State: { ...state.State, Status: "exited", Running: false, ExitCode: 3, FinishedAt: finished } };
    const seen = watched.changes;
    events.stream!.write(
      `${JSON.stringify({ Type: "container", Action: "die", Actor: { ID: id, Attributes: { exitCode: "3", name: state.Name.slice(1) } }, time: Math.floor((now - 500) / 1000), timeNano: (now - 500) * 1e6 })}\n`,
    );
    await until(() => watched.changes > seen, "the die event handled");
    now = T + LIST_EVERY_MS - 1_000;
    const samples = await cycle(now);
    expect(lists()).toBe(1);
    expect(inspects()).toBe(inspected + 1);
    expect(samples.find((s) => s.name === "container_crashed")?.value).toBe(1);

    // LIST_EVERY_MS after the last list: listed again to reconcile.
    now = T + LIST_EVERY_MS;
    await cycle(now);
    expect(lists()).toBe(2);
    // A cycle run by an event lists.
    now += 1_000;
    await cycle(now, "event");
    expect(lists()).toBe(3);

    // The stream is lost: every cycle lists until it is back.
    const down = watched.changes;
    events.stream!.destroy();
    events.stream = null;
    await until(() => watched.changes > down, "the stream's loss noticed");
    now += 2_000;
    await cycle(now);
    now += 2_000;
    await cycle(now);
    expect(lists()).toBe(5);
  });

  it("re-inspects an unchanged container every REINSPECT_STREAM_MS while the stream is up, every REINSPECT_MS without it", async () => {
    const state: ContainerInspect = { ...base, State: { ...base.State, Status: "running", Running: true } };
    const { events, watched, lists, inspects, cycle } = await daemon(() => state);

    let now = T;
    await cycle(now);
    expect(inspects()).toBe(1);
    // Listed every LIST_EVERY_MS for just under REINSPECT_STREAM_MS: nothing changed, nothing inspected.
    for (now = T + LIST_EVERY_MS; now < T + REINSPECT_STREAM_MS; now += LIST_EVERY_MS) await cycle(now);
    expect(lists()).toBeGreaterThan(REINSPECT_STREAM_MS / LIST_EVERY_MS - 2);
    expect(inspects()).toBe(1);
    now = T + REINSPECT_STREAM_MS;
    await cycle(now);
    expect(inspects()).toBe(2);

    // The stream lost (and refused from then on): every cycle lists, and an unchanged container is inspected again
    // after REINSPECT_MS.
    const down = watched.changes;
    events.answered = false;
    events.stream!.destroy();
    events.stream = null;
    await until(() => watched.changes > down, "the stream's loss noticed");
    const inspectedAt = now;
    for (now = inspectedAt + 2_000; now < inspectedAt + REINSPECT_MS; now += 2_000) await cycle(now);
    expect(inspects()).toBe(2);
    now = inspectedAt + REINSPECT_MS;
    await cycle(now);
    expect(inspects()).toBe(3);
  });

  it("`check` (no event stream) lists on every cycle", async () => {
    const server = new FixtureServer((req) => {
      if (req.path.endsWith("/version")) return json(fixtureJson("version.json"));
      if (req.path.endsWith("/containers/json")) return json([]);
      return undefined;
    });
    servers.push(server);
    const config = configSchema.parse({ docker: { socket: await server.listen() } });
    const collector = new DockerCollector({ config });
    collectors.push(collector);
    for (let i = 0; i < 3; i++) await collector.collect({ config, now: T + i * 2_000, reason: "interval" });
    expect(server.requests.filter((r) => r.path.endsWith("/containers/json"))).toHaveLength(3);
  });
});
