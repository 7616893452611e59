import { Command } from "commander";
import { lazyAction } from "../lazy.js";

export function installServiceCommand(): Command {
  return new Command("install-service")
    .description(
      "install Lookout as a systemd service: the system user lookout, a config (from lookout init) if there is none, the data directory and the unit; then prints the commands that start it",
    )
    .option("--unit-dir <dir>", "where the unit goes", "/etc/systemd/system")
    .option("--dry-run", "print what it would do, and the unit, and change nothing")
    .option("--force", "replace a lookout.service that differs from the one it would write")
    .addHelpText(
      "after",
      "\nThe config is --config (default /etc/lookout/lookout.yaml), the data directory --data-dir (default /var/lib/lookout).\n" +
        "Run as root; without root it writes only where it may (a --unit-dir of yours) and says what is left.\n" +
        "\nExamples:\n  sudo lookout install-service --dry-run\n  sudo lookout install-service && sudo systemctl daemon-reload && sudo systemctl enable --now lookout\n",
    )
    .action(lazyAction(async () => (await import("../actions/install-service.js")).installService));
}
