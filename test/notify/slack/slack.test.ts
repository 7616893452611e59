import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { setLogLevel, setLogSink } from "../../../src/log.js";
import type { DeliveryResult } from "../../../src/notify/notifier.js";
import { SlackNotifier } from "../../../src/notify/slack/slack.js";
import { FAKE_SLACK_PATH, FakeSlack, validateSlackPayload } from "../../support/fake-slack.js";
import { sampleNotification } from "../../support/sample-notification.js";

let fake: FakeSlack;
let url: string;
let lines: string[];
const results: DeliveryResult[] = [];
const secretParts = ["B000/XXXX", FAKE_SLACK_PATH];

function notifier(overrides: Partial<{ url: string; timeoutMs: number }> = {}): SlackNotifier {
  return new SlackNotifier({ name: "ops", url: overrides.url ?? url, minSeverity: "warning", timeoutMs: overrides.timeoutMs });
}

async function send(n: SlackNotifier, ...args: Parameters<typeof sampleNotification>): Promise<DeliveryResult> {
  const r = await n.send(sampleNotification(...args));
  results.push(r);
  return r;
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

beforeAll(async () => {
  fake = new FakeSlack();
  ({ url } = await fake.start());
});

afterAll(async () => {
  await fake.close();
  setLogSink((line) => process.stderr.write(line + "\n"));
  setLogLevel("info");
});

beforeEach(() => {
  lines = [];
  setLogSink((line) => lines.push(line));
  setLogLevel("debug");
});

afterEach(() => {
  fake.reset();
  for (const r of results) for (const part of secretParts) expect(r.message).not.toContain(part);
  for (const line of lines) for (const part of secretParts) expect(line).not.toContain(part);
  results.length = 0;
});

describe("SlackNotifier", () => {
  it("exposes kind, name, masked target and severity", () => {
    const n = notifier();
    expect(n.kind).toBe("slack");
    expect(n.name).toBe("ops");
    expect(n.minSeverity).toBe("warning");
    expect(n.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/services\/T…\/B…\/\*\*\*\*$/);
    expect(n.timeoutMs).toBe(30_000);
  });

  it("ok: POSTs valid JSON with the notification id header", async () => {
    const r = await send(notifier());
    expect(r).toMatchObject({ ok: true, status: 200, retryable: false });
    const [req] = await fake.waitFor(1);
    expect(req!.method).toBe("POST");
    expect(req!.path).toBe(FAKE_SLACK_PATH);
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["x-lookout-notification-id"]).toBe("n-0001");
    expect(req!.problem).toBeNull();
    expect(validateSlackPayload(req!.body)).toBeNull();
    expect((req!.body as { text: string }).text).toBe("[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m");
    expect(typeof req!.at).toBe("number");
  });

  it("sendTest sends the test message", async () => {
    const r = await notifier().sendTest("web-1");
    results.push(r);
    expect(r.ok).toBe(true);
    const [req] = await fake.waitFor(1);
    expect((req!.body as { text: string }).text).toBe("[web-1] Lookout test message");
  });

  it("404 no_service (unknown webhook path) is not retryable and says what to do", async () => {
    const r = await send(notifier({ url: fake.urlFor("/services/T000/B999/gone") }));
    expect(r).toMatchObject({ ok: false, retryable: false, status: 404, code: "no_service" });
    expect(r.message).toMatch(/new incoming webhook/);
  });

  it("429 with Retry-After: 3 is retryable after 3000 ms", async () => {
    fake.respondWith([{ status: 429, body: "rate_limited", headers: { "retry-after": "3" } }]);
    const r = await send(notifier());
    expect(r).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 3000 });
  });

  it("500 is retryable", async () => {
    fake.respondWith([{ status: 500, body: "rollup_error" }]);
    const r = await send(notifier());
    expect(r).toMatchObject({ ok: false, retryable: true, status: 500, code: "rollup_error" });
  });

  it("400 invalid_blocks is not retryable and logs the payload to report", async () => {
    fake.respondWith([{ status: 400, body: "invalid_blocks" }]);
    const r = await send(notifier());
    expect(r).toMatchObject({ ok: false, retryable: false, status: 400, code: "invalid_blocks" });
    expect(r.message).toMatch(/please report it/);
    const logged = lines.find((l) => l.includes("ERROR") && l.includes("payload="));
    expect(logged).toBeDefined();
    expect(logged).toContain("CRITICAL: CPU 97.2%");
  });

  it("a server that never answers gives a timeout result", async () => {
    fake.respondWith([{ status: 200, hang: true }]);
    const started = Date.now();
    const r = await send(notifier({ timeoutMs: 200 }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r).toMatchObject({ ok: false, retryable: true, code: "timeout" });
    expect(r.message).toContain("within 200ms");
  });

  it("a dropped connection is retryable", async () => {
    fake.respondWith([{ status: 200, drop: true }]);
    const r = await send(notifier());
    expect(r.ok).toBe(false);
    expect(r.retryable).toBe(true);
  });

  it("connection refused is retryable", async () => {
    const port = await closedPort();
    const r = await send(notifier({ url: `http://127.0.0.1:${port}${FAKE_SLACK_PATH}` }));
    expect(r).toMatchObject({ ok: false, retryable: true, code: "ECONNREFUSED" });
  });

  it("a URL that is not http(s) fails without throwing", async () => {
    const r = await send(notifier({ url: "not a url at all" }));
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.message).not.toContain("not a url at all");
  });

  it("a non-ASCII notification id still goes out", async () => {
    const r = await send(notifier(), { id: "n-ü\n1" });
    expect(r.ok).toBe(true);
    const [req] = await fake.waitFor(1);
    expect(req!.headers["x-lookout-notification-id"]).toBe(encodeURIComponent("n-ü\n1"));
  });

  it("answers several canned answers in order, then validates again", async () => {
    fake.respondWith([{ status: 503 }, { status: 429, body: "rate_limited" }]);
    const n = notifier();
    const rs = [await send(n), await send(n), await send(n)];
    expect(rs.map((r) => r.status)).toEqual([503, 429, 200]);
    const reqs = await fake.waitFor(3);
    expect(reqs[2]!.at).toBeGreaterThanOrEqual(reqs[0]!.at);
  });
});

describe("fake Slack", () => {
  async function post(body: string, path = FAKE_SLACK_PATH): Promise<[number, string]> {
    const res = await fetch(fake.urlFor(path), { method: "POST", headers: { "content-type": "application/json" }, body });
    return [res.status, await res.text()];
  }

  it("answers like Slack", async () => {
    expect(await post("{not json")).toEqual([400, "invalid_payload"]);
    expect(await post("{}")).toEqual([400, "no_text"]);
    expect(await post(JSON.stringify({ text: "hi" }))).toEqual([200, "ok"]);
    const header = (text: string) => JSON.stringify({ blocks: [{ type: "header", text: { type: "plain_text", text } }] });
    expect(await post(header("x".repeat(151)))).toEqual([400, "invalid_blocks"]);
    expect(await post(header("x".repeat(150)))).toEqual([200, "ok"]);
    expect(await post(JSON.stringify({ blocks: [{ type: "header", text: { type: "mrkdwn", text: "x" } }] }))).toEqual([400, "invalid_blocks"]);
    expect(await post(JSON.stringify({ blocks: [{ type: "nope" }] }))).toEqual([400, "invalid_blocks"]);
    const fields = Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "f" }));
    expect(await post(JSON.stringify({ attachments: [{ blocks: [{ type: "section", fields }] }] }))).toEqual([400, "invalid_blocks"]);
    expect(await post(JSON.stringify({ text: "x" }), "/services/other")).toEqual([404, "no_service"]);
    fake.addPath("/services/other");
    expect(await post(JSON.stringify({ text: "x" }), "/services/other")).toEqual([200, "ok"]);
    fake.setPath(FAKE_SLACK_PATH);
  });

  it("validateSlackPayload checks Slack's limits", () => {
    const section = (text: string) => ({ blocks: [{ type: "section", text: { type: "mrkdwn", text } }] });
    expect(validateSlackPayload(section("x".repeat(3000)))).toBeNull();
    expect(validateSlackPayload(section("x".repeat(3001)))).toMatch(/^invalid_blocks:/);
    expect(validateSlackPayload({ blocks: [{ type: "section", fields: [{ type: "mrkdwn", text: "x".repeat(2001) }] }] })).toMatch(/^invalid_blocks:/);
    expect(validateSlackPayload({ blocks: Array.from({ length: 51 }, () => ({ type: "divider" })) })).toMatch(/^invalid_blocks:/);
    expect(validateSlackPayload({ blocks: [{ type: "section", text: { type: "markdown", text: "x" } }] })).toMatch(/^invalid_blocks:/);
    expect(validateSlackPayload({ attachments: Array.from({ length: 101 }, () => ({ text: "x" })) })).toMatch(/^too_many_attachments/);
    expect(validateSlackPayload([])).toMatch(/^invalid_payload/);
  });

  it("waitFor rejects on timeout", async () => {
    await expect(fake.waitFor(1, 50)).rejects.toThrow(/0 of 1/);
  });
});
