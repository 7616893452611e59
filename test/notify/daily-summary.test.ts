import { describe, expect, it } from "vitest";
import type { AlertEvent, AlertRecord } from "../../src/alert/state.js";
import { notificationTitle } from "../../src/alert/title.js";
import { buildSummary, countEvents, emptyCounts, lastOccurrence, summaryDue } from "../../src/notify/daily-summary.js";
import { buildSlackMessage, SLACK_COLORS } from "../../src/notify/slack/message.js";
import { validateSlackPayload } from "../support/fake-slack.js";

const local = (y: number, mo: number, d: number, h: number, mi: number) => new Date(y, mo - 1, d, h, mi).getTime();
const M = 60_000;

describe("daily summary timing", () => {
  it("finds the last time the clock showed HH:MM, today or yesterday (local time)", () => {
    expect(lastOccurrence("09:00", local(2026, 11, 30, 9, 30))).toBe(local(2026, 11, 30, 9, 0));
    expect(lastOccurrence("09:00", local(2026, 11, 30, 8, 59))).toBe(local(2026, 11, 29, 9, 0));
    expect(lastOccurrence("00:00", local(2026, 12, 1, 0, 0))).toBe(local(2026, 12, 1, 0, 0));
  });

  it("is due once a day after the time; a new agent sends only within the hour after it", () => {
    const at9 = local(2026, 11, 30, 9, 0);
    expect(summaryDue("09:00", emptyCounts(at9 + 5 * M), at9 + 5 * M)).toBe(true);
    expect(summaryDue("09:00", emptyCounts(at9 + 6 * 60 * M), at9 + 6 * 60 * M)).toBe(false); // installed at 15:00
    const sent = { ...emptyCounts(at9 + 5 * M), lastSentAt: at9 + 5 * M };
    expect(summaryDue("09:00", sent, at9 + 10 * 60 * M)).toBe(false);
    expect(summaryDue("09:00", sent, at9 + 24 * 60 * M - 1)).toBe(false);
    expect(summaryDue("09:00", sent, at9 + 24 * 60 * M)).toBe(true);
    expect(summaryDue("09:00", sent, at9 + 30 * 60 * M)).toBe(true); // the agent was down at 09:00: sent when it is back
  });
});

describe("daily summary message", () => {
  const ev = (kind: AlertEvent["kind"], alertname: string): AlertEvent => ({ kind, alert: { alertname } as AlertEvent["alert"] });
  const firing = {
    alertname: "host_disk",
    state: "firing",
    severity: "critical",
    display: "Disk /",
    value: 96.2,
    unit: "%",
    activeSince: 1,
    firingSince: 2,
  } as unknown as AlertRecord;

  it("says all clear, with what fired and resolved since the last one, in green", () => {
    let c = emptyCounts(Date.UTC(2026, 10, 29, 9));
    c = countEvents(c, [ev("firing", "container_crashed"), ev("firing", "container_crashed"), ev("firing", "host_cpu"), ev("resolved", "host_cpu"), ev("reminder", "x")]);
    const n = buildSummary({
      id: "s1",
      hostname: "web-1",
      now: Date.UTC(2026, 10, 30, 9),
      counts: c,
      alerts: [],
      failed: 0,
      samples: [{ name: "host_cpu", labels: {}, value: 12.3, details: { user: 10, system: 2.3, iowait: 0, steal: 0, windowMs: 1000 } }],
    });
    expect(notificationTitle(n)).toBe("[web-1] DAILY SUMMARY: all clear");
    expect(n.details.facts).toEqual([
      { label: "Fired", value: "3 (since 2026-11-29T09:00:00Z): container_crashed ×2, host_cpu ×1" },
      { label: "Resolved", value: "1" },
      { label: "Host now", value: "CPU 12.3%" },
    ]);
    const slack = buildSlackMessage(n);
    expect(validateSlackPayload(slack)).toBeNull();
    expect(slack.attachments[0]!.color).toBe(SLACK_COLORS.resolved);
  });

  it("lists what fires now, and what could not be delivered", () => {
    const n = buildSummary({ id: "s2", hostname: "web-1", now: 10, counts: emptyCounts(0), alerts: [firing], failed: 3, samples: [] });
    expect(notificationTitle(n)).toBe("[web-1] DAILY SUMMARY: 1 alert firing (1 critical)");
    expect(n.details.facts).toContainEqual({ label: "Not delivered", value: "3 notifications (lookout status lists them)" });
    expect(n.details.sections?.[0]?.text).toMatch(/^CRITICAL Disk \/ 96.2% since 1970-01-01T00:00:00Z$/);
  });
});
