import type { Command } from "commander";
import { type LoadedConfig, loadConfig } from "../config/load.js";
import { oneLine } from "../escape.js";
import { setProcessLocale } from "../i18n/current.js";
import { buildReceivers } from "../notify/registry.js";

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
}

/**
 * Loads the config named by --config / --data-dir (or their fallbacks), builds
 * its receivers (each reads its own secrets: a bad URL or secret file is
 * refused here, exit 2, as a bad key is) and prints their warnings on stderr.
 * The agent takes the receivers built here (notify/registry.ts).
 */
export function loadFromCommand(cmd: Command): LoadedConfig {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const loaded = loadConfig({ configPath: opts.config, dataDir: opts.dataDir });
  setProcessLocale(loaded.config.locale);
  const { warnings } = buildReceivers(loaded);
  for (const w of [...loaded.warnings, ...warnings]) process.stderr.write(`warning: ${oneLine(w)}\n`);
  return loaded;
}

export const NO_WEBHOOK_HINT =
  "No Slack webhook configured: alerts are printed here. To send them to Slack, " +
  "export LOOKOUT_SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… (or add notify.slack to lookout.yaml: lookout init), " +
  "then try it with: lookout test-notify";
