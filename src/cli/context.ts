import type { Command } from "commander";
import { type LoadedConfig, loadConfig } from "../config/load.js";
import { oneLine } from "../escape.js";

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
}

/** Loads the config named by --config / --data-dir (or their fallbacks) and prints its warnings on stderr. */
export function loadFromCommand(cmd: Command): LoadedConfig {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const loaded = loadConfig({ configPath: opts.config, dataDir: opts.dataDir });
  for (const w of loaded.warnings) process.stderr.write(`warning: ${oneLine(w)}\n`);
  return loaded;
}

export const NO_WEBHOOK_HINT =
  "No Slack webhook configured: alerts are printed here. To send them to Slack, " +
  "export LOOKOUT_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… (or add notify.slack to lookout.yaml: lookout init), " +
  "then try it with: lookout test-webhook";
