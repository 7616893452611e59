/**
 * The Discord, Telegram and Microsoft Teams receivers against stand-ins on
 * 127.0.0.1 that check every request against the service's documented format
 * and limits (test/support/fake-chat.ts) and answer as the service does:
 * delivered, rate-limited with the service's own retry-after form, failing
 * (5xx, 4xx); hostile machine text reaches the channel inert; a burst of 30
 * crashes is one message; an outage then recovery (on a test clock) delivers
 * everything once, in order; limits are kept with a visible cut; no secret in
 * a result or a log line.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { setLogLevel, setLogSink } from "../../../src/log.js";
import type { Notification } from "../../../src/model/notification.js";
import type { ChatNotifier } from "../../../src/notify/chat-receiver.js";
import { DiscordNotifier } from "../../../src/notify/discord/discord.js";
import type { DiscordPayload } from "../../../src/notify/discord/message.js";
import { Dispatcher } from "../../../src/notify/dispatcher.js";
import { DashboardLinks } from "../../../src/notify/links.js";
import type { DeliveryResult } from "../../../src/notify/notifier.js";
import { Outbox, type OutboxJournal } from "../../../src/notify/outbox.js";
import { TeamsNotifier } from "../../../src/notify/teams/teams.js";
import type { TelegramPayload } from "../../../src/notify/telegram/message.js";
import { TelegramNotifier } from "../../../src/notify/telegram/telegram.js";
import { clearSecrets } from "../../../src/secrets.js";
import { instantClock } from "../../support/clock.js";
import { type Answer, type ChatKind, FakeChat, TEAMS_QUERY, TELEGRAM_TOKEN } from "../../support/fake-chat.js";
import { sampleNotification, T0 } from "../../support/sample-notification.js";

interface Kind {
  kind: ChatKind;
  make(fake: FakeChat, extra?: { links?: DashboardLinks; url?: string }): ChatNotifier;
  /** The service's 429, and the wait it asks for. */
  rateLimited: Answer;
  waitMs: number;
  /** Its answer to a webhook or token that does not exist. */
  gone: Answer;
  goneWords: RegExp;
  /** Parts of the secret that must never show. */
  secrets: string[];
  /** Every text of the message, as sent. */
  texts(body: unknown): string[];
  /** What a reader sees of a text (Discord hides its escapes). */
  visible?: (text: string) => string;
  /** The message's text outside its preformatted blocks (log lines keep their own lines there). */
  prose(body: unknown): string;
}

const KINDS: Kind[] = [
  {
    kind: "discord",
    make: (fake, extra = {}) => new DiscordNotifier({ name: "ops-discord", url: extra.url ?? fake.url, minSeverity: "warning", links: extra.links }),
    rateLimited: {
      status: 429,
      body: JSON.stringify({ message: "You are being rate limited.", retry_after: 2.5, global: false }),
      headers: { "retry-after": "3", "x-ratelimit-limit": "5", "x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "2.5" },
    },
    waitMs: 2500,
    gone: { status: 404, body: JSON.stringify({ message: "Unknown Webhook", code: 10015 }) },
    goneWords: /webhook no longer exists.*New Webhook/,
    secrets: ["discordTOKENabcdefghijklmnop", "123456789012345678"],
    texts: discordTexts,
    visible: (t) => t.replace(/\\([^\w\s])/g, "$1").replace(/\u200b/g, ""),
    prose: (b) =>
      discordTexts(b, false)
        .join("\n")
        .replace(/```[\s\S]*?```/g, ""),
  },
  {
    kind: "telegram",
    make: (fake, extra = {}) =>
      new TelegramNotifier({
        name: "ops-telegram",
        botToken: TELEGRAM_TOKEN,
        chatId: "-1001234567890",
        threadId: 42,
        apiUrl: extra.url ?? fake.url,
        minSeverity: "warning",
        links: extra.links,
      }),
    rateLimited: { status: 429, body: JSON.stringify({ ok: false, error_code: 429, description: "Too Many Requests: retry after 7", parameters: { retry_after: 7 } }) },
    waitMs: 7000,
    gone: { status: 401, body: JSON.stringify({ ok: false, error_code: 401, description: "Unauthorized" }) },
    goneWords: /refused the bot token.*@BotFather/,
    secrets: [TELEGRAM_TOKEN, TELEGRAM_TOKEN.split(":")[1]!],
    texts: (b) => [(b as TelegramPayload).text],
    prose: (b) => (b as TelegramPayload).text.replace(/<pre>[\s\S]*?<\/pre>/g, ""),
  },
  {
    kind: "teams",
    make: (fake, extra = {}) => new TeamsNotifier({ name: "ops-teams", url: extra.url ?? fake.url, minSeverity: "warning", links: extra.links }),
    rateLimited: { status: 429, body: JSON.stringify({ error: { code: "TooManyRequests", message: "Rate limit is exceeded." } }), headers: { "retry-after": "4" } },
    waitMs: 4000,
    gone: { status: 404, body: JSON.stringify({ error: { code: "WorkflowNotFound", message: "The workflow could not be found." } }) },
    goneWords: /workflow no longer exists.*Workflows/,
    secrets: ["teamsSIGabcdefghijklmnop", TEAMS_QUERY],
    texts: (b) => teamsTexts(b, true),
    prose: (b) => teamsTexts(b, false).join("\n"),
  },
];

function discordTexts(b: unknown, footer = true): string[] {
  const p = b as DiscordPayload;
  return [p.content, ...p.embeds.flatMap((e) => [e.title, e.description ?? "", footer ? (e.footer?.text ?? "") : "", ...(e.fields ?? []).flatMap((f) => [f.name, f.value])])];
}

function teamsTexts(b: unknown, monospace: boolean): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if ((o.type === "TextRun" || o.type === "TextBlock") && (monospace || o.fontType !== "Monospace")) out.push(String(o.text));
      Object.values(o).forEach(walk);
    }
  };
  walk(b);
  return out;
}

const shown = (k: Kind, texts: string[]) => texts.map((t) => (k.visible ? k.visible(t) : t)).join("\n");

/** Machine text as hostile as it comes: mentions, a masked link, HTML, markdown, a forged line, ANSI, bidi, a bot command. */
const HOSTILE =
  "@everyone @here <@123456> <#999> [click](https://evil.example/x) <b>bold</b><script>alert(1)</script> **md** _i_ ~~s~~ `c` ``` fence # h\nINJECTED CRITICAL: fake\x1b[2J\u202e &amp; <at>boss</at> /start";

function hostileCrash(id: string, container = `api ${HOSTILE}`): Notification {
  return sampleNotification({
    id,
    alert: {
      alertname: "container_crashed",
      fingerprint: `container_crashed{container="${container}",hostname="web-1"}`,
      labels: { alertname: "container_crashed", severity: "critical", hostname: "web-1", container },
      display: `Container ${container}`,
      summary: `Container ${container} crashed: exit code 1`,
      unit: "bool",
      value: 1,
    },
    details: {
      facts: [
        { label: `Image ${HOSTILE}`, value: `shop/api:1.4 ${HOSTILE}` },
        { label: "Mount", value: `/mnt/${HOSTILE}` },
      ],
      sections: [{ title: `Last log lines of ${container}`, text: `starting\r\n${HOSTILE}\r\nboom`, code: true }],
    },
  });
}

const crash = (i: number) =>
  sampleNotification({
    id: `c-${String(i).padStart(2, "0")}`,
    alert: {
      alertname: "container_crashed",
      fingerprint: `container_crashed{container="api-${i}"}`,
      labels: { alertname: "container_crashed", severity: "critical", hostname: "web-1", container: `api-${i}` },
      display: `Container api-${i}`,
      summary: `Container api-${i} crashed: exit code 137`,
      unit: "bool",
      value: 1,
    },
    details: { facts: [{ label: "Image", value: "shop/api:1.4" }], sections: [{ title: "Last log lines", text: "x\n".repeat(40), code: true }] },
  });

function memoryOutbox(): Outbox {
  const journal: OutboxJournal = { delivered() {}, attempted() {}, gaveUp() {}, markReported() {}, forgetReceiversExcept() {}, superseded() {} };
  return new Outbox({ outbox: [], failed: [] }, () => journal);
}

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

for (const k of KINDS) {
  describe(`${k.kind} receiver`, () => {
    const fake = new FakeChat(k.kind);
    let lines: string[] = [];
    const results: DeliveryResult[] = [];
    const keep = (r: DeliveryResult) => {
      results.push(r);
      return r;
    };

    beforeAll(async () => {
      await fake.start();
    });
    afterAll(async () => {
      await fake.close();
      setLogSink((line) => process.stderr.write(`${line}\n`));
      setLogLevel("info");
      clearSecrets();
    });
    beforeEach(() => {
      fake.reset();
      fake.now = Date.now;
      lines = [];
      setLogSink((line) => lines.push(line));
      setLogLevel("debug");
    });
    afterEach(() => {
      for (const text of [...results.map((r) => `${r.message} ${r.answer ?? ""} ${r.code ?? ""}`), ...lines]) for (const s of k.secrets) expect(text).not.toContain(s);
      results.length = 0;
    });

    it("posts the service's documented format and takes its success as delivered; its target is masked", async () => {
      const n = k.make(fake);
      expect(n.kind).toBe(k.kind);
      for (const s of k.secrets) expect(n.target).not.toContain(s);
      const r = keep(await n.send(sampleNotification()));
      expect(r).toMatchObject({ ok: true, retryable: false });
      const [req] = await fake.waitFor(1);
      expect(req!.problem).toBeNull();
      expect(req!.method).toBe("POST");
      expect(req!.headers["content-type"]).toBe("application/json");
      expect(shown(k, k.texts(req!.body))).toContain("[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m");
      if (k.kind === "discord") expect((req!.body as DiscordPayload).allowed_mentions).toEqual({ parse: [] });
      if (k.kind === "telegram")
        expect(req!.body).toMatchObject({ chat_id: -1001234567890, message_thread_id: 42, parse_mode: "HTML", link_preview_options: { is_disabled: true } });
      if (k.kind === "teams") expect(r.status).toBe(202);
    });

    it("the test message reaches the service", async () => {
      const r = keep(await k.make(fake).sendTest("web-1"));
      expect(r.ok).toBe(true);
      const [req] = await fake.waitFor(1);
      expect(req!.problem).toBeNull();
      expect(shown(k, k.texts(req!.body))).toContain("Lookout test message");
    });

    it("takes the service's own 429 and retry-after: retryable after that wait", async () => {
      fake.respondWith([k.rateLimited]);
      const r = keep(await k.make(fake).send(sampleNotification()));
      expect(r).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: k.waitMs });
      expect(r.message).toMatch(/rate-limiting/);
    });

    it("retries a 5xx and a dropped connection; not an unknown webhook or token, and says what to do", async () => {
      fake.respondWith([{ status: 502, body: "<html><body>Bad Gateway</body></html>" }, { status: 200, drop: true }, k.gone]);
      const n = k.make(fake);
      const five = keep(await n.send(sampleNotification()));
      expect(five).toMatchObject({ ok: false, retryable: true, status: 502 });
      const dropped = keep(await n.send(sampleNotification()));
      expect(dropped).toMatchObject({ ok: false, retryable: true });
      const gone = keep(await n.send(sampleNotification()));
      expect(gone).toMatchObject({ ok: false, retryable: false, status: k.gone.status });
      expect(gone.messageRefused).toBeUndefined();
      expect(gone.message).toMatch(k.goneWords);
    });

    it("a message the service refuses for what it holds is refused alone (a group splits), and logged without a secret", async () => {
      const refusal: Answer =
        k.kind === "discord"
          ? { status: 400, body: JSON.stringify({ code: 50035, message: "Invalid Form Body" }) }
          : k.kind === "telegram"
            ? { status: 400, body: JSON.stringify({ ok: false, error_code: 400, description: "Bad Request: can't parse entities: unsupported start tag" }) }
            : { status: 400, body: JSON.stringify({ error: { code: "InvalidRequestContent", message: "bad card" } }) };
      fake.respondWith([refusal]);
      const r = keep(await k.make(fake).send(sampleNotification()));
      expect(r).toMatchObject({ ok: false, retryable: false, messageRefused: true, status: 400 });
      expect(lines.some((l) => l.includes("refused a message Lookout built"))).toBe(true);
    });

    it("hostile machine text reaches the channel inert, and the service takes the message", async () => {
      const r = keep(await k.make(fake, { links: new DashboardLinks("https://lookout.example.com/") }).sendMany([hostileCrash("h-1"), hostileCrash("h-2", "db")]));
      const r1 = keep(await k.make(fake).send(hostileCrash("h-3")));
      expect(r.ok && r1.ok).toBe(true);
      const reqs = await fake.waitFor(2);
      for (const req of reqs) {
        expect(req.problem).toBeNull();
        const texts = k.texts(req.body);
        const all = texts.join("\n");
        expect(all).toContain("INJECTED"); // shown, not obeyed
        for (const t of texts) expect(t).not.toMatch(RAW_CONTROL);
        expect(k.prose(req.body)).not.toContain("\nINJECTED CRITICAL"); // no forged line outside a log block
        // A zero-width character after each @ (Teams: a TextRun cannot mention; only <at> with entities can).
        if (k.kind !== "teams") expect(all).not.toMatch(/@everyone|@here/);
        if (k.kind === "discord") {
          // Every markdown character of machine text is escaped: no link, mention, bold or heading can form.
          // (In a ``` block nothing is markdown, and its fence cannot be closed from inside.)
          const prose = k.prose(req.body);
          expect(prose).not.toMatch(/(^|[^\\])\[click(?!\\)/);
          expect(prose).not.toMatch(/(^|[^\\])<@123456>/);
          expect(prose).not.toMatch(/(^|[^\\])<#999>/);
          expect(prose).toContain("\\[click\\]\\(https\\://evil.example/x\\)");
          expect(prose).not.toMatch(/https:\/\/evil/);
          expect((prose.match(/```/g) ?? []).length).toBe(0);
          expect(((req.body as DiscordPayload).embeds[0]!.description!.match(/```/g) ?? []).length % 2).toBe(0);
        }
        if (k.kind === "telegram") {
          const text = (req.body as TelegramPayload).text;
          expect(text).not.toMatch(/<script|<b>bold|<at>|href="https:\/\/evil/);
          expect(text).toContain("&lt;script&gt;");
          expect(text).toContain("&amp;amp;");
          expect(text).not.toMatch(/(^|\s)\/start/);
          const hrefs = [...text.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
          for (const h of hrefs) expect(h).toMatch(/^https:\/\/lookout\.example\.com\//);
        }
        if (k.kind === "teams") {
          // Machine text only in TextRuns (never markdown); the only links are Lookout's own.
          expect(req.raw).not.toContain('"TextBlock"');
          const urls = [...req.raw.matchAll(/"url":"([^"]*)"/g)].map((m) => m[1]!);
          for (const u of urls) expect(u).toMatch(/^https:\/\/lookout\.example\.com\//);
        }
      }
    });

    it("keeps the service's limits with a visible cut: huge logs, many long facts, a long title", async () => {
      const huge = sampleNotification({
        id: "big",
        alert: { display: `CPU ${"x".repeat(5000)}` },
        details: {
          facts: Array.from({ length: 60 }, (_, i) => ({ label: `fact ${i} ${"l".repeat(300)}`, value: `${"v&<>*_@".repeat(800)}` })),
          sections: [
            { title: "Last log lines", text: Array.from({ length: 3000 }, (_, i) => `line ${i} ${"é🙂<&>".repeat(20)}`).join("\n"), code: true },
            { title: "Health check", text: "h".repeat(50_000), code: false },
          ],
        },
      });
      const r = keep(await k.make(fake).send(huge));
      expect(r.ok).toBe(true);
      const [req] = await fake.waitFor(1);
      expect(req!.problem).toBeNull();
      const all = shown(k, k.texts(req!.body));
      expect(all).toContain("…");
      expect(all).toContain("line 2999"); // a log keeps its end
    });

    it("a burst of 30 container crashes is one message, valid, naming what it has no room for", async () => {
      const clock = instantClock(T0);
      fake.now = () => clock.now();
      const outbox = memoryOutbox();
      const n = k.make(fake);
      const dispatcher = new Dispatcher({ notifiers: [n], outbox, paceMs: 1000, groupWaitMs: 2000, clock });
      dispatcher.enqueue(
        Array.from({ length: 30 }, (_, i) => crash(i)),
        clock.now(),
      );
      await dispatcher.drain(clock.now() + 60_000);
      expect(fake.requests).toHaveLength(1);
      const [req] = fake.requests;
      expect(req!.problem).toBeNull();
      expect(req!.headers["x-lookout-notification-id"]).toBe(Array.from({ length: 30 }, (_, i) => `c-${String(i).padStart(2, "0")}`).join(","));
      const all = shown(k, k.texts(req!.body));
      expect(all).toContain("30 containers crashed");
      expect(all).toContain("api-0");
      expect(all).toContain("api-29");
      // 200 at once: one message, within limits, the rest named in one line.
      fake.reset();
      const many = await n.sendMany(Array.from({ length: 200 }, (_, i) => crash(i)));
      keep(many);
      expect(many.ok).toBe(true);
      const [big] = await fake.waitFor(1);
      expect(big!.problem).toBeNull();
      expect(shown(k, k.texts(big!.body))).toMatch(/and \d+ more: /);
    });

    it("an outage of the service then its recovery delivers everything once, in order (test clock)", async () => {
      const clock = instantClock(T0);
      fake.now = () => clock.now();
      const outageEnd = T0 + 2 * 60_000;
      fake.respondBy((req) => (req.at < outageEnd ? { status: 503, body: "" } : undefined));
      const outbox = memoryOutbox();
      const dispatcher = new Dispatcher({ notifiers: [k.make(fake)], outbox, paceMs: 1000, groupWaitMs: 0, clock });
      dispatcher.enqueue([sampleNotification({ id: "a" })], clock.now());
      const draining = dispatcher.drain(clock.now() + 30 * 60_000);
      dispatcher.enqueue([sampleNotification({ id: "b", alert: { fingerprint: "b" } })], clock.now());
      dispatcher.enqueue([sampleNotification({ id: "c", alert: { fingerprint: "c" } })], clock.now());
      await draining;
      await dispatcher.drain(clock.now() + 30 * 60_000);
      const failed = fake.requests.filter((r) => r.status >= 500);
      const delivered = fake.requests.filter((r) => r.status < 300);
      expect(failed.length).toBeGreaterThan(1);
      for (const r of fake.requests) expect(r.problem).toBeNull();
      const ids = delivered.flatMap((r) => String(r.headers["x-lookout-notification-id"]).split(","));
      expect(ids).toEqual(["a", "b", "c"]);
      expect(delivered[0]!.at).toBeGreaterThanOrEqual(outageEnd);
      expect(outbox.pendingCount()).toBe(0);
    });
  });
}

describe("service specifics", () => {
  it("Telegram: a group that became a supergroup names its new chat id; a missing chat says how to find it", async () => {
    const fake = new FakeChat("telegram");
    await fake.start();
    try {
      const n = KINDS[1]!.make(fake);
      fake.respondWith([
        {
          status: 400,
          body: JSON.stringify({
            ok: false,
            error_code: 400,
            description: "Bad Request: group chat was upgraded to a supergroup chat",
            parameters: { migrate_to_chat_id: -1009876543210 },
          }),
        },
        { status: 400, body: JSON.stringify({ ok: false, error_code: 400, description: "Bad Request: chat not found" }) },
      ]);
      const migrated = await n.send(sampleNotification());
      expect(migrated).toMatchObject({ ok: false, retryable: false, code: "migrated" });
      expect(migrated.messageRefused).toBeUndefined();
      expect(migrated.message).toContain("-1009876543210");
      const missing = await n.send(sampleNotification());
      expect(missing).toMatchObject({ code: "chat_not_found" });
      expect(missing.message).toMatch(/chat_id.*-100/);
      // A wrong token: Telegram answers 401/404 for the path; said without the token.
      const wrong = new TelegramNotifier({ name: "t", botToken: "999:AAwrongTOKENabcdefghijklmnop", chatId: "1", apiUrl: fake.url, minSeverity: "warning" });
      const r = await wrong.send(sampleNotification());
      expect(r).toMatchObject({ ok: false, retryable: false, status: 401 });
      expect(r.message).not.toContain("AAwrongTOKEN");
      expect(wrong.target).toBe(`${fake.url}/bot****/sendMessage (chat 1)`);
    } finally {
      await fake.close();
    }
  });

  it("Discord: a 429 without a JSON body falls back to the Retry-After header", async () => {
    const fake = new FakeChat("discord");
    await fake.start();
    try {
      fake.respondWith([{ status: 429, body: "<html>error 1015</html>", headers: { "retry-after": "12" } }]);
      const r = await KINDS[0]!.make(fake).send(sampleNotification());
      expect(r).toMatchObject({ retryable: true, retryAfterMs: 12_000 });
    } finally {
      await fake.close();
    }
  });
});
