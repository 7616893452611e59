import { Command } from "commander";
import { processMessages } from "../../i18n/current.js";
import { examplesText } from "../help.js";
import { lazyAction } from "../lazy.js";

export function checkCommand(): Command {
  const m = processMessages();
  return new Command("check")
    .description(m.t("help.check"))
    .option("--json", m.t("help.check.json"))
    .option("--all", m.t("help.check.all"))
    .addHelpText(
      "after",
      examplesText(m, "help.examples", [
        "lookout check",
        "lookout check --all",
        "lookout check --json | jq .status",
        `* * * * * cd /opt/lookout && npx lookout check >/dev/null   ${m.t("help.check.cron")}`,
      ]),
    )
    .action(lazyAction(async () => (await import("../actions/check.js")).check));
}
