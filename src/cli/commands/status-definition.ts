import { Command } from "commander";

/**
 * `lookout status` as `--help` shows it, without loading commands/status.ts
 * (which loads the store, SQLite and the Docker collector to read what they
 * saved). It must read exactly as `statusCommand()` does: test/cli/lazy-commands.test.ts
 * compares them. `run` is called when the command runs: main.ts then parses the
 * command line again with the real `statusCommand()`.
 */
export function statusDefinition(run: () => Promise<void>): Command {
  return new Command("status")
    .description("show every alert that is pending or firing, since when, and its last value")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  lookout status --data-dir /var/lib/lookout\n")
    .action(run);
}
