/**
 * The receivers a configuration has, built from its entries by their kinds'
 * plugins (plugins-load.ts, one line each), each plugin loaded only when its
 * kind is configured.
 */
import type { LoadedConfig } from "../config/loaded.js";
import { RECEIVER_LISTS } from "../config/names.js";
import type { Notifier } from "./notifier.js";
import { PLUGINS } from "./plugins-load.js";
import { createAllReceivers, type ReceiverKind, type ReceiverPlugin } from "./receiver-plugin.js";

/** Every receiver kind, in the order receivers are built and listed. */
export const RECEIVER_KINDS = Object.keys(RECEIVER_LISTS) as ReceiverKind[];

/** Every kind's plugin (each loaded now, if it was not). */
export function receiverPlugins(): ReceiverPlugin[] {
  return RECEIVER_KINDS.map((kind) => PLUGINS[kind]());
}

/** The plugins of the kinds `loaded` has entries of, in RECEIVER_KINDS' order. */
function configuredPlugins(loaded: LoadedConfig): ReceiverPlugin[] {
  return RECEIVER_KINDS.filter((kind) => loaded.config.notify[RECEIVER_LISTS[kind]].length > 0).map((kind) => PLUGINS[kind]());
}

export interface Receivers {
  notifiers: Notifier[];
  /** Worth saying at start (a Slack URL that is not hooks.slack.com), not stopping. */
  warnings: string[];
}

/** Built once per loaded configuration: the CLI builds them as it loads it (to refuse a bad secret at once), the agent then takes the same. */
const built = new WeakMap<LoadedConfig, Receivers>();

/**
 * Every configured receiver, each having read and registered its own secrets
 * (URL files, header files). Throws ConfigError (exit 2) listing every
 * receiver's problems, naming the key and the fix.
 */
export function buildReceivers(loaded: LoadedConfig): Receivers {
  let receivers = built.get(loaded);
  if (!receivers) {
    receivers = createAllReceivers(configuredPlugins(loaded), loaded);
    built.set(loaded, receivers);
  }
  return receivers;
}

/** Every configured receiver (see buildReceivers). */
export function createNotifiers(loaded: LoadedConfig): Notifier[] {
  return [...buildReceivers(loaded).notifiers];
}

/** A receiver of a bare URL (`lookout test-notify --url`): the first kind that takes one (Slack). */
export function notifierFromUrl(url: string): Notifier | undefined {
  return PLUGINS.slack().fromUrl?.(url);
}
