import { Command } from "commander";
import { lazyAction } from "../lazy.js";

/** `lookout test-notify`, and its old name `test-webhook` (an alias, kept working). */
export function testNotifyCommand(): Command {
  return new Command("test-notify")
    .alias("test-webhook")
    .description(
      "send a test to every configured receiver (Slack, webhooks, Alertmanager, mail…; or one with --receiver, or the Slack webhook --url) and say what each answered (alias: test-webhook, its old name)",
    )
    .option("--receiver <name>", "test only this receiver (its name:, or slack[0], email[0]…)")
    .option("--url <url>", "a Slack webhook URL to test instead of the configured receivers")
    .addHelpText("after", '\nExamples:\n  lookout test-notify\n  lookout test-notify --receiver oncall-mail\n  lookout test-notify --url "$SLACK_WEBHOOK_URL"\n')
    .action(lazyAction(async () => (await import("../actions/test-notify.js")).testNotify));
}
