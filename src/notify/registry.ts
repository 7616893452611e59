/**
 * Every receiver kind (Alertmanager's integrations), one line each: a new
 * kind is its folder under notify/, its plugin's line here and its entry in
 * config/schema.ts (docs/architecture.md, "How to add a receiver").
 */
import type { LoadedConfig } from "../config/loaded.js";
import { alertmanagerPlugin } from "./alertmanager/alertmanager.js";
import { discordPlugin } from "./discord/discord.js";
import { emailPlugin } from "./email/email.js";
import { gotifyPlugin } from "./gotify/gotify.js";
import type { Notifier } from "./notifier.js";
import { ntfyPlugin } from "./ntfy/ntfy.js";
import { pagerdutyPlugin } from "./pagerduty/pagerduty.js";
import { pushoverPlugin } from "./pushover/pushover.js";
import { createAllReceivers, type ReceiverPlugin } from "./receiver-plugin.js";
import { slackPlugin } from "./slack/slack.js";
import { teamsPlugin } from "./teams/teams.js";
import { telegramPlugin } from "./telegram/telegram.js";
import { webhookPlugin } from "./webhook/webhook.js";

export const RECEIVER_PLUGINS: readonly ReceiverPlugin[] = [
  slackPlugin, // notify.slack, LOOKOUT_SLACK_WEBHOOK_URL; any URL for test-notify --url
  webhookPlugin, // notify.webhooks
  alertmanagerPlugin, // notify.alertmanager (Alertmanager's API v2)
  discordPlugin,
  telegramPlugin,
  teamsPlugin, // notify.discord, notify.telegram, notify.teams (chat-receiver.ts)
  ntfyPlugin, // notify.ntfy
  gotifyPlugin, // notify.gotify
  pushoverPlugin, // notify.pushover
  pagerdutyPlugin, // notify.pagerduty (Events API v2, one event per alert)
  emailPlugin, // notify.email (SMTP; nodemailer loaded with the first mail)
];

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
    receivers = createAllReceivers(RECEIVER_PLUGINS, loaded);
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
  for (const plugin of RECEIVER_PLUGINS) if (plugin.fromUrl) return plugin.fromUrl(url);
  return undefined;
}
