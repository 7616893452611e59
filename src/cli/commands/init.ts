import { Command } from "commander";
import { processMessages } from "../../i18n/current.js";
import { examplesText } from "../help.js";
import { lazyAction } from "../lazy.js";

export function initCommand(): Command {
  const m = processMessages();
  return new Command("init")
    .description(m.t("help.init"))
    .argument("[path]", m.t("help.init.path"), "lookout.yaml")
    .option("--force", m.t("help.init.force"))
    .addHelpText("after", examplesText(m, "help.example", ["lookout init /etc/lookout/lookout.yaml"]))
    .action(lazyAction(async () => (await import("../actions/init.js")).init));
}
