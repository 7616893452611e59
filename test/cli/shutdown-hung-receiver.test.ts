/**
 * SIGTERM while a receiver hangs: the real CLI stops within its 3 s delivery
 * deadline (systemd's TimeoutStopSec is 15 s), aborting the request in flight,
 * and the notification stays queued for the next start, not counted as an
 * attempt. Disk "/" is far above 1 % used on any machine; every other host
 * rule is off.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli, workspace } from "../support/cli.js";
import { hostRulesOnly } from "../support/configs.js";
import { FakeWebhook } from "../support/fake-webhook.js";
import { until } from "../support/wait.js";

const hook = new FakeWebhook();
beforeAll(async () => {
  await hook.start();
  hook.respondAlways({ status: 200, hang: true }); // takes the request, never answers
});
afterAll(() => hook.close());

const DISK_ONLY = hostRulesOnly({ disk: '{ warning: 1, critical: null, mounts: ["/"] }' });

describe("lookout run, stopped while a receiver hangs", () => {
  it("exits 0 within 5 s of SIGTERM, and the notification stays queued, not counted as an attempt", async () => {
    const ws = workspace(`interval: 300ms\n${DISK_ONLY}\nnotify:\n  timeout: 60s\n  webhooks:\n    - name: hung\n      url: \${HOOK}\n`);
    const args = ["--config", ws.config, "--data-dir", ws.data];
    const env = { HOOK: hook.url };
    const agent = startCli(["run", ...args], { env });
    let code: number | null;
    let took: number;
    try {
      await until(
        () => hook.requests.length >= 1,
        15_000,
        "the alert to reach the hung receiver",
        () => agent.out.stderr,
      );
    } finally {
      const t0 = Date.now();
      code = await agent.stop("SIGTERM", 15_000);
      took = Date.now() - t0;
    }
    expect(code, agent.out.stderr).toBe(0);
    expect(took).toBeLessThan(5000);
    expect(agent.out.stderr).toMatch(/cut short because Lookout is stopping/);

    const status = await runCli(["status", "--json", ...args], { env });
    const out = JSON.parse(status.stdout) as { undelivered: Array<{ receiver: string; attempts: number; alert: string }>; failed: unknown[] };
    expect(out.undelivered).toMatchObject([{ receiver: "hung", attempts: 0 }]);
    expect(out.undelivered[0]!.alert).toMatch(/host_disk/);
    expect(out.failed).toEqual([]);
  }, 40_000);
});
