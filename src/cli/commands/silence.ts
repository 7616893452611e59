import { Command } from "commander";
import { KNOWN_LABELS, MATCHER_EXAMPLE } from "../../label-matchers.js";
import { lazyAction } from "../lazy.js";

const actions = () => import("../actions/silence.js");

function subcommand(name: string): Command {
  return new Command(name).configureHelp({ showGlobalOptions: true }).showHelpAfterError("(run with --help for usage)").exitOverride();
}

function addCommand(): Command {
  return subcommand("add")
    .description("hold back alerts whose labels match every --match, for --for; they are still tracked, and sent when the silence ends if they still fire")
    .option("-m, --match <label=glob>", `which alerts: ${MATCHER_EXAMPLE}; repeat it and every one must hold (globs: * and ?)`, (v: string, prev: string[] | undefined) => [
      ...(prev ?? []),
      v,
    ])
    .option("--for <duration>", "how long, like 30m, 2h, 1d or 1h30m")
    .option("--comment <text>", "why (shown in lookout silence list)")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        '  lookout silence add --match container=db-1 --for 2h --comment "migration"\n' +
        "  lookout silence add --match alertname=host_disk --match mount=/data --for 30m\n" +
        "  lookout silence add --match 'container=web-*' --for 1h\n" +
        `\nLabels: ${KNOWN_LABELS.join(", ")}.\n` +
        "Works while lookout run runs: the agent picks the silence up at its next check.\n",
    )
    .action(lazyAction(async () => (await actions()).silenceAdd));
}

function listCommand(): Command {
  return subcommand("list")
    .description("show the silences in force or to come, soonest-ending first, and the maintenance windows active now")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  lookout silence list\n  lookout silence list --json --data-dir /var/lib/lookout\n")
    .action(lazyAction(async () => (await actions()).silenceList));
}

function removeCommand(): Command {
  return subcommand("remove")
    .description("end a silence now (its id, or the start of it); matching alerts that still fire are sent at the next check")
    .argument("<id>", "the silence's id, as lookout silence list shows it")
    .addHelpText("after", "\nExample:\n  lookout silence remove 3f9a1c2e\n")
    .action(lazyAction(async () => (await actions()).silenceRemove));
}

export function silenceCommand(): Command {
  return new Command("silence")
    .description("hold back alerts for a while (a migration, a known problem): add, list, remove; works while lookout run runs")
    .addCommand(addCommand())
    .addCommand(listCommand())
    .addCommand(removeCommand())
    .addHelpText(
      "after",
      "\nExample:\n" + '  lookout silence add --match container=db-1 --for 2h --comment "migration"\n' + "  lookout silence list\n" + "  lookout silence remove 3f9a1c2e\n",
    );
}
