/**
 * The Microsoft Teams receiver: POSTs an Adaptive Card to a Workflows (Power
 * Automate) webhook — the "Post to a channel when a webhook request is
 * received" template — one POST per attempt (chat-receiver.ts). The Office 365
 * connectors (outlook.office.com/webhook/…) are retired: their URLs are
 * refused with what to do instead. The URL is a secret (its `sig` query value
 * lets anyone post): registered, shown masked, never in a message or a log
 * line.
 *
 * Workflows answers 202 Accepted when it took the request (the flow runs
 * after: a flow that fails later shows only in its run history); an error is
 * JSON `{"error":{"code":"…","message":"…"}}`; a 429 says its wait in
 * Retry-After.
 */

import { RECEIVER_LISTS } from "../../config/names.js";
import type { TeamsReceiverConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import { maskUrl, registerSecret } from "../../secrets.js";
import type { ChatCard } from "../chat-card.js";
import { ChatNotifier, type ChatNotifierConfig, jsonBody, readWebhookUrl, saidInQuote } from "../chat-receiver.js";
import { type AnswerWording, type NetworkWording, serviceNoAnswerWording } from "../http-answers.js";
import type { DeliveryResult } from "../notifier.js";
import { entryMessages, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { buildTeamsMessage } from "./message.js";

export interface TeamsNotifierConfig extends ChatNotifierConfig {
  /** The Workflows webhook URL. */
  url: string;
}

export class TeamsNotifier extends ChatNotifier {
  readonly kind = "teams";
  readonly target: string;
  protected readonly service = "Microsoft Teams";
  protected readonly testWhere = "receiver.test.where.workflow" as const;
  readonly #url: string;
  readonly #key: string;

  constructor(cfg: TeamsNotifierConfig) {
    super(cfg);
    registerSecret(cfg.url);
    this.#url = cfg.url;
    this.#key = cfg.configKey ?? `notify.${RECEIVER_LISTS.teams}`;
    this.target = maskUrl(cfg.url);
  }

  protected postUrl(): string {
    return this.#url;
  }

  render(card: ChatCard): unknown {
    return buildTeamsMessage(card);
  }

  override async sendTest(hostname: string): Promise<DeliveryResult> {
    const result = await super.sendTest(hostname);
    if (result.ok) {
      result.message = `Microsoft Teams ${this.name} (${this.target}) accepted the test card (${result.answer ?? result.status}). The workflow posts it after: if no card appears in the channel, open the flow's run history in Power Automate.`;
    }
    return result;
  }

  /** Power Automate's answers, in the process's language (the config's `locale`). */
  protected answerWording(oneShot: boolean): AnswerWording {
    const m = processMessages();
    const who = m.t("teams.who", { name: this.name, target: this.target });
    const fix = m.t("teams.fix", { key: this.#key });
    const said = (f: { quoted: string }) => teamsSaid(f.quoted);
    const waiting = oneShot ? "" : m.t("chat.waiting");
    return {
      delivered: m.t("teams.delivered", { target: this.target }),
      htmlPage: m.t("teams.htmlPage"),
      readCode: (body) => {
        const code = (jsonBody(body)?.error as { code?: unknown } | undefined)?.code;
        return typeof code === "string" && /^[\w.]{1,80}$/.test(code) ? code : undefined;
      },
      refusesMessage: (status, own) => status === 413 || (status === 400 && !(own !== undefined && /NotFound|Disabled|NotEnabled|Authoriz|Signature/i.test(own))),
      byCode: (code, f) => {
        if (/NotFound/i.test(code)) return m.t("teams.flowGone", { who, code, fix });
        if (/Disabled|NotEnabled/i.test(code)) return m.t("teams.flowOff", { who, code });
        if (/Authoriz|Signature/i.test(code)) return m.t("teams.signature", { who, code, said: said(f), key: this.#key });
        return undefined;
      },
      words: {
        rate_limited: (f) => m.t("teams.rateLimited", { who, retry: f.retry(f.waitMs) }),
        request_timeout: (f) => m.t("chat.requestTimeout", { who, again: f.again }),
        server_error: (f) => m.t("teams.serverError", { target: this.target, status: f.status, said: said(f), again: f.again, waiting }),
        unauthorized: (f) => m.t("teams.unauthorized", { who, status: f.status, said: said(f), fix }),
        forbidden: (f) => m.t("teams.forbidden", { who, status: f.status, said: said(f) }),
        not_found: (f) => m.t("teams.notFound", { who, status: f.status, said: said(f), fix }),
        redirect: (f) => m.t("teams.redirect", { who, status: f.status, key: this.#key }),
        refused: (f) => m.t("teams.refused", { who, status: f.status, said: said(f) }),
      },
    };
  }

  protected noAnswerWording(): NetworkWording {
    return serviceNoAnswerWording(this.target, { what: `Microsoft Teams ${this.name}`, key: this.#key });
  }
}

/** Power Automate's message in a quoted JSON body, else the quote. */
function teamsSaid(quoted: string): string {
  return saidInQuote(quoted, (b) => (b.error as { message?: unknown } | undefined)?.message);
}

// ---------------------------------------------------------------- from config

/** Teams' plugin: `notify.teams` entries, each URL from `webhook_url` or `webhook_url_file`. */
export const teamsPlugin: ReceiverPlugin<TeamsReceiverConfig> = receiverPlugin("teams", createTeamsNotifier);

function createTeamsNotifier(entry: TeamsReceiverConfig, ctx: ReceiverContext): TeamsNotifier | undefined {
  const read = readWebhookUrl(entry, "entry.what.workflowUrl", "https://….logic.azure.com/workflows/…/triggers/manual/paths/invoke?…", ctx);
  if (read === undefined) return undefined;
  const { url, key } = read;
  const host = new URL(url).hostname;
  if (/(^|\.)(outlook\.office\.com|outlook\.office365\.com)$/.test(host) || /\.webhook\.office\.com$/.test(host)) {
    ctx.problems.push(entryMessages(ctx).t("entry.teams.connector", { key, entry: ctx.key }));
    return undefined;
  }
  return new TeamsNotifier({
    ...receiverSettings(entry, ctx),
    url,
  });
}
