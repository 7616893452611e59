import { Command } from "commander";
import { lazyAction } from "../lazy.js";

const actions = () => import("../actions/export.js");

function subcommand(name: string): Command {
  return new Command(name)
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .option("-o, --output <file>", "write to this file instead of stdout");
}

function rulesCommand(): Command {
  return subcommand("prometheus-rules")
    .description("Prometheus alerting rules that raise this config's alerts (same names, labels, thresholds, for, severities) from Lookout's /metrics")
    .option("--rate-window <duration>", "the window of rate() for CPU: at least two scrape intervals", "1m")
    .addHelpText("after", "\nExamples:\n  lookout export prometheus-rules -o /etc/prometheus/rules/lookout.yml\n  promtool check rules /etc/prometheus/rules/lookout.yml\n")
    .action(lazyAction(async () => (await actions()).exportRules));
}

function alertmanagerCommand(): Command {
  return subcommand("alertmanager")
    .description("an Alertmanager config with this config's receivers, routes and inhibition, and Slack messages like Lookout's; secrets are read from files it names")
    .option("--secrets-dir <dir>", "where the files holding webhook URLs and tokens are to be, on the Alertmanager host", "/etc/alertmanager/secrets")
    .addHelpText("after", "\nExamples:\n  lookout export alertmanager -o alertmanager.yml\n  amtool check-config alertmanager.yml\n")
    .action(lazyAction(async () => (await actions()).exportAlertmanager));
}

function grafanaCommand(): Command {
  return subcommand("grafana")
    .description("a Grafana dashboard (JSON, for Dashboards > Import) of the hosts and containers, with a host variable and the alerts as annotations")
    .addHelpText("after", "\nExample:\n  lookout export grafana -o lookout-dashboard.json\n")
    .action(lazyAction(async () => (await actions()).exportGrafana));
}

export function exportCommand(): Command {
  return new Command("export")
    .description("write this config as Prometheus rules, an Alertmanager config or a Grafana dashboard, to watch many hosts (docs/fleet.md)")
    .addCommand(rulesCommand())
    .addCommand(alertmanagerCommand())
    .addCommand(grafanaCommand())
    .addHelpText(
      "after",
      "\nExamples:\n  lookout export prometheus-rules -o lookout-rules.yml\n  lookout export alertmanager -o alertmanager.yml\n  lookout export grafana -o lookout-dashboard.json\n",
    );
}
