/**
 * `GET /api/v1/notifications` says what each receiver answered to a
 * delivered notification (Slack's `ok`, a webhook's `202 Accepted`): the
 * dispatcher hands the answer to the outbox, its journal to the events
 * journal (store/history.ts `recordingDeliveries`), the API reads it there.
 * What a hostile receiver echoes back of a secret (its URL's token, a header)
 * is redacted before it is kept.
 */
import { afterEach, describe, expect, it } from "vitest";
import { SlackNotifier } from "../../src/notify/slack/slack.js";
import { WebhookNotifier } from "../../src/notify/webhook/webhook.js";
import { standInReceivers } from "../support/receivers.js";
import { cpuSample, type Rig, startRig, T0 } from "./rig.js";

const SECRET_PATH = "/hooks/Zq8vT3cRetT0ken42";
const HEADER_SECRET = "Bearer hdr-Secret-77aa11";

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

describe("the receiver's answer to a delivered notification", () => {
  const { slack, hook } = standInReceivers();

  it("reaches the API: Slack's ok, a webhook's status with its reason phrase, a hostile echo redacted, cut and on one line", async () => {
    hook.addPath(SECRET_PATH);
    const team = new SlackNotifier({ name: "team", url: slack.url, minSeverity: "warning" });
    const pager = new WebhookNotifier({ name: "pager", url: hook.urlFor(SECRET_PATH), headers: { Authorization: HEADER_SECRET }, minSeverity: "warning" });
    const quiet = new WebhookNotifier({ name: "quiet", url: hook.urlFor(SECRET_PATH), headers: {}, minSeverity: "warning" });
    // One of the two webhooks gets the hostile echo, the other an empty 202 (they are served concurrently: which is which may vary).
    hook.respondWith([
      {
        status: 200,
        body: `received POST ${SECRET_PATH} with ${HEADER_SECRET}\n\x1b[31mforged line\u202e ${"x".repeat(400)}`,
      },
      { status: 202, body: "" },
    ]);
    rig = await startRig({ notifiers: [team, pager, quiet] });
    rig.host.samples = [cpuSample(97)];
    await rig.cycle(T0);
    await rig.agent.dispatcher.drain(Date.now() + 10_000);
    expect(rig.agent.outbox.pendingCount()).toBe(0);

    const a = await rig.request("GET", `/api/v1/notifications?from=${T0 - 3600_000}&to=${Date.now() + 3600_000}`);
    const delivered = a.json.notifications.filter((n: { state: string }) => n.state === "delivered");
    const byReceiver = Object.fromEntries(delivered.map((n: { receiver: string; answer: string }) => [n.receiver, n.answer]));
    expect(byReceiver.team).toBe("200 ok");
    const answers = [byReceiver.pager, byReceiver.quiet] as string[];
    expect(answers).toContain("202 Accepted");
    const echoed = answers.find((x) => x !== "202 Accepted")!;
    expect(echoed).toMatch(/^200 received POST /);
    expect(echoed).not.toContain("Zq8vT3cRetT0ken42");
    expect(echoed).not.toContain("hdr-Secret-77aa11");
    expect(echoed).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(echoed).toContain("forged line");
    expect(echoed.length).toBeLessThanOrEqual("200 ".length + 200);
    expect(echoed.endsWith("…")).toBe(true);
    // Not in the data directory's journal either.
    const stored = JSON.stringify(rig.agent.history()!.events(T0 - 3600_000, Date.now() + 3600_000, { kinds: ["notification.sent"] }));
    expect(stored).not.toContain("Zq8vT3cRetT0ken42");
    expect(stored).not.toContain("hdr-Secret-77aa11");
  });
});
