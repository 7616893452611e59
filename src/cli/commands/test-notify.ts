import { Command } from "commander";
import { processMessages } from "../../i18n/current.js";
import { examplesText } from "../help.js";
import { lazyAction } from "../lazy.js";

/** `lookout test-notify`, and its old name `test-webhook` (an alias, kept working). */
export function testNotifyCommand(): Command {
  const m = processMessages();
  return new Command("test-notify")
    .alias("test-webhook")
    .description(m.t("help.testNotify"))
    .option("--receiver <name>", m.t("help.testNotify.receiver"))
    .option("--url <url>", m.t("help.testNotify.url"))
    .addHelpText("after", examplesText(m, "help.examples", ["lookout test-notify", "lookout test-notify --receiver oncall-mail", 'lookout test-notify --url "$SLACK_WEBHOOK_URL"']))
    .action(lazyAction(async () => (await import("../actions/test-notify.js")).testNotify));
}
