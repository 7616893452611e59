/**
 * Every receiver kind's plugin, one line each (a new kind: its folder under
 * notify/, its line here, its list in config/names.ts RECEIVER_LISTS and its
 * entry in config/schema.ts; docs/architecture.md, "How to add a receiver").
 * Here the plugins are plain imports (for tsc and the tests); in the bundled
 * CLI (scripts/bundle.mjs, `lazyPlugins`) each is a chunk of its own, required
 * when its kind is first asked for: a configuration with a Slack webhook loads
 * the Slack receiver's code and not the ten others' (~2 ms of every `check`).
 */
import { alertmanagerPlugin } from "./alertmanager/alertmanager.js";
import { discordPlugin } from "./discord/discord.js";
import { emailPlugin } from "./email/email.js";
import { gotifyPlugin } from "./gotify/gotify.js";
import { ntfyPlugin } from "./ntfy/ntfy.js";
import { pagerdutyPlugin } from "./pagerduty/pagerduty.js";
import { pushoverPlugin } from "./pushover/pushover.js";
import type { ReceiverKind, ReceiverPlugin } from "./receiver-plugin.js";
import { slackPlugin } from "./slack/slack.js";
import { teamsPlugin } from "./teams/teams.js";
import { telegramPlugin } from "./telegram/telegram.js";
import { webhookPlugin } from "./webhook/webhook.js";

export const PLUGINS: { readonly [K in ReceiverKind]: () => ReceiverPlugin } = {
  slack: () => slackPlugin, // notify.slack, LOOKOUT_SLACK_WEBHOOK_URL; any URL for test-notify --url
  webhook: () => webhookPlugin, // notify.webhooks
  alertmanager: () => alertmanagerPlugin, // notify.alertmanager (Alertmanager's API v2)
  discord: () => discordPlugin,
  telegram: () => telegramPlugin,
  teams: () => teamsPlugin, // notify.discord, notify.telegram, notify.teams (chat-receiver.ts)
  ntfy: () => ntfyPlugin, // notify.ntfy
  gotify: () => gotifyPlugin, // notify.gotify
  pushover: () => pushoverPlugin, // notify.pushover
  pagerduty: () => pagerdutyPlugin, // notify.pagerduty (Events API v2, one event per alert)
  email: () => emailPlugin, // notify.email (SMTP; nodemailer loaded with the first mail)
};
