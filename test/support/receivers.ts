/**
 * A local stand-in for Slack and one for a webhook, started before the file's
 * tests, emptied before each, closed after: the receivers most delivery tests need.
 */
import { afterAll, beforeAll, beforeEach } from "vitest";
import { FakeSlack } from "./fake-slack.js";
import { FakeWebhook } from "./fake-webhook.js";

export function standInReceivers(): { slack: FakeSlack; hook: FakeWebhook } {
  const slack = new FakeSlack();
  const hook = new FakeWebhook();
  beforeAll(async () => {
    await slack.start();
    await hook.start();
  });
  afterAll(async () => {
    await slack.close();
    await hook.close();
  });
  beforeEach(() => {
    slack.reset();
    hook.reset();
  });
  return { slack, hook };
}
