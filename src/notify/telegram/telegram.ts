/**
 * The Telegram receiver: a bot's `sendMessage` (Bot API,
 * `<api_url>/bot<token>/sendMessage`, api_url for a self-hosted Bot API
 * server), one POST per attempt (chat-receiver.ts). The bot token is in the
 * URL's path: it is registered as a secret, so the URL shows as
 * `https://api.telegram.org/bot(masked)/sendMessage` and never appears in a
 * message or a log line.
 *
 * Telegram answers JSON: `{"ok":true,"result":{…}}`, or `{"ok":false,
 * "error_code":400,"description":"Bad Request: chat not found"}`; a 429 says
 * its wait in `parameters.retry_after` (seconds), a group that became a
 * supergroup its new id in `parameters.migrate_to_chat_id`.
 */
import { RECEIVER_LISTS, type TelegramReceiverConfig } from "../../config/schema.js";
import { registerSecret } from "../../secrets.js";
import type { ChatCard } from "../chat-card.js";
import { ChatNotifier, type ChatNotifierConfig, httpUrlProblem, jsonBody, readSecretSetting, saidInQuote } from "../chat-receiver.js";
import { type AnswerWording, type NetworkWording, serviceNoAnswerWording } from "../http-answers.js";
import type { JsonAnswer } from "../post-json.js";
import { type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { buildTelegramMessage } from "./message.js";

export const TELEGRAM_API_URL = "https://api.telegram.org";

export interface TelegramNotifierConfig extends ChatNotifierConfig {
  botToken: string;
  chatId: string;
  threadId?: number | undefined;
  /** The Bot API server; default https://api.telegram.org. */
  apiUrl?: string | undefined;
}

/** Telegram's descriptions as codes (the result's `code`). */
const CODES: Array<[RegExp, string]> = [
  [/chat not found/i, "chat_not_found"],
  [/message thread not found|topic/i, "thread_not_found"],
  [/can't parse entities|unsupported start tag|can't find end tag/i, "cant_parse_entities"],
  [/message is too long|text is too long/i, "message_too_long"],
  [/message text is empty/i, "message_empty"],
  [/upgraded to a supergroup/i, "migrated"],
  [/bot was blocked/i, "bot_blocked"],
  [/bot was kicked|bot is not a member|not enough rights|have no rights|need administrator rights/i, "no_rights"],
];

/** Codes of a message Lookout built wrong: this message, not every message. */
const BUG_CODES = new Set(["cant_parse_entities", "message_too_long", "message_empty"]);

export class TelegramNotifier extends ChatNotifier {
  readonly kind = "telegram";
  readonly target: string;
  protected readonly service = "Telegram";
  protected readonly testWhere = "receiver.test.where.bot" as const;
  readonly #url: string;
  readonly #chatId: string;
  readonly #threadId: number | undefined;
  readonly #key: string;

  constructor(cfg: TelegramNotifierConfig) {
    super(cfg);
    registerSecret(cfg.botToken, "****");
    const api = (cfg.apiUrl ?? TELEGRAM_API_URL).replace(/\/+$/, "");
    this.#url = `${api}/bot${cfg.botToken}/sendMessage`;
    registerSecret(`bot${cfg.botToken}`, "bot****");
    this.#chatId = cfg.chatId;
    this.#threadId = cfg.threadId;
    this.#key = cfg.configKey ?? `notify.${RECEIVER_LISTS.telegram}`;
    const thread = cfg.threadId !== undefined ? `, topic ${cfg.threadId}` : "";
    this.target = `${api}/bot****/sendMessage (chat ${cfg.chatId}${thread})`;
  }

  protected postUrl(): string {
    return this.#url;
  }

  render(card: ChatCard): unknown {
    return buildTelegramMessage(card, { chatId: this.#chatId, threadId: this.#threadId });
  }

  /** Telegram's `parameters.retry_after` (seconds); else the header. */
  protected override retryAfterOf(answer: JsonAnswer): string | null {
    const wait = (jsonBody(answer.body)?.parameters as { retry_after?: unknown } | undefined)?.retry_after;
    return typeof wait === "number" && Number.isFinite(wait) && wait >= 0 ? String(wait) : answer.retryAfter;
  }

  protected answerWording(oneShot: boolean): AnswerWording {
    const who = `Telegram ${this.name} (${this.target})`;
    const tokenFix = `Check ${this.#key}.bot_token (or bot_token_file): the token @BotFather gave, whole; with a self-hosted Bot API server, check api_url too.`;
    let body = "";
    return {
      delivered: `Delivered to Telegram (${this.target}).`,
      htmlPage: "a proxy or firewall between this server and Telegram",
      readCode: (text) => {
        body = text;
        const description = jsonBody(text)?.description;
        if (typeof description !== "string") return undefined;
        return CODES.find(([re]) => re.test(description))?.[1];
      },
      refusesMessage: (_status, own) => own !== undefined && BUG_CODES.has(own),
      byCode: (code, f) => {
        const said = telegramSaid(f.quoted);
        switch (code) {
          case "chat_not_found":
            return `${who} refused the message: chat not found. Check ${this.#key}.chat_id (a group's id starts with -100; a channel may be @name), and that the bot was added to that chat; a user must have started a chat with the bot.`;
          case "thread_not_found":
            return `${who} refused the message: ${said}. Check ${this.#key}.message_thread_id: the topic must exist in that forum group (or leave it out).`;
          case "migrated": {
            const to = (jsonBody(body)?.parameters as { migrate_to_chat_id?: unknown } | undefined)?.migrate_to_chat_id;
            return `${who} refused the message: the group became a supergroup${typeof to === "number" ? ` with the id ${to}` : ""}. Put its new id in ${this.#key}.chat_id.`;
          }
          case "bot_blocked":
            return `${who} refused the message: the user blocked the bot. Unblock it in Telegram (or use another chat_id).`;
          case "no_rights":
            return `${who} refused the message: ${said}. Add the bot to the chat again, with the right to post (in a channel: as an administrator).`;
        }
        if (BUG_CODES.has(code))
          return `${who} refused the message Lookout built (HTTP ${f.status}, ${said}). This is a bug in Lookout, not in your setup: please report it with the log line that holds the message.`;
        return undefined;
      },
      words: {
        rate_limited: (f) => `${who} is rate-limiting the bot (HTTP 429). ${f.retry(f.waitMs)} Telegram takes about one message per second per chat, 20 a minute in a group.`,
        request_timeout: (f) => `${who} timed out reading the message (HTTP 408). ${f.again}`,
        server_error: (f) =>
          `Telegram had a problem on its side for ${this.target} (HTTP ${f.status}, ${telegramSaid(f.quoted)}). ${f.again}${oneShot ? "" : " The messages wait in Lookout's outbox meanwhile."}`,
        unauthorized: (f) => `${who} refused the bot token (HTTP ${f.status}, ${telegramSaid(f.quoted)}). ${tokenFix}`,
        not_found: (f) => `${who} answered HTTP ${f.status} (${telegramSaid(f.quoted)}): Telegram says so when the bot token is wrong. ${tokenFix}`,
        forbidden: (f) => `${who} refused the message: ${telegramSaid(f.quoted)} (HTTP ${f.status}). Add the bot to the chat, with the right to post.`,
        redirect: (f) => `${who} answered with a redirect (HTTP ${f.status}). Check ${this.#key}.api_url.`,
        refused: (f) => `${who} refused the message (HTTP ${f.status}): ${telegramSaid(f.quoted)}. Retrying will not help: check ${this.#key}.`,
      },
    };
  }

  protected noAnswerWording(): NetworkWording {
    return serviceNoAnswerWording(this.target, { what: `Telegram ${this.name}`, key: this.#key });
  }
}

/** Telegram's description in a quoted JSON body (`"Bad Request: chat not found"`), else the quote. */
function telegramSaid(quoted: string): string {
  return saidInQuote(quoted, (b) => b.description);
}

// ---------------------------------------------------------------- from config

/** Telegram's plugin: `notify.telegram` entries, each bot token from `bot_token` or `bot_token_file`. */
export const telegramPlugin: ReceiverPlugin<TelegramReceiverConfig> = receiverPlugin("telegram", createTelegramNotifier);

function createTelegramNotifier(entry: TelegramReceiverConfig, ctx: ReceiverContext): TelegramNotifier | undefined {
  const before = ctx.problems.length;
  const token = readSecretSetting(entry.bot_token, entry.bot_token_file, { value: "bot_token", file: "bot_token_file", what: "the bot token" }, ctx);
  if (token !== undefined) {
    registerSecret(token, "****");
    if (!/^\d+:[\w-]{20,}$/.test(token)) {
      const key = `${ctx.key}.${entry.bot_token_file !== undefined ? "bot_token_file" : "bot_token"}`;
      ctx.problems.push(
        `${key}: expected a bot token like 123456789:AA… as @BotFather gives it (digits, a colon, then 20 or more letters, digits, - or _); got ${token.length} characters of another form`,
      );
    }
  }
  const apiProblem = httpUrlProblem(entry.api_url, `${ctx.key}.api_url`, TELEGRAM_API_URL, false);
  if (apiProblem) ctx.problems.push(apiProblem);
  if (!/^(-?\d+|@\w{4,})$/.test(entry.chat_id)) ctx.problems.push(`${ctx.key}.chat_id: expected a chat id like -1001234567890, or a channel's @name`);
  if (token === undefined || ctx.problems.length > before) return undefined;
  return new TelegramNotifier({
    ...receiverSettings(entry, ctx),
    botToken: token,
    chatId: entry.chat_id,
    threadId: entry.message_thread_id,
    apiUrl: entry.api_url,
  });
}
