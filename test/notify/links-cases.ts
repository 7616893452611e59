/**
 * The notifications whose messages test/notify/links.test.ts compares with
 * test/fixtures/messages/without-links.json (built by the code before
 * `http.public_url` put links in messages).
 */
import type { Notification } from "../../src/model/notification.js";
import { sampleNotification, T0 } from "../support/sample-notification.js";

/** Label values a machine may hand over, each trying to end its URL parameter, the URL or the JSON. */
export const HOSTILE = 'we"b&x=1#/frag ?a=b\nnext,c=d \u00e9\u{1F680}/..%2F';

export const CRASH: Notification = sampleNotification({
  id: "n-crash",
  alert: {
    fingerprint: 'container_crashed{container="shop-web-1"}',
    alertname: "container_crashed",
    labels: { alertname: "container_crashed", severity: "critical", hostname: "web-1", container: "shop-web-1", image: "nginx:1.27" },
    display: "Container",
    summary: "shop-web-1 exited with code 137",
    causedAt: T0 + 30_000,
    unit: "bool",
  },
  details: { facts: [{ label: "Exit code", value: "137" }], sections: [{ title: "Last log lines", text: "one\ntwo", code: true }] },
});

export const HOSTILE_CRASH: Notification = sampleNotification({
  id: "n-hostile",
  alert: {
    ...CRASH.alert,
    fingerprint: `container_crashed{container=${JSON.stringify(HOSTILE)}}`,
    labels: { alertname: "container_crashed", severity: "critical", hostname: "web-1", container: HOSTILE, compose_project: " shop, prod " },
  },
});

export const RESOLVED: Notification = sampleNotification({ id: "n-resolved", kind: "resolved", at: T0 + 20 * 60_000 });

export const DISK: Notification = sampleNotification({
  id: "n-disk",
  kind: "escalated",
  alert: {
    fingerprint: 'host_disk{mount="/var lib"}',
    alertname: "host_disk",
    labels: { alertname: "host_disk", severity: "warning", hostname: "web-1", mount: "/var lib" },
    severity: "warning",
    display: "Disk /var lib",
  },
});

export const SUMMARY: Notification = sampleNotification({
  id: "n-summary",
  kind: "summary",
  at: T0 + 24 * 3600_000,
  alert: {
    fingerprint: "lookout_daily_summary",
    alertname: "lookout_daily_summary",
    labels: { alertname: "lookout_daily_summary", hostname: "web-1", severity: "warning" },
    severity: "warning",
    display: "Daily summary",
    value: 0,
    unit: "count",
    activeSince: T0,
    firingSince: T0,
    summary: "all clear",
  },
  details: { facts: [{ label: "Fired", value: "0" }] },
});

export const SINGLES: Record<string, Notification> = { firing: sampleNotification(), crash: CRASH, hostile: HOSTILE_CRASH, resolved: RESOLVED, disk: DISK, summary: SUMMARY };
export const GROUP: Notification[] = [sampleNotification(), CRASH, HOSTILE_CRASH, RESOLVED, DISK];
export const TEST_AT = T0 + 5 * 60_000;
