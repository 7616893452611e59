/**
 * Delivery at its edges: give_up_after per notification inside groups, an
 * absurd Retry-After, a group the receiver refuses for one member, a receiver
 * that answers after the time limit, and the note on what could not be
 * delivered, per receiver. Rules of the dispatcher run on a clock that does
 * not wait (a scripted receiver); what crosses the wire goes to the local
 * stand-ins for Slack and a webhook, with short real waits.
 */

import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { setLogSink } from "../../src/log.js";
import type { Notification } from "../../src/model/notification.js";
import { type Clock, Dispatcher } from "../../src/notify/dispatcher.js";
import type { DeliveryResult, Notifier, SendOptions } from "../../src/notify/notifier.js";
import { Outbox } from "../../src/notify/outbox.js";
import { createNotifiers } from "../../src/notify/registry.js";
import { SlackNotifier } from "../../src/notify/slack/slack.js";
import { WebhookNotifier } from "../../src/notify/webhook/webhook.js";
import { AgentStore, readState } from "../../src/store/agent-store.js";
import { openDatabase } from "../../src/store/database.js";
import { validateSlackPayload } from "../support/fake-slack.js";
import { standInReceivers } from "../support/receivers.js";
import { sampleNotification, T0 } from "../support/sample-notification.js";

const { slack, hook } = standInReceivers();
const logs: string[] = [];
beforeAll(() => setLogSink((l) => logs.push(l)));
beforeEach(() => {
  logs.length = 0;
});

const OK: DeliveryResult = { ok: true, retryable: false, status: 200, message: "Delivered." };
const SERVER_ERROR: DeliveryResult = { ok: false, retryable: true, status: 500, message: "The receiver had a problem on its side (HTTP 500)." };

/** A clock whose sleeps pass at once. */
function fakeClock(start = T0): Clock & { set(t: number): void } {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw new Error("aborted");
      t += ms;
    },
    set: (at) => (t = at),
  };
}

interface Call {
  ids: string[];
  at: number;
  opts: SendOptions;
}

/** A receiver that answers what `answer` says, recording each call with the clock's time. */
class Scripted implements Notifier {
  readonly kind = "scripted";
  readonly target = "scripted";
  readonly minSeverity = "warning" as const;
  readonly calls: Call[] = [];
  constructor(
    readonly name: string,
    private readonly clock: Clock,
    private readonly answer: (ids: string[], call: number) => DeliveryResult,
    readonly timeoutMs?: number,
    readonly maxRetryAfterMs?: number,
  ) {}
  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.sendMany([n], opts);
  }
  async sendMany(ns: Notification[], opts: SendOptions = {}): Promise<DeliveryResult> {
    const ids = ns.map((n) => n.id);
    this.calls.push({ ids, at: this.clock.now(), opts });
    return this.answer(ids, this.calls.length);
  }
  async sendTest(): Promise<DeliveryResult> {
    return OK;
  }
}

function dataDir(): string {
  return join(mkdtempSync(join(tmpdir(), "lookout-edges-")), "data");
}

/** A dispatcher on a real database, as the agent sets it up. */
function setup(notifiers: Notifier[], opts: { clock?: Clock; giveUpAfterMs?: number; maxRetryAfterMs?: number; paceMs?: number; dir?: string } = {}) {
  const dir = opts.dir ?? dataDir();
  const db = openDatabase(dir);
  const store = new AgentStore(db);
  const state = store.load();
  const outbox = new Outbox(state, () => store);
  const dispatcher = new Dispatcher({
    notifiers,
    outbox,
    paceMs: opts.paceMs ?? 0,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.giveUpAfterMs !== undefined ? { giveUpAfterMs: opts.giveUpAfterMs } : {}),
    ...(opts.maxRetryAfterMs !== undefined ? { maxRetryAfterMs: opts.maxRetryAfterMs } : {}),
  });
  const enqueue = (ns: Notification[], now?: number) => store.commitCycle(state, dispatcher.enqueue(ns, now));
  return { dir, db, store, outbox, dispatcher, enqueue, onDisk: () => readState(db) };
}

const note = (id: string, extra: Partial<Notification["alert"]> = {}) =>
  sampleNotification({ id, alert: { severity: "warning", maxSeverity: "warning", labels: { alertname: "host_cpu", severity: "warning" }, ...extra } });

const slackIds = () => slack.requests.map((r) => r.headers["x-lookout-notification-id"]);

describe("give_up_after, per notification", () => {
  it("gives up each notification of a group give_up_after after its own first attempt, and sends the others again", async () => {
    const clock = fakeClock();
    const r = new Scripted("team", clock, () => SERVER_ERROR);
    const { outbox, dispatcher, enqueue, onDisk } = setup([r], { clock, giveUpAfterMs: 20_000 });
    enqueue([note("old")], T0);
    await dispatcher.drain(T0 + 15_000);
    clock.set(T0 + 15_000);
    enqueue([note("new")], T0 + 15_000); // arises 15 s later, while "old" is being retried
    await dispatcher.drain(T0 + 120_000);

    const firstTry = (id: string) => r.calls.find((c) => c.ids.includes(id))!.at;
    const failedAt = (id: string) => onDisk().failed.find((f) => f.notificationId === id)!.at;
    expect(r.calls.some((c) => c.ids.join() === "old,new")).toBe(true); // they went together
    expect(failedAt("old") - firstTry("old")).toBeGreaterThanOrEqual(20_000);
    // "new" had its own 20 s: not given up with "old", but sent again alone (regrouped), then given up.
    expect(failedAt("new") - firstTry("new")).toBeGreaterThanOrEqual(20_000);
    expect(failedAt("new")).toBeGreaterThan(failedAt("old"));
    expect(r.calls.filter((c) => c.ids.join() === "new").length).toBeGreaterThanOrEqual(1);
    expect(outbox.entries).toEqual([]);
  });
});

describe("Retry-After", () => {
  const ABSURD: DeliveryResult = { ok: false, retryable: true, status: 429, retryAfterMs: 99_999_999_000, message: "Rate-limited (HTTP 429). Lookout will try again in 1157d 9h." };

  it("is capped at max_retry_after (default 10 min), logged once, and give_up_after stays in force", async () => {
    const clock = fakeClock();
    const r = new Scripted("team", clock, () => ABSURD);
    const { outbox, dispatcher, enqueue, onDisk } = setup([r], { clock, giveUpAfterMs: 30 * 60_000 });
    enqueue([note("a")], T0);
    await dispatcher.drain(T0 + 5 * 60_000);
    expect(r.calls).toHaveLength(1);
    expect(outbox.entries[0]!.pending[0]!.nextAttemptAt).toBe(T0 + 10 * 60_000);
    expect(onDisk().outbox[0]!.pending[0]!.lastError).toMatch(/asked to wait 1157d 9h: Lookout tries again in 10m \(notify\.max_retry_after\)/);
    await dispatcher.drain(T0 + 3600_000);
    expect(r.calls.map((c) => c.at - T0)).toEqual([0, 600_000, 1_200_000, 1_800_000]);
    expect(onDisk().failed).toMatchObject([{ notificationId: "a", receiver: "team" }]);
    expect(logs.filter((l) => /longer than notify\.max_retry_after/.test(l))).toHaveLength(1);
  });

  it("takes the receiver's own max_retry_after (notify.max_retry_after)", async () => {
    const clock = fakeClock();
    const r = new Scripted("team", clock, (_ids, call) => (call === 1 ? ABSURD : OK), undefined, 60_000);
    const { dispatcher, enqueue } = setup([r], { clock });
    enqueue([note("a")], T0);
    await dispatcher.drain(T0 + 5 * 60_000);
    expect(r.calls.map((c) => c.at - T0)).toEqual([0, 60_000]);
  });

  it("caps a wait stored before (from a Lookout without the cap) when the outbox is loaded", async () => {
    const clock = fakeClock();
    const first = setup([new Scripted("team", clock, () => OK)], { clock });
    first.enqueue([note("a")], T0);
    first.outbox.entries[0]!.pending[0]!.nextAttemptAt = T0 + 99_999_999_000;
    first.store.attempted([{ entry: first.outbox.entries[0]!, delivery: first.outbox.entries[0]!.pending[0]! }]);
    first.db.close();
    const r = new Scripted("team", clock, () => OK);
    const second = setup([r], { clock, dir: first.dir });
    expect(second.outbox.entries[0]!.pending[0]!.nextAttemptAt).toBe(T0 + 10 * 60_000);
    expect(second.onDisk().outbox[0]!.pending[0]!.nextAttemptAt).toBe(T0 + 10 * 60_000);
    await second.dispatcher.drain(T0 + 11 * 60_000);
    expect(r.calls.map((c) => c.at - T0)).toEqual([600_000]);
    expect(second.outbox.entries).toEqual([]);
  });

  it("reaches the receivers from notify.max_retry_after and notify.timeout", () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-edges-config-"));
    const path = join(dir, "lookout.yaml");
    writeFileSync(path, `notify:\n  max_retry_after: 2m\n  timeout: 45s\n  slack:\n    - webhook_url: ${slack.url}\n  webhooks:\n    - url: ${hook.url}\n`);
    chmodSync(path, 0o600);
    const notifiers = createNotifiers(loadConfig({ configPath: path, env: {} }));
    expect(notifiers.map((n) => [n.name, n.timeoutMs, n.maxRetryAfterMs])).toEqual([
      ["slack[0]", 45_000, 120_000],
      ["webhook[0]", 45_000, 120_000],
    ]);
  });
});

describe("a message the receiver refuses for what it holds", () => {
  const poison = () => note("bad", { display: "POISON" });

  it("Slack's 400 invalid_blocks on a group: each member goes alone, only the refused one is given up", async () => {
    slack.respondBy((req) => (JSON.stringify(req.body).includes("POISON") ? { status: 400, body: "invalid_blocks" } : undefined));
    const { outbox, dispatcher, enqueue, onDisk } = setup([new SlackNotifier({ name: "team", url: slack.url, minSeverity: "warning" })]);
    enqueue([note("a"), poison(), note("c")]);
    await dispatcher.drain(Date.now() + 5000);
    expect(slackIds()).toEqual(["a,bad,c", "a", "bad", "c"]);
    expect(slack.requests.map((r) => r.status)).toEqual([400, 200, 400, 200]);
    expect(onDisk().failed.map((f) => f.notificationId)).toEqual(["bad"]);
    expect(outbox.entries).toEqual([]);
  });

  it("a webhook's 422 on a group: the same", async () => {
    hook.respondWith([{ status: 422, body: "unprocessable" }, { status: 200 }, { status: 422, body: "unprocessable" }, { status: 200 }]);
    const { dispatcher, enqueue, onDisk } = setup([new WebhookNotifier({ name: "ops", url: hook.url, headers: {}, minSeverity: "warning" })]);
    enqueue([note("a"), note("bad"), note("c")]);
    await dispatcher.drain(Date.now() + 5000);
    expect(hook.requests.map((r) => r.headers["x-lookout-notification-id"])).toEqual(["a,bad,c", "a", "bad", "c"]);
    expect(onDisk().failed.map((f) => f.notificationId)).toEqual(["bad"]);
  });

  it("an answer about the receiver itself (404 no_service) is not split: one request, all given up", async () => {
    slack.respondWith([{ status: 404, body: "no_service" }]);
    const { dispatcher, enqueue, onDisk } = setup([new SlackNotifier({ name: "team", url: slack.url, minSeverity: "warning" })]);
    enqueue([note("a"), note("b")]);
    await dispatcher.drain(Date.now() + 5000);
    expect(slackIds()).toEqual(["a,b"]);
    expect(onDisk().failed.map((f) => f.notificationId)).toEqual(["a", "b"]);
  });
});

describe("a receiver that answers after the time limit", () => {
  it("waits at least the time limit before trying again, and gives the next attempt twice as long", async () => {
    const clock = fakeClock();
    const TIMED_OUT: DeliveryResult = { ok: false, retryable: true, code: "timeout", timedOut: true, message: "It did not answer within 30s." };
    const r = new Scripted("team", clock, (_ids, call) => (call === 1 ? TIMED_OUT : OK), 30_000);
    const { dispatcher, enqueue } = setup([r], { clock });
    enqueue([note("a")], T0);
    await dispatcher.drain(T0 + 5 * 60_000);
    expect(r.calls).toHaveLength(2);
    expect(r.calls[1]!.at - r.calls[0]!.at).toBeGreaterThanOrEqual(30_000);
    expect(r.calls.map((c) => c.opts.timeoutMs)).toEqual([30_000, 60_000]);
  });

  it("on the wire: one that always answers after 800 ms with a 500 ms limit gets 2 copies, not one per retry until give-up", async () => {
    // Margins of 300 ms (the first attempt's limit) and 200 ms (the second's, twice as long) for a busy machine.
    slack.respondBy(() => ({ status: 200, body: "ok", delayMs: 800 }));
    const { outbox, dispatcher, enqueue } = setup([new SlackNotifier({ name: "team", url: slack.url, minSeverity: "warning", timeoutMs: 500 })]);
    enqueue([note("a")]);
    // Room for a busy machine: drain returns as soon as the outbox is empty.
    await dispatcher.drain(Date.now() + 20_000);
    expect(slackIds()).toEqual(["a", "a"]);
    expect(outbox.entries).toEqual([]);
  });
});

describe("what could not be delivered is said to each receiver", () => {
  const NOTE = /could not be delivered: 1 to team/;

  it("in the next message each receiver accepts, and counted reported to a receiver only once it accepted one", async () => {
    // Slack refuses "a" for good, then fails "b" once (500) while the webhook takes "b".
    slack.respondWith([
      { status: 404, body: "no_service" },
      { status: 500, body: "internal_error" },
    ]);
    const { dispatcher, enqueue, onDisk } = setup([
      new SlackNotifier({ name: "team", url: slack.url, minSeverity: "warning" }),
      new WebhookNotifier({ name: "ops", url: hook.url, headers: {}, minSeverity: "warning" }),
    ]);
    enqueue([note("a")]);
    await dispatcher.drain(Date.now() + 5000);
    expect(onDisk().failed).toMatchObject([{ notificationId: "a", receiver: "team", reportedAt: null }]);
    enqueue([note("b")]);
    await dispatcher.drain(Date.now() + 10_000);
    expect(slackIds()).toEqual(["a", "b", "b"]);
    // The webhook accepted "b" with the note; Slack's first try of "b" had it but was not accepted, so its retry has it too.
    expect(hook.requests.at(-1)!.raw).toMatch(NOTE);
    expect(JSON.stringify(slack.requests[1]!.body)).toMatch(NOTE);
    expect(JSON.stringify(slack.requests[2]!.body)).toMatch(NOTE);
    const failed = onDisk().failed[0]!;
    expect(Object.keys(failed.reportedTo ?? {}).sort()).toEqual(["ops", "team"]);
    expect(failed.reportedAt).toBeGreaterThan(0);
    // Once: the next messages do not say it again.
    enqueue([note("c")]);
    await dispatcher.drain(Date.now() + 5000);
    expect(JSON.stringify(slack.requests.at(-1)!.body)).not.toMatch(/could not be delivered/);
    expect(hook.requests.at(-1)!.raw).not.toMatch(/could not be delivered/);
  });

  it("a receiver told is not told again after a restart, one not yet told still is", async () => {
    slack.respondWith([{ status: 404, body: "no_service" }]);
    hook.respondWith([{ status: 500 }]);
    const first = setup([
      new SlackNotifier({ name: "team", url: slack.url, minSeverity: "warning" }),
      new WebhookNotifier({ name: "ops", url: hook.url, headers: {}, minSeverity: "warning" }),
    ]);
    first.enqueue([note("a")]);
    await first.dispatcher.drain(Date.now() + 100); // Slack gives "a" up; the webhook's retry is not due yet
    first.enqueue([note("b")]);
    await first.dispatcher.drain(Date.now() + 100); // Slack takes "b" with the note; the webhook still waits
    expect(JSON.stringify(slack.requests[1]!.body)).toMatch(NOTE);
    first.db.close();
    const second = setup(
      [new SlackNotifier({ name: "team", url: slack.url, minSeverity: "warning" }), new WebhookNotifier({ name: "ops", url: hook.url, headers: {}, minSeverity: "warning" })],
      { dir: first.dir },
    );
    expect(second.outbox.failed[0]!.reportedTo).toEqual({ team: expect.any(Number) });
    second.enqueue([note("c")]);
    await second.dispatcher.drain(Date.now() + 5000);
    expect(JSON.stringify(slack.requests.at(-1)!.body)).not.toMatch(/could not be delivered/);
    expect(hook.requests.at(-1)!.raw).toMatch(NOTE);
    expect(second.onDisk().failed[0]!.reportedAt).toBeGreaterThan(0);
  });

  it("a grouped message carries it: Slack's group message and the webhook's body", async () => {
    slack.respondWith([{ status: 404, body: "no_service" }]);
    const { dispatcher, enqueue } = setup([new SlackNotifier({ name: "team", url: slack.url, minSeverity: "warning" })]);
    enqueue([note("a")]);
    await dispatcher.drain(Date.now() + 5000);
    enqueue([note("b"), note("c", { fingerprint: 'host_disk{mount="/"}' })]);
    await dispatcher.drain(Date.now() + 5000);
    expect(slackIds()).toEqual(["a", "b,c"]);
    expect(validateSlackPayload(slack.requests[1]!.body)).toBeNull();
    expect(JSON.stringify(slack.requests[1]!.body)).toMatch(/Not delivered earlier\*\\n1 notification could not be delivered: 1 to team/);

    hook.respondWith([{ status: 404 }]);
    const w = setup([new WebhookNotifier({ name: "team", url: hook.url, headers: {}, minSeverity: "warning" })]);
    w.enqueue([note("a")]);
    await w.dispatcher.drain(Date.now() + 5000);
    w.enqueue([note("b"), note("c", { fingerprint: 'host_disk{mount="/"}' })]);
    await w.dispatcher.drain(Date.now() + 5000);
    const body = hook.requests[1]!.body as { alerts: Array<{ annotations: { description: string } }> };
    expect(body.alerts).toHaveLength(2);
    expect(body.alerts[0]!.annotations.description).toMatch(/Not delivered earlier:\n1 notification could not be delivered: 1 to team/);
  });
});
