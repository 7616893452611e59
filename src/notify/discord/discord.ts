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
import { type DiscordReceiverConfig, RECEIVER_LISTS } from "../../config/schema.js";
import { maskUrl, registerSecret } from "../../secrets.js";
import type { ChatCard } from "../chat-card.js";
import { ChatNotifier, type ChatNotifierConfig, jsonBody, readWebhookUrl, saidInQuote } from "../chat-receiver.js";
import { type AnswerWording, type NetworkWording, serviceNoAnswerWording } from "../http-answers.js";
import type { JsonAnswer } from "../post-json.js";
import { type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { buildDiscordMessage } from "./message.js";

export interface DiscordNotifierConfig extends ChatNotifierConfig {
  /** The webhook URL. */
  url: string;
}

const NEW_WEBHOOK = "Make a new webhook (channel settings → Integrations → Webhooks → New Webhook → Copy Webhook URL) and put its URL in";

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

  protected answerWording(oneShot: boolean): AnswerWording {
    const who = `Discord ${this.name} (${this.target})`;
    const fix = `${NEW_WEBHOOK} ${this.#key}.webhook_url.`;
    const said = (f: { quoted: string }) => discordMessage(f.quoted);
    return {
      delivered: `Delivered to Discord (${this.target}).`,
      htmlPage: "a proxy or firewall between this server and Discord",
      readCode: (body) => {
        const code = jsonBody(body)?.code;
        return typeof code === "number" ? String(code) : undefined;
      },
      refusesMessage: (status, own) => status === 413 || (status === 400 && own !== "10015" && own !== "50027"),
      byCode: (code, f) => {
        if (code === "10015") return `${who} refused the message: the webhook no longer exists (Discord: Unknown Webhook). ${fix}`;
        if (code === "50027") return `${who} refused the message: the token in the webhook URL is not valid (copied incompletely, or the webhook was reset). ${fix}`;
        if (code === "50035" || code === "50006")
          return `${who} refused the message Lookout built (HTTP ${f.status}, ${said(f)}). This is a bug in Lookout, not in your setup: please report it with the log line that holds the message.`;
        return undefined;
      },
      words: {
        rate_limited: (f) => `${who} is rate-limiting Lookout (HTTP 429). ${f.retry(f.waitMs)} Discord takes about 5 messages per 2 seconds per webhook, 30 a minute per channel.`,
        request_timeout: (f) => `${who} timed out reading the message (HTTP 408). ${f.again}`,
        server_error: (f) =>
          `Discord had a problem on its side for ${this.target} (HTTP ${f.status}, ${said(f)}). ${f.again}${oneShot ? "" : " The messages wait in Lookout's outbox meanwhile."} See discordstatus.com if it lasts.`,
        unauthorized: (f) => `${who} refused the message: not authorized (HTTP ${f.status}, ${said(f)}). Check the webhook URL. ${fix}`,
        forbidden: (f) => `${who} refused the message: access denied (HTTP ${f.status}, ${said(f)}). Check the webhook URL and that no proxy blocks discord.com.`,
        not_found: (f) => `${who} does not know this webhook (HTTP ${f.status}, ${said(f)}). ${fix}`,
        redirect: (f) => `${who} answered with a redirect (HTTP ${f.status}), which webhooks never do. Check ${this.#key}.webhook_url.`,
        refused: (f) => `${who} refused the message (HTTP ${f.status}): ${said(f)}. Retrying will not help.`,
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
  const read = readWebhookUrl(entry, "the webhook URL", "https://discord.com/api/webhooks/<id>/<token>", ctx);
  if (read === undefined) return undefined;
  const { url, key } = read;
  const parsed = new URL(url);
  if (!/^(?:\w+\.)?discord(?:app)?\.com$/.test(parsed.hostname) || !parsed.pathname.startsWith("/api/webhooks/")) {
    ctx.warnings.push(`${key}: not a https://discord.com/api/webhooks/… address; sending Discord-format messages there anyway`);
  }
  return new DiscordNotifier({
    ...receiverSettings(entry, ctx),
    url,
  });
}
