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

import { RECEIVER_LISTS } from "../../config/names.js";
import type { TelegramReceiverConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import { registerSecret } from "../../secrets.js";
import type { ChatCard } from "../chat-card.js";
import { ChatNotifier, type ChatNotifierConfig, httpUrlProblem, jsonBody, readSecretSetting, saidInQuote } from "../chat-receiver.js";
import { type AnswerWording, type NetworkWording, serviceNoAnswerWording } from "../http-answers.js";
import type { JsonAnswer } from "../post-json.js";
import { entryMessages, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
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

  /** Telegram's answers, in the process's language (the config's `locale`). */
  protected answerWording(oneShot: boolean): AnswerWording {
    const m = processMessages();
    const key = this.#key;
    const who = m.t("telegram.who", { name: this.name, target: this.target });
    const tokenFix = m.t("telegram.tokenFix", { key });
    const waiting = oneShot ? "" : m.t("chat.waiting");
    let body = "";
    return {
      delivered: m.t("telegram.delivered", { target: this.target }),
      htmlPage: m.t("telegram.htmlPage"),
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
            return m.t("telegram.chatNotFound", { who, key });
          case "thread_not_found":
            return m.t("telegram.threadNotFound", { who, said, key });
          case "migrated": {
            const to = (jsonBody(body)?.parameters as { migrate_to_chat_id?: unknown } | undefined)?.migrate_to_chat_id;
            return typeof to === "number" ? m.t("telegram.migrated.to", { who, to, key }) : m.t("telegram.migrated", { who, key });
          }
          case "bot_blocked":
            return m.t("telegram.botBlocked", { who });
          case "no_rights":
            return m.t("telegram.noRights", { who, said });
        }
        if (BUG_CODES.has(code)) return m.t("telegram.bug", { who, status: f.status, said });
        return undefined;
      },
      words: {
        rate_limited: (f) => m.t("telegram.rateLimited", { who, retry: f.retry(f.waitMs) }),
        request_timeout: (f) => m.t("chat.requestTimeout", { who, again: f.again }),
        server_error: (f) => m.t("telegram.serverError", { target: this.target, status: f.status, said: telegramSaid(f.quoted), again: f.again, waiting }),
        unauthorized: (f) => m.t("telegram.unauthorized", { who, status: f.status, said: telegramSaid(f.quoted), fix: tokenFix }),
        not_found: (f) => m.t("telegram.notFound", { who, status: f.status, said: telegramSaid(f.quoted), fix: tokenFix }),
        forbidden: (f) => m.t("telegram.forbidden", { who, status: f.status, said: telegramSaid(f.quoted) }),
        redirect: (f) => m.t("telegram.redirect", { who, status: f.status, key }),
        refused: (f) => m.t("telegram.refused", { who, status: f.status, said: telegramSaid(f.quoted), key }),
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
  const m = entryMessages(ctx);
  const before = ctx.problems.length;
  const token = readSecretSetting(entry.bot_token, entry.bot_token_file, { value: "bot_token", file: "bot_token_file", what: "entry.what.botToken" }, ctx);
  if (token !== undefined) {
    registerSecret(token, "****");
    if (!/^\d+:[\w-]{20,}$/.test(token)) {
      const key = `${ctx.key}.${entry.bot_token_file !== undefined ? "bot_token_file" : "bot_token"}`;
      ctx.problems.push(m.t("entry.telegram.token", { key, length: token.length }));
    }
  }
  const apiProblem = httpUrlProblem(entry.api_url, `${ctx.key}.api_url`, TELEGRAM_API_URL, false, m);
  if (apiProblem) ctx.problems.push(apiProblem);
  if (!/^(-?\d+|@\w{4,})$/.test(entry.chat_id)) ctx.problems.push(m.t("entry.telegram.chatId", { key: `${ctx.key}.chat_id` }));
  if (token === undefined || ctx.problems.length > before) return undefined;
  return new TelegramNotifier({
    ...receiverSettings(entry, ctx),
    botToken: token,
    chatId: entry.chat_id,
    threadId: entry.message_thread_id,
    apiUrl: entry.api_url,
  });
}
