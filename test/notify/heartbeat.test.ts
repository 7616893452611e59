import { createServer } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { ConfigError } from "../../src/errors.js";
import { setLogLevel, setLogSink } from "../../src/log.js";
import { Heartbeat } from "../../src/notify/heartbeat.js";
import { instantClock } from "../support/clock.js";
import { FakeWebhook } from "../support/fake-webhook.js";

const UUID = "5f1c0e8a-93b2-4d7e-a1f6-2c4b8d9e0f17";
const PING_PATH = `/ping/${UUID}`;

let fake: FakeWebhook;
let url: string;
let lines: string[];

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const warns = (): string[] => lines.filter((l) => / WARN /.test(l));
const infos = (): string[] => lines.filter((l) => / INFO /.test(l));

beforeAll(async () => {
  fake = new FakeWebhook();
  await fake.start();
  fake.addPath(PING_PATH);
  url = fake.urlFor(PING_PATH);
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
  for (const line of lines) expect(line).not.toContain(UUID);
});

describe("Heartbeat", () => {
  it("beats on its clock's time when not told the time", async () => {
    const clock = instantClock(1_000_000);
    const hb = new Heartbeat({ url, everyMs: 60_000, clock });
    expect(await hb.beat()).toBe(true);
    expect(hb.lastSuccess).toBe(1_000_000);
    clock.advance(59_999);
    expect(await hb.beat()).toBe(false);
    clock.advance(1);
    expect(await hb.beat()).toBe(true);
    expect(hb.lastSuccess).toBe(1_060_000);
    expect(fake.requests).toHaveLength(2);
  });

  it("pings on the first beat, not again before everyMs, again after", async () => {
    const hb = new Heartbeat({ url, everyMs: 60_000 });
    const t0 = 1_000_000;
    expect(await hb.beat(t0)).toBe(true);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.method).toBe("GET");
    expect(fake.requests[0]!.path).toBe(PING_PATH);
    expect(fake.requests[0]!.headers["user-agent"]).toMatch(/^Lookout\//);
    expect(hb.lastSuccess).toBe(t0);

    expect(await hb.beat(t0 + 10_000)).toBe(false);
    expect(await hb.beat(t0 + 59_999)).toBe(false);
    expect(fake.requests).toHaveLength(1);

    expect(await hb.beat(t0 + 60_000)).toBe(true);
    expect(fake.requests).toHaveLength(2);
    expect(await hb.beat(t0 + 61_000)).toBe(false);
    expect(fake.requests).toHaveLength(2);
    expect(warns()).toEqual([]);
    expect(hb.target).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\*\*\*\*$/);
  });

  it("a failing endpoint: returns false without throwing, warns once per streak, retries at each beat, says when it works again", async () => {
    const hb = new Heartbeat({ url, everyMs: 60_000 });
    fake.respondAlways({ status: 500, body: "internal error" });
    const t0 = 2_000_000;
    expect(await hb.beat(t0)).toBe(false);
    expect(await hb.beat(t0 + 10_000)).toBe(false);
    expect(await hb.beat(t0 + 20_000)).toBe(false);
    expect(fake.requests).toHaveLength(3);
    expect(warns()).toHaveLength(1);
    expect(warns()[0]).toContain("HTTP 500");
    expect(warns()[0]).toMatch(/url=http:\/\/127\.0\.0\.1:\d+\/\*\*\*\*/);
    expect(hb.lastSuccess).toBeUndefined();

    fake.respondAlways(undefined);
    expect(await hb.beat(t0 + 30_000)).toBe(true);
    expect(infos()).toHaveLength(1);
    expect(infos()[0]).toContain("works again");
    expect(infos()[0]).toContain("failed_pings=3");

    // A new streak warns again, once.
    fake.respondAlways({ status: 404, body: "not found" });
    expect(await hb.beat(t0 + 90_000)).toBe(false);
    expect(await hb.beat(t0 + 100_000)).toBe(false);
    expect(warns()).toHaveLength(2);
    expect(warns()[1]).toContain("Check notify.heartbeat.url");
  });

  it("an unreachable endpoint: false, one warning saying what to check", async () => {
    const port = await closedPort();
    const hb = new Heartbeat({ url: `http://127.0.0.1:${port}${PING_PATH}`, everyMs: 1000 });
    await expect(hb.beat(0)).resolves.toBe(false);
    await expect(hb.beat(5000)).resolves.toBe(false);
    expect(warns()).toHaveLength(1);
    expect(warns()[0]).toContain("ECONNREFUSED");
  });

  it("a timeout: false, no throw", async () => {
    fake.respondWith([{ status: 200, hang: true }]);
    const hb = new Heartbeat({ url, everyMs: 1000, timeoutMs: 200 });
    expect(await hb.beat(0)).toBe(false);
    expect(warns()).toHaveLength(1);
    expect(warns()[0]).toContain("did not answer within 200ms");
  });

  it("a URL that is not http(s) never throws from beat", async () => {
    const hb = new Heartbeat({ url: `ftp://example.com${PING_PATH}`, everyMs: 1000 });
    await expect(hb.beat(0)).resolves.toBe(false);
    expect(warns()).toHaveLength(1);
    expect(warns()[0]).toContain("is not an http(s) URL. Check notify.heartbeat.url.");
  });

  it("fromConfig: null without notify.heartbeat; built from url and every; ConfigError for a bad URL", () => {
    expect(Heartbeat.fromConfig(configSchema.parse({}))).toBeNull();
    const hb = Heartbeat.fromConfig(configSchema.parse({ notify: { heartbeat: { url } } }));
    expect(hb).toBeInstanceOf(Heartbeat);
    expect(hb!.everyMs).toBe(5 * 60_000);
    expect(Heartbeat.fromConfig(configSchema.parse({ notify: { heartbeat: { url, every: "30s" } } }))!.everyMs).toBe(30_000);
    expect(() => Heartbeat.fromConfig(configSchema.parse({ notify: { heartbeat: { url: `not a url ${UUID}` } } }))).toThrow(ConfigError);
    try {
      Heartbeat.fromConfig(configSchema.parse({ notify: { heartbeat: { url: `not a url ${UUID}` } } }));
    } catch (err) {
      expect((err as ConfigError).problems[0]).toMatch(/^notify\.heartbeat\.url: /);
      expect((err as ConfigError).userMessage).not.toContain(UUID);
    }
  });
});
