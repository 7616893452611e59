import { describe, expect, it } from "vitest";
import { groupTitle } from "../../../src/alert/title.js";
import { buildSlackGroupMessage, buildSlackMessage, bySeverity } from "../../../src/notify/slack/message.js";
import { validateSlackPayload } from "../../support/fake-slack.js";
import { sampleNotification } from "../../support/sample-notification.js";

const crash = (i: number, severity: "warning" | "critical" = "critical") =>
  sampleNotification({
    id: `n${i}`,
    alert: {
      alertname: "container_crashed",
      fingerprint: `container_crashed{container="c${i}"}`,
      labels: { alertname: "container_crashed", container: `c${i}`, severity },
      severity,
      display: `Container c${i} crashed`,
      summary: `Container c${i} crashed: exit code 1 (application error)`,
      unit: "bool",
      value: 1,
    },
  });

describe("group messages", () => {
  it("counts by kind in the title", () => {
    const ns = [crash(1), crash(2), sampleNotification({ id: "r", kind: "resolved" }), sampleNotification({ id: "d", alert: { alertname: "host_disk" } })];
    expect(groupTitle(ns)).toBe("[web-1] 2 containers crashed, 1 disk filling up, 1 resolved");
  });

  it("puts the most severe first and keeps a single notification's full message", () => {
    const order = bySeverity([sampleNotification({ id: "r", kind: "resolved" }), crash(1, "warning"), crash(2, "critical")]).map((n) => n.id);
    expect(order).toEqual(["n2", "n1", "r"]);
    expect(buildSlackGroupMessage([crash(1)])).toEqual(buildSlackMessage(crash(1)));
  });

  it("stays within Slack's limits for a big burst and names the rest", () => {
    const ns = Array.from({ length: 60 }, (_, i) => crash(i));
    const p = buildSlackGroupMessage(ns);
    expect(validateSlackPayload(p)).toBeNull();
    expect(p.attachments[0]!.blocks.length).toBeLessThanOrEqual(50);
    const json = JSON.stringify(p);
    expect(json).toMatch(/and 13 more: c47, c48,/);
    expect(p.text).toBe("[web-1] 60 containers crashed");
    expect(p.attachments[0]!.color).toBe("#d50200");
  });
});
