/**
 * The mail receiver (notify/email/) against a real SMTP server started here
 * (test/support/fake-smtp.ts: smtp-server on 127.0.0.1, STARTTLS with the
 * test-only certificate of test/fixtures/tls/, AUTH), each mail received
 * parsed with mailparser and checked: subject, both parts, escaping, from/to,
 * threading; SMTP's answers (421/451 retried, 535 given up, in plain words);
 * a burst is one mail; the configuration (password_file, ca_file, problems).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { groupTitle, notificationTitle } from "../../../src/alert/title.js";
import { type LoadedConfig, loadConfig } from "../../../src/config/load.js";
import { ConfigError } from "../../../src/errors.js";
import { setLogLevel, setLogSink } from "../../../src/log.js";
import type { Notification } from "../../../src/model/notification.js";
import { Dispatcher } from "../../../src/notify/dispatcher.js";
import { EmailNotifier, type EmailNotifierConfig } from "../../../src/notify/email/email.js";
import { alertThreadId, buildEmail, EMAIL_LIMITS } from "../../../src/notify/email/message.js";
import type { DeliveryResult } from "../../../src/notify/notifier.js";
import { Outbox, type OutboxJournal } from "../../../src/notify/outbox.js";
import { createNotifiers } from "../../../src/notify/registry.js";
import { instantClock } from "../../support/clock.js";
import { FakeSmtp, TEST_CERT, TLS_DIR, validateMail } from "../../support/fake-smtp.js";
import { sampleNotification } from "../../support/sample-notification.js";

const USER = "lookout@example.com";
const PASS = "pa55-w0rd-Zq8x";
const smtp = new FakeSmtp({ auth: { user: USER, pass: PASS } });
let dir = "";
let lines: string[] = [];
const results: DeliveryResult[] = [];
const track = (r: DeliveryResult) => {
  results.push(r);
  return r;
};

function notifier(o: Partial<EmailNotifierConfig> = {}): EmailNotifier {
  return new EmailNotifier({
    name: "oncall-mail",
    host: "127.0.0.1",
    port: smtp.port,
    username: USER,
    password: PASS,
    ca: TEST_CERT,
    from: "Lookout <lookout@example.com>",
    to: ["oncall@example.com", "ops@example.org"],
    minSeverity: "warning",
    timeoutMs: 5000,
    ...o,
  });
}

const crash = (i: number, name = `c${i}`): Notification =>
  sampleNotification({
    id: `n${i}`,
    alert: {
      alertname: "container_crashed",
      fingerprint: `container_crashed{container="${name}"}`,
      labels: { alertname: "container_crashed", container: name, severity: "critical" },
      severity: "critical",
      display: `Container ${name} crashed`,
      summary: `Container ${name} crashed: exit code 1 (application error)`,
      unit: "bool",
      value: 1,
    },
    details: { facts: [{ label: "Image", value: "api:1.2" }], sections: [{ title: "Last log lines", text: "starting\npanic: boom", code: true }] },
  });

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

beforeAll(async () => {
  await smtp.start();
  dir = mkdtempSync(join(tmpdir(), "lookout-email-"));
});
afterAll(async () => {
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
  setLogSink((line) => process.stderr.write(line + "\n"));
  setLogLevel("info");
});
beforeEach(() => {
  smtp.reset();
  lines = [];
  setLogSink((line) => lines.push(line));
  setLogLevel("debug");
});
afterEach(() => {
  for (const r of results) expect(JSON.stringify(r)).not.toContain(PASS);
  for (const line of lines) expect(line).not.toContain(PASS);
  results.length = 0;
});

describe("EmailNotifier against a real SMTP server (STARTTLS, AUTH)", () => {
  it("sends one mail over STARTTLS after logging in: subject, from/to, a text and an HTML part, headers", async () => {
    const n = sampleNotification();
    const r = track(await notifier().send(n));
    expect(r).toMatchObject({ ok: true });
    expect(r.message).toMatch(/^The mail server 127\.0\.0\.1:\d+ accepted the mail for oncall@example\.com, ops@example\.org \(250 /);
    const [mail] = await smtp.waitFor(1);
    expect(validateMail(mail!.raw, mail!.parsed)).toBeNull();
    expect(mail!.secure).toBe(true);
    expect(mail!.user).toBe(USER);
    expect(mail!.from).toBe("lookout@example.com");
    expect(mail!.to).toEqual(["oncall@example.com", "ops@example.org"]);
    const p = mail!.parsed;
    expect(p.subject).toBe(notificationTitle(n));
    expect(p.from?.value).toEqual([{ address: "lookout@example.com", name: "Lookout" }]);
    expect(p.text).toContain("Host: web-1");
    expect(p.text).toContain("Top processes by CPU");
    expect(p.html).toContain("<th");
    expect(p.html).toContain("web-1");
    expect(p.headers.get("auto-submitted")).toBe("auto-generated");
    expect(p.headers.get("x-lookout-notification-id")).toBe("n-0001");
    expect(p.messageId).toBe(`<${alertThreadId(n, "example.com")}>`);
  });

  it("adds the subject prefix, and sends with TLS on connect (secure, 465) too", async () => {
    const tls = new FakeSmtp({ secure: true, auth: { user: USER, pass: PASS } });
    await tls.start();
    try {
      const r = track(await notifier({ port: tls.port, secure: true, subjectPrefix: "[prod]" }).send(sampleNotification()));
      expect(r.ok).toBe(true);
      const [mail] = await tls.waitFor(1);
      expect(mail!.secure).toBe(true);
      expect(mail!.parsed.subject).toBe(`[prod] ${notificationTitle(sampleNotification())}`);
    } finally {
      await tls.close();
    }
  });

  it("a burst of 30 crashes is one mail whose subject counts them as Slack's header does", async () => {
    const ns = Array.from({ length: 30 }, (_, i) => crash(i));
    const r = track(await notifier().sendMany(ns));
    expect(r.ok).toBe(true);
    const mails = await smtp.waitFor(1);
    await new Promise((res) => setTimeout(res, 100));
    expect(smtp.mails).toHaveLength(1);
    const p = mails[0]!.parsed;
    expect(validateMail(mails[0]!.raw, p)).toBeNull();
    expect(p.subject).toBe("[web-1] 30 containers crashed");
    expect(p.subject).toBe(groupTitle(ns));
    for (const i of [0, 15, 29]) {
      expect(p.text).toContain(`Container c${i} crashed: exit code 1`);
      expect(p.html).toContain(`Container c${i} crashed: exit code 1`);
    }
    expect(p.headers.get("x-lookout-notification-id")).toBe(ns.map((n) => n.id).join(","));
  });

  it("threads a resolved mail under its firing mail (In-Reply-To, References)", async () => {
    const firing = sampleNotification({ id: "f1" });
    const resolved = sampleNotification({ id: "r1", kind: "resolved", at: firing.at + 600_000 });
    track(await notifier().send(firing));
    track(await notifier().send(resolved));
    const [f, r] = await smtp.waitFor(2);
    expect(r!.parsed.inReplyTo).toBe(f!.parsed.messageId);
    expect(r!.parsed.references).toBe(f!.parsed.messageId);
    expect(r!.parsed.messageId).not.toBe(f!.parsed.messageId);
    expect(r!.parsed.subject).toMatch(/RESOLVED/);
  });

  it("keeps hostile machine text inert: no header injection, HTML escaped, no remote image", async () => {
    const HOSTILE = 'evil\r\nBcc: victim@evil.example\r\n\r\n<img src="https://evil.example/t.png"><script>alert(1)</script> @everyone <@U123> [x](https://evil.example) **bold**';
    const n = crash(1, HOSTILE);
    n.hostname = "web-1\nX-Injected: yes";
    n.details.sections = [{ title: "Last log lines", text: `</pre><a href="https://evil.example">click</a>\n\x1b[31mred\x1b[0m`, code: true }];
    const r = track(await notifier().send(n));
    expect(r.ok).toBe(true);
    const [mail] = await smtp.waitFor(1);
    const p = mail!.parsed;
    expect(validateMail(mail!.raw, p)).toBeNull();
    // The headers are Lookout's alone: the subject is one line, nothing was added to them, no one else got it.
    expect(p.headers.has("bcc")).toBe(false);
    expect(p.headers.has("x-injected")).toBe(false);
    expect(mail!.to).toEqual(["oncall@example.com", "ops@example.org"]);
    expect(p.subject).not.toMatch(/[\r\n]/);
    expect(p.subject).toContain("evil\\r\\nBcc: victim@evil.example");
    expect(p.subject!.length).toBeLessThanOrEqual(EMAIL_LIMITS.subject);
    // The HTML part shows the markup as text.
    const html = p.html as string;
    expect(html).not.toMatch(/<img|<script|<a href="https:\/\/evil/i);
    expect(html).toContain("&lt;img src=&quot;https://evil.example/t.png&quot;&gt;&lt;script&gt;");
    expect(html).toContain("&lt;/pre&gt;&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt;");
    expect(html).not.toMatch(/<[a-z][^>]*\ssrc=/i); // no remote (or any) image
    expect(html).toContain("\\x1b[31mred");
    // The text part shows control characters escaped; its lines are Lookout's.
    const text = p.text as string;
    expect(text).not.toContain("\x1b");
    expect(text).toContain("web-1\\nX-Injected: yes");
    expect(text.split("\n").some((l) => l.startsWith("X-Injected"))).toBe(false);
  });
});

describe("SMTP's answers, in plain words", () => {
  it("421 at connect and 451 at DATA: retryable, the server's words quoted", async () => {
    smtp.failNext([{ at: "connect", code: 421, message: "4.3.2 Service not available, closing channel" }]);
    const a = track(await notifier().send(sampleNotification()));
    expect(a).toMatchObject({ ok: false, retryable: true, status: 421 });
    expect(a.message).toContain("is not taking mail for now");
    expect(a.message).toContain("421 4.3.2 Service not available");
    expect(a.message).toContain("Lookout will try again.");

    smtp.failNext([{ at: "data", code: 451, message: "4.7.1 Greylisted, try again later" }]);
    const b = track(await notifier().send(sampleNotification()));
    expect(b).toMatchObject({ ok: false, retryable: true, status: 451 });
    expect(b.message).toContain("451 4.7.1 Greylisted");
    expect(smtp.mails).toHaveLength(0);
  });

  it("535: the login refused, given up, said in plain words without the password", async () => {
    const r = track(await notifier({ password: "wrong-password-123" }).send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: false, status: 535, code: "auth_failed" });
    expect(r.message).toContain(`refused the login of the user ${USER}`);
    expect(r.message).toContain("Check notify.email.smtp.username and password. Not retried.");
    expect(r.message).not.toContain("wrong-password-123");
  });

  it("a server that needs a login and got none: 530, given up", async () => {
    const r = track(await notifier({ username: undefined, password: undefined }).send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: false, status: 530 });
    expect(r.message).toContain("asks for a login");
  });

  it("550 for a recipient (relay denied): given up, says what to check", async () => {
    smtp.failNext([
      { at: "rcpt", code: 550, message: "5.7.1 Relaying denied" },
      { at: "rcpt", code: 550, message: "5.7.1 Relaying denied" },
    ]);
    const r = track(await notifier().send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: false, status: 550 });
    expect(r.message).toContain("Relaying denied");
    expect(r.message).toContain("Not retried.");
  });

  it("one recipient refused, the other accepted: delivered (no copy to the other), the refusal said", async () => {
    smtp.failNext([{ at: "rcpt", code: 550, message: "5.1.1 No such user" }]);
    const r = track(await notifier().send(sampleNotification()));
    expect(r.ok).toBe(true);
    expect(r.message).toContain("It refused oncall@example.com");
    expect(lines.some((l) => l.includes("refused some recipients"))).toBe(true);
  });

  it("a refused connection is retryable; STARTTLS required from a server that offers none is given up and says what to set", async () => {
    const down = track(await notifier({ port: await closedPort() }).send(sampleNotification()));
    expect(down).toMatchObject({ ok: false, retryable: true, code: "ECONNREFUSED" });
    expect(down.message).toContain("refused the connection");

    const plain = new FakeSmtp({ noTls: true });
    await plain.start();
    try {
      const r = track(await notifier({ port: plain.port, username: undefined, password: undefined }).send(sampleNotification()));
      expect(r).toMatchObject({ ok: false, retryable: false, code: "no_starttls" });
      expect(r.message).toContain("offers no STARTTLS");
      expect(r.message).toContain("starttls: opportunistic");
      const ok = track(await notifier({ port: plain.port, username: undefined, password: undefined, starttls: "opportunistic" }).send(sampleNotification()));
      expect(ok.ok).toBe(true);
      const [mail] = await plain.waitFor(1);
      expect(mail!.secure).toBe(false);
    } finally {
      await plain.close();
    }
  });

  it("a certificate not signed by a known CA: retryable, names smtp.ca_file", async () => {
    const r = track(await notifier({ ca: undefined }).send(sampleNotification()));
    expect(r).toMatchObject({ ok: false, retryable: true });
    expect(r.message).toContain("ca_file");
  });

  it("sendTest sends a test mail and says who took it", async () => {
    const r = track(await notifier().sendTest("web-1"));
    expect(r.ok).toBe(true);
    expect(r.message).toMatch(/^The mail server took the test mail: 127\.0\.0\.1:\d+ accepted it for oncall@example\.com/);
    const [mail] = await smtp.waitFor(1);
    expect(mail!.parsed.subject).toBe("[web-1] Lookout test message");
    expect(mail!.parsed.text).toContain("the mail receiver oncall-mail works");
  });
});

describe("through the outbox", () => {
  it("retries 421 then 451 with backoff, then delivers once; nothing lost", async () => {
    const clock = instantClock();
    const journal: OutboxJournal = { delivered() {}, attempted() {}, gaveUp() {}, markReported() {}, forgetReceiversExcept() {}, superseded() {} };
    const outbox = new Outbox({ outbox: [], failed: [] }, () => journal);
    const dispatcher = new Dispatcher({ notifiers: [notifier()], outbox, paceMs: 0, groupWaitMs: 0, clock });
    smtp.failNext([
      { at: "connect", code: 421, message: "4.3.2 Try later" },
      { at: "data", code: 451, message: "4.3.0 Local error" },
    ]);
    dispatcher.enqueue([sampleNotification({ id: "a" })], clock.now());
    await dispatcher.drain(clock.now() + 600_000);
    expect(smtp.log.filter((l) => /^(connect 421|data)/.test(l))).toEqual(["connect 421", "data 451", "data 250"]);
    expect(smtp.mails).toHaveLength(1);
    expect(outbox.entries).toEqual([]);
  });
});

describe("notify.email in the configuration", () => {
  function load(yaml: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
    const path = join(dir, "lookout.yaml");
    writeFileSync(path, yaml, { mode: 0o600 });
    return loadConfig({ configPath: path, env: { ...env, LOOKOUT_DATA_DIR: join(dir, "data") } });
  }

  it("builds a receiver: password_file and ca_file relative to the config file, ${ENV}, default port 587, STARTTLS required", async () => {
    writeFileSync(join(dir, "smtp-password"), `${PASS}\n`, { mode: 0o600 });
    const loaded = load(
      [
        "notify:",
        "  email:",
        "    - name: oncall-mail",
        `      smtp: { host: 127.0.0.1, port: ${smtp.port}, username: "${USER}", password_file: smtp-password, ca_file: ${join(TLS_DIR, "cert.pem")} }`,
        '      from: "Lookout <lookout@example.com>"',
        "      to: [oncall@example.com]",
        '      subject_prefix: "${PREFIX}"',
        "    - smtp: { host: smtp.example.com }",
        "      from: lookout@example.com",
        "      to: [a@example.com]",
        "",
      ].join("\n"),
      { PREFIX: "[prod]" },
    );
    const [mail, other] = createNotifiers(loaded) as EmailNotifier[];
    expect(mail!.kind).toBe("email");
    expect(mail!.target).toBe(`smtp://127.0.0.1:${smtp.port} → oncall@example.com`);
    expect(other!.name).toBe("email[1]");
    expect(other!.target).toBe("smtp://smtp.example.com:587 → a@example.com");
    const r = track(await mail!.send(sampleNotification()));
    expect(r.ok).toBe(true);
    const [m] = await smtp.waitFor(1);
    expect(m!.parsed.subject).toMatch(/^\[prod\] \[web-1\] CRITICAL/);
  });

  it("refuses what is wrong, naming the key and never quoting the password", () => {
    const problems = (yaml: string): string[] => {
      try {
        createNotifiers(load(yaml));
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    };
    const base = (smtpLine: string, extra: string[] = []) =>
      ["notify:", "  email:", `    - smtp: ${smtpLine}`, "      from: lookout@example.com", "      to: [a@example.com]", ...extra, ""].join("\n");
    expect(problems(base("{ host: h, password: 123456789 }")).join("\n")).not.toContain("123456789");
    expect(problems(base("{ host: h, username: u, password: x, password_file: f }"))).toEqual([expect.stringContaining("set password or password_file, not both")]);
    expect(problems(base("{ host: h, secure: true, starttls: required }"))).toEqual([expect.stringContaining("not both")]);
    expect(problems(base("{ host: h, password: x }"))).toEqual([expect.stringContaining("a password needs a username")]);
    expect(problems(base("{ host: h, username: u, password_file: missing-file }"))).toEqual([
      expect.stringMatching(/notify\.email\[0\]\.smtp\.password_file: cannot read .*missing-file \(ENOENT\)/),
    ]);
    expect(problems(base("{ host: h, ca_file: smtp-password }"))).toEqual([expect.stringContaining("holds no PEM certificate")]);
    expect(problems(base("{ host: smtp://h }"))).toEqual([expect.stringContaining("not a URL")]);
    expect(problems(["notify:", "  email:", "    - smtp: { host: h }", '      from: "a@b.c\\nBcc: x@y.z"', "      to: []", ""].join("\n"))).toEqual([
      expect.stringContaining("notify.email[0].from: expected one address"),
      expect.stringContaining("notify.email[0].to: expected at least one address"),
    ]);
  });
});

describe("the mail's size", () => {
  it("lists at most EMAIL_LIMITS.groupShown alerts and names the rest; keeps the end of a long log", () => {
    const ns = Array.from({ length: 150 }, (_, i) => crash(i));
    const m = buildEmail(ns, { domain: "example.com" });
    expect(m.text).toContain(`…and 50 more: c100, c101`);
    const long = crash(1);
    long.details.sections = [{ title: "Last log lines", text: Array.from({ length: 5000 }, (_, i) => `line ${i}`).join("\n"), code: true }];
    const one = buildEmail([long], { domain: "example.com" });
    expect(one.text).toContain("line 4999");
    expect(one.text).toMatch(/… \d+ earlier lines left out/);
    expect(one.text.length).toBeLessThan(EMAIL_LIMITS.section + 2000);
  });
});
