import { Command } from "commander";
import { processMessages } from "../../i18n/current.js";
import { examplesText } from "../help.js";
import { lazyAction } from "../lazy.js";

export function installServiceCommand(): Command {
  const m = processMessages();
  return new Command("install-service")
    .description(m.t("help.installService"))
    .option("--unit-dir <dir>", m.t("help.installService.unitDir"), "/etc/systemd/system")
    .option("--dry-run", m.t("help.installService.dryRun"))
    .option("--force", m.t("help.installService.force"))
    .addHelpText(
      "after",
      `\n${m.t("help.installService.paths")}\n${m.t("help.installService.root")}\n` +
        examplesText(m, "help.examples", [
          "sudo lookout install-service --dry-run",
          "sudo lookout install-service && sudo systemctl daemon-reload && sudo systemctl enable --now lookout",
        ]),
    )
    .action(lazyAction(async () => (await import("../actions/install-service.js")).installService));
}
