/**
 * Delivery through the real Slack receiver to a real local stand-in for Slack.
 * Times are asserted only as lower bounds (waits the protocol demands), never
 * as speed.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { FakeSlack, validateSlackPayload } from "../support/fake-slack.js";
import { sampleNotification } from "../support/sample-notification.js";
import { Dispatcher, backoffMs, foldFiredAndResolved, meetsSeverity } from "../../src/notify/dispatcher.js";
import { SlackNotifier } from "../../src/notify/slack/slack.js";
import { emptyState, type AgentState } from "../../src/store/state-file.js";
import { setLogSink } from "../../src/log.js";

const fake = new FakeSlack();
const logs: string[] = [];
beforeAll(async () => {
  await fake.start();
  setLogSink((l) => logs.push(l));
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.reset();
  logs.length = 0;
});

function setup(opts: { minSeverity?: "warning" | "critical"; paceMs?: number } = {}) {
  const state: AgentState = emptyState();
  let saves = 0;
  const slack = new SlackNotifier({ name: "team", url: fake.url, minSeverity: opts.minSeverity ?? "warning" });
  const dispatcher = new Dispatcher({ notifiers: [slack], state, persist: () => saves++, paceMs: opts.paceMs ?? 1000 });
  return { state, dispatcher, saves: () => saves };
}

const note = (id: string, severity: "warning" | "critical" = "warning") =>
  sampleNotification({ id, alert: { severity, maxSeverity: severity, labels: { alertname: "host_cpu", severity } } });

describe("Dispatcher", () => {
  it("sends what is due together as one message, in order, and empties the outbox", async () => {
    const { state, dispatcher } = setup();
    dispatcher.enqueue([note("a"), note("b"), note("c")]);
    expect(dispatcher.pendingCount()).toBe(3);
    await dispatcher.drain(Date.now() + 10_000);
    expect(fake.requests.map((r) => r.headers["x-lookout-notification-id"])).toEqual(["a,b,c"]);
    expect(validateSlackPayload(fake.requests[0]!.body)).toBeNull();
    expect(state.outbox).toEqual([]);
  });

  it("sends the first at once, and waits group_wait (at least the pacing) before the next message", async () => {
    const state: AgentState = emptyState();
    const slack = new SlackNotifier({ name: "team", url: fake.url, minSeverity: "warning" });
    const dispatcher = new Dispatcher({ notifiers: [slack], state, persist: () => undefined, paceMs: 1000, groupWaitMs: 2000 });
    dispatcher.enqueue([note("a")]);
    await dispatcher.drain(Date.now() + 10_000);
    dispatcher.enqueue([note("b")]);
    dispatcher.enqueue([note("c")]);
    await dispatcher.drain(Date.now() + 10_000);
    expect(fake.requests.map((r) => r.headers["x-lookout-notification-id"])).toEqual(["a", "b,c"]);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(1950);
  });

  it("waits exactly Retry-After on 429 before the next request", async () => {
    const { state, dispatcher } = setup({ paceMs: 0 });
    fake.respondWith([{ status: 429, body: "rate_limited", headers: { "retry-after": "3" } }]);
    dispatcher.enqueue([note("a")]);
    await dispatcher.drain(Date.now() + 10_000);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(2990);
    expect(state.outbox).toEqual([]);
  });

  it("retries 5xx with backoff, keeping later notifications behind the first", async () => {
    const { state, dispatcher } = setup({ paceMs: 0 });
    fake.respondWith([
      { status: 500, body: "internal_error" },
      { status: 503, body: "service_unavailable" },
    ]);
    dispatcher.enqueue([note("a")]);
    const draining = dispatcher.drain(Date.now() + 15_000);
    dispatcher.enqueue([note("b")]); // arrives while "a" is being retried: queued behind it
    await draining;
    await dispatcher.drain(Date.now() + 15_000);
    expect(fake.requests.map((r) => r.headers["x-lookout-notification-id"])).toEqual(["a", "a,b", "a,b"]); // b joins a on its retries, behind it
    expect(state.outbox).toEqual([]);
    expect(logs.some((l) => l.includes("will retry"))).toBe(true);
  });

  it("leaves what is not due by the deadline in the outbox with its error", async () => {
    const { state, dispatcher } = setup({ paceMs: 0 });
    fake.respondWith([{ status: 429, body: "rate_limited", headers: { "retry-after": "30" } }]);
    dispatcher.enqueue([note("a")]);
    await dispatcher.drain(Date.now() + 1000);
    expect(fake.requests).toHaveLength(1);
    expect(state.outbox).toHaveLength(1);
    expect(state.outbox[0]!.pending[0]).toMatchObject({ receiver: "team", attempts: 1 });
    expect(state.outbox[0]!.pending[0]!.nextAttemptAt).toBeGreaterThan(Date.now() + 25_000);
    expect(state.outbox[0]!.pending[0]!.lastError).toMatch(/rate/i);
  });

  it("does not retry a 404 no_service: records it as failed with what to do, URL masked", async () => {
    const { state, dispatcher } = setup({ paceMs: 0 });
    fake.respondWith([{ status: 404, body: "no_service" }]);
    dispatcher.enqueue([note("a")]);
    await dispatcher.drain(Date.now() + 5000);
    dispatcher.enqueue([note("b")]);
    await dispatcher.drain(Date.now() + 5000);
    expect(fake.requests).toHaveLength(2); // a failed for good, b went through
    expect(state.failed).toHaveLength(1);
    expect(state.failed[0]!.error).toMatch(/webhook/i);
    expect(JSON.stringify(state.failed) + logs.join("\n")).not.toContain(fake.url);
    expect(state.outbox).toEqual([]);
  });

  it("routes by min_severity; a resolved message goes where its firing went", () => {
    const { state, dispatcher } = setup({ minSeverity: "critical" });
    dispatcher.enqueue([note("warn", "warning"), note("crit", "critical")]);
    dispatcher.enqueue([sampleNotification({ id: "res", kind: "resolved", alert: { severity: "warning", maxSeverity: "critical" } })]);
    expect(state.outbox.map((e) => e.notification.id)).toEqual(["crit", "res"]);
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
