import { Command } from "commander";
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { CONFIG_TEMPLATE } from "../../config/template.js";
import { LookoutError } from "../../errors.js";
import { oneLine } from "../../escape.js";

export function initCommand(): Command {
  return new Command("init")
    .description("write a commented lookout.yaml with every option and its default")
    .argument("[path]", "where to write it", "lookout.yaml")
    .option("--force", "overwrite an existing file")
    .addHelpText("after", "\nExample:\n  lookout init /etc/lookout/lookout.yaml\n")
    .action((path: string, opts: { force?: boolean }) => {
      const target = resolve(path);
      if (existsSync(target) && !opts.force) {
        throw new LookoutError(`${target} already exists; pass --force to overwrite it`, { exitCode: 1 });
      }
      try {
        writeFileSync(target, CONFIG_TEMPLATE, { mode: 0o600 });
      } catch (err) {
        throw new LookoutError(`cannot write ${target} (${(err as NodeJS.ErrnoException).code ?? "error"}): check the directory exists and is writable`);
      }
      process.stdout.write(`wrote ${oneLine(target)}\nedit it, then check it with: lookout check --config ${oneLine(path)}\n`);
    });
}
