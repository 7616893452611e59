/**
 * EventWatcher against the recorded event stream of a real dockerd 20.10
 * (test/fixtures/docker/events.ndjson), served in awkward chunks over a unix
 * socket: parsing across chunk boundaries, reconnects with `since`, dropping
 * what the daemon replays, backoff, status transitions, clean stop.
 */
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { DockerEvent } from "../../../src/collect/docker/api-types.js";
import { DockerEngine } from "../../../src/collect/docker/engine.js";
import { type EventStreamStatus, EventWatcher, formatNano } from "../../../src/collect/docker/events.js";
import { type Answer, FixtureServer, fixture, json, type SeenRequest } from "./fixture-server.js";

const LINES = fixture("events.ndjson").toString("utf8").split("\n").filter(Boolean);
const ACTIONS = LINES.map((l) => (JSON.parse(l) as DockerEvent).Action);
const NANOS = LINES.map((l) => /"timeNano":(\d+)/.exec(l)![1]!);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Writes `text` in pieces of `size` bytes, a few ms apart. */
async function writeInPieces(res: ServerResponse, text: string | Buffer, size: number): Promise<void> {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, "utf8");
  for (let i = 0; i < buf.length; i += size) {
    if (res.destroyed) return;
    res.write(buf.subarray(i, i + size));
    if (i % (size * 16) === 0) await new Promise((r) => setTimeout(r, 1));
  }
}

interface Rig {
  server: FixtureServer;
  engine: DockerEngine;
  watcher: EventWatcher;
  events: DockerEvent[];
  statuses: EventStreamStatus[];
  eventRequests: () => SeenRequest[];
}

async function setup(
  onEvents: (req: SeenRequest, attempt: number) => Answer | Promise<Answer>,
  opts: { minBackoffMs?: number; maxBackoffMs?: number; listen?: boolean; onEvent?: (ev: DockerEvent) => void } = {},
): Promise<Rig> {
  let attempt = 0;
  const server = new FixtureServer((req) => {
    if (req.path === "/version") return json(fixture("version.json"));
    if (req.path === "/v1.41/events") return onEvents(req, attempt++);
    return undefined;
  });
  const host = opts.listen === false ? `unix://${server.socketPath}` : await server.listen();
  const engine = new DockerEngine({ host, timeoutMs: 1_000 });
  const events: DockerEvent[] = [];
  const statuses: EventStreamStatus[] = [];
  const watcher = new EventWatcher({
    engine,
    onEvent: (ev) => {
      events.push(ev);
      opts.onEvent?.(ev);
    },
    onStatus: (s) => statuses.push(s),
    minBackoffMs: opts.minBackoffMs ?? 20,
    maxBackoffMs: opts.maxBackoffMs ?? 200,
  });
  cleanups.push(async () => {
    await watcher.stop();
    await engine.close();
    await server.dispose();
  });
  return { server, engine, watcher, events, statuses, eventRequests: () => server.requests.filter((r) => r.path === "/v1.41/events") };
}

async function until(cond: () => boolean, ms = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("EventWatcher", () => {
  it("asks for container events and delivers every recorded event, in order, across any chunking", async () => {
    for (const size of [1, 7, 64, 4096]) {
      const rig = await setup(() => ({ stream: (res) => void writeInPieces(res, LINES.join("\n") + "\n", size) }));
      rig.watcher.start();
      await until(() => rig.events.length === LINES.length, 10_000, `all events (chunks of ${size})`);
      expect(rig.events.map((e) => e.Action)).toEqual(ACTIONS);
      const req = rig.eventRequests()[0]!;
      expect(JSON.parse(req.query.get("filters")!)).toEqual({ type: ["container"] });
      expect(req.query.get("since")).toBeNull();
      const die = rig.events.find((e) => e.Action === "die")!;
      expect(die.Actor.Attributes).toMatchObject({ exitCode: "3", name: "shop-api-1", image: "lookout-test:latest" });
      expect(rig.events.some((e) => e.Action === "oom")).toBe(true);
      expect(rig.events.some((e) => e.Action === "health_status: unhealthy")).toBe(true);
      expect(rig.watcher.lastEventTime).toBe(formatNano(BigInt(NANOS.at(-1)!)));
      await cleanups.pop()!();
    }
  });

  it("decodes a UTF-8 character split across chunks", async () => {
    const line = LINES[0]!.replace('"name":"shop-api-1"', '"name":"café-1"');
    const bytes = Buffer.from(line + "\n", "utf8");
    const at = bytes.indexOf(Buffer.from("é")) + 1; // inside the two-byte é
    const rig = await setup(() => ({
      stream: (res) => {
        res.write(bytes.subarray(0, at));
        setTimeout(() => res.write(bytes.subarray(at)), 10);
      },
    }));
    rig.watcher.start();
    await until(() => rig.events.length === 1);
    expect(rig.events[0]!.Actor.Attributes.name).toBe("café-1");
  });

  it("skips a line that is not JSON and goes on", async () => {
    const rig = await setup(() => ({ stream: (res) => res.write(`${LINES[0]}\nnot json\n${LINES[1]}\n`) }));
    rig.watcher.start();
    await until(() => rig.events.length === 2);
    expect(rig.events.map((e) => e.Action)).toEqual([ACTIONS[0], ACTIONS[1]]);
  });

  it("reconnects with since=<last event> when the stream ends, and drops what the daemon replays", async () => {
    const rig = await setup((_req, attempt) => {
      if (attempt === 0) return { stream: (res) => res.end(LINES.slice(0, 5).join("\n") + "\n") };
      // The daemon replays events at or after `since`: the 5th again, then the rest.
      return { stream: (res) => res.write(LINES.slice(4).join("\n") + "\n") };
    });
    rig.watcher.start();
    await until(() => rig.events.length >= LINES.length, 5_000, "all events");
    await new Promise((r) => setTimeout(r, 50));
    expect(rig.events.map((e) => e.Action)).toEqual(ACTIONS);
    const [first, second] = rig.eventRequests();
    expect(first!.query.get("since")).toBeNull();
    expect(second!.query.get("since")).toBe(formatNano(BigInt(NANOS[4]!)));
    expect(second!.query.get("since")).toMatch(/^\d{10}\.\d{9}$/);
    expect(JSON.parse(second!.query.get("filters")!)).toEqual({ type: ["container"] });
  });

  it("reports down then up, once each, with the reason", async () => {
    const rig = await setup((_req, attempt) => {
      if (attempt < 3) return json({ message: "daemon busy" }, 500);
      return { stream: (res) => res.write(`${LINES[0]}\n`) };
    });
    rig.watcher.start();
    await until(() => rig.events.length === 1);
    expect(rig.statuses.map((s) => s.connected)).toEqual([false, true]);
    expect(rig.statuses[0]!.error?.kind).toBe("api");
    expect(rig.statuses[0]!.error?.userMessage).toContain('"daemon busy"');
    expect(rig.watcher.status?.connected).toBe(true);
    expect(rig.statuses[1]!.since).toBeGreaterThanOrEqual(rig.statuses[0]!.since);
  });

  it("backs off doubling up to the maximum, and starts again from the minimum after a connection", async () => {
    const rig = await setup(
      (_req, attempt) => {
        if (attempt < 5) return json({ message: "no" }, 500);
        if (attempt === 5) return { stream: (res) => res.end(`${LINES[0]}\n`) }; // connects, then the stream ends
        return json({ message: "no" }, 500);
      },
      { minBackoffMs: 40, maxBackoffMs: 150 },
    );
    rig.watcher.start();
    await until(() => rig.eventRequests().length >= 8, 5_000, "8 attempts");
    await rig.watcher.stop();
    const t = rig.eventRequests().map((r) => r.at);
    const gaps = t.slice(1).map((x, i) => x - t[i]!);
    // 40, 80, 150 (capped), 150, then the connection, then 40, 80 again.
    const expected = [40, 80, 150, 150, 150, 40, 80];
    for (const [i, want] of expected.entries()) {
      expect(gaps[i], `gap ${i}: ${gaps.join(",")}`).toBeGreaterThanOrEqual(want - 5);
      expect(gaps[i], `gap ${i}: ${gaps.join(",")}`).toBeLessThan(want + 120);
    }
  });

  it("when the socket is missing: down with the fix, then up as soon as Docker listens", async () => {
    const rig = await setup(() => ({ stream: (res) => res.write(`${LINES[0]}\n`) }), { listen: false });
    rig.watcher.start();
    await until(() => rig.statuses.length === 1);
    expect(rig.statuses[0]).toMatchObject({ connected: false });
    expect(rig.statuses[0]!.error?.kind).toBe("unreachable");
    expect(rig.statuses[0]!.error?.userMessage).toContain(`no Docker socket at ${rig.server.socketPath}`);
    await new Promise((r) => setTimeout(r, 100));
    expect(rig.statuses).toHaveLength(1); // retries do not repeat the status
    await rig.server.listen();
    await until(() => rig.events.length === 1);
    expect(rig.statuses.map((s) => s.connected)).toEqual([false, true]);
  });

  it("keeps going when the event handler throws", async () => {
    let n = 0;
    const rig = await setup(() => ({ stream: (res) => res.write(LINES.slice(0, 3).join("\n") + "\n") }), {
      onEvent: () => {
        if (n++ === 0) throw new Error("handler bug");
      },
    });
    rig.watcher.start();
    await until(() => rig.events.length === 3);
  });

  it("stop() closes the stream and leaves no connection or pending retry behind", async () => {
    let streamClosed = false;
    const rig = await setup(() => ({
      stream: (res) => {
        res.on("close", () => (streamClosed = true));
        res.write(`${LINES[0]}\n`);
      },
    }));
    rig.watcher.start();
    await until(() => rig.events.length === 1);
    await rig.watcher.stop();
    await until(() => streamClosed, 1_000, "the stream to close");
    const count = rig.eventRequests().length;
    await new Promise((r) => setTimeout(r, 100));
    expect(rig.eventRequests()).toHaveLength(count);
    expect(rig.statuses.map((s) => s.connected)).toEqual([true]); // stopping is not "down"
    await rig.engine.close();
    await until(() => rig.server.openConnections === 0, 1_000, "every connection to close");
  });

  it("stop() during a backoff wait returns at once", async () => {
    const rig = await setup(() => json({ message: "no" }, 500), { minBackoffMs: 10_000, maxBackoffMs: 10_000 });
    rig.watcher.start();
    await until(() => rig.statuses.length === 1);
    const t0 = Date.now();
    await rig.watcher.stop();
    expect(Date.now() - t0).toBeLessThan(200);
    expect(rig.eventRequests()).toHaveLength(1);
  });

  it("formats since as the daemon takes it", () => {
    expect(formatNano(1795625010910086306n)).toBe("1795625010.910086306");
    expect(formatNano(1795625010000000001n)).toBe("1795625010.000000001");
  });
});
