import { Command } from "commander";
import { processMessages } from "../../i18n/current.js";
import type { Messages } from "../../i18n/messages.js";
import { examplesText } from "../help.js";
import { lazyAction } from "../lazy.js";

const actions = () => import("../actions/export.js");

function subcommand(name: string, m: Messages): Command {
  return new Command(name)
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .option("-o, --output <file>", m.t("help.export.output"));
}

function rulesCommand(m: Messages): Command {
  return subcommand("prometheus-rules", m)
    .description(m.t("help.export.rules"))
    .option("--rate-window <duration>", m.t("help.export.rules.rateWindow"), "1m")
    .addHelpText(
      "after",
      examplesText(m, "help.examples", ["lookout export prometheus-rules -o /etc/prometheus/rules/lookout.yml", "promtool check rules /etc/prometheus/rules/lookout.yml"]),
    )
    .action(lazyAction(async () => (await actions()).exportRules));
}

function alertmanagerCommand(m: Messages): Command {
  return subcommand("alertmanager", m)
    .description(m.t("help.export.alertmanager"))
    .option("--secrets-dir <dir>", m.t("help.export.alertmanager.secretsDir"), "/etc/alertmanager/secrets")
    .addHelpText("after", examplesText(m, "help.examples", ["lookout export alertmanager -o alertmanager.yml", "amtool check-config alertmanager.yml"]))
    .action(lazyAction(async () => (await actions()).exportAlertmanager));
}

function grafanaCommand(m: Messages): Command {
  return subcommand("grafana", m)
    .description(m.t("help.export.grafana"))
    .addHelpText("after", examplesText(m, "help.example", ["lookout export grafana -o lookout-dashboard.json"]))
    .action(lazyAction(async () => (await actions()).exportGrafana));
}

export function exportCommand(): Command {
  const m = processMessages();
  return new Command("export")
    .description(m.t("help.export"))
    .addCommand(rulesCommand(m))
    .addCommand(alertmanagerCommand(m))
    .addCommand(grafanaCommand(m))
    .addHelpText(
      "after",
      examplesText(m, "help.examples", [
        "lookout export prometheus-rules -o lookout-rules.yml",
        "lookout export alertmanager -o alertmanager.yml",
        "lookout export grafana -o lookout-dashboard.json",
      ]),
    );
}
