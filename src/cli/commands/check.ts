import { Command } from "commander";
import { lazyAction } from "../lazy.js";

export function checkCommand(): Command {
  return new Command("check")
    .description("collect and evaluate once, notify what changed since the last check, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN")
    .option("--json", "print one JSON object instead of a table")
    .option("--all", "list every row, also the container checks that are ok (by default: host rows, what is not ok, and a count of the rest)")
    .addHelpText(
      "after",
      "\nExamples:\n  lookout check\n  lookout check --all\n  lookout check --json | jq .status\n  * * * * * cd /opt/lookout && npx lookout check >/dev/null   # from cron: alerts are sent once, not every minute\n",
    )
    .action(lazyAction(async () => (await import("../actions/check.js")).check));
}
