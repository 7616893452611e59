import type { Command } from "commander";
import { RECEIVER_LISTS } from "../../config/names.js";
import { LookoutError, said } from "../../errors.js";
import { oneLine } from "../../escape.js";
import { processMessages } from "../../i18n/current.js";
import type { Notifier } from "../../notify/notifier.js";
import { createNotifiers, notifierFromUrl } from "../../notify/registry.js";
import { redact } from "../../secrets.js";
import { loadFromCommand } from "../context.js";

/**
 * `lookout test-notify` (commands/test-notify.ts defines its options): a test
 * to each receiver, one after the other, and each one's answer in plain words.
 */
export async function testNotify(opts: { url?: string; receiver?: string }, cmd: Command): Promise<void> {
  const loaded = await loadFromCommand(cmd);
  let notifiers: Notifier[];
  if (opts.url) {
    if (opts.receiver) throw new LookoutError(said("cmd.urlAndReceiver"), { exitCode: 2 });
    try {
      new URL(opts.url);
    } catch {
      throw new LookoutError(said("cmd.url.notUrl"), { exitCode: 2 });
    }
    const byUrl = notifierFromUrl(opts.url);
    notifiers = byUrl ? [byUrl] : [];
  } else {
    notifiers = createNotifiers(loaded);
    if (opts.receiver !== undefined) {
      const named = notifiers.filter((n) => n.name === opts.receiver);
      if (named.length === 0) {
        const known = notifiers.map((n) => n.name);
        const name = JSON.stringify(opts.receiver);
        throw new LookoutError(known.length > 0 ? said("cmd.receiver.unknown", { name, receivers: known.join(", ") }) : said("cmd.receiver.unknown.none", { name }), {
          exitCode: 2,
        });
      }
      notifiers = named;
    }
  }
  if (notifiers.length === 0) {
    const lists = Object.values(RECEIVER_LISTS).map((l) => `notify.${l}`);
    throw new LookoutError(said("cmd.noReceiver", { lists: lists.slice(0, -1).join(", "), last: lists.at(-1)! }), { exitCode: 1 });
  }
  const m = processMessages();
  let allOk = true;
  for (const n of notifiers) {
    const result = await n.sendTest(loaded.hostname);
    allOk &&= result.ok;
    // The message quotes the receiver's answer (redacted where it came in); redacted once more, as the log is.
    const line = m.t("cli.testNotify.line", { name: n.name, target: n.target, result: m.t(result.ok ? "cli.testNotify.ok" : "cli.testNotify.failed"), message: result.message });
    process.stdout.write(oneLine(redact(line)) + "\n");
  }
  process.exitCode = allOk ? 0 : 1;
}
