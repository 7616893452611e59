import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { notificationTitle } from "../../../src/alert/title.js";
import { alertFingerprint, alertmanagerPayload, ZERO_TIME } from "../../../src/notify/webhook/alertmanager.js";
import { sampleNotification, T0 } from "../../support/sample-notification.js";

/** The body's keys as Alertmanager's webhook_config documents them (version 4). */
const BODY_KEYS = ["alerts", "commonAnnotations", "commonLabels", "externalURL", "groupKey", "groupLabels", "receiver", "status", "truncatedAlerts", "version"];
const ALERT_KEYS = ["annotations", "endsAt", "fingerprint", "generatorURL", "labels", "startsAt", "status"];

function diskAlert(mount: string, kind: "firing" | "resolved" = "firing") {
  return sampleNotification({
    id: `n-disk-${mount}`,
    kind,
    at: T0 + 10 * 60_000,
    alert: {
      fingerprint: `host_disk{hostname="web-1",mount="${mount}"}`,
      alertname: "host_disk",
      labels: { alertname: "host_disk", severity: "warning", hostname: "web-1", mount },
      severity: "warning",
      display: `Disk ${mount}`,
      value: 91.3,
      threshold: 90,
      peak: 93.5,
    },
    details: { facts: [{ label: "Free", value: "9.8 GiB of 100 GiB" }], topProcesses: undefined },
  });
}

describe("alertmanagerPayload", () => {
  it("has exactly the fields Alertmanager's webhook_config documents, for a firing alert", () => {
    const n = sampleNotification();
    const body = alertmanagerPayload([n], { receiver: "pager" });
    expect(Object.keys(body).sort()).toEqual(BODY_KEYS);
    expect(body.alerts).toHaveLength(1);
    expect(Object.keys(body.alerts[0]!).sort()).toEqual(ALERT_KEYS);
    expect(body).toMatchObject({
      version: "4",
      truncatedAlerts: 0,
      status: "firing",
      receiver: "pager",
      groupLabels: {},
      externalURL: "",
    });
    const [a] = body.alerts;
    expect(a).toMatchObject({
      status: "firing",
      labels: { alertname: "host_cpu", severity: "critical", hostname: "web-1" },
      startsAt: new Date(T0 + 60_000).toISOString(),
      endsAt: ZERO_TIME,
      generatorURL: "",
    });
    expect(a!.endsAt).toBe("0001-01-01T00:00:00Z");
    // Every label and annotation is a string, as Alertmanager's are.
    for (const v of [...Object.values(a!.labels), ...Object.values(a!.annotations)]) expect(typeof v).toBe("string");
    // JSON round trip: nothing undefined or non-serialisable.
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  it("annotations: summary is the title, description the facts as Label: value lines, plus value and threshold", () => {
    const n = sampleNotification();
    const [a] = alertmanagerPayload([n], { receiver: "pager" }).alerts;
    expect(a!.annotations.summary).toBe(notificationTitle(n));
    expect(a!.annotations.summary).toBe("[web-1] CRITICAL: CPU 97.2% (threshold 95%) for 3m");
    const lines = a!.annotations.description!.split("\n");
    expect(lines).toContain("Load: 7.9 / 8 cores");
    expect(lines).toContain("Steal: 0.0%");
    expect(lines).toContain("Value: 97.2%");
    expect(lines).toContain("Threshold: 95%");
    expect(a!.annotations.description).toContain("node (pid 4242)");
    expect(a!.annotations.value).toBe("97.2%");
    expect(a!.annotations.threshold).toBe("95%");
    expect(a!.annotations.peak).toBeUndefined();
  });

  it("resolved: status resolved, endsAt the resolve time, startsAt still when it started firing, peak given", () => {
    const n = sampleNotification({ kind: "resolved", at: T0 + 9 * 60_000, alert: { value: 40, peak: 99.1 } });
    const body = alertmanagerPayload([n], { receiver: "pager", externalUrl: "https://lookout.example.com" });
    expect(body.status).toBe("resolved");
    expect(body.externalURL).toBe("https://lookout.example.com");
    const [a] = body.alerts;
    expect(a!.status).toBe("resolved");
    expect(a!.startsAt).toBe(new Date(T0 + 60_000).toISOString());
    expect(a!.endsAt).toBe(new Date(T0 + 9 * 60_000).toISOString());
    expect(a!.endsAt).not.toBe(ZERO_TIME);
    expect(a!.annotations.summary).toMatch(/^\[web-1\] RESOLVED: CPU/);
    expect(a!.annotations.peak).toBe("99.1%");
  });

  it("status is resolved only when every alert is resolved", () => {
    expect(alertmanagerPayload([diskAlert("/", "resolved"), diskAlert("/var", "firing")], { receiver: "r" }).status).toBe("firing");
    expect(alertmanagerPayload([diskAlert("/", "resolved"), diskAlert("/var", "resolved")], { receiver: "r" }).status).toBe("resolved");
    expect(alertmanagerPayload([diskAlert("/", "firing")], { receiver: "r" }).status).toBe("firing");
    // Escalations and reminders still fire.
    expect(alertmanagerPayload([sampleNotification({ kind: "escalated" })], { receiver: "r" }).alerts[0]!.status).toBe("firing");
    expect(alertmanagerPayload([sampleNotification({ kind: "reminder" })], { receiver: "r" }).alerts[0]!.endsAt).toBe(ZERO_TIME);
  });

  it("commonLabels and commonAnnotations hold what every alert shares", () => {
    const body = alertmanagerPayload([diskAlert("/"), diskAlert("/var")], { receiver: "r" });
    expect(body.commonLabels).toEqual({ alertname: "host_disk", hostname: "web-1", severity: "warning" });
    expect(body.commonAnnotations).toEqual({ threshold: "90%", value: "91.3%", description: "Value: 91.3%\nThreshold: 90%\nFree: 9.8 GiB of 100 GiB" });
    expect(body.alerts[0]!.annotations.summary).not.toBe(body.alerts[1]!.annotations.summary);
    expect(body.alerts.map((a) => a.labels.mount)).toEqual(["/", "/var"]);

    const mixed = alertmanagerPayload([diskAlert("/"), sampleNotification()], { receiver: "r" });
    expect(mixed.commonLabels).toEqual({ hostname: "web-1" });
    expect(mixed.groupKey).toBe('{}:{hostname="web-1"}');

    const one = alertmanagerPayload([diskAlert("/")], { receiver: "r" });
    expect(one.commonLabels).toEqual(one.alerts[0]!.labels);
    expect(one.commonAnnotations).toEqual(one.alerts[0]!.annotations);
  });

  it("groupKey is stable for one alert from firing to resolved (severity left out)", () => {
    const firing = alertmanagerPayload([diskAlert("/data")], { receiver: "r" });
    const resolved = alertmanagerPayload([diskAlert("/data", "resolved")], { receiver: "r" });
    const critical = alertmanagerPayload(
      [
        sampleNotification({
          ...diskAlert("/data"),
          kind: "escalated",
          alert: { ...diskAlert("/data").alert, severity: "critical", labels: { ...diskAlert("/data").alert.labels, severity: "critical" } },
        }),
      ],
      { receiver: "r" },
    );
    expect(firing.groupKey).toBe('{}:{alertname="host_disk", hostname="web-1", mount="/data"}');
    expect(resolved.groupKey).toBe(firing.groupKey);
    expect(critical.groupKey).toBe(firing.groupKey);
  });

  it("fingerprint: 16 hex characters, the start of sha256 of the alert's identity, stable across kinds and values", () => {
    const n = sampleNotification();
    const fp = alertmanagerPayload([n], { receiver: "r" }).alerts[0]!.fingerprint;
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(fp).toBe(createHash("sha256").update('host_cpu{hostname="web-1"}').digest("hex").slice(0, 16));
    expect(alertFingerprint('host_cpu{hostname="web-1"}')).toBe(fp);
    const later = sampleNotification({ kind: "resolved", at: T0 + 3_600_000, alert: { value: 10, severity: "warning" } });
    expect(alertmanagerPayload([later], { receiver: "other" }).alerts[0]!.fingerprint).toBe(fp);
    // Another identity, another fingerprint.
    const [a, b] = alertmanagerPayload([diskAlert("/"), diskAlert("/var")], { receiver: "r" }).alerts;
    expect(a!.fingerprint).not.toBe(b!.fingerprint);
  });

  it("event alerts (a crash): summary in the title, log lines in the description, no value/threshold", () => {
    const n = sampleNotification({
      alert: {
        fingerprint: 'container_crashed{container="api",hostname="web-1"}',
        alertname: "container_crashed",
        labels: { alertname: "container_crashed", severity: "critical", hostname: "web-1", container: "api", image: "shop/api:1.4" },
        display: "Container api",
        summary: "container api crashed (exit code 137: killed, often out of memory)",
      },
      details: { facts: [{ label: "Image", value: "shop/api:1.4" }], topProcesses: undefined, sections: [{ title: "Last log lines", text: "boom\nstack", code: true }] },
    });
    const [a] = alertmanagerPayload([n], { receiver: "r" }).alerts;
    expect(a!.labels).toEqual({ alertname: "container_crashed", container: "api", hostname: "web-1", image: "shop/api:1.4", severity: "critical" });
    expect(a!.annotations.summary).toBe("[web-1] CRITICAL: container api crashed (exit code 137: killed, often out of memory)");
    expect(a!.annotations.description).toBe("Image: shop/api:1.4\n\nLast log lines:\nboom\nstack");
    expect(a!.annotations.value).toBeUndefined();
    expect(a!.annotations.threshold).toBeUndefined();
  });

  it("keeps a huge description bounded", () => {
    const n = sampleNotification({ details: { facts: [], topProcesses: undefined, sections: [{ title: "Log", text: "x".repeat(100_000) }] } });
    const [a] = alertmanagerPayload([n], { receiver: "r" }).alerts;
    expect(a!.annotations.description!.length).toBeLessThanOrEqual(8_000);
  });
});
