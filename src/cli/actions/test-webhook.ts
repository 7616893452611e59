import type { Command } from "commander";
import { LookoutError } from "../../errors.js";
import { oneLine } from "../../escape.js";
import type { Notifier } from "../../notify/notifier.js";
import { createNotifiers, notifierFromUrl } from "../../notify/registry.js";
import { redact } from "../../secrets.js";
import { loadFromCommand } from "../context.js";

/** `lookout test-webhook` (commands/test-webhook.ts defines its options). */
export async function testWebhook(opts: { url?: string }, cmd: Command): Promise<void> {
  const loaded = loadFromCommand(cmd);
  let notifiers: Notifier[];
  if (opts.url) {
    try {
      new URL(opts.url);
    } catch {
      throw new LookoutError("--url: expected a URL like https://hooks.slack.com/services/T…/B…/…, got a value that is not a URL", { exitCode: 2 });
    }
    const byUrl = notifierFromUrl(opts.url);
    notifiers = byUrl ? [byUrl] : [];
  } else {
    notifiers = createNotifiers(loaded);
  }
  if (notifiers.length === 0) {
    throw new LookoutError(
      "no webhook configured: pass --url URL, export LOOKOUT_SLACK_WEBHOOK_URL, or add a receiver (notify.slack, notify.webhooks, notify.alertmanager, notify.ntfy, notify.gotify, notify.pushover or notify.pagerduty) to lookout.yaml",
      {
        exitCode: 1,
      },
    );
  }
  let allOk = true;
  for (const n of notifiers) {
    const result = await n.sendTest(loaded.hostname);
    allOk &&= result.ok;
    // The message quotes the receiver's answer (redacted where it came in); redacted once more, as the log is.
    process.stdout.write(oneLine(redact(`${n.name} (${n.target}): ${result.ok ? "OK" : "FAILED"}: ${result.message}`)) + "\n");
  }
  process.exitCode = allOk ? 0 : 1;
}
