import { describe, expect, it } from "vitest";
import { notificationTitle } from "../../src/alert/title.js";
import { sampleNotification, T0 } from "../support/sample-notification.js";

describe("notificationTitle", () => {
  it("says value, threshold and how long for a level, peak and duration when resolved", () => {
    expect(notificationTitle(sampleNotification())).toBe("[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m");
    expect(notificationTitle(sampleNotification({ kind: "resolved", at: T0 + 13 * 60_000, alert: { value: 42 } }))).toBe("[web-1] RESOLVED: CPU 42.0% after 12m (peak 97.2%)");
  });

  it("says what happened for an event, and why it is over", () => {
    const crash = { display: "Container api crashed", summary: "Container api crashed: exit code 3 (application error)", unit: "bool", value: 1, peak: 1 };
    expect(notificationTitle(sampleNotification({ alert: crash }))).toBe("[web-1] CRITICAL: Container api crashed: exit code 3 (application error)");
    expect(notificationTitle(sampleNotification({ kind: "resolved", alert: { ...crash, display: "Container api is running again after its crash" } }))).toBe(
      "[web-1] RESOLVED: Container api is running again after its crash (lasted 2m)",
    );
    expect(notificationTitle(sampleNotification({ kind: "resolved", alert: { ...crash, gone: "container removed" } }))).toBe(
      "[web-1] RESOLVED: Container api crashed: container removed (lasted 2m)",
    );
  });

  it("says a disk that went away is no longer mounted, with its peak", () => {
    const disk = { display: "Disk /mnt", unit: "%", value: 97, peak: 99, gone: "no longer mounted" };
    expect(notificationTitle(sampleNotification({ kind: "resolved", alert: disk }))).toBe("[web-1] RESOLVED: Disk /mnt: no longer mounted (lasted 2m, peak 99.0%)");
  });
});
