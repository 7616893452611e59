import type { Command } from "commander";
import { loadConfigCached } from "../config/cached-load.js";
import type { LoadedConfig } from "../config/loaded.js";
import { oneLine } from "../escape.js";
import { processMessages, setProcessLocale } from "../i18n/current.js";
import type { Messages } from "../i18n/messages.js";
import { buildReceivers } from "../notify/registry.js";
import { writeAllNow } from "./output.js";

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
export async function loadFromCommand(cmd: Command): Promise<LoadedConfig> {
  return loadFromOptions(cmd.optsWithGlobals<GlobalOptions>());
}

/** loadFromCommand with the options already read. */
export async function loadFromOptions(opts: GlobalOptions): Promise<LoadedConfig> {
  const loaded = await loadConfigCached({ configPath: opts.config, dataDir: opts.dataDir });
  setProcessLocale(loaded.config.locale);
  const { warnings } = buildReceivers(loaded);
  const all = [...loaded.warnings, ...warnings];
  if (all.length > 0) {
    const prefix = processMessages().t("cli.warningPrefix");
    writeAllNow(all.map((w) => `${prefix}${oneLine(w)}\n`).join(""), 2);
  }
  return loaded;
}

/** What `lookout run` prints when it has no receiver: alerts go to stdout, and how to send them to Slack. */
export function noWebhookHint(m: Messages = processMessages()): string {
  return m.t("cli.noWebhookHint");
}
