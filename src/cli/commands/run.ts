import { Command } from "commander";
import { processMessages } from "../../i18n/current.js";
import { examplesText } from "../help.js";
import { lazyAction } from "../lazy.js";

export function runCommand(): Command {
  const m = processMessages();
  return new Command("run")
    .description(m.t("help.run"))
    .addHelpText("after", examplesText(m, "help.examples", ["lookout run", "LOOKOUT_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… lookout run --data-dir /var/lib/lookout"]))
    .action(lazyAction(async () => (await import("../actions/run.js")).run));
}
