/**
 * A crashed container's last log lines, too long for a message: the end
 * stays (the last lines explain the crash), the start goes, and an over-long
 * line is cut in its middle. Through the real Slack and webhook receivers to
 * the local stand-ins.
 */

import { describe, expect, it } from "vitest";
import { cutMiddle, keepEnd } from "../../src/notify/cut-text.js";
import { SlackNotifier } from "../../src/notify/slack/slack.js";
import { WebhookNotifier } from "../../src/notify/webhook/webhook.js";
import { validateSlackPayload } from "../support/fake-slack.js";
import { standInReceivers } from "../support/receivers.js";
import { sampleNotification } from "../support/sample-notification.js";

const { slack, hook } = standInReceivers();

const LONG_LINE = `LONG-START ${"x".repeat(10_000)} LONG-END`;
const LOG = [...Array.from({ length: 5000 }, (_, i) => `line ${i} & <noise>`), LONG_LINE, "FINAL: killed by signal 9"].join("\n");
const crash = sampleNotification({
  id: "crash-1",
  alert: { alertname: "container_crashed", display: "Container db-1", summary: "crashed", labels: { alertname: "container_crashed", severity: "critical", container: "db-1" } },
  details: { facts: [{ label: "Exit code", value: "137" }], topProcesses: undefined, sections: [{ title: "Last log lines", text: LOG, code: true }] },
});

describe("log text too long for a message", () => {
  it("reaches Slack with its last line, its first lines left out, the long line cut in its middle, within 3000 characters", async () => {
    const r = await new SlackNotifier({ name: "team", url: slack.url, minSeverity: "warning" }).send(crash);
    expect(r.ok).toBe(true);
    const body = slack.requests.at(-1)!.body as { attachments: Array<{ blocks: Array<{ type: string; text?: { text: string } }> }> };
    expect(validateSlackPayload(body)).toBeNull();
    const code = body.attachments[0]!.blocks.find((b) => b.text?.text.startsWith("*Last log lines*"))!.text!.text;
    expect(code.length).toBeLessThanOrEqual(3000);
    expect(code.endsWith("FINAL: killed by signal 9\n```")).toBe(true);
    expect(code).toMatch(/^\*Last log lines\*\n```\n… \d+ earlier lines left out\n/);
    expect(code).toMatch(/\nLONG-START x+ … x+ LONG-END\n/);
    expect(code).toContain("line 4999 &amp; &lt;noise&gt;\n");
  });

  it("reaches the webhook with its last line, within the description's 8000 characters", async () => {
    const r = await new WebhookNotifier({ name: "ops", url: hook.url, headers: {}, minSeverity: "warning" }).send(crash);
    expect(r.ok).toBe(true);
    const body = hook.requests.at(-1)!.body as { alerts: Array<{ annotations: { description: string } }> };
    const description = body.alerts[0]!.annotations.description;
    expect(description.length).toBeLessThanOrEqual(8000);
    expect(description.startsWith("Exit code: 137\n\nLast log lines:\n… ")).toBe(true);
    expect(description.endsWith("\nFINAL: killed by signal 9")).toBe(true);
    expect(description).toMatch(/\nLONG-START x+ … x+ LONG-END\n/);
    expect(description).toContain("\nline 4999 & <noise>\n");
  });
});

describe("keepEnd and cutMiddle", () => {
  it("keeps whole lines from the end and says how many earlier ones went", () => {
    expect(keepEnd("a\nb\nc", 10)).toBe("a\nb\nc");
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join("\n");
    const cut = keepEnd(text, 60);
    expect(cut.length).toBeLessThanOrEqual(60);
    expect(cut).toMatch(/^… \d+ earlier lines left out\n(line \d+\n)*line 99$/);
  });

  it("cuts a line in its middle without splitting a surrogate pair, measured as the caller measures", () => {
    const cut = cutMiddle("😀".repeat(100), 51);
    expect(cut.length).toBeLessThanOrEqual(51);
    expect(cut).toMatch(/^(😀)+ … (😀)+$/u);
    // Measured after escaping (& counts 5): the cut still fits.
    const escaped = (t: string) => t.replace(/&/g, "&amp;").length;
    const amp = cutMiddle("&".repeat(1000), 100, escaped);
    expect(escaped(amp)).toBeLessThanOrEqual(100);
    expect(escaped(amp)).toBeGreaterThan(90);
  });
});
