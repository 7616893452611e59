/**
 * A temporary failure reads differently to the agent, which tries again by
 * itself, and to `lookout test-notify`, which makes one attempt: the same
 * answer mapping, worded for each.
 */

import { describe, expect, it } from "vitest";
import { SlackNotifier } from "../../src/notify/slack/slack.js";
import { WebhookNotifier } from "../../src/notify/webhook/webhook.js";
import { runCli, workspace } from "../support/cli.js";
import { FakeSlack } from "../support/fake-slack.js";
import { standInReceivers } from "../support/receivers.js";
import { sampleNotification } from "../support/sample-notification.js";

const { slack, hook } = standInReceivers();

describe("lookout test-notify on a temporary failure", () => {
  it("tells the user to run it again, not that Lookout will", async () => {
    slack.respondWith([{ status: 500, body: "internal_error" }]);
    const r = await runCli(["test-notify", "--url", slack.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED: Slack had a problem on its side .*\. A temporary problem: run lookout test-notify again in a minute\./);
    expect(r.stdout).not.toMatch(/Lookout will try again/);
  });

  it("gives Slack's Retry-After as the wait", async () => {
    slack.respondWith([{ status: 429, body: "rate_limited", headers: { "retry-after": "30" } }]);
    const r = await runCli(["test-notify", "--url", slack.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("run lookout test-notify again in 30s.");
    expect(r.stdout).not.toMatch(/Lookout will try again/);
  });

  it("words a generic webhook's 503 and an unreachable Slack the same way", async () => {
    hook.respondWith([{ status: 503, body: "maintenance" }]);
    const ws = workspace(`notify:\n  webhooks:\n    - name: pager\n      url: \${HOOK}\n`);
    const r = await runCli(["test-notify", "--config", ws.config], { env: { HOOK: hook.url } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^pager \(.*\): FAILED: .*HTTP 503.*A temporary problem: run lookout test-notify again in a minute\./m);
    expect(r.stdout).not.toMatch(/Lookout will try again/);

    const closed = new FakeSlack();
    await closed.start();
    const url = closed.url;
    await closed.close();
    const refused = await runCli(["test-notify", "--url", url]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/refused .*A temporary problem: run lookout test-notify again in a minute\./);
  });
});

describe("the agent's delivery on a temporary failure", () => {
  it("still says Lookout will try again (send), while sendTest says to run test-notify again", async () => {
    const s = new SlackNotifier({ name: "slack[0]", url: slack.url, minSeverity: "warning" });
    slack.respondWith([
      { status: 503, body: "" },
      { status: 503, body: "" },
    ]);
    const sent = await s.send(sampleNotification());
    expect(sent).toMatchObject({ ok: false, retryable: true });
    expect(sent.message).toContain("Lookout will try again.");
    const tested = await s.sendTest("web-1");
    expect(tested).toMatchObject({ ok: false, retryable: true });
    expect(tested.message).toContain("A temporary problem: run lookout test-notify again in a minute.");
    expect(tested.message).not.toContain("Lookout will try again");

    const w = new WebhookNotifier({ name: "pager", url: hook.url, headers: {}, minSeverity: "warning" });
    hook.respondWith([
      { status: 500, body: "down" },
      { status: 500, body: "down" },
    ]);
    expect((await w.send(sampleNotification())).message).toContain("Lookout will try again.");
    expect((await w.sendTest("web-1")).message).toContain("A temporary problem: run lookout test-notify again in a minute.");
  });
});
