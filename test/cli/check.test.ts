import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF, hostRulesOnly } from "../support/configs.js";
import { FakeSlack, validateSlackPayload } from "../support/fake-slack.js";

const fake = new FakeSlack();
let url = "";
beforeAll(async () => {
  url = (await fake.start()).url;
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

/**
 * Disk "/" is far above 1 % used on any machine that runs the tests, so this fires at once.
 * The other host rules are off: this machine's CPU, memory or load must not add alerts.
 */
const diskFires = (critical: number | null) => `
interval: 1s
${hostRulesOnly({ disk: `{ warning: 1, critical: ${critical === null ? "null" : critical}, for: 0s, mounts: ["/"] }` })}
notify:
  slack:
    - webhook_url: \${HOOK}
`;

describe("lookout check", () => {
  it("exits 1 on WARNING, notifies once, and not again on the next run (state in the data dir)", async () => {
    const ws = workspace(diskFires(null));
    const args = ["check", "--config", ws.config, "--data-dir", ws.data];
    const first = await runCli(args, { env: { HOOK: url } });
    // The stand-in for Slack is not hooks.slack.com: that one warning, nothing else.
    expect(first.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^warning: notify.slack\[0\].webhook_url: not a https:\/\/hooks.slack.com/)]);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/host_disk\s+mount=\/\s+[\d.]+%\s+1\s+-\s+FIRING warning/);
    expect(fake.requests).toHaveLength(1);
    const body = fake.requests[0]!.body as { text: string };
    expect(validateSlackPayload(body)).toBeNull();
    expect(body.text).toMatch(/WARNING: Disk \/ [\d.]+% \(threshold 1%\)/);

    const second = await runCli(args, { env: { HOOK: url } });
    expect(second.code).toBe(1);
    expect(fake.requests).toHaveLength(1);

    // The disk "recovers" when the threshold moves above it: one resolved message.
    writeFileSync(ws.config, diskFires(null).replace("warning: 1,", "warning: 100, hysteresis: 0,"));
    const third = await runCli(args, { env: { HOOK: url } });
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/RESOLVED/);
    expect(fake.requests).toHaveLength(2);
    expect((fake.requests[1]!.body as { text: string }).text).toMatch(/RESOLVED: Disk \//);
  });

  it("exits 2 on CRITICAL and prints the JSON contract", async () => {
    const ws = workspace(diskFires(2));
    const r = await runCli(["check", "--json", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: url } });
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("critical");
    expect(typeof out.hostname).toBe("string");
    expect(new Date(out.checked_at).toISOString()).toBe(out.checked_at);
    const disk = out.metrics.find((m: { name: string; labels: { mount?: string } }) => m.name === "host_disk" && m.labels.mount === "/");
    expect(disk).toMatchObject({ unit: "%" });
    expect(Object.keys(disk).sort()).toEqual(["labels", "name", "unit", "value"]);
    for (const name of ["host_cpu", "host_memory", "host_load", "host_inodes"]) expect(out.metrics.some((m: { name: string }) => m.name === name)).toBe(true);
    expect(out.alerts).toHaveLength(1);
    expect(out.alerts[0]).toMatchObject({
      alertname: "host_disk",
      labels: { alertname: "host_disk", severity: "critical", hostname: out.hostname, mount: "/" },
      state: "firing",
      severity: "critical",
      threshold: 2,
    });
    expect(Object.keys(out.alerts[0]).sort()).toEqual(["alertname", "labels", "severity", "since", "state", "threshold", "value"]);
    expect(fake.requests).toHaveLength(1);
  });

  it("exits 0 and sends nothing when all is well; pending alerts do not count", async () => {
    const ws = workspace(diskFires(null).replace("for: 0s", "for: 1h"));
    const r = await runCli(["check", "--json", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: url } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe("ok");
    expect(out.alerts).toMatchObject([{ alertname: "host_disk", state: "pending" }]);
    expect(fake.requests).toHaveLength(0);
  });

  it("keeps a notification Slack refused with 500 and delivers it on the next check", async () => {
    const ws = workspace(diskFires(null));
    const args = ["check", "--config", ws.config, "--data-dir", ws.data];
    // 500 twice (retried within the check), then a Retry-After beyond the check's delivery budget: the check
    // stops trying at once instead of backing off through its budget; the notification stays queued.
    fake.respondWith([
      { status: 500, body: "internal_error" },
      { status: 500, body: "internal_error" },
      { status: 429, body: "rate_limited", headers: { "retry-after": "300" } },
    ]);
    const first = await runCli(args, { env: { HOOK: url }, timeoutMs: 60_000 });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/not delivered yet/);
    const failedAttempts = fake.requests.length;
    expect(failedAttempts).toBe(3);
    expect(fake.requests.map((r) => r.status)).toEqual([500, 500, 429]);
    fake.reset();
    const status = await runCli(["status", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: url } });
    expect(status.stdout).toMatch(/1 notification\(s\) waiting to be delivered/);
    // The retry is due in 5 minutes: a check before then sends nothing (and keeps it queued)…
    const early = await runCli(args, { env: { HOOK: url } });
    expect(early.code).toBe(1);
    expect(fake.requests).toHaveLength(0);
    // …and the first check once it is due delivers it. The 5 minutes pass in the data directory: the wait is moved
    // to now, as if the next check ran 5 minutes later.
    const db = new Database(`${ws.data}/lookout.db`);
    const due = db.prepare("SELECT next_attempt_at FROM deliveries").pluck().get() as number;
    expect(due).toBeGreaterThan(Date.now() + 240_000);
    db.prepare("UPDATE deliveries SET next_attempt_at = ?").run(Date.now());
    db.close();
    const second = await runCli(args, { env: { HOOK: url } });
    expect(second.code).toBe(1);
    expect(fake.requests).toHaveLength(1);
    expect((fake.requests[0]!.body as { text: string }).text).toMatch(/WARNING: Disk \//);
  }, 90_000);

  it("exits 3 UNKNOWN when nothing could be measured, and says why", async () => {
    const ws = workspace("{}\n");
    const r = await runCli(["check", "--json", "--config", ws.config, "--data-dir", ws.data], { env: { LOOKOUT_HOST_ROOT: "/nonexistent/host" } });
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "unknown", metrics: [] });
    expect(r.stderr).toMatch(/cannot read \/nonexistent\/host\/proc\/stat/);
  });

  it("reports a reboot once, with when it booted and how long it was down; no resolved message", async () => {
    // A host root (as in a container with the host mounted at /host) whose /proc/uptime we control.
    const ws = workspace(`
host_root: ./host
hostname: web-1
${HOST_RULES_OFF}
notify:
  slack:
    - webhook_url: \${HOOK}
`);
    const fixtures = resolve(import.meta.dirname, "../fixtures/proc/this-sandbox");
    const proc = join(ws.dir, "host", "proc");
    mkdirSync(join(proc, "1"), { recursive: true });
    for (const f of ["stat", "meminfo", "loadavg"]) copyFileSync(join(fixtures, f), join(proc, f));
    copyFileSync(join(fixtures, "mountinfo"), join(proc, "1", "mountinfo"));
    const args = ["check", "--config", ws.config, "--data-dir", ws.data];
    writeFileSync(join(proc, "uptime"), "864000.00 1000.00\n"); // up 10 days
    const before = await runCli(args, { env: { HOOK: url } });
    expect(before.code).toBe(0);
    expect(fake.requests).toHaveLength(0);
    writeFileSync(join(proc, "uptime"), "0.50 0.10\n"); // booted half a second ago: after the last check saw it up
    const after = await runCli(args, { env: { HOOK: url } });
    expect(after.code).toBe(1);
    expect(fake.requests).toHaveLength(1);
    const text = (fake.requests[0]!.body as { text: string }).text;
    expect(text).toMatch(/^\[web-1\] WARNING: Host rebooted at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect(JSON.stringify(fake.requests[0]!.body)).toMatch(/Last seen up/);
    // Still within the report window: not sent again; and when it ends, nothing says "resolved".
    writeFileSync(join(proc, "uptime"), "5.00 0.10\n");
    expect((await runCli(args, { env: { HOOK: url } })).code).toBe(1);
    expect(fake.requests).toHaveLength(1);
  });

  it("routes critical to oncall and warnings to monitoring, and sends the daily summary once to the route it names", async () => {
    const oncall = "/services/T1/B1/oncall";
    const monitoring = "/services/T1/B2/monitoring";
    fake.addPath(oncall);
    fake.addPath(monitoring);
    const d = new Date(Date.now() - 60_000); // the summary's time has just passed
    const at = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    const ws = workspace(`
hostname: web-1
${hostRulesOnly({ memory: "{ warning: 1, critical: null, for: 0s }", disk: '{ warning: 1, critical: 2, for: 0s, mounts: ["/"] }' })}
notify:
  slack:
    - name: oncall
      webhook_url: \${ONCALL}
    - name: monitoring
      webhook_url: \${MONITORING}
  routes:
    - receiver: oncall
      min_severity: critical
    - receiver: monitoring
  daily_summary: { at: "${at}", receiver: monitoring }
`);
    const env = { ONCALL: fake.urlFor(oncall), MONITORING: fake.urlFor(monitoring) };
    const args = ["check", "--config", ws.config, "--data-dir", ws.data];
    const first = await runCli(args, { env });
    expect(first.code).toBe(2);
    const to = (path: string) => fake.requests.filter((r) => r.path === path).map((r) => (r.body as { text: string }).text);
    expect(to(oncall)).toEqual([expect.stringMatching(/^\[web-1\] CRITICAL: Disk \//)]);
    // The memory warning stops at monitoring's route; the critical disk stopped at oncall's (no continue).
    expect(to(monitoring).join("\n")).toMatch(/WARNING: Memory/);
    expect(to(monitoring).join("\n")).not.toMatch(/Disk/);
    expect(to(monitoring).join("\n")).toMatch(/DAILY SUMMARY: 2 alerts firing \(1 critical\)/);
    const sent = fake.requests.length;
    const second = await runCli(args, { env });
    expect(second.code).toBe(2);
    expect(fake.requests).toHaveLength(sent); // no second summary, no repeat of a firing alert
  });
});
