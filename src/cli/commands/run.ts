import { Command } from "commander";
import { lazyAction } from "../lazy.js";

export function runCommand(): Command {
  return new Command("run")
    .description("run the agent until SIGINT/SIGTERM: check every interval, notify what changes; the log (stderr) says what the first check saw")
    .addHelpText("after", "\nExamples:\n  lookout run\n  LOOKOUT_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… lookout run --data-dir /var/lib/lookout\n")
    .action(lazyAction(async () => (await import("../actions/run.js")).run));
}
