/**
 * What every receiver kind must do, checked the same way for each kind of
 * RECEIVER_PLUGINS that has a fixture in FIXTURES below: built from its
 * configuration entry (the real loader), fed through the real outbox and
 * dispatcher on a clock that does not wait, against its local stand-in:
 * - hostile machine text arrives inert for the kind's own markup;
 * - a burst of 30 container crashes is ONE delivery that names all 30;
 * - an outage (2 minutes of the test's clock) then recovery delivers every
 *   notification once, in order.
 *
 * Adding a kind is one entry in FIXTURES: a stand-in (start, close, reset,
 * down/up), its config entry pointing at it, the texts it accepted, and what
 * "inert" means in its markup.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { RECEIVER_LISTS } from "../../src/config/schema.js";
import { setLogSink } from "../../src/log.js";
import type { Notification } from "../../src/model/notification.js";
import { Dispatcher } from "../../src/notify/dispatcher.js";
import { Outbox } from "../../src/notify/outbox.js";
import { createNotifiers, RECEIVER_PLUGINS } from "../../src/notify/registry.js";
import { AgentStore } from "../../src/store/agent-store.js";
import { openDatabase } from "../../src/store/database.js";
import { instantClock } from "../support/clock.js";
import { FakeSlack } from "../support/fake-slack.js";
import { FakeSmtp, TLS_DIR } from "../support/fake-smtp.js";
import { FakeWebhook } from "../support/fake-webhook.js";
import { sampleNotification } from "../support/sample-notification.js";

/** A kind's stand-in and how to read what it was sent. */
interface Fixture {
  start(): Promise<void>;
  close(): Promise<void>;
  reset(): void;
  /** Its entry in `notify.<list>`, pointing at the stand-in. */
  entry(): Record<string, unknown>;
  /** An outage: every delivery fails as the service fails (5xx, 421) until `up()`. */
  down(): void;
  up(): void;
  /** The text of each delivery the stand-in accepted, in order (a body, a mail's subject and parts). */
  delivered(): string[];
  /** Expectations that `text`, the delivery of HOSTILE, shows it inert in this kind's markup. */
  inert(text: string): void;
}

/** Machine text that tries every markup: mentions, links, HTML, markdown, a forged line, control characters. */
const HOSTILE = 'evil\n*FORGED* <!everyone> @everyone <@U123> [x](https://evil.example) <img src="https://evil.example/x.png"><script>alert(1)</script> `x` \x1b[31m';

/** Marks HTTP requests answered while down as failed, so `delivered` lists only what was accepted. */
class Accepted {
  #failedBefore = -1;
  #failed = new Set<number>();
  down(count: number): void {
    this.#failedBefore = count;
  }
  up(count: number): void {
    for (let i = this.#failedBefore; i < count; i++) this.#failed.add(i);
    this.#failedBefore = -1;
  }
  keep(i: number): boolean {
    if (this.#failedBefore >= 0 && i >= this.#failedBefore) return false;
    return !this.#failed.has(i);
  }
  reset(): void {
    this.#failed.clear();
    this.#failedBefore = -1;
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f]/;

/** A JSON receiver (webhook, Alertmanager): inert when the body is valid JSON that holds the true value, control characters escaped. */
function jsonInert(text: string): void {
  expect(CONTROL.test(text)).toBe(false);
  expect(JSON.stringify(JSON.parse(text))).toContain(JSON.stringify(HOSTILE).slice(1, -1));
}

function httpFixture(kind: "webhook" | "alertmanager"): Fixture {
  const fake = new FakeWebhook();
  const accepted = new Accepted();
  return {
    start: async () => {
      await fake.start();
      if (kind === "alertmanager") fake.addPath("/api/v2/alerts");
    },
    close: () => fake.close(),
    reset: () => {
      fake.reset();
      accepted.reset();
    },
    entry: () => (kind === "alertmanager" ? { name: "all-am", url: fake.urlFor("/") } : { name: "all-hook", url: fake.url }),
    down: () => {
      accepted.down(fake.requests.length);
      fake.respondAlways({ status: 503, body: "unavailable" });
    },
    up: () => {
      accepted.up(fake.requests.length);
      fake.respondAlways(undefined);
    },
    delivered: () => fake.requests.filter((_, i) => accepted.keep(i)).map((r) => r.raw),
    inert: jsonInert,
  };
}

/** Test fixtures, keyed by receiver kind. A kind without one is listed as a todo. */
const FIXTURES: Record<string, () => Fixture> = {
  slack: () => {
    const fake = new FakeSlack();
    return {
      start: async () => void (await fake.start()),
      close: () => fake.close(),
      reset: () => fake.reset(),
      entry: () => ({ name: "all-slack", webhook_url: fake.url }),
      down: () => fake.respondBy(() => ({ status: 503, body: "service_unavailable" })),
      up: () => fake.respondBy(undefined),
      delivered: () => fake.requests.filter((r) => r.status === 200).map((r) => JSON.stringify(r.body)),
      inert: (text) => {
        // What Slack reads as mrkdwn (where <!everyone>, <@U…> and <url|…> would act): the text, the fallback, every mrkdwn object.
        // plain_text (the header) shows its text as it is, so it is left out.
        const mrkdwn: string[] = [];
        const walk = (v: unknown): void => {
          if (Array.isArray(v)) v.forEach(walk);
          else if (v && typeof v === "object") {
            const o = v as Record<string, unknown>;
            if (o.type === "mrkdwn" && typeof o.text === "string") mrkdwn.push(o.text);
            for (const [k, x] of Object.entries(o)) if (k !== "text" || typeof x !== "string") walk(x);
          }
        };
        const body = JSON.parse(text) as { text: string; attachments: Array<{ fallback: string }> };
        walk(body);
        mrkdwn.push(body.text, ...body.attachments.map((a) => a.fallback));
        const all = mrkdwn.join("\n");
        expect(all).not.toMatch(/<!everyone>|<@U123>|<https:\/\/evil/); // no mention, no link
        expect(all).not.toMatch(/@everyone/); // a bare @everyone gets a word joiner
        expect(all).toContain("@\u2060everyone");
        expect(all).toContain("&lt;img src=");
        expect(CONTROL.test(all)).toBe(false);
        expect(all).toContain("evil\\n*FORGED*"); // the newline shown, not obeyed
      },
    };
  },
  webhook: () => httpFixture("webhook"),
  alertmanager: () => httpFixture("alertmanager"),
  email: () => {
    const smtp = new FakeSmtp();
    return {
      start: async () => void (await smtp.start()),
      close: () => smtp.close(),
      reset: () => smtp.reset(),
      entry: () => ({
        name: "all-mail",
        smtp: { host: "127.0.0.1", port: smtp.port, ca_file: join(TLS_DIR, "cert.pem") },
        from: "lookout@example.com",
        to: ["oncall@example.com"],
      }),
      down: () => smtp.setDown(true),
      up: () => smtp.setDown(false),
      delivered: () => smtp.mails.map((m) => JSON.stringify({ subject: m.parsed.subject, text: m.parsed.text, html: m.parsed.html, headers: [...m.parsed.headers.keys()] })),
      inert: (text) => {
        const mail = JSON.parse(text) as { subject: string; text: string; html: string; headers: string[] };
        expect(mail.subject).not.toMatch(/[\r\n]/);
        expect(mail.headers).not.toContain("bcc");
        expect(mail.html).not.toMatch(/<img|<script|<a href="https:\/\/evil/i);
        expect(mail.html).toContain("&lt;img src=&quot;https://evil.example/x.png&quot;&gt;");
        expect(CONTROL.test(mail.text + mail.html)).toBe(false);
        expect(mail.text).toContain("evil\\n*FORGED*");
      },
    };
  },
};

const crash = (id: string, container: string): Notification =>
  sampleNotification({
    id,
    alert: {
      alertname: "container_crashed",
      fingerprint: `container_crashed{container=${JSON.stringify(container)}}`,
      labels: { alertname: "container_crashed", container, severity: "critical" },
      severity: "critical",
      display: `Container ${container}`,
      summary: `Container ${container} crashed: exit code 1`,
      unit: "bool",
      value: 1,
    },
    details: { facts: [{ label: "Container", value: container }], sections: [{ title: "Last log lines", text: `${container} says\npanic`, code: true }] },
  });

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lookout-all-receivers-"));
  setLogSink(() => undefined);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  setLogSink((line) => process.stderr.write(line + "\n"));
});

/** The receiver of `kind` from its config entry, through the real loader, on a real outbox (SQLite) and dispatcher. */
function setup(kind: string, entry: Record<string, unknown>) {
  const list = RECEIVER_LISTS[kind as keyof typeof RECEIVER_LISTS];
  const base = mkdtempSync(join(dir, `${kind}-`));
  const path = join(base, "lookout.yaml");
  writeFileSync(path, JSON.stringify({ notify: { [list]: [entry] } }), { mode: 0o600 });
  const loaded = loadConfig({ configPath: path, env: { LOOKOUT_DATA_DIR: join(base, "data") } });
  const notifiers = createNotifiers(loaded);
  expect(notifiers.map((n) => n.kind)).toEqual([kind]);
  const clock = instantClock();
  const store = new AgentStore(openDatabase(join(base, "data")));
  const state = store.load();
  const outbox = new Outbox(state, () => store);
  const dispatcher = new Dispatcher({ notifiers, outbox, paceMs: 1000, groupWaitMs: 2000, clock });
  const enqueue = (ns: Notification[]) => store.commitCycle(state, dispatcher.enqueue(ns));
  const drain = (ms: number) => dispatcher.drain(clock.now() + ms);
  return { clock, outbox, enqueue, drain };
}

describe.each(RECEIVER_PLUGINS.map((p) => [p.kind] as const))("receiver kind %s", (kind) => {
  const make = FIXTURES[kind];
  if (!make) {
    it.todo(`has no fixture in test/notify/all-receivers.test.ts FIXTURES: add one`);
    return;
  }
  const fx = make();
  beforeAll(() => fx.start());
  afterAll(() => fx.close());
  beforeEach(() => fx.reset());

  it("hostile machine text arrives inert for its markup", async () => {
    const { enqueue, drain } = setup(kind, fx.entry());
    const n = crash("hostile", HOSTILE);
    n.details.facts.push({ label: "Label", value: HOSTILE });
    enqueue([n]);
    await drain(10_000);
    const [text, ...more] = fx.delivered();
    expect(more).toEqual([]);
    fx.inert(text!);
  });

  it("a burst of 30 container crashes is one delivery naming all 30", async () => {
    const { enqueue, drain, outbox } = setup(kind, fx.entry());
    enqueue(Array.from({ length: 30 }, (_, i) => crash(`b${i}`, `svc-${String(i).padStart(2, "0")}x`)));
    await drain(60_000);
    const texts = fx.delivered();
    expect(texts).toHaveLength(1);
    for (let i = 0; i < 30; i++) expect(texts[0]).toContain(`svc-${String(i).padStart(2, "0")}x`);
    expect(outbox.pendingCount()).toBe(0);
  });

  it("an outage of 2 minutes then recovery delivers every notification once, in order", async () => {
    const { clock, enqueue, drain, outbox } = setup(kind, fx.entry());
    fx.down();
    enqueue([crash("o1", "first-one")]);
    await drain(60_000);
    clock.advance(30_000);
    enqueue([crash("o2", "second-one")]);
    await drain(30_000);
    enqueue([crash("o3", "third-one")]);
    await drain(30_000);
    expect(fx.delivered()).toEqual([]);
    expect(outbox.pendingCount()).toBe(3);
    fx.up();
    await drain(15 * 60_000);
    const texts = fx.delivered();
    const names = ["first-one", "second-one", "third-one"];
    // Each in exactly one delivery…
    for (const name of names) expect(texts.filter((t) => t.includes(name))).toHaveLength(1);
    // … and in order: by delivery, then by place in the one that holds several.
    const place = (name: string) => {
      const i = texts.findIndex((t) => t.includes(name));
      return i * 1e9 + texts[i]!.indexOf(name);
    };
    expect(names.map(place)).toEqual([...names.map(place)].sort((a, b) => a - b));
    expect(outbox.pendingCount()).toBe(0);
  });
});
