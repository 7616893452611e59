import { Command } from "commander";
import { processMessages } from "../../i18n/current.js";
import type { Messages } from "../../i18n/messages.js";
import { KNOWN_LABELS, MATCHER_EXAMPLES } from "../../label-matchers.js";
import { examplesText } from "../help.js";
import { lazyAction } from "../lazy.js";

const actions = () => import("../actions/silence.js");

function subcommand(name: string): Command {
  return new Command(name).configureHelp({ showGlobalOptions: true }).showHelpAfterError("(run with --help for usage)").exitOverride();
}

function addCommand(m: Messages): Command {
  return subcommand("add")
    .description(m.t("help.silence.add"))
    .option("-m, --match <label=glob>", m.t("help.silence.add.match", MATCHER_EXAMPLES), (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option("--for <duration>", m.t("help.silence.add.for"))
    .option("--comment <text>", m.t("help.silence.add.comment"))
    .addHelpText(
      "after",
      examplesText(m, "help.examples", [
        `lookout silence add --match container=db-1 --for 2h --comment "${m.t("help.silence.migration")}"`,
        "lookout silence add --match alertname=host_disk --match mount=/data --for 30m",
        "lookout silence add --match 'container=web-*' --for 1h",
      ]) +
        `\n${m.t("help.silence.add.labels", { labels: KNOWN_LABELS.join(", ") })}\n` +
        `${m.t("help.silence.add.pickedUp")}\n`,
    )
    .action(lazyAction(async () => (await actions()).silenceAdd));
}

function listCommand(m: Messages): Command {
  return subcommand("list")
    .description(m.t("help.silence.list"))
    .option("--json", m.t("help.json"))
    .addHelpText("after", examplesText(m, "help.examples", ["lookout silence list", "lookout silence list --json --data-dir /var/lib/lookout"]))
    .action(lazyAction(async () => (await actions()).silenceList));
}

function removeCommand(m: Messages): Command {
  return subcommand("remove")
    .description(m.t("help.silence.remove"))
    .argument("<id>", m.t("help.silence.remove.id"))
    .addHelpText("after", examplesText(m, "help.example", ["lookout silence remove 3f9a1c2e"]))
    .action(lazyAction(async () => (await actions()).silenceRemove));
}

export function silenceCommand(): Command {
  const m = processMessages();
  return new Command("silence")
    .description(m.t("help.silence"))
    .addCommand(addCommand(m))
    .addCommand(listCommand(m))
    .addCommand(removeCommand(m))
    .addHelpText(
      "after",
      examplesText(m, "help.example", [
        `lookout silence add --match container=db-1 --for 2h --comment "${m.t("help.silence.migration")}"`,
        "lookout silence list",
        "lookout silence remove 3f9a1c2e",
      ]),
    );
}
