import type { LoadedConfig } from "../config/load.js";
import { receiverName } from "../config/schema.js";
import type { Notifier } from "./notifier.js";
import { SlackNotifier } from "./slack/slack.js";
import { createWebhookNotifiers } from "./webhook/webhook.js";

/** Every configured receiver (Alertmanager's integrations). A new kind is one file and one line here. */
export function createNotifiers(loaded: LoadedConfig): Notifier[] {
  const slack = loaded.config.notify.slack.map(
    (r, i) =>
      new SlackNotifier({
        name: receiverName("slack", r, i),
        url: loaded.slackUrls[i]!,
        minSeverity: r.min_severity,
        timeoutMs: loaded.config.notify.timeout,
        maxRetryAfterMs: loaded.config.notify.max_retry_after,
      }),
  );
  return [...slack, ...createWebhookNotifiers(loaded)];
}
