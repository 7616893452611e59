import { Command } from "commander";
import { lazyAction } from "../lazy.js";

export function initCommand(): Command {
  return new Command("init")
    .description("write a commented lookout.yaml with every option and its default")
    .argument("[path]", "where to write it", "lookout.yaml")
    .option("--force", "overwrite an existing file")
    .addHelpText("after", "\nExample:\n  lookout init /etc/lookout/lookout.yaml\n")
    .action(lazyAction(async () => (await import("../actions/init.js")).init));
}
