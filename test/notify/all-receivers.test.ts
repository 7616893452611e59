/**
 * What every receiver kind must do, checked the same way for each kind of
 * receiverPlugins() that has a fixture in FIXTURES below: built from its
 * configuration entry (the real loader), fed through the real outbox and
 * dispatcher on a clock that does not wait, against its local stand-in:
 * - hostile machine text arrives inert for the kind's own markup;
 * - a burst of 30 container crashes is ONE delivery that names all 30 (a
 *   kind whose service is per alert by design, PagerDuty: 30 deliveries, in
 *   order, each with its own alert key);
 * - an outage (2 minutes of the test's clock) then recovery delivers every
 *   notification once, in order.
 *
 * Adding a kind is one entry in FIXTURES: a stand-in (start, close, reset,
 * down/up), its config entry pointing at it, the texts it accepted, and what
 * "inert" means in its markup. A registered kind without one fails here.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { RECEIVER_LISTS } from "../../src/config/schema.js";
import { setLogSink } from "../../src/log.js";
import type { Notification } from "../../src/model/notification.js";
import type { DiscordPayload } from "../../src/notify/discord/message.js";
import { Dispatcher } from "../../src/notify/dispatcher.js";
import { Outbox } from "../../src/notify/outbox.js";
import type { PagerdutyEvent } from "../../src/notify/pagerduty/pagerduty.js";
import { createNotifiers, receiverPlugins } from "../../src/notify/registry.js";
import type { TeamsPayload } from "../../src/notify/teams/message.js";
import type { TelegramPayload } from "../../src/notify/telegram/message.js";
import { AgentStore } from "../../src/store/agent-store.js";
import { openDatabase } from "../../src/store/database.js";
import { instantClock } from "../support/clock.js";
import { type ChatKind, FakeChat, TELEGRAM_TOKEN } from "../support/fake-chat.js";
import { FakeSlack } from "../support/fake-slack.js";
import { FakeSmtp, TLS_DIR } from "../support/fake-smtp.js";
import { FakeWebhook } from "../support/fake-webhook.js";
import { GotifyStandIn, NtfyStandIn, PagerdutyStandIn, PushoverStandIn } from "../support/push-standins.js";
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
  /** What a reader sees of a delivery, where the markup's escapes hide names (Discord's `svc\-01x`); default the text itself. */
  shown?(text: string): string;
  /**
   * For a kind whose service is per alert by design (PagerDuty, README
   * "Phone push and paging"): the alert a delivery is about (its dedup_key).
   * A burst is then one delivery per alert, in order, each its own key,
   * instead of one delivery.
   */
  alertOf?(text: string): string;
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

/** HOSTILE as a single-line place shows it (escape.ts `oneLine`): its newline and ESC written as typed (`\n`, `\x1b`), nothing else changed. */
const HOSTILE_LINE = HOSTILE.replace("\n", "\\n").replace("\x1b", "\\x1b");

/** Every string in a JSON value. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** A chat stand-in (Discord, Telegram, Teams): delivered is the body of each request it answered 2xx. */
function chatFixture(kind: ChatKind, entry: (fake: FakeChat) => Record<string, unknown>, inert: (text: string) => void, shown?: (text: string) => string): Fixture {
  const fake = new FakeChat(kind);
  return {
    start: async () => void (await fake.start()),
    close: () => fake.close(),
    reset: () => fake.reset(),
    entry: () => entry(fake),
    down: () => fake.respondBy(() => ({ status: 503, body: "" })),
    up: () => fake.respondBy(undefined),
    delivered: () => fake.requests.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.raw),
    inert,
    ...(shown ? { shown } : {}),
  };
}

/** The texts of a Discord message; `footer`: with the embed's footer, which Discord shows as plain text (no markdown). */
function discordTexts(text: string, footer = true): string[] {
  const p = JSON.parse(text) as DiscordPayload;
  return [p.content, ...p.embeds.flatMap((e) => [e.title, e.description ?? "", ...(e.fields ?? []).flatMap((f) => [f.name, f.value]), footer ? (e.footer?.text ?? "") : ""])];
}

/** What Discord shows of its markdown: the backslash escapes and zero-width spaces hidden. */
const discordShown = (text: string) =>
  discordTexts(text)
    .join("\n")
    .replace(/\\([^\w\s])/g, "$1")
    .replace(/\u200b/g, "");

/** Discord: every markdown character of machine text escaped, no mention can ping; log lines in ``` blocks they cannot close. */
function discordInert(text: string): void {
  const body = JSON.parse(text) as DiscordPayload;
  expect(body.allowed_mentions).toEqual({ parse: [] }); // nothing in it pings anyone
  const texts = discordTexts(text);
  for (const t of texts) expect(CONTROL.test(t)).toBe(false);
  const all = texts.join("\n");
  expect(all).not.toMatch(/@everyone/); // a zero-width space after each @, in a log block too
  expect(all).toContain("@\u200beveryone");
  expect((body.embeds[0]!.description!.match(/```/g) ?? []).length % 2).toBe(0);
  // What Discord reads as markdown: all but the footer, outside ``` blocks.
  const prose = discordTexts(text, false)
    .join("\n")
    .replace(/```[\s\S]*?```/g, "");
  expect(prose).not.toMatch(/(^|[^\\])<(@|!|img|script)/); // no mention, no HTML
  expect(prose).toContain("\\[x\\]\\(https\\://evil.example\\)"); // no masked link
  expect(prose).not.toMatch(/https:\/\/evil/); // no bare link either
  expect(prose).not.toMatch(/(^|[^\\])\*FORGED/); // no bold
  expect(prose).not.toMatch(/\n\\?\*FORGED/); // the newline shown, not obeyed
  expect(discordShown(text)).toContain("evil\\n*FORGED*");
}

/** Telegram (HTML): machine text's < > & " are entities, only Lookout's own tags, no @mention. */
function telegramInert(text: string): void {
  const body = JSON.parse(text) as TelegramPayload;
  expect(body.parse_mode).toBe("HTML");
  expect(body.link_preview_options).toEqual({ is_disabled: true });
  const html = body.text;
  expect(CONTROL.test(html)).toBe(false);
  const tags = new Set([...html.matchAll(/<\/?([a-z-]+)[^>]*>/gi)].map((m) => m[1]!.toLowerCase()));
  expect([...tags].filter((t) => !["b", "i", "pre"].includes(t))).toEqual([]); // no <img>, <script>, <a href>
  expect(html).toContain("&lt;img src=&quot;https://evil.example/x.png&quot;&gt;&lt;script&gt;");
  expect(html).not.toMatch(/@everyone|@U123/); // a word joiner after each @
  expect(html).toContain("@\u2060everyone");
  const prose = html.replace(/<pre>[\s\S]*?<\/pre>/g, "");
  expect(prose).toContain("evil\\n*FORGED*"); // the newline shown, not obeyed
  expect(prose).not.toMatch(/\n\*FORGED/);
}

/** Teams: machine text only in TextRuns (never markdown, HTML or a mention), control characters shown escaped, no link. */
function teamsInert(text: string): void {
  const body = JSON.parse(text) as TeamsPayload;
  expect(text).not.toContain('"TextBlock"'); // a TextBlock's text is markdown
  const card = body.attachments[0]!.content;
  expect(card.msteams).toEqual({ width: "Full" }); // no entities: an <at> cannot mention
  expect(card.actions).toBeUndefined();
  expect(text).not.toContain('"selectAction"');
  for (const t of strings(card)) expect(CONTROL.test(t)).toBe(false);
  const runs: Array<{ text: string; fontType?: string }> = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o.type === "TextRun") runs.push(o as { text: string; fontType?: string });
      Object.values(o).forEach(walk);
    }
  };
  walk(card.body);
  const prose = runs
    .filter((r) => r.fontType !== "Monospace")
    .map((r) => r.text)
    .join("");
  expect(prose).toContain(HOSTILE_LINE); // the characters as they are
  expect(prose).not.toMatch(/\n\*FORGED/); // the newline shown, not obeyed
  expect(card.fallbackText).toContain(HOSTILE_LINE);
}

type PushStandIn = NtfyStandIn | GotifyStandIn | PushoverStandIn | PagerdutyStandIn;

/** A push stand-in (ntfy, Gotify, Pushover, PagerDuty): delivered is each body it accepted (JSON, or Pushover's form fields). */
function pushFixture(stand: PushStandIn, entry: () => Record<string, unknown>, inert: (text: string) => void, alertOf?: (text: string) => string): Fixture {
  return {
    start: async () => void (await stand.start()),
    close: () => stand.close(),
    reset: () => {
      stand.reset();
      if (stand instanceof PagerdutyStandIn) {
        stand.open.clear();
        stand.resolved.length = 0;
      }
    },
    entry,
    down: () => {
      stand.mode = "down";
    },
    up: () => {
      stand.mode = "ok";
    },
    delivered: () => stand.accepted.map((s) => JSON.stringify(s.body)),
    inert: (text) => {
      expect(stand.refused).toEqual([]);
      inert(text);
    },
    ...(alertOf ? { alertOf } : {}),
  };
}

/** ntfy (markdown off), Gotify (text/plain), Pushover (html=0): nothing is markup, so the characters as they are, on one line where a line is. */
function plainInert(title: string, message: string): void {
  expect(CONTROL.test(title + message)).toBe(false);
  expect(title).not.toContain("\n");
  expect(title).toContain(HOSTILE_LINE);
  const facts = message.split("Last log lines")[0]!; // log lines keep their own lines
  expect(facts).toContain(`Container: ${HOSTILE_LINE}`);
  expect(facts).toContain(`Label: ${HOSTILE_LINE}`);
  expect(facts).not.toMatch(/\n\*FORGED/);
}

/** PagerDuty shows the event as text: one line where a line is, control characters escaped, no link but Lookout's (none here). */
function pagerdutyInert(text: string): void {
  const e = JSON.parse(text) as PagerdutyEvent;
  expect(e.event_action).toBe("trigger");
  const p = e.payload!;
  for (const t of strings(e)) expect(CONTROL.test(t)).toBe(false);
  expect(p.summary).not.toContain("\n");
  expect(p.summary).toContain(HOSTILE_LINE);
  expect(p.component).toBe(HOSTILE_LINE);
  expect(p.custom_details).toMatchObject({ Container: HOSTILE_LINE, Label: HOSTILE_LINE });
  expect(e.links).toBeUndefined();
  expect(e.client_url).toBeUndefined();
}

const PUSH = {
  ntfyTopic: "lookout-all-receivers",
  ntfyToken: "tk_allreceivers000000000000001",
  gotifyToken: "AallReceiversTok",
  pushoverToken: "azAllReceiversAppToken00000000",
  pushoverUser: "uAllReceiversUserKey0000000000",
  pagerdutyKey: "R0utingKeyA11Rece1versKey0000001",
};

/** Test fixtures, keyed by receiver kind: every registered kind has one (a kind without one fails). */
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
  discord: () => chatFixture("discord", (fake) => ({ name: "all-discord", webhook_url: fake.url }), discordInert, discordShown),
  telegram: () => chatFixture("telegram", (fake) => ({ name: "all-telegram", bot_token: TELEGRAM_TOKEN, chat_id: "-1001234567890", api_url: fake.url }), telegramInert),
  teams: () => chatFixture("teams", (fake) => ({ name: "all-teams", webhook_url: fake.url }), teamsInert),
  ntfy: () => {
    const stand = new NtfyStandIn(PUSH.ntfyTopic, `Bearer ${PUSH.ntfyToken}`);
    return pushFixture(
      stand,
      () => ({ name: "all-ntfy", url: stand.base, topic: PUSH.ntfyTopic, token: PUSH.ntfyToken }),
      (text) => {
        const b = JSON.parse(text) as { title: string; message: string; markdown: unknown; click?: unknown; actions?: unknown };
        expect(b.markdown).toBe(false);
        expect(b.click).toBeUndefined();
        expect(b.actions).toBeUndefined();
        plainInert(b.title, b.message);
      },
    );
  },
  gotify: () => {
    const stand = new GotifyStandIn(PUSH.gotifyToken);
    return pushFixture(
      stand,
      () => ({ name: "all-gotify", url: stand.base, token: PUSH.gotifyToken }),
      (text) => {
        const b = JSON.parse(text) as { title: string; message: string; extras: Record<string, unknown> };
        expect(b.extras).toEqual({ "client::display": { contentType: "text/plain" } }); // no Markdown, no click URL
        plainInert(b.title, b.message);
      },
    );
  },
  pushover: () => {
    const stand = new PushoverStandIn(PUSH.pushoverToken, PUSH.pushoverUser);
    return pushFixture(
      stand,
      () => ({ name: "all-pushover", token: PUSH.pushoverToken, user_key: PUSH.pushoverUser, api_url: stand.url }),
      (text) => {
        const b = JSON.parse(text) as Record<string, string | undefined>;
        expect(b.html).toBe("0");
        expect(b.url).toBeUndefined();
        plainInert(b.title!, b.message!);
      },
    );
  },
  pagerduty: () => {
    const stand = new PagerdutyStandIn();
    return pushFixture(
      stand,
      () => ({ name: "all-pagerduty", routing_key: PUSH.pagerdutyKey, url: stand.url }),
      pagerdutyInert,
      (text) => (JSON.parse(text) as PagerdutyEvent).dedup_key,
    );
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

/** The receiver of `kind` from its config entry (and `more` of the config), through the real loader, on a real outbox (SQLite) and dispatcher. */
function setup(kind: string, entry: Record<string, unknown>, more: Record<string, unknown> = {}) {
  const list = RECEIVER_LISTS[kind as keyof typeof RECEIVER_LISTS];
  const base = mkdtempSync(join(dir, `${kind}-`));
  const path = join(base, "lookout.yaml");
  writeFileSync(path, JSON.stringify({ ...more, notify: { [list]: [entry] } }), { mode: 0o600 });
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
  return { clock, outbox, enqueue, drain, notifier: notifiers[0]! };
}

/**
 * The receivers' own fixed words in English (labels, links, footers, test
 * messages, cut lines): none may be left in a Korean message. Machine text
 * (JSON keys, labels such as alertname="LookoutTest") is not among them.
 */
const ENGLISH_FIXED = [
  "Host",
  "Severity",
  "Since",
  "Lasted",
  "Critical",
  "Warning",
  "Open in Lookout",
  "Silence 1 h",
  "Top processes",
  "top processes",
  "notifications",
  "test message",
  "This is a test",
  "If you can read it",
  "test sent",
  "Sent by",
  "nothing is wrong",
  "Lookout test",
  "more fields",
  "earlier line",
  "(cut)",
  "Value:",
  "Threshold",
  "Peak",
  "Resolved because",
  "…and",
  "unknown",
];

/** A notification as the enricher makes it with locale: ko (its display, summary and facts already in Korean). */
const korean = (o: Parameters<typeof sampleNotification>[0] = {}): Notification =>
  sampleNotification({ locale: "ko", details: { facts: [{ label: "부하", value: "7.9 / 8코어" }] }, ...o });

/** A crash in Korean with 3,000 log lines: every kind has to leave the earliest out, and says so in Korean. */
const koreanCrash = (id: string, container: string): Notification =>
  korean({
    id,
    alert: {
      alertname: "container_crashed",
      fingerprint: `container_crashed{container=${JSON.stringify(container)}}`,
      labels: { alertname: "container_crashed", container, severity: "critical" },
      display: `${container} 컨테이너 비정상 종료`,
      summary: `${container} 컨테이너 비정상 종료: 종료 코드 1 (애플리케이션 오류)`,
      unit: "bool",
      value: 1,
    },
    details: {
      facts: [{ label: "종료 코드", value: "1: 애플리케이션 오류" }],
      sections: [{ title: "마지막 로그", text: Array.from({ length: 3000 }, (_, i) => `line ${i} of ${container}`).join("\n"), code: true }],
    },
  });

it("FIXTURES names only registered receiver kinds", () => {
  const kinds = new Set(receiverPlugins().map((p) => p.kind));
  expect(Object.keys(FIXTURES).filter((k) => !kinds.has(k))).toEqual([]);
});

describe.each(receiverPlugins().map((p) => [p.kind] as const))("receiver kind %s", (kind) => {
  const make = FIXTURES[kind];
  if (!make) {
    // A receiver is not added without these checks.
    it("has a fixture", () => {
      expect.fail(
        `receiver kind ${kind} has no entry in FIXTURES of test/notify/all-receivers.test.ts: add one (its stand-in, its config entry, the texts it accepted, what "inert" means in its markup)`,
      );
    });
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

  const burst = fx.alertOf
    ? "a burst of 30 container crashes is one delivery per alert (by the service's design), in order, each its own key"
    : "a burst of 30 container crashes is one delivery naming all 30";
  it(burst, async () => {
    const { enqueue, drain, outbox } = setup(kind, fx.entry());
    const names = Array.from({ length: 30 }, (_, i) => `svc-${String(i).padStart(2, "0")}x`);
    enqueue(names.map((name, i) => crash(`b${i}`, name)));
    await drain(60_000);
    const delivered = fx.delivered();
    const texts = delivered.map((t) => fx.shown?.(t) ?? t);
    if (fx.alertOf) {
      // Per alert by design (README): one delivery per alert, in order, each naming its own alert alone, each its own key.
      expect(texts).toHaveLength(30);
      for (const [i, t] of texts.entries()) expect(names.filter((name) => t.includes(name))).toEqual([names[i]]);
      const keys = delivered.map((t) => fx.alertOf!(t));
      expect(new Set(keys).size).toBe(30);
      for (const [i, key] of keys.entries()) expect(key).toContain(names[i]);
    } else {
      expect(texts).toHaveLength(1);
      for (const name of names) expect(texts[0]).toContain(name);
    }
    expect(outbox.pendingCount()).toBe(0);
  });

  it("with locale: ko, its messages and its test message have its fixed words in Korean, none left in English", async () => {
    const { enqueue, drain, notifier, clock } = setup(kind, fx.entry(), { locale: "ko", http: { enabled: true, public_url: "https://lookout.example" } });
    enqueue([korean({ id: "k1" })]);
    await drain(10_000);
    clock.advance(60_000);
    enqueue([koreanCrash("k2", "api")]);
    await drain(10_000);
    clock.advance(60_000);
    enqueue([koreanCrash("k3", "db"), koreanCrash("k4", "cache")]);
    await drain(60_000);
    const alerts = fx.delivered().map((t) => fx.shown?.(t) ?? t);
    expect(alerts.length).toBeGreaterThanOrEqual(3);
    expect((await notifier.sendTest("web-1")).ok).toBe(true);
    const all = fx.delivered().map((t) => fx.shown?.(t) ?? t);
    const tests = all.slice(alerts.length);
    expect(tests.length).toBeGreaterThanOrEqual(1);
    for (const text of all) {
      // A PagerDuty resolve names the alert only: no text for people in it.
      if (!text.includes('"event_action":"resolve"')) expect(text).toMatch(/[가-힣]/);
      expect(ENGLISH_FIXED.filter((word) => text.includes(word))).toEqual([]);
    }
    expect(alerts[0]).toContain("임계값"); // the CPU alert's threshold
    expect(alerts.join("\n")).toMatch(/… 앞의 \d+줄 생략/); // the crash's log lines, their start left out
    expect(tests.join("\n")).toContain("Lookout 테스트");
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
    const texts = fx.delivered().map((t) => fx.shown?.(t) ?? t);
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
