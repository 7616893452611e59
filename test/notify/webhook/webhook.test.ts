import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LoadedConfig, loadConfig } from "../../../src/config/load.js";
import { ConfigError } from "../../../src/errors.js";
import { setLogLevel, setLogSink } from "../../../src/log.js";
import type { DeliveryResult } from "../../../src/notify/notifier.js";
import { createNotifiers } from "../../../src/notify/registry.js";
import { type AlertmanagerWebhook, alertmanagerPayload } from "../../../src/notify/webhook/alertmanager.js";
import { createWebhookNotifiers, WebhookNotifier } from "../../../src/notify/webhook/webhook.js";
import { USER_AGENT } from "../../../src/version.js";
import { FAKE_WEBHOOK_PATH, FakeWebhook } from "../../support/fake-webhook.js";
import { sampleNotification } from "../../support/sample-notification.js";

const TOKEN = "tok-7f3a9c1e5b2d8e4f";
const FILE_KEY = "filekey-0a1b2c3d4e5f6789";
const SECRET_PATH = `${FAKE_WEBHOOK_PATH}/k9q2w8e7r6t5y4u3`;

let fake: FakeWebhook;
let url: string;
let dir: string;
let lines: string[];
const results: DeliveryResult[] = [];
/** Nothing of these may show in a message or a log line. */
const secrets = [TOKEN, FILE_KEY, "k9q2w8e7r6t5y4u3", FAKE_WEBHOOK_PATH];

function track(r: DeliveryResult): DeliveryResult {
  results.push(r);
  return r;
}

function notifier(o: Partial<{ url: string; headers: Record<string, string>; timeoutMs: number }> = {}): WebhookNotifier {
  return new WebhookNotifier({
    name: "pager",
    url: o.url ?? url,
    headers: o.headers ?? { Authorization: `Bearer ${TOKEN}` },
    minSeverity: "warning",
    timeoutMs: o.timeoutMs,
  });
}

/** Loads a real config file through the real loader (env expansion included). */
function load(yaml: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  const path = join(dir, "lookout.yaml");
  writeFileSync(path, yaml, { mode: 0o600 });
  return loadConfig({ configPath: path, env: { ...env, LOOKOUT_DATA_DIR: join(dir, "data") } });
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
  fake = new FakeWebhook();
  await fake.start();
  fake.addPath(SECRET_PATH);
  url = fake.urlFor(SECRET_PATH);
  dir = mkdtempSync(join(tmpdir(), "lookout-webhook-"));
});

afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
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
  for (const r of results) for (const s of secrets) expect(r.message).not.toContain(s);
  for (const line of lines) for (const s of secrets) expect(line).not.toContain(s);
  results.length = 0;
});

describe("WebhookNotifier", () => {
  it("exposes kind, name, masked target and severity", () => {
    const n = notifier();
    expect(n.kind).toBe("webhook");
    expect(n.name).toBe("pager");
    expect(n.minSeverity).toBe("warning");
    expect(n.timeoutMs).toBe(30_000);
    expect(n.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\*\*\*\*$/);
    expect(n.headerNames).toEqual(["Authorization"]);
  });

  it("ok: POSTs Alertmanager's v4 body with content-type, user-agent, notification id and the configured headers", async () => {
    fake.requireHeader("authorization", `Bearer ${TOKEN}`);
    const n = sampleNotification();
    const r = track(await notifier().send(n));
    expect(r).toMatchObject({ ok: true, retryable: false, status: 200 });
    expect(r.message).toMatch(/^Delivered to the webhook pager \(http:\/\/127\.0\.0\.1:\d+\/\*\*\*\*\)\.$/);
    const [req] = await fake.waitFor(1);
    expect(req!.method).toBe("POST");
    expect(req!.path).toBe(SECRET_PATH);
    expect(req!.headers["content-type"]).toBe("application/json");
    expect(req!.headers["user-agent"]).toBe(USER_AGENT);
    expect(USER_AGENT).toMatch(/^Lookout\/\d+\.\d+\.\d+/);
    expect(req!.headers["x-lookout-notification-id"]).toBe("n-0001");
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req!.body).toEqual(alertmanagerPayload([n], { receiver: "pager" }));
    const body = req!.body as AlertmanagerWebhook;
    expect(body.version).toBe("4");
    expect(body.alerts[0]!.labels.alertname).toBe("host_cpu");
  });

  it("sendMany: one body with one alert per notification, ids in the header", async () => {
    const a = sampleNotification();
    const b = sampleNotification({
      id: "n-0002",
      kind: "resolved",
      alert: { fingerprint: 'host_memory{hostname="web-1"}', alertname: "host_memory", labels: { alertname: "host_memory", severity: "warning", hostname: "web-1" } },
    });
    const r = track(await notifier().sendMany([a, b]));
    expect(r.ok).toBe(true);
    const [req] = await fake.waitFor(1);
    expect(req!.body).toEqual(alertmanagerPayload([a, b], { receiver: "pager" }));
    const body = req!.body as AlertmanagerWebhook;
    expect(body.alerts.map((x) => x.status)).toEqual(["firing", "resolved"]);
    expect(body.status).toBe("firing");
    expect(body.commonLabels).toEqual({ hostname: "web-1" });
    expect(req!.headers["x-lookout-notification-id"]).toBe("n-0001,n-0002");
  });

  it("sendTest: a firing LookoutTest alert for the host", async () => {
    const r = track(await notifier().sendTest("web-9"));
    expect(r.ok).toBe(true);
    const [req] = await fake.waitFor(1);
    const body = req!.body as AlertmanagerWebhook;
    expect(body.status).toBe("firing");
    expect(body.receiver).toBe("pager");
    expect(body.alerts).toHaveLength(1);
    expect(body.alerts[0]!.labels).toMatchObject({ alertname: "LookoutTest", hostname: "web-9" });
    expect(body.alerts[0]!.endsAt).toBe("0001-01-01T00:00:00Z");
    expect(body.alerts[0]!.annotations.summary).toContain("[web-9]");
    expect(req!.headers["x-lookout-notification-id"]).toMatch(/^test-\d+$/);
  });

  it("500: retryable, the body quoted", async () => {
    fake.respondWith([{ status: 500, body: "database is down" }]);
    const r = track(await notifier().send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: true, status: 500 });
    expect(r.message).toContain("HTTP 500");
    expect(r.message).toContain('"database is down"');
    expect(r.message).toContain("Lookout will try again");
  });

  it("429 with Retry-After: retryable after that long", async () => {
    fake.respondWith([{ status: 429, body: "slow down", headers: { "retry-after": "3" } }]);
    const r = track(await notifier().send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 3000, code: "rate_limited" });
    expect(r.message).toContain("in 3s");
  });

  it("429 without Retry-After, 408, 503 with Retry-After: retryable", async () => {
    fake.respondWith([{ status: 429 }, { status: 408 }, { status: 503, headers: { "retry-after": "7" } }]);
    const a = track(await notifier().send(sampleNotification()));
    const b = track(await notifier().send(sampleNotification()));
    const c = track(await notifier().send(sampleNotification()));
    expect(a).toMatchObject({ retryable: true, status: 429 });
    expect(a.retryAfterMs).toBeUndefined();
    expect(b).toMatchObject({ retryable: true, status: 408 });
    expect(c).toMatchObject({ retryable: true, status: 503, retryAfterMs: 7000 });
  });

  it("401: not retryable; names the auth header; quotes the answer, redacted and cut to 200 characters", async () => {
    fake.respondWith([{ status: 401, body: `invalid token Bearer ${TOKEN} ${"x".repeat(500)}` }]);
    const r = track(await notifier().send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: false, status: 401, code: "unauthorized" });
    expect(r.message).toContain("HTTP 401");
    expect(r.message).toContain('"Authorization" header');
    expect(r.message).toContain("notify.webhooks");
    expect(r.message).toContain("invalid token");
    expect(r.message).not.toContain(TOKEN);
    const quoted = /"(invalid token[^"]*)"/.exec(r.message)?.[1] ?? "";
    expect(quoted.length).toBeLessThanOrEqual(200);
    expect(r.message).not.toContain("x".repeat(250));
  });

  it("403 without configured headers: says to add one", async () => {
    fake.respondWith([{ status: 403, body: "forbidden" }]);
    const r = track(await notifier({ headers: {} }).send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: false, status: 403 });
    expect(r.message).toContain("No header is configured");
  });

  it("404 and other 4xx: not retryable, say what to check", async () => {
    const r404 = track(await notifier({ url: fake.urlFor("/nope/not-here-123456") }).send(sampleNotification()));
    expect(r404).toMatchObject({ ok: false, retryable: false, status: 404 });
    expect(r404.message).toContain("notify.webhooks.url");
    expect(r404.message).not.toContain("not-here-123456");

    fake.respondWith([{ status: 422, body: '{"error":"alerts: required"}' }]);
    const r422 = track(await notifier().send(sampleNotification()));
    expect(r422).toMatchObject({ ok: false, retryable: false, status: 422 });
    expect(r422.message).toContain("alerts: required");
    expect(r422.message).toContain("Alertmanager's webhook format");
  });

  it("a redirect is not followed and not retried", async () => {
    fake.respondWith([{ status: 301, headers: { location: "https://example.com/" } }]);
    const r = track(await notifier().send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: false, status: 301, code: "redirect" });
  });

  it("network: connection refused and timeout are retryable", async () => {
    const port = await closedPort();
    const refused = track(await notifier({ url: `http://127.0.0.1:${port}${SECRET_PATH}` }).send(sampleNotification()));
    expect(refused).toMatchObject({ ok: false, retryable: true, code: "ECONNREFUSED" });

    fake.respondWith([{ status: 200, hang: true }]);
    const timedOut = track(await notifier({ timeoutMs: 300 }).send(sampleNotification()));
    expect(timedOut).toMatchObject({ ok: false, retryable: true, code: "timeout" });
    expect(timedOut.message).toContain("did not answer within 300ms");
  });

  it("a URL that is not http(s): not retryable, never thrown", async () => {
    const r = track(await notifier({ url: "ftp://example.com/hooks/lookout/k9q2w8e7r6t5y4u3" }).send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: false, code: "invalid_url" });
  });
});

describe("createWebhookNotifiers", () => {
  it("builds receivers from notify.webhooks: ${VAR} header, header_files relative to the config file, default name", async () => {
    writeFileSync(join(dir, "api-key"), `  ${FILE_KEY}\n`, { mode: 0o600 });
    const loaded = load(
      [
        "notify:",
        "  webhooks:",
        `    - url: ${url}`,
        '      headers: { Authorization: "Bearer ${PAGER_TOKEN}" }',
        "      header_files: { X-Api-Key: api-key }",
        "    - name: tickets",
        `      url: ${url}`,
        "      min_severity: critical",
        "",
      ].join("\n"),
      { PAGER_TOKEN: TOKEN },
    );
    const hooks = createWebhookNotifiers(loaded);
    expect(hooks.map((h) => [h.name, h.minSeverity])).toEqual([
      ["webhook[0]", "warning"],
      ["tickets", "critical"],
    ]);
    expect(hooks[0]!.headerNames).toEqual(["Authorization", "X-Api-Key"]);

    fake.requireHeader("authorization", `Bearer ${TOKEN}`);
    fake.requireHeader("x-api-key", FILE_KEY);
    const r = track(await hooks[0]!.send(sampleNotification()));
    expect(r.ok).toBe(true);
    const [req] = await fake.waitFor(1);
    expect(req!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req!.headers["x-api-key"]).toBe(FILE_KEY);

    // The second has no headers: the fake refuses it, and the message says to add one.
    const refused = track(await hooks[1]!.send(sampleNotification()));
    expect(refused).toMatchObject({ ok: false, retryable: false, status: 401 });
    expect(refused.message).toContain("notify.webhooks[1].headers");

    // Registered after the Slack receivers.
    const all = createNotifiers(
      load(["notify:", "  slack:", "    - webhook_url: https://hooks.slack.com/services/T1/B1/abcdefgh", "  webhooks:", `    - url: ${url}`, ""].join("\n")),
    );
    expect(all.map((n) => n.kind)).toEqual(["slack", "webhook"]);
  });

  it("an unreadable header file is a ConfigError naming the key, the path and the code", () => {
    let err: unknown;
    try {
      // Refused as the config is loaded (config/load.ts checks header files first).
      createWebhookNotifiers(load(["notify:", "  webhooks:", `    - url: ${url}`, "      header_files: { X-Api-Key: missing-key }", ""].join("\n")));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      `notify.webhooks[0].header_files.X-Api-Key: cannot read ${join(dir, "missing-key")} (ENOENT); check the path and its permissions`,
    ]);
    expect((err as ConfigError).userMessage).toContain(join(dir, "lookout.yaml"));
  });

  it.skipIf(process.getuid?.() === 0)("a header file without read permission: EACCES", () => {
    const file = join(dir, "locked-key");
    writeFileSync(file, FILE_KEY);
    chmodSync(file, 0o000);
    expect(() => createWebhookNotifiers(load(["notify:", "  webhooks:", `    - url: ${url}`, `      header_files: { X-Api-Key: ${file} }`, ""].join("\n")))).toThrow(
      /header_files\.X-Api-Key: cannot read .*locked-key \(EACCES\)/,
    );
  });

  it("a header file that is a directory: the message says so", () => {
    expect(() => createWebhookNotifiers(load(["notify:", "  webhooks:", `    - url: ${url}`, "      header_files: { X-Api-Key: . }", ""].join("\n")))).toThrow(
      `notify.webhooks[0].header_files.X-Api-Key: cannot read ${dir} (it is a directory, not a regular file); give the path of a regular file`,
    );
  });

  it("a URL that does not parse is a ConfigError naming notify.webhooks[i].url, without the value", () => {
    const loaded = load(["notify:", "  webhooks:", `    - url: ${url}`, "    - url: not a url k9q2w8e7r6t5y4u3", ""].join("\n"));
    let err: ConfigError | undefined;
    try {
      createWebhookNotifiers(loaded);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toHaveLength(1);
    expect(err!.problems[0]).toMatch(/^notify\.webhooks\[1\]\.url: expected a URL like https:\/\/example\.com\/alerts/);
    expect(err!.userMessage).not.toContain("k9q2w8e7r6t5y4u3");
  });

  it("refuses other schemes, bad header names, a header set twice and an empty header file", () => {
    writeFileSync(join(dir, "empty-key"), "\n");
    const loaded = load(
      [
        "notify:",
        "  webhooks:",
        "    - url: ftp://example.com/alerts",
        `    - url: ${url}`,
        '      headers: { "Bad Name": x, Authorization: "Bearer a-token-123", X-Two-Lines: "a\\nb", X-Snow: "☃" }',
        "      header_files: { authorization: api-key, X-Empty: empty-key }",
        "",
      ].join("\n"),
    );
    let err: ConfigError | undefined;
    try {
      createWebhookNotifiers(loaded);
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err!.problems).toEqual([
      "notify.webhooks[0].url: expected an http:// or https:// URL, got a ftp: URL",
      "notify.webhooks[1].headers.Bad Name: not a valid header name (letters, digits and - only, like X-Api-Key)",
      "notify.webhooks[1].headers.X-Two-Lines: the value holds a line break, control character or non-ASCII character, which a header cannot carry",
      "notify.webhooks[1].headers.X-Snow: the value holds a line break, control character or non-ASCII character, which a header cannot carry",
      "notify.webhooks[1].header_files.authorization: also set as notify.webhooks[1].headers.Authorization; keep one",
      `notify.webhooks[1].header_files.X-Empty: ${join(dir, "empty-key")} is empty; put the header's value in it`,
    ]);
  });

  it("no webhooks configured: none", () => {
    expect(createWebhookNotifiers(load("notify: {}\n"))).toEqual([]);
  });
});
