/**
 * End to end: `lookout run` as a real process, a real HTTP stand-in for Slack.
 * The CPU test reads a host root whose /proc the test writes (busy, then idle),
 * so that other work on this machine can neither fire nor hold the alert; the
 * other tests watch the real disk "/" with every other host rule off.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli, workspace } from "../support/cli.js";
import { hostRulesOnly } from "../support/configs.js";
import { FakeHostProc } from "../support/fake-host-proc.js";
import { FakeSlack } from "../support/fake-slack.js";
import { FakeWebhook } from "../support/fake-webhook.js";

const fake = new FakeSlack();
const hosts: FakeHostProc[] = [];

beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  for (const h of hosts) h.stop();
  await fake.close();
});

const texts = () => fake.requests.map((r) => (r.body as { text: string }).text);

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Disk "/" is far above 1 % used on any test machine: this alert fires on the first cycle. The other host rules are off. */
const DISK_ONLY = hostRulesOnly({ disk: '{ warning: 1, critical: null, mounts: ["/"] }' });
const diskAlertWorkspace = (
  notify = `
  slack:
    - webhook_url: \${HOOK}`,
) =>
  workspace(`
interval: 500ms
${DISK_ONLY}
notify:${notify}
`);

describe("lookout run", () => {
  it("sends exactly one firing and one resolved message for a CPU burst, then exits cleanly on SIGTERM", async () => {
    // The host's /proc is the test's: 0 % busy, then 100 % for a while, then idle again.
    const ws = workspace(`
interval: 500ms
host_root: ./host
${hostRulesOnly({ cpu: "{ warning: 70, critical: null, for: 1s, hysteresis: 10 }" })}
notify:
  repeat_interval: 0
  slack:
    - webhook_url: \${HOOK}
`);
    const host = new FakeHostProc(join(ws.dir, "host"));
    hosts.push(host);
    const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
    try {
      await until(() => agent.out.stderr.includes("lookout started"), 10_000, "the agent to start");
      host.busy = true;
      await fake.waitFor(1, 20_000);
      expect(texts()[0]).toMatch(/^\[.+\] WARNING: CPU [\d.]+% \(threshold 70%\) for \d+s$/);
      const firing = fake.requests[0]!.body as { attachments: Array<{ blocks: unknown[] }> };
      // The message names the top processes, read under the host root: the burner.
      expect(JSON.stringify(firing.attachments[0]!.blocks)).toContain(`${FakeHostProc.BURNER_NAME} (${FakeHostProc.BURNER_PID})`);

      host.busy = false;
      await fake.waitFor(2, 20_000);
      expect(texts()[1]).toMatch(/^\[.+\] RESOLVED: CPU [\d.]+% after \d+s \(peak [\d.]+%\)$/);
      // Nothing more: no reminder (repeat_interval 0), no second firing.
      await new Promise((r) => setTimeout(r, 2000));
      expect(texts()).toHaveLength(2);
      // stdout carries the same two alerts, one line each.
      expect(agent.out.stdout.split("\n").filter((l) => / (WARNING|RESOLVED): CPU/.test(l))).toHaveLength(2);
    } finally {
      host.stop();
      const code = await agent.stop("SIGTERM");
      expect(code).toBe(0);
    }
    expect(agent.out.stderr).toMatch(/stopped/);
    expect(agent.out.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(agent.out.stderr + agent.out.stdout).not.toContain(fake.url);
    // State survived: restarting while nothing fires sends nothing.
    expect(existsSync(`${ws.data}/lookout.db`)).toBe(true);
    const db = new Database(`${ws.data}/lookout.db`, { readonly: true });
    expect(db.prepare("SELECT COUNT(*) FROM alerts").pluck().get()).toBe(0);
    expect(db.prepare("SELECT COUNT(*) FROM notifications").pluck().get()).toBe(0);
    db.close();
  }, 90_000);

  it("runs with no webhook, prints alerts on stdout and says how to add Slack", async () => {
    const ws = workspace(`
interval: 500ms
${DISK_ONLY}
`);
    const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data]);
    try {
      await until(() => /WARNING: Disk \//.test(agent.out.stdout), 15_000, "the disk alert on stdout");
      expect(agent.out.stdout).toMatch(/No Slack webhook configured.*LOOKOUT_SLACK_WEBHOOK_URL/);
    } finally {
      expect(await agent.stop("SIGINT")).toBe(0);
    }
  }, 30_000);

  it("does not resend a firing alert after a restart", async () => {
    const ws = diskAlertWorkspace();
    fake.reset();
    const first = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
    await fake.waitFor(1, 15_000);
    expect(await first.stop()).toBe(0);
    const second = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
    await until(() => (second.out.stderr.match(/lookout started/g) ?? []).length === 1, 10_000, "restart");
    await new Promise((r) => setTimeout(r, 2500));
    expect(await second.stop()).toBe(0);
    expect(fake.requests).toHaveLength(1);
  }, 40_000);

  it("keeps running through a Slack outage and delivers the alert when Slack is back", async () => {
    const ws = diskAlertWorkspace();
    fake.reset();
    fake.respondWith([
      { status: 500, body: "internal_error" },
      { status: 503, body: "service_unavailable" },
      { drop: true, status: 0 },
      { status: 429, body: "rate_limited", headers: { "retry-after": "1" } },
    ]);
    const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
    try {
      await fake.waitFor(5, 30_000);
      expect((fake.requests[4]!.body as { text: string }).text).toMatch(/WARNING: Disk \//);
      expect(new Set(fake.requests.map((r) => r.headers["x-lookout-notification-id"])).size).toBe(1);
      expect(agent.child.exitCode).toBeNull();
      expect(agent.out.stderr).toMatch(/will retry/);
      await until(() => agent.out.stderr.includes("notification delivered"), 5000, "the delivery to be logged");
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    expect(agent.out.stderr).not.toContain(fake.url);
  }, 45_000);

  it("refuses a cron check on the data directory a running agent holds, and sends nothing twice", async () => {
    const ws = diskAlertWorkspace();
    fake.reset();
    const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
    try {
      await fake.waitFor(1, 15_000);
      const check = await runCli(["check", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
      expect(check.code).toBe(3);
      expect(check.stderr).toMatch(/another Lookout agent \(pid \d+, "lookout run" since .*\) is using the data directory/);
      expect(check.stdout).toBe("");
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    // Once it has stopped, check may run: the alert is remembered, not sent again.
    const after = await runCli(["check", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
    expect(after.code).toBe(1);
    expect(fake.requests).toHaveLength(1);
  }, 40_000);

  it("sends to a generic webhook in Alertmanager's format, with its header, and pings the heartbeat", async () => {
    const hook = new FakeWebhook();
    await hook.start();
    const beat = new FakeWebhook();
    await beat.start();
    try {
      const ws = diskAlertWorkspace(`
  webhooks:
    - url: \${HOOK}
      headers: { Authorization: "Bearer \${TOKEN}" }
  heartbeat:
    url: \${BEAT}
    every: 1s`);
      const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: hook.url, BEAT: beat.url, TOKEN: "s3cret-token-value" } });
      try {
        await hook.waitFor(1, 15_000);
        await beat.waitFor(2, 15_000);
      } finally {
        expect(await agent.stop()).toBe(0);
      }
      const body = hook.requests[0]!.body as { version: string; status: string; alerts: Array<{ labels: Record<string, string>; fingerprint: string; endsAt: string }> };
      expect(body.version).toBe("4");
      expect(body.status).toBe("firing");
      expect(body.alerts[0]!.labels).toMatchObject({ alertname: "host_disk", mount: "/", severity: "warning" });
      expect(body.alerts[0]!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
      expect(hook.requests[0]!.headers.authorization).toBe("Bearer s3cret-token-value");
      expect(agent.out.stderr + agent.out.stdout).not.toContain("s3cret-token-value");
      expect(agent.out.stderr + agent.out.stdout).not.toContain(beat.url);
    } finally {
      await hook.close();
      await beat.close();
    }
  }, 40_000);
});
