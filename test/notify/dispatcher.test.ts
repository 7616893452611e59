/**
 * Delivery through the real Slack receiver to a real local stand-in for Slack.
 * The dispatcher's waits (pacing, group_wait, Retry-After, backoff) run on a
 * test clock whose sleeps pass at once; the stand-in records each request at
 * that clock's time, so the waits the protocol demands are asserted exactly,
 * without waiting for them.
 */

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { setLogSink } from "../../src/log.js";
import type { Notification } from "../../src/model/notification.js";
import { backoffMs, Dispatcher, foldFiredAndResolved } from "../../src/notify/dispatcher.js";
import { Outbox } from "../../src/notify/outbox.js";
import { meetsSeverity } from "../../src/notify/routing.js";
import { SlackNotifier } from "../../src/notify/slack/slack.js";
import { AgentStore, readState } from "../../src/store/agent-store.js";
import { openDatabase } from "../../src/store/database.js";
import { instantClock } from "../support/clock.js";
import { FakeSlack, validateSlackPayload } from "../support/fake-slack.js";
import { sampleNotification } from "../support/sample-notification.js";

let clock = instantClock();
/** Now, on the test clock. */
const now = () => clock.now();
const fake = new FakeSlack({ now });
const logs: string[] = [];
beforeAll(async () => {
  await fake.start();
  setLogSink((l) => logs.push(l));
});
afterAll(() => fake.close());
beforeEach(() => {
  clock = instantClock();
  fake.reset();
  logs.length = 0;
});

/** A dispatcher on a real database in a new data directory, as the agent sets it up. */
function setup(opts: { minSeverity?: "warning" | "critical"; paceMs?: number; groupWaitMs?: number; dir?: string } = {}) {
  const dir = opts.dir ?? join(mkdtempSync(join(tmpdir(), "lookout-dispatch-")), "data");
  const db = openDatabase(dir);
  const store = new AgentStore(db);
  const state = store.load();
  const outbox = new Outbox(state, () => store);
  const slack = new SlackNotifier({ name: "team", url: fake.url, minSeverity: opts.minSeverity ?? "warning" });
  const dispatcher = new Dispatcher({ notifiers: [slack], outbox, paceMs: opts.paceMs ?? 1000, groupWaitMs: opts.groupWaitMs ?? 0, clock });
  /** What a cycle does: queue and store in one go. */
  const enqueue = (ns: Notification[]) => store.commitCycle(state, dispatcher.enqueue(ns));
  /** The outbox as a restarted agent would find it. */
  const onDisk = () => readState(db);
  return { dir, db, outbox, dispatcher, enqueue, onDisk };
}

const note = (id: string, severity: "warning" | "critical" = "warning") =>
  sampleNotification({ id, alert: { severity, maxSeverity: severity, labels: { alertname: "host_cpu", severity } } });

describe("Dispatcher", () => {
  it("sends what is due together as one message, in order, and empties the outbox", async () => {
    const { outbox, dispatcher, enqueue, onDisk } = setup();
    enqueue([note("a"), note("b"), note("c")]);
    expect(dispatcher.pendingCount()).toBe(3);
    expect(onDisk().outbox.map((e) => e.notification.id)).toEqual(["a", "b", "c"]);
    await dispatcher.drain(now() + 10_000);
    expect(fake.requests.map((r) => r.headers["x-lookout-notification-id"])).toEqual(["a,b,c"]);
    expect(validateSlackPayload(fake.requests[0]!.body)).toBeNull();
    expect(outbox.entries).toEqual([]);
    expect(onDisk().outbox).toEqual([]);
  });

  it("sends the first at once, and waits group_wait (at least the pacing) before the next message", async () => {
    const { dispatcher, enqueue } = setup({ paceMs: 1000, groupWaitMs: 2000 });
    enqueue([note("a")]);
    await dispatcher.drain(now() + 10_000);
    enqueue([note("b")]);
    enqueue([note("c")]);
    await dispatcher.drain(now() + 10_000);
    expect(fake.requests.map((r) => r.headers["x-lookout-notification-id"])).toEqual(["a", "b,c"]);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(2000);
  });

  it("paced at one message a second, provokes no 429 from a Slack that enforces its rate limit (unpaced, it would)", async () => {
    const slow = setup({ paceMs: 1000 });
    fake.enforceRate(1000);
    for (const id of ["a", "b", "c"]) {
      slow.enqueue([note(id)]);
      await slow.dispatcher.drain(now() + 10_000);
    }
    expect(fake.requests.map((r) => [r.headers["x-lookout-notification-id"], r.status])).toEqual([
      ["a", 200],
      ["b", 200],
      ["c", 200],
    ]);
    fake.reset();
    fake.enforceRate(1000);
    const fast = setup({ paceMs: 0 });
    fast.enqueue([note("x")]);
    await fast.dispatcher.drain(now() + 10_000);
    fast.enqueue([note("y")]);
    await fast.dispatcher.drain(now() + 100);
    expect(fake.requests.map((r) => r.status)).toEqual([200, 429]);
  });

  it("waits exactly Retry-After on 429 before the next request", async () => {
    const { outbox, dispatcher, enqueue } = setup({ paceMs: 0 });
    fake.respondWith([{ status: 429, body: "rate_limited", headers: { "retry-after": "3" } }]);
    enqueue([note("a")]);
    await dispatcher.drain(now() + 10_000);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(3000);
    expect(outbox.entries).toEqual([]);
  });

  it("retries 5xx with backoff, keeping later notifications behind the first", async () => {
    const { outbox, dispatcher, enqueue } = setup({ paceMs: 0 });
    fake.respondWith([
      { status: 500, body: "internal_error" },
      { status: 503, body: "service_unavailable" },
    ]);
    enqueue([note("a")]);
    const draining = dispatcher.drain(now() + 15_000);
    enqueue([note("b")]); // arrives while "a" is being retried: queued behind it
    await draining;
    await dispatcher.drain(now() + 15_000);
    expect(fake.requests.map((r) => r.headers["x-lookout-notification-id"])).toEqual(["a", "a,b", "a,b"]); // b joins a on its retries, behind it
    expect(outbox.entries).toEqual([]);
    expect(logs.some((l) => l.includes("will retry"))).toBe(true);
  });

  it("leaves what is not due by the deadline in the outbox with its error", async () => {
    const { outbox, dispatcher, enqueue, onDisk } = setup({ paceMs: 0 });
    fake.respondWith([{ status: 429, body: "rate_limited", headers: { "retry-after": "30" } }]);
    enqueue([note("a")]);
    await dispatcher.drain(now() + 1000);
    expect(fake.requests).toHaveLength(1);
    expect(outbox.entries).toHaveLength(1);
    // In memory and on disk alike, for the next start.
    for (const entries of [outbox.entries, onDisk().outbox]) {
      expect(entries[0]!.pending[0]).toMatchObject({ receiver: "team", attempts: 1 });
      expect(entries[0]!.pending[0]!.nextAttemptAt).toBeGreaterThan(now() + 25_000);
      expect(entries[0]!.pending[0]!.lastError).toMatch(/rate/i);
    }
  });

  it("resumes after a restart from what is on disk, in order, and sends nothing twice", async () => {
    const first = setup({ paceMs: 0 });
    fake.respondWith([{ status: 500, body: "internal_error" }]);
    first.enqueue([note("a"), note("b")]);
    await first.dispatcher.drain(now() + 100); // one failed attempt; the retry is not due by the deadline
    first.enqueue([note("c")]);
    first.db.close(); // the agent stops (or is killed) here
    const second = setup({ paceMs: 0, dir: first.dir });
    expect(second.outbox.entries.map((e) => e.notification.id)).toEqual(["a", "b", "c"]);
    await second.dispatcher.drain(now() + 10_000);
    expect(fake.requests.map((r) => r.headers["x-lookout-notification-id"])).toEqual(["a,b", "a,b,c"]);
    expect(second.onDisk().outbox).toEqual([]);
    second.enqueue([note("d")]);
    await second.dispatcher.drain(now() + 10_000);
    expect(fake.requests.map((r) => r.headers["x-lookout-notification-id"])).toEqual(["a,b", "a,b,c", "d"]);
  });

  it("does not retry a 404 no_service: records it as failed with what to do, URL masked", async () => {
    const { outbox, dispatcher, enqueue, onDisk } = setup({ paceMs: 0 });
    fake.respondWith([{ status: 404, body: "no_service" }]);
    enqueue([note("a")]);
    await dispatcher.drain(now() + 5000);
    expect(onDisk().failed).toMatchObject([{ notificationId: "a", receiver: "team", reportedAt: null }]);
    enqueue([note("b")]);
    await dispatcher.drain(now() + 5000);
    expect(fake.requests).toHaveLength(2); // a failed for good, b went through
    expect(outbox.failed).toHaveLength(1);
    expect(outbox.failed[0]!.error).toMatch(/webhook/i);
    expect(outbox.failed[0]!.title).toMatch(/WARNING: CPU/);
    expect(JSON.stringify(outbox.failed) + logs.join("\n")).not.toContain(fake.url);
    expect(outbox.entries).toEqual([]);
    // The next message that went through said so, once.
    expect(JSON.stringify(fake.requests[1]!.body)).toMatch(/1 notification could not be delivered: 1 to team \(.*webhook/i);
    expect(onDisk().failed[0]!.reportedAt).toBeGreaterThan(0);
    enqueue([note("c")]);
    await dispatcher.drain(now() + 5000);
    expect(JSON.stringify(fake.requests[2]!.body)).not.toMatch(/could not be delivered/);
  });

  it("gives up after give_up_after, reports it in the next message, and keeps it for status", async () => {
    const { dir } = setup();
    const db = openDatabase(dir);
    const store = new AgentStore(db);
    const state = store.load();
    const outbox = new Outbox(state, () => store);
    const slack = new SlackNotifier({ name: "team", url: fake.url, minSeverity: "warning" });
    const dispatcher = new Dispatcher({ notifiers: [slack], outbox, paceMs: 0, giveUpAfterMs: 1500, clock });
    fake.respondWith([500, 500, 500, 500, 500].map((status) => ({ status, body: "internal_error" })));
    store.commitCycle(state, dispatcher.enqueue([note("a")]));
    await dispatcher.drain(now() + 6000);
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    expect(outbox.entries).toEqual([]);
    expect(readState(db).failed).toMatchObject([{ notificationId: "a", receiver: "team" }]);
    expect(logs.some((l) => /ERROR notification could not be delivered .*gave_up_after_ms=/.test(l))).toBe(true);
    fake.reset();
    store.commitCycle(state, dispatcher.enqueue([note("b")]));
    await dispatcher.drain(now() + 5000);
    expect(JSON.stringify(fake.requests[0]!.body)).toMatch(/1 notification could not be delivered/);
  });

  it("routes by min_severity; a resolved message goes where its firing went", () => {
    const { outbox, enqueue } = setup({ minSeverity: "critical" });
    enqueue([note("warn", "warning"), note("crit", "critical")]);
    enqueue([sampleNotification({ id: "res", kind: "resolved", alert: { severity: "warning", maxSeverity: "critical" } })]);
    expect(outbox.entries.map((e) => e.notification.id)).toEqual(["crit", "res"]);
    expect(meetsSeverity(note("x", "warning"), "info")).toBe(true);
  });

  it("backs off from 1 s doubling to 5 min, with jitter", () => {
    expect(backoffMs(1, () => 0.5)).toBe(1000);
    expect(backoffMs(2, () => 0.5)).toBe(2000);
    expect(backoffMs(5, () => 0.5)).toBe(16_000);
    expect(backoffMs(30, () => 0.5)).toBe(300_000);
    expect(backoffMs(1, () => 0)).toBe(800);
    expect(backoffMs(1, () => 1)).toBe(1200);
  });
});

describe("foldFiredAndResolved", () => {
  it("turns a firing that failed and its queued resolution into one resolved message that says so", () => {
    const firing = note("f");
    const resolved = sampleNotification({ id: "r", kind: "resolved" });
    const other = sampleNotification({ id: "o", alert: { fingerprint: 'host_disk{mount="/"}' } });
    const out = foldFiredAndResolved([
      { notification: firing, failedBefore: true },
      { notification: other, failedBefore: true },
      { notification: resolved, failedBefore: false },
    ]);
    expect(out.map((n) => n.id)).toEqual(["o", "r"]);
    expect(out[1]!.details.facts[0]).toEqual({ label: "While unreachable", value: "it fired and resolved while this receiver could not be reached" });
  });

  it("leaves a firing and resolution that simply came close together alone", () => {
    const out = foldFiredAndResolved([
      { notification: note("f"), failedBefore: false },
      { notification: sampleNotification({ id: "r", kind: "resolved" }), failedBefore: false },
    ]);
    expect(out.map((n) => n.id)).toEqual(["f", "r"]);
  });
});
