/**
 * The Discord receiver: executes a channel webhook
 * (`https://discord.com/api/webhooks/{id}/{token}`), one POST per attempt
 * (chat-receiver.ts). The URL is a secret (whoever has it can post):
 * registered, shown masked, never in a message or a log line.
 *
 * Discord answers 204 (or 200 with `?wait=true`); an error is JSON
 * `{"message": "...", "code": 10015}`; a 429's wait is `retry_after`
 * (seconds, a float) in its body, and in the Retry-After header, rounded up.
 */

import { RECEIVER_LISTS } from "../../config/names.js";
import type { DiscordReceiverConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import { maskUrl, registerSecret } from "../../secrets.js";
import type { ChatCard } from "../chat-card.js";
import { ChatNotifier, type ChatNotifierConfig, jsonBody, readWebhookUrl, saidInQuote } from "../chat-receiver.js";
import { type AnswerWording, type NetworkWording, serviceNoAnswerWording } from "../http-answers.js";
import type { JsonAnswer } from "../post-json.js";
import { entryMessages, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { buildDiscordMessage } from "./message.js";

export interface DiscordNotifierConfig extends ChatNotifierConfig {
  /** The webhook URL. */
  url: string;
}

export class DiscordNotifier extends ChatNotifier {
  readonly kind = "discord";
  readonly target: string;
  protected readonly service = "Discord";
  protected readonly testWhere = "receiver.test.where.webhook" as const;
  readonly #url: string;
  readonly #key: string;

  constructor(cfg: DiscordNotifierConfig) {
    super(cfg);
    registerSecret(cfg.url);
    this.#url = cfg.url;
    this.#key = cfg.configKey ?? `notify.${RECEIVER_LISTS.discord}`;
    this.target = maskUrl(cfg.url);
  }

  protected postUrl(): string {
    return this.#url;
  }

  render(card: ChatCard): unknown {
    return buildDiscordMessage(card);
  }

  /** Discord's `retry_after` (seconds, a float) from the body; else the header. */
  protected override retryAfterOf(answer: JsonAnswer): string | null {
    const wait = jsonBody(answer.body)?.retry_after;
    return typeof wait === "number" && Number.isFinite(wait) && wait >= 0 ? String(wait) : answer.retryAfter;
  }

  /** Discord's answers, in the process's language (the config's `locale`). */
  protected answerWording(oneShot: boolean): AnswerWording {
    const m = processMessages();
    const who = m.t("discord.who", { name: this.name, target: this.target });
    const fix = m.t("discord.fix", { key: this.#key });
    const said = (f: { quoted: string }) => discordMessage(f.quoted);
    const waiting = oneShot ? "" : m.t("chat.waiting");
    return {
      delivered: m.t("discord.delivered", { target: this.target }),
      htmlPage: m.t("discord.htmlPage"),
      readCode: (body) => {
        const code = jsonBody(body)?.code;
        return typeof code === "number" ? String(code) : undefined;
      },
      refusesMessage: (status, own) => status === 413 || (status === 400 && own !== "10015" && own !== "50027"),
      byCode: (code, f) => {
        if (code === "10015") return m.t("discord.unknownWebhook", { who, fix });
        if (code === "50027") return m.t("discord.badToken", { who, fix });
        if (code === "50035" || code === "50006") return m.t("discord.bug", { who, status: f.status, said: said(f) });
        return undefined;
      },
      words: {
        rate_limited: (f) => m.t("discord.rateLimited", { who, retry: f.retry(f.waitMs) }),
        request_timeout: (f) => m.t("chat.requestTimeout", { who, again: f.again }),
        server_error: (f) => m.t("discord.serverError", { target: this.target, status: f.status, said: said(f), again: f.again, waiting }),
        unauthorized: (f) => m.t("discord.unauthorized", { who, status: f.status, said: said(f), fix }),
        forbidden: (f) => m.t("discord.forbidden", { who, status: f.status, said: said(f) }),
        not_found: (f) => m.t("discord.notFound", { who, status: f.status, said: said(f), fix }),
        redirect: (f) => m.t("discord.redirect", { who, status: f.status, key: this.#key }),
        refused: (f) => m.t("chat.refused", { who, status: f.status, said: said(f) }),
      },
    };
  }

  protected noAnswerWording(): NetworkWording {
    return serviceNoAnswerWording(this.target, { what: `Discord ${this.name}`, key: this.#key });
  }
}

/** Discord's own message in a quoted JSON body (`"Unknown Webhook"`), else the quote. */
function discordMessage(quoted: string): string {
  return saidInQuote(quoted, (b) => b.message);
}

// ---------------------------------------------------------------- from config

/** Discord's plugin: `notify.discord` entries, each URL from `webhook_url` or `webhook_url_file`. */
export const discordPlugin: ReceiverPlugin<DiscordReceiverConfig> = receiverPlugin("discord", createDiscordNotifier);

function createDiscordNotifier(entry: DiscordReceiverConfig, ctx: ReceiverContext): DiscordNotifier | undefined {
  const read = readWebhookUrl(entry, "entry.what.webhookUrl", "https://discord.com/api/webhooks/<id>/<token>", ctx);
  if (read === undefined) return undefined;
  const { url, key } = read;
  const parsed = new URL(url);
  if (!/^(?:\w+\.)?discord(?:app)?\.com$/.test(parsed.hostname) || !parsed.pathname.startsWith("/api/webhooks/")) {
    ctx.warnings.push(entryMessages(ctx).t("entry.discord.notDiscord", { key }));
  }
  return new DiscordNotifier({
    ...receiverSettings(entry, ctx),
    url,
  });
}
