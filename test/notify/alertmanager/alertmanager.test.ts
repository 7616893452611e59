/**
 * The Alertmanager receiver (notify/alertmanager/): its API v2 body, its
 * answers against a local stand-in that answers as Alertmanager v2 does (200
 * with an empty body; 400 with its message as a JSON string; 503; a refused
 * connection), retries through the outbox and dispatcher on a clock that
 * does not wait, the re-send cadence (pipeline/resend.ts) on chosen times,
 * and one waiting state per alert and receiver.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { AlertRecord } from "../../../src/alert/state.js";
import type { Evaluation } from "../../../src/evaluate/evaluate.js";
import { AlertmanagerNotifier, TEST_ALERT_MS } from "../../../src/notify/alertmanager/alertmanager.js";
import { alertmanagerMessage } from "../../../src/notify/alertmanager/answers.js";
import { alertsUrl, labelName, postableAlerts } from "../../../src/notify/alertmanager/api.js";
import { Dispatcher } from "../../../src/notify/dispatcher.js";
import { DashboardLinks } from "../../../src/notify/links.js";
import { Outbox, type OutboxJournal, type QueuedDelivery } from "../../../src/notify/outbox.js";
import { Enricher } from "../../../src/pipeline/enrich.js";
import { resendFiring } from "../../../src/pipeline/resend.js";
import { instantClock } from "../../support/clock.js";
import { FakeWebhook } from "../../support/fake-webhook.js";
import { sampleNotification, T0 } from "../../support/sample-notification.js";

const AM_PATH = "/api/v2/alerts";
const am = new FakeWebhook();
let base = "";

beforeAll(async () => {
  await am.start();
  am.addPath(AM_PATH);
  base = am.urlFor("/");
});
afterAll(() => am.close());
beforeEach(() => {
  am.requests.length = 0;
});

const notifier = (now: () => number, extra: Partial<ConstructorParameters<typeof AlertmanagerNotifier>[0]> = {}) =>
  new AlertmanagerNotifier({ name: "am", url: base, headers: {}, minSeverity: "warning", resendEveryMs: 60_000, intervalMs: 10_000, now, ...extra });

describe("Alertmanager's API v2 body", () => {
  it("holds labels, annotations, startsAt, and a firing alert's endsAt 4 re-send periods from the send; a resolved one's its resolution", () => {
    const firing = sampleNotification();
    const resolved = sampleNotification({ id: "r", kind: "resolved", at: T0 + 10 * 60_000 });
    const now = T0 + 20 * 60_000;
    const [f, r] = postableAlerts([firing, resolved], { now, validForMs: 240_000 });
    expect(f).toEqual({
      labels: { alertname: "host_cpu", hostname: "web-1", severity: "critical" },
      annotations: expect.objectContaining({ summary: expect.any(String), description: expect.stringContaining("Load: 7.9 / 8 cores"), value: "97.2%" }),
      startsAt: new Date(T0 + 60_000).toISOString(),
      endsAt: new Date(now + 240_000).toISOString(),
    });
    expect(f).not.toHaveProperty("generatorURL"); // Alertmanager refuses "" as a URI
    expect(r!.endsAt).toBe(new Date(T0 + 10 * 60_000).toISOString());
    expect(Object.keys(r!.annotations)).toContain("peak");
  });

  it("points generatorURL at the dashboard with http.public_url", () => {
    const [a] = postableAlerts([sampleNotification()], { now: T0, validForMs: 1, links: new DashboardLinks("https://lookout.example.com/") });
    expect(a!.generatorURL).toMatch(/^https:\/\/lookout\.example\.com\/\?from=\d+&to=\d+#\/$/);
  });

  it("keeps hostile label values as they are, JSON-safe, and gives names Alertmanager refuses a form it takes", () => {
    const hostile = 'a"b\\c\n</script>\u0000\u2028 ✓ \ud800';
    const n = sampleNotification({
      alert: { labels: { alertname: "host_cpu", severity: "critical", hostname: "web-1", container: hostile, "com.docker.compose.project": "shop", "1st": "x" } },
    });
    const body = postableAlerts([n], { now: T0, validForMs: 1 });
    const json = JSON.stringify(body);
    const back = JSON.parse(json) as typeof body;
    // JSON.stringify escapes quotes, backslashes, control characters and a lone surrogate: the value comes back whole.
    expect(back[0]!.labels.container).toBe(hostile);
    expect(json).not.toMatch(/[\u0000-\u001f]/);
    expect(back[0]!.labels.com_docker_compose_project).toBe("shop");
    expect(back[0]!.labels._1st).toBe("x");
    for (const k of [...Object.keys(back[0]!.labels), ...Object.keys(back[0]!.annotations)]) expect(k).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
    expect(labelName("a-b.c")).toBe("a_b_c");
  });

  it("posts to <url>/api/v2/alerts, whether the URL ends with / or already names it", () => {
    expect(alertsUrl("http://am:9093")).toBe("http://am:9093/api/v2/alerts");
    expect(alertsUrl("http://am:9093/prefix/")).toBe("http://am:9093/prefix/api/v2/alerts");
    expect(alertsUrl("http://am:9093/api/v2/alerts")).toBe("http://am:9093/api/v2/alerts");
  });
});

describe("AlertmanagerNotifier against a stand-in", () => {
  it("posts one JSON array of alerts and takes 200 as delivered; endsAt is computed when it sends", async () => {
    const t = T0 + 3_600_000;
    const r = await notifier(() => t).sendMany([sampleNotification(), sampleNotification({ id: "b", alert: { fingerprint: "other", labels: { alertname: "x" } } })]);
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/accepted 2 alerts/);
    const [req] = await am.waitFor(1);
    expect(req!.path).toBe(AM_PATH);
    const body = req!.body as Array<{ endsAt: string }>;
    expect(body).toHaveLength(2);
    // 4 × max(resend_every 1 m, interval 10 s) from the send, not from when the notification was made.
    expect(body[0]!.endsAt).toBe(new Date(t + 240_000).toISOString());
  });

  it("holds a firing alert 4 intervals when the interval is longer than resend_every", async () => {
    const n = notifier(() => T0, { resendEveryMs: 60_000, intervalMs: 120_000 });
    expect(n.validForMs).toBe(480_000);
    expect(n.resendEveryMs).toBe(60_000);
  });

  it("reports a 400's message in plain words, not retried, refused for what it holds", async () => {
    am.respondWith([{ status: 400, body: '"start time must be before end time"', headers: { "content-type": "application/json" } }]);
    const r = await notifier(() => T0).send(sampleNotification());
    expect(r).toMatchObject({ ok: false, retryable: false, messageRefused: true, status: 400 });
    expect(r.message).toContain('(HTTP 400): "start time must be before end time".');
    expect(r.message).not.toContain('\\"');
    expect(alertmanagerMessage('"{"code":601,"message":"0.generatorURL in body must be of type uri"}"')).toBe('"0.generatorURL in body must be of type uri"');
  });

  it("retries a 503 (with its Retry-After) and a refused connection, saying the alerts wait", async () => {
    am.respondWith([{ status: 503, body: "", headers: { "retry-after": "7" } }]);
    const r = await notifier(() => T0).send(sampleNotification());
    expect(r).toMatchObject({ ok: false, retryable: true, status: 503, retryAfterMs: 7000 });
    const down = new AlertmanagerNotifier({ name: "am", url: "http://127.0.0.1:1", headers: {}, minSeverity: "warning" });
    const refused = await down.send(sampleNotification());
    expect(refused).toMatchObject({ ok: false, retryable: true, code: "ECONNREFUSED" });
    expect(refused.message).toMatch(/was refused.*wait in Lookout's outbox/);
    // lookout test-notify makes one attempt: nothing waits in an outbox.
    const test = await down.sendTest("web-1");
    expect(test).toMatchObject({ ok: false, code: "ECONNREFUSED" });
    expect(test.message).toMatch(/run lookout test-notify again/);
    expect(test.message).not.toMatch(/outbox/);
  });

  it("sends a test alert that ends by itself soon, and says how to end it now", async () => {
    const t = T0 + 5_000;
    const r = await notifier(() => t).sendTest("web-1");
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/ends by itself in 5m.*amtool alert add .*alertname="LookoutTest".*--end=/);
    const [req] = await am.waitFor(1);
    const [alert] = req!.body as Array<{ labels: Record<string, string>; endsAt: string }>;
    expect(alert!.labels).toMatchObject({ alertname: "LookoutTest", hostname: "web-1" });
    expect(alert!.endsAt).toBe(new Date(t + TEST_ALERT_MS).toISOString());
  });
});

function memoryJournal() {
  const superseded: QueuedDelivery[][] = [];
  const journal: OutboxJournal = {
    delivered() {},
    attempted() {},
    gaveUp() {},
    markReported() {},
    forgetReceiversExcept() {},
    superseded: (items) => void superseded.push([...items]),
  };
  return { journal, superseded };
}

describe("through the outbox", () => {
  it("retries with backoff while Alertmanager answers 503, then delivers; nothing is lost", async () => {
    const clock = instantClock(T0);
    const outbox = new Outbox({ outbox: [], failed: [] }, () => memoryJournal().journal);
    const n = notifier(() => clock.now());
    const dispatcher = new Dispatcher({ notifiers: [n], outbox, paceMs: 0, clock });
    am.respondWith([{ status: 503 }, { status: 503 }]);
    dispatcher.enqueue([sampleNotification()], clock.now());
    await dispatcher.drain(clock.now() + 60_000);
    expect(am.requests.map((r) => r.path)).toEqual([AM_PATH, AM_PATH, AM_PATH]);
    expect(outbox.pendingCount()).toBe(0);
    // The backoff (1 s, 2 s) passed on the test's clock, and each post held from its own time.
    const ends = am.requests.map((r) => Date.parse((r.body as Array<{ endsAt: string }>)[0]!.endsAt) - 240_000);
    expect(ends[1]! - ends[0]!).toBeGreaterThanOrEqual(800);
    expect(ends[2]! - ends[1]!).toBeGreaterThanOrEqual(1600);
  });

  it("keeps one waiting state per alert and receiver: a newer one replaces the unsent older one, for that receiver only", () => {
    const { journal, superseded } = memoryJournal();
    const outbox = new Outbox({ outbox: [], failed: [] }, () => journal);
    const keepers = new Set(["am"]);
    outbox.enqueue(sampleNotification({ id: "fired" }), ["am", "slack"], T0, keepers);
    for (let i = 1; i <= 5; i++) outbox.enqueue(sampleNotification({ id: `resend-${i}`, resend: true }), ["am"], T0 + i * 60_000, keepers);
    outbox.enqueue(sampleNotification({ id: "other", alert: { fingerprint: "other" } }), ["am"], T0, keepers);
    expect(outbox.queueOf("am").map((q) => q.entry.notification.id)).toEqual(["resend-5", "other"]);
    expect(outbox.queueOf("slack").map((q) => q.entry.notification.id)).toEqual(["fired"]);
    expect(superseded.flat().map((q) => q.entry.notification.id)).toEqual(["fired", "resend-1", "resend-2", "resend-3", "resend-4"]);
    // Resolved replaces the firing state still waiting.
    outbox.enqueue(sampleNotification({ id: "resolved", kind: "resolved" }), ["am", "slack"], T0 + 600_000, keepers);
    expect(outbox.queueOf("am").map((q) => q.entry.notification.id)).toEqual(["other", "resolved"]);
    expect(outbox.queueOf("slack").map((q) => q.entry.notification.id)).toEqual(["fired", "resolved"]);
  });

  it("does not list a re-send refused again as another failure while the last one is unreported", () => {
    const outbox = new Outbox({ outbox: [], failed: [] }, () => memoryJournal().journal);
    for (let i = 0; i < 3; i++) {
      outbox.enqueue(sampleNotification({ id: `resend-${i}`, resend: true }), ["am"], T0 + i);
      outbox.giveUp(outbox.queueOf("am"), "am", "HTTP 400", T0 + i);
    }
    expect(outbox.failed).toHaveLength(1);
  });
});

describe("re-send cadence (pipeline/resend.ts)", () => {
  const rec = (o: Partial<AlertRecord> = {}): AlertRecord => ({
    fingerprint: 'host_cpu{hostname="web-1"}',
    alertname: "host_cpu",
    labels: { alertname: "host_cpu", hostname: "web-1" },
    display: "CPU",
    unit: "%",
    state: "firing",
    severity: "warning",
    maxSeverity: "warning",
    activeSince: T0,
    firingSince: T0,
    criticalSince: null,
    value: 90,
    threshold: 80,
    peak: 90,
    lastNotifiedAt: T0,
    updatedAt: T0,
    told: ["am", "slack"],
    ...o,
  });
  const enricher = new Enricher({ hostname: "web-1", evaluation: { sources: new Map() } as unknown as Evaluation, samples: [], topProcesses: async () => [] });
  // Without notify.routes, one route per receiver that takes everything (notify/routing.ts routesFrom).
  const routes = ["am", "slack"].map((r) => ({ key: r, receiver: r, minSeverity: "info" as const, matchers: [], repeatIntervalMs: 0, continue: true }));
  const receivers = [
    { name: "am", minSeverity: "warning" as const, resendEveryMs: 60_000 },
    { name: "slack", minSeverity: "warning" as const },
  ];

  it("re-sends a firing alert to the receiver that keeps state every resend_every, never to another, on the cycles' times", async () => {
    let alerts = [rec({ sentAt: { am: T0 } })];
    const sent: number[] = [];
    // A cycle every 10 s for 5 minutes.
    for (let t = T0 + 10_000; t <= T0 + 300_000; t += 10_000) {
      const r = await resendFiring(alerts, [], routes, receivers, enricher, t);
      for (const a of r.addressed) {
        expect(a.receivers).toEqual(["am"]);
        expect(a.notification).toMatchObject({ kind: "firing", resend: true, at: t });
        sent.push(t - T0);
      }
      alerts = r.alerts;
    }
    expect(sent).toEqual([60_000, 120_000, 180_000, 240_000, 300_000]);
  });

  it("counts a firing notification of the cycle as a send, and forgets once the alert is no longer firing", async () => {
    const fired = sampleNotification({ alert: { fingerprint: rec().fingerprint } });
    const r = await resendFiring([rec({ sentAt: { am: T0 - 600_000 } })], [{ notification: fired, receivers: ["am"] }], routes, receivers, enricher, T0 + 1);
    expect(r.addressed).toEqual([]);
    expect(r.alerts[0]!.sentAt).toEqual({ am: T0 + 1 });
    const pending = await resendFiring([rec({ state: "pending", sentAt: { am: T0 } })], [], routes, receivers, enricher, T0 + 600_000);
    expect(pending.addressed).toEqual([]);
    expect(pending.alerts[0]!.sentAt).toBeUndefined();
  });

  it("re-sends nothing of an alert the receiver was never told of", async () => {
    const r = await resendFiring([rec({ told: ["slack"] })], [], routes, receivers, enricher, T0 + 600_000);
    expect(r.addressed).toEqual([]);
  });
});
