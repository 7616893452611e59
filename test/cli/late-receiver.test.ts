/**
 * A receiver added after an alert fired hears of it once, as firing: the real
 * CLI (`check` without a webhook, then `run` with one), a local stand-in for
 * Slack and one for a webhook. Disk "/" is far above 1 % used on any machine;
 * every other host rule is off.
 */

import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli, startCli, workspace } from "../support/cli.js";
import { hostRulesOnly } from "../support/configs.js";
import { standInReceivers } from "../support/receivers.js";
import { until } from "../support/wait.js";

const { slack, hook } = standInReceivers();

const DISK_ONLY = hostRulesOnly({ disk: '{ warning: 1, critical: null, mounts: ["/"] }' });
const titles = () => slack.requests.map((r) => (r.body as { text: string }).text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a receiver added while an alert fires", () => {
  it("gets the alert once on the next cycle, and a receiver newly routed to it gets it once too", async () => {
    const ws = workspace(`interval: 300ms\n${DISK_ONLY}\n`);
    const args = ["--config", ws.config, "--data-dir", ws.data];
    const env = { HOOK: slack.url, OPS: hook.url };

    // 1. No receiver: the alert fires and is only printed.
    const first = await runCli(["check", ...args], { env });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/host_disk/);

    // 2. `run` with Slack configured: Slack hears of it once, as firing, and says it comes late.
    writeFileSync(ws.config, `interval: 300ms\n${DISK_ONLY}\nnotify:\n  slack:\n    - webhook_url: \${HOOK}\n`);
    const agent = startCli(["run", ...args], { env });
    try {
      await until(() => slack.requests.length >= 1, 15_000, "the firing alert to reach Slack");
      await sleep(1500); // several cycles: nothing more
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    expect(titles()).toHaveLength(1);
    expect(titles()[0]).toMatch(/WARNING: Disk \/ [\d.]+% \(threshold 1%\)/);
    expect(JSON.stringify(slack.requests[0]!.body)).toContain("Sent late");
    // Not printed again on stdout: it is not news, only news to this receiver.
    expect(agent.out.stdout).not.toMatch(/WARNING: Disk/);

    // 3. Again: nothing (Slack was told).
    const again = await runCli(["check", ...args], { env });
    expect(again.code).toBe(1);
    expect(slack.requests).toHaveLength(1);

    // 4. Routes that now send warnings to a webhook too: the webhook hears of it once; Slack nothing more.
    writeFileSync(
      ws.config,
      `interval: 300ms\n${DISK_ONLY}\nnotify:\n  slack:\n    - webhook_url: \${HOOK}\n  webhooks:\n    - name: ops\n      url: \${OPS}\n  routes:\n    - receiver: slack[0]\n      continue: true\n    - receiver: ops\n`,
    );
    const routed = await runCli(["check", ...args], { env });
    expect(routed.code).toBe(1);
    expect(hook.requests).toHaveLength(1);
    const body = hook.requests[0]!.body as { status: string; alerts: Array<{ status: string; labels: Record<string, string> }> };
    expect(body.status).toBe("firing");
    expect(body.alerts.map((a) => [a.status, a.labels.alertname, a.labels.mount])).toEqual([["firing", "host_disk", "/"]]);
    expect(slack.requests).toHaveLength(1);
    const last = await runCli(["check", ...args], { env });
    expect(last.code).toBe(1);
    expect(hook.requests).toHaveLength(1);
  }, 60_000);
});
