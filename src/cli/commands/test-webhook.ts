import { Command } from "commander";
import { lazyAction } from "../lazy.js";

export function testWebhookCommand(): Command {
  return new Command("test-webhook")
    .description("send a test message to each configured receiver (a test alert to an Alertmanager; or the Slack webhook --url) and say what it answered")
    .option("--url <url>", "a webhook URL to test instead of the configured ones")
    .addHelpText("after", '\nExamples:\n  lookout test-webhook\n  lookout test-webhook --url "$SLACK_WEBHOOK_URL"\n')
    .action(lazyAction(async () => (await import("../actions/test-webhook.js")).testWebhook));
}
