import { Command } from "commander";
import { processMessages } from "../../i18n/current.js";
import { examplesText } from "../help.js";

/**
 * `lookout status` as `--help` shows it, without loading commands/status.ts
 * (which loads the store, SQLite and the Docker collector to read what they
 * saved). It must read exactly as `statusCommand()` does: test/cli/lazy-commands.test.ts
 * compares them. `run` is called when the command runs: main.ts then parses the
 * command line again with the real `statusCommand()`.
 */
export function statusDefinition(run: () => Promise<void>): Command {
  const m = processMessages();
  return new Command("status")
    .description(m.t("help.status"))
    .option("--json", m.t("help.json"))
    .addHelpText("after", examplesText(m, "help.example", ["lookout status --data-dir /var/lib/lookout"]))
    .action(run);
}
