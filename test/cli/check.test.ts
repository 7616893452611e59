import Database from "better-sqlite3";
import { describe, it, expect, beforeAll, afterAll, beforeEach } from "vitest";
import { FakeSlack, validateSlackPayload } from "../support/fake-slack.js";
import { runCli, workspace } from "../support/cli.js";
import { writeFileSync } from "node:fs";

const fake = new FakeSlack();
let url = "";
beforeAll(async () => {
  url = (await fake.start()).url;
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

/** Disk "/" is far above 1 % used on any machine that runs the tests, so this fires at once. */
const diskFires = (critical: number | null) => `
interval: 1s
host:
  cpu: { enabled: false }
  memory: { enabled: false }
  load: { enabled: false }
  swap: { enabled: false }
  inodes: { enabled: false }
  disk: { warning: 1, critical: ${critical === null ? "null" : critical}, for: 0s, mounts: ["/"] }
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
    writeFileSync(ws.config, diskFires(null).replace("warning: 1,", "warning: 99.9,"));
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
    fake.respondWith(Array.from({ length: 20 }, () => ({ status: 500, body: "internal_error" })));
    const first = await runCli(args, { env: { HOOK: url }, timeoutMs: 60_000 });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/not delivered yet/);
    const failedAttempts = fake.requests.length;
    expect(failedAttempts).toBeGreaterThan(1);
    fake.reset();
    const status = await runCli(["status", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: url } });
    expect(status.stdout).toMatch(/1 notification\(s\) waiting to be delivered/);
    // Backoff has grown past the next check's start: wait for it to be due.
    const db = new Database(`${ws.data}/lookout.db`, { readonly: true });
    const due = db.prepare("SELECT next_attempt_at FROM deliveries").pluck().get() as number;
    db.close();
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
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
});
