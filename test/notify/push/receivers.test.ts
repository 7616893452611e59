/**
 * ntfy, Gotify, Pushover and PagerDuty against stand-ins on 127.0.0.1 that
 * check each request against the service's documented format and limits
 * (test/support/push-standins.ts) and answer as the service does: delivered,
 * refused with the service's words, rate-limited (429 and its wait), failing.
 * What every receiver owes: a burst is one message (PagerDuty: one event per
 * alert, paired with its resolve), an outage then recovery delivers
 * everything once and in order (on a clock that does not wait), hostile text
 * arrives inert and within the limits, and no secret reaches a message or a log line.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setLogLevel, setLogSink } from "../../../src/log.js";
import type { Notification } from "../../../src/model/notification.js";
import { Dispatcher } from "../../../src/notify/dispatcher.js";
import { GotifyNotifier } from "../../../src/notify/gotify/gotify.js";
import { DashboardLinks } from "../../../src/notify/links.js";
import type { Notifier } from "../../../src/notify/notifier.js";
import { NtfyNotifier } from "../../../src/notify/ntfy/ntfy.js";
import { Outbox, type OutboxJournal } from "../../../src/notify/outbox.js";
import { dedupKey, PagerdutyNotifier } from "../../../src/notify/pagerduty/pagerduty.js";
import { PushoverNotifier } from "../../../src/notify/pushover/pushover.js";
import { redact } from "../../../src/secrets.js";
import { instantClock } from "../../support/clock.js";
import { GotifyStandIn, NtfyStandIn, PagerdutyStandIn, PushoverStandIn, type Seen } from "../../support/push-standins.js";
import { sampleNotification, T0 } from "../../support/sample-notification.js";

const NTFY_TOKEN = "tk_ntfysecrettoken0000000000001";
const GOTIFY_TOKEN = "AgotifySecretTok";
const PUSHOVER_TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi";
const PUSHOVER_USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG";
const PD_KEY = "R0utingKeyR0utingKeyR0utingKey12";
const SECRETS = [NTFY_TOKEN, GOTIFY_TOKEN, PUSHOVER_TOKEN, PUSHOVER_USER, PD_KEY];

const ntfy = new NtfyStandIn("lookout-alerts", `Bearer ${NTFY_TOKEN}`);
const gotify = new GotifyStandIn(GOTIFY_TOKEN);
const pushover = new PushoverStandIn(PUSHOVER_TOKEN, PUSHOVER_USER);
const pd = new PagerdutyStandIn();
const logs: string[] = [];

beforeAll(async () => {
  await Promise.all([ntfy.start(), gotify.start(), pushover.start(), pd.start()]);
  setLogLevel("debug");
  setLogSink((line) => logs.push(line));
});
afterAll(async () => {
  setLogSink((line) => process.stderr.write(`${line}\n`));
  setLogLevel("info");
  await Promise.all([ntfy.close(), gotify.close(), pushover.close(), pd.close()]);
});
afterEach(() => {
  for (const s of [ntfy, gotify, pushover, pd]) s.reset();
  pd.open.clear();
  pd.resolved.length = 0;
});

const links = new DashboardLinks("https://lookout.example.com/");
type Now = () => number;

interface Case {
  kind: string;
  stand: NtfyStandIn | GotifyStandIn | PushoverStandIn | PagerdutyStandIn;
  make: (now?: Now, wrongSecret?: boolean) => Notifier;
  /** The title and message a request carried (PagerDuty: the summary and the custom details). */
  text: (s: Seen) => { title: string; message: string };
  /** Whether a burst is one message. */
  grouped: boolean;
}

const CASES: Case[] = [
  {
    kind: "ntfy",
    stand: ntfy,
    make: (now, wrong) =>
      new NtfyNotifier({
        name: "phone",
        url: ntfy.base,
        topic: "lookout-alerts",
        authorization: `Bearer ${wrong ? "tk_wrongwrongwrong" : NTFY_TOKEN}`,
        minSeverity: "warning",
        links,
        ...(now ? { now } : {}),
      }),
    text: (s) => ({ title: String(s.body.title), message: String(s.body.message) }),
    grouped: true,
  },
  {
    kind: "gotify",
    stand: gotify,
    make: (now, wrong) =>
      new GotifyNotifier({ name: "home", url: gotify.base, token: wrong ? "Awrongwrongwrong" : GOTIFY_TOKEN, minSeverity: "warning", links, ...(now ? { now } : {}) }),
    text: (s) => ({ title: String(s.body.title), message: String(s.body.message) }),
    grouped: true,
  },
  {
    kind: "pushover",
    stand: pushover,
    make: (now, wrong) =>
      new PushoverNotifier({
        name: "me",
        token: wrong ? "wrongwrongwrongwrongwrongwrong" : PUSHOVER_TOKEN,
        userKey: PUSHOVER_USER,
        apiUrl: pushover.url,
        minSeverity: "warning",
        links,
        ...(now ? { now } : {}),
      }),
    text: (s) => ({ title: String(s.body.title), message: String(s.body.message) }),
    grouped: true,
  },
  {
    kind: "pagerduty",
    stand: pd,
    make: (now, wrong) => new PagerdutyNotifier({ name: "oncall", routingKey: wrong ? "short" : PD_KEY, url: pd.url, minSeverity: "warning", links, ...(now ? { now } : {}) }),
    text: (s) => {
      const p = s.body.payload as { summary?: string; custom_details?: unknown } | undefined;
      return { title: p?.summary ?? "", message: JSON.stringify(p?.custom_details ?? {}) };
    },
    grouped: false,
  },
];

function crash(i: number, o: { at?: number; kind?: Notification["kind"] } = {}): Notification {
  const container = `app-${String(i).padStart(2, "0")}`;
  return sampleNotification({
    id: `crash-${i}${o.kind === "resolved" ? "-r" : ""}`,
    kind: o.kind ?? "firing",
    at: o.at ?? T0 + 120_000,
    alert: {
      alertname: "container_crashed",
      fingerprint: `container_crashed{container="${container}",hostname="web-1"}`,
      labels: { alertname: "container_crashed", severity: "critical", hostname: "web-1", container },
      display: `Container ${container}`,
      summary: `Container ${container} crashed (exit code 137)`,
      unit: "bool",
      value: 1,
    },
    details: { facts: [{ label: "Exit code", value: "137" }], sections: [{ title: "Last log lines", text: "starting\nboom", code: true }] },
  });
}

function memoryJournal(): OutboxJournal {
  return { delivered() {}, attempted() {}, gaveUp() {}, markReported() {}, forgetReceiversExcept() {}, superseded() {} };
}

function setup(c: Case) {
  const clock = instantClock(T0);
  const outbox = new Outbox({ outbox: [], failed: [] }, () => memoryJournal());
  const notifier = c.make(() => clock.now());
  const dispatcher = new Dispatcher({ notifiers: [notifier], outbox, paceMs: 1000, clock });
  return { clock, outbox, dispatcher, notifier };
}

// Machine text meant to mention, link, format, forge lines and steer a terminal.
const HOSTILE = "evil @everyone <@U123> <!channel> [x](https://evil.example) <b>bold</b> **md** `code`\nINJECTED CRITICAL\x1b[2J\u202eevil\u0000";

describe.each(CASES)("$kind", (c) => {
  it("delivers one notification in the service's documented format", async () => {
    const r = await c.make().send(sampleNotification());
    expect(r).toMatchObject({ ok: true });
    expect(c.stand.refused).toEqual([]);
    expect(c.stand.accepted).toHaveLength(1);
    expect(c.text(c.stand.accepted[0]!).title).toContain("[web-1] CRITICAL: CPU 97.2%");
  });

  it(c.grouped ? "sends a burst of 30 crashes as ONE message" : "sends a burst of 30 crashes as one event per alert, each resolve paired with its trigger", async () => {
    const { clock, dispatcher, outbox } = setup(c);
    const burst = Array.from({ length: 30 }, (_, i) => crash(i));
    dispatcher.enqueue(burst, clock.now());
    await dispatcher.drain(clock.now() + 120_000);
    expect(outbox.pendingCount()).toBe(0);
    expect(c.stand.refused).toEqual([]);
    if (c.grouped) {
      expect(c.stand.accepted).toHaveLength(1);
      const { title, message } = c.text(c.stand.accepted[0]!);
      expect(title).toContain("30 containers crashed");
      // Every container is named, in a line of its own or in the "…and N more" line.
      for (let i = 0; i < 30; i++) expect(message).toContain(`app-${String(i).padStart(2, "0")}`);
    } else {
      expect(c.stand.accepted).toHaveLength(30);
      const keys = c.stand.accepted.map((s) => s.body.dedup_key);
      expect(new Set(keys).size).toBe(30);
      expect(pd.open.size).toBe(30);
      dispatcher.enqueue(
        burst.map((_, i) => crash(i, { kind: "resolved", at: T0 + 600_000 })),
        clock.now(),
      );
      await dispatcher.drain(clock.now() + 120_000);
      expect(pd.open.size).toBe(0);
      expect(pd.resolved).toEqual(keys);
    }
  });

  it("is retried on a 429 with the service's own wait", async () => {
    c.stand.mode = "rate_limited";
    pushover.resetAt = Math.floor((T0 + 3_600_000) / 1000);
    const r = await c.make(() => T0).send(sampleNotification());
    expect(r).toMatchObject({ ok: false, retryable: true, status: 429 });
    if (c.kind === "gotify") expect(r.retryAfterMs).toBe(2000); // a proxy's Retry-After
    if (c.kind === "pushover") {
      expect(r.retryAfterMs).toBe(3_600_000); // X-Limit-App-Reset
      expect(r.message).toMatch(/used up.*back at 2024-05-01 13:00 UTC/);
    }
    if (c.kind === "ntfy") expect(r.message).toContain('ntfy said "limit reached: too many requests"');
  });

  it("after an outage, delivers everything once, in order", async () => {
    const { clock, dispatcher, outbox } = setup(c);
    c.stand.mode = "down";
    const first = [crash(1, { at: T0 })];
    dispatcher.enqueue(first, clock.now());
    await dispatcher.drain(clock.now() + 2 * 60_000); // two minutes of failures, on the test's clock
    expect(c.stand.requests.length).toBeGreaterThan(2);
    expect(c.stand.accepted).toHaveLength(0);
    expect(outbox.pendingCount()).toBe(1);
    clock.advance(1000);
    dispatcher.enqueue([crash(2, { at: clock.now() }), crash(3, { at: clock.now() })], clock.now());
    c.stand.mode = "ok";
    await dispatcher.drain(clock.now() + 10 * 60_000);
    expect(outbox.pendingCount()).toBe(0);
    const texts = c.stand.accepted.map((s) => {
      const t = c.text(s);
      return `${t.title}\n${t.message}`;
    });
    const all = texts.join("\n");
    for (const name of ["app-01", "app-02", "app-03"]) expect(all.split(`Container ${name} crashed`).length - 1).toBeGreaterThanOrEqual(1);
    // Once each, in order: the order the containers are named in.
    const order = ["app-01", "app-02", "app-03"].map((n) => all.indexOf(n));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    if (!c.grouped) expect(c.stand.accepted.map((s) => s.body.dedup_key)).toEqual([1, 2, 3].map((i) => dedupKey(crash(i))));
    else expect(c.stand.accepted).toHaveLength(1); // what waited goes as one message
  });

  it("keeps hostile machine text inert and within the limits", async () => {
    const n = sampleNotification({
      hostname: `web-1${HOSTILE}`,
      alert: {
        alertname: "container_crashed",
        labels: { alertname: "container_crashed", severity: "critical", hostname: "web-1", container: HOSTILE.repeat(20) },
        display: `Container ${HOSTILE}`,
        summary: `Container ${HOSTILE.repeat(20)} crashed`,
        fingerprint: `container_crashed{container=${JSON.stringify(HOSTILE.repeat(20))}}`,
      },
      details: {
        facts: [{ label: `Mount ${HOSTILE}`, value: HOSTILE }],
        sections: [{ title: "Last log lines", text: `${"x".repeat(300)}\n`.repeat(400) + `last line ${HOSTILE}`, code: true }],
      },
    });
    const r = await c.make().send(n);
    expect(r).toMatchObject({ ok: true });
    expect(c.stand.refused).toEqual([]);
    const s = c.stand.accepted[0]!;
    const { title, message } = c.text(s);
    // No control or bidi character reaches the reader raw; they are shown escaped.
    for (const t of [title, message]) expect(t).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202e]/);
    expect(title).not.toContain("\n");
    expect(title).toContain("\\n");
    if (c.kind === "pagerduty") return;
    expect(message).toContain("\\x1b");
    // Plain text where nothing is markup: the characters as they are, not a mention, link or tag.
    expect(message).toContain("@everyone <@U123> <!channel> [x](https://evil.example) <b>bold</b>");
    if (c.kind === "ntfy") expect(s.body.markdown).toBe(false);
    if (c.kind === "gotify") expect(s.body.extras).toMatchObject({ "client::display": { contentType: "text/plain" } });
    if (c.kind === "pushover") expect(s.body.html).toBe("0");
    // Cut with a visible marker; the log's last line kept.
    expect(message).toMatch(/earlier lines? left out|… \(cut\)/);
    expect(message).toContain("last line");
  });

  it("says a refusal in the service's words, not retried, and never shows a secret", async () => {
    logs.length = 0;
    const r = await c.make(undefined, true).send(sampleNotification());
    expect(r).toMatchObject({ ok: false, retryable: false });
    expect(r.message.length).toBeGreaterThan(20);
    const said: Record<string, RegExp> = {
      ntfy: /not authenticated \(HTTP 401, ntfy said "unauthorized"\).*token/,
      gotify: /not authenticated \(HTTP 401, Gotify said "you need to provide a valid access token/,
      pushover: /Pushover said "application token is invalid".*check notify\.pushover\.token/,
      pagerduty: /PagerDuty said "Length of 'routing_key' is incorrect.*Check notify\.pagerduty\.routing_key/,
    };
    expect(r.message).toMatch(said[c.kind]!);
    for (const text of [r.message, r.answer ?? "", ...logs, c.make().target]) for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});

describe("each service's own rules", () => {
  it("ntfy: priority and tags from the state, the dashboard on click, a Silence button while firing", async () => {
    const n = CASES[0]!.make() as NtfyNotifier;
    await n.sendMany([sampleNotification()]);
    await n.send(sampleNotification({ id: "w", alert: { severity: "warning" } }));
    await n.send(sampleNotification({ id: "r", kind: "resolved" }));
    const [crit, warn, res] = ntfy.accepted.map((s) => s.body);
    expect(crit).toMatchObject({ priority: 5, tags: ["rotating_light"], markdown: false, click: expect.stringMatching(/^https:\/\/lookout\.example\.com\//) });
    expect(crit!.actions).toEqual([{ action: "view", label: "Silence 1 h", url: expect.stringContaining("#/silence?"), clear: true }]);
    expect(warn).toMatchObject({ priority: 4, tags: ["warning"] });
    expect(res).toMatchObject({ priority: 3, tags: ["white_check_mark"] });
    expect(res).not.toHaveProperty("actions");
    // The daily summary is not an alert: a low priority, whatever it counts.
    await n.send(sampleNotification({ id: "s", kind: "summary", alert: { summary: "2 alerts fired" } }));
    expect(ntfy.accepted.at(-1)!.body).toMatchObject({ priority: 2, tags: ["clipboard"] });
  });

  it("ntfy: a message of multi-byte text is cut to 4,096 bytes, not characters", async () => {
    const n = CASES[0]!.make();
    await n.send(sampleNotification({ details: { facts: [], sections: [{ title: "log", text: "é🚀".repeat(3000) }] } }));
    const m = String(ntfy.accepted[0]!.body.message);
    expect(Buffer.byteLength(m, "utf8")).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(m, "utf8")).toBeGreaterThan(4000);
    expect(m).toMatch(/… \(cut\)$/);
    expect(m).not.toContain("\ufffd");
  });

  it("Gotify: priority 8, 5, 2 and the dashboard link on click", async () => {
    const n = CASES[1]!.make();
    await n.send(sampleNotification());
    await n.send(sampleNotification({ id: "w", alert: { severity: "warning" } }));
    await n.send(sampleNotification({ id: "r", kind: "resolved" }));
    expect(gotify.accepted.map((s) => s.body.priority)).toEqual([8, 5, 2]);
    expect(gotify.accepted[0]!.body.extras).toMatchObject({ "client::notification": { click: { url: expect.stringMatching(/^https:\/\/lookout\.example\.com\//) } } });
    expect(gotify.accepted[0]!.headers["x-gotify-key"]).toBe(GOTIFY_TOKEN);
  });

  it("Pushover: priority 1, 0, -1; 2 (with retry and expire) only with emergency; 1,024 characters; a 5xx waits 5 s", async () => {
    const n = CASES[2]!.make();
    await n.send(sampleNotification());
    await n.send(sampleNotification({ id: "w", alert: { severity: "warning" } }));
    await n.send(sampleNotification({ id: "r", kind: "resolved" }));
    expect(pushover.accepted.map((s) => s.body.priority)).toEqual(["1", "0", "-1"]);
    const urgent = new PushoverNotifier({ name: "me", token: PUSHOVER_TOKEN, userKey: PUSHOVER_USER, apiUrl: pushover.url, minSeverity: "warning", emergency: true });
    await urgent.send(sampleNotification({ details: { facts: [], sections: [{ title: "log", text: "line\n".repeat(2000), code: true }] } }));
    const last = pushover.accepted.at(-1)!.body;
    expect(last).toMatchObject({ priority: "2", retry: "300", expire: "3600", html: "0" });
    expect([...String(last.message)].length).toBeLessThanOrEqual(1024);
    expect(pushover.accepted[0]!.body).toMatchObject({ url: expect.stringMatching(/^https:/), url_title: "Open in Lookout" });
    pushover.mode = "down";
    const down = await n.send(sampleNotification());
    expect(down).toMatchObject({ ok: false, retryable: true, status: 500, retryAfterMs: 5000 });
  });

  it("PagerDuty: a trigger carries source, severity, component, group, class and the facts; a resolve names only its dedup_key", async () => {
    const n = CASES[3]!.make();
    const firing = crash(7);
    await n.send(firing);
    await n.send(crash(7, { kind: "resolved", at: T0 + 600_000 }));
    const [trigger, resolve] = pd.accepted.map((s) => s.body);
    expect(trigger).toMatchObject({
      routing_key: PD_KEY,
      event_action: "trigger",
      dedup_key: 'container_crashed{container="app-07",hostname="web-1"}',
      payload: {
        source: "web-1",
        severity: "critical",
        component: "app-07",
        group: "web-1",
        class: "container_crashed",
        custom_details: expect.objectContaining({ "Exit code": "137" }),
      },
      links: [expect.objectContaining({ text: "Open in Lookout" }), expect.objectContaining({ text: "Silence 1 h in Lookout" })],
    });
    expect(resolve).toEqual({ routing_key: PD_KEY, event_action: "resolve", dedup_key: trigger!.dedup_key });
    expect(pd.open.size).toBe(0);
    // An identity longer than PagerDuty's 255 characters: a hash, the same for trigger and resolve.
    const long = sampleNotification({ alert: { fingerprint: `x{container="${"a".repeat(400)}"}` } });
    expect(dedupKey(long)).toMatch(/^lookout:[0-9a-f]{64}$/);
    // The daily summary is not an incident: not sent, counted as delivered.
    const summary = await n.send(sampleNotification({ kind: "summary" }));
    expect(summary).toMatchObject({ ok: true, code: "not_sent" });
    expect(pd.accepted).toHaveLength(2);
  });

  it("PagerDuty: lookout test-webhook triggers a test alert (info) and resolves it at once", async () => {
    const r = await CASES[3]!.make().sendTest("web-1");
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/took the test alert \(severity info\) and its resolve/);
    expect(pd.accepted.map((s) => s.body.event_action)).toEqual(["trigger", "resolve"]);
    expect((pd.accepted[0]!.body.payload as { severity: string }).severity).toBe("info");
    expect(pd.open.size).toBe(0);
  });

  it("test messages of ntfy, Gotify and Pushover are delivered, and one failing says to run the command again", async () => {
    for (const c of CASES.slice(0, 3)) expect((await c.make().sendTest("web-1")).ok).toBe(true);
    gotify.mode = "down";
    const r = await CASES[1]!.make().sendTest("web-1");
    expect(r).toMatchObject({ ok: false, retryable: true });
    expect(r.message).toMatch(/run lookout test-notify again/);
    expect(r.message).not.toMatch(/outbox/);
  });

  it("redacts what a service echoes back", async () => {
    expect(redact(`token=${PUSHOVER_TOKEN}`)).not.toContain(PUSHOVER_TOKEN);
  });
});
