import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationTitle } from "../../../src/alert/title.js";
import { setLogLevel, setLogSink } from "../../../src/log.js";
import type { Notification } from "../../../src/model/notification.js";
import { type AlertmanagerWebhook, alertmanagerPayload } from "../../../src/notify/webhook/alertmanager.js";
import { WebhookNotifier } from "../../../src/notify/webhook/webhook.js";
import { FakeWebhook } from "../../support/fake-webhook.js";
import { sampleNotification } from "../../support/sample-notification.js";

/**
 * A webhook body is JSON: it keeps the true value of machine text (JSON escapes
 * what needs it), so a consumer sees the real container name and mount point,
 * never Lookout's `\n`/`\x1b` display escapes.
 */
const CONTAINER = "api\x1b]0;PWNED\x07\x1b[2J\nINJECTED CRITICAL: fake";
const MOUNT = "/mnt/x\nINJECTED CRITICAL: fake\u009b31m\u202eevil\u2028";
const HOST = "web-1\r\n\x1b[2J";
const LOG = "starting\r\n\x1b[31mboom\x1b[0m\n\tat main\u009b";

// eslint-disable-next-line no-control-regex
const C0 = /[\u0000-\u001f]/;

function hostile(): Notification {
  return sampleNotification({
    hostname: HOST,
    alert: {
      alertname: "container_crashed",
      fingerprint: `container_crashed{container="${CONTAINER}",mount="${MOUNT}"}`,
      labels: { alertname: "container_crashed", severity: "critical", hostname: HOST, container: CONTAINER, mount: MOUNT },
      display: `Container ${CONTAINER}`,
      summary: `Container ${CONTAINER} crashed`,
      unit: "bool",
      value: 1,
    },
    details: {
      facts: [{ label: "Mount", value: MOUNT }],
      topProcesses: { by: "cpu", processes: [{ pid: 1, name: CONTAINER, cpuPercent: 1, memoryPercent: 1, rssBytes: 1 }] },
      sections: [{ title: "Last log lines", text: LOG, code: true }],
    },
  });
}

function expectTrueValues(body: AlertmanagerWebhook, n: Notification): void {
  const [a] = body.alerts;
  expect(a!.labels.container).toBe(CONTAINER);
  expect(a!.labels.mount).toBe(MOUNT);
  expect(a!.labels.hostname).toBe(HOST);
  expect(a!.annotations.summary).toBe(notificationTitle(n));
  expect(a!.annotations.summary).toContain(CONTAINER);
  expect(a!.annotations.description).toContain(`Mount: ${MOUNT}`);
  expect(a!.annotations.description).toContain(LOG);
  expect(a!.annotations.description).toContain(`  ${CONTAINER} (pid 1)`);
  // Nothing was shown escaped on the way (groupKey quotes its labels itself, so it is left out).
  for (const v of [...Object.values(a!.labels), ...Object.values(a!.annotations), ...Object.values(body.commonLabels)]) {
    expect(v).not.toContain("\\x1b");
    expect(v).not.toContain("\\n");
  }
}

describe("hostile machine text in a webhook body", () => {
  it("the body keeps every true value and survives a JSON round trip unchanged", () => {
    const n = hostile();
    const body = alertmanagerPayload([n], { receiver: "pager" });
    expectTrueValues(body, n);
    const wire = JSON.stringify(body);
    expect(C0.test(wire)).toBe(false); // JSON escapes C0 controls…
    expect(JSON.parse(wire)).toEqual(body); // …and gives the true value back.
  });

  describe("over HTTP", () => {
    let fake: FakeWebhook;
    let url: string;

    beforeAll(async () => {
      setLogSink(() => {});
      fake = new FakeWebhook();
      ({ url } = await fake.start());
    });

    afterAll(async () => {
      await fake.close();
      setLogSink((line) => process.stderr.write(line + "\n"));
      setLogLevel("info");
    });

    it("the receiver parses the true container name and mount point", async () => {
      const n = hostile();
      const notifier = new WebhookNotifier({ name: "pager", url, headers: {}, minSeverity: "warning" });
      const r = await notifier.send(n);
      expect(r.ok).toBe(true);
      const [req] = await fake.waitFor(1);
      expect(C0.test(req!.raw)).toBe(false);
      expect(req!.body).toEqual(alertmanagerPayload([n], { receiver: "pager" }));
      expectTrueValues(req!.body as AlertmanagerWebhook, n);
    });
  });
});
