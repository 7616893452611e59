/**
 * What a generic webhook's answer means for the user: the webhook's wording
 * of the answers `http-answers.ts` classifies (its rules: 2xx delivered; 408,
 * 429, 5xx and network trouble retried, Retry-After honoured on 429 and 503;
 * 400, 413 and 422 refuse the body for what it holds). Pure.
 *
 * Messages never hold the URL or a header value: callers pass `target`, the
 * masked URL, and anything quoted from an answer is redacted and cut to 200
 * characters.
 */

import { processMessages } from "../../i18n/current.js";
import type { Messages } from "../../i18n/messages.js";
import {
  AGENT_RETRY,
  type AnswerWording,
  type HttpAnswer,
  quoteBody as quote,
  type RetryWording,
  resultFromAnswer,
  resultFromNoAnswer,
  serviceHtmlPage,
  serviceNoAnswerWording,
} from "../http-answers.js";
import type { DeliveryResult } from "../notifier.js";

export type WebhookHttpAnswer = HttpAnswer;

export interface WebhookContext {
  /** The receiver's name, e.g. "pager" or "webhook[0]". */
  name: string;
  /** The masked URL. */
  target: string;
  /** Names of the configured headers (headers and header_files), for "check the … header". */
  headerNames: string[];
  /** Its config entry, for "check …": `notify.webhooks[0]`. */
  key?: string;
}

/** The answer's body, safe and short enough to quote: redacted, one line, at most 200 characters. */
export function quoteBody(body: string): string {
  return quote(body, serviceHtmlPage());
}

/** Which headers to check for an authentication problem, in words. */
function authAdvice(ctx: WebhookContext, key: string, m: Messages): string {
  const auth = ctx.headerNames.filter((h) => /auth|token|key|secret|signature|cookie/i.test(h));
  const names = auth.length > 0 ? auth : ctx.headerNames;
  if (names.length === 0) return m.t("webhook.auth.none", { key });
  return m.plural("webhook.auth", names.length, { list: names.map((h) => `"${h}"`).join(m.t("list.sep")), key });
}

/** How the webhook described by `ctx` words its answers, in `m`'s language (the process's). */
export function webhookAnswerWording(ctx: WebhookContext, m: Messages = processMessages()): AnswerWording {
  const key = ctx.key ?? "notify.webhooks";
  const who = m.t("webhook.who", { name: ctx.name, target: ctx.target });
  const denied = (f: { status: number; quoted: string }) =>
    m.t(f.status === 401 ? "webhook.unauthorized" : "webhook.forbidden", { who, status: f.status, quoted: f.quoted, advice: authAdvice(ctx, key, m) });
  const nothingThere = (f: { status: number; quoted: string }) => m.t("webhook.nothingThere", { who, status: f.status, quoted: f.quoted, key });
  return {
    delivered: m.t("webhook.delivered", { name: ctx.name, target: ctx.target }),
    htmlPage: serviceHtmlPage(m),
    retryAfterOn503: true,
    words: {
      rate_limited: (f) => m.t("webhook.rateLimited", { who, retry: f.retry(f.waitMs) }),
      request_timeout: (f) => m.t("webhook.requestTimeout", { who, again: f.again }),
      server_error: (f) => m.t("webhook.serverError", { who, status: f.status, quoted: f.quoted, again: f.again }),
      unauthorized: denied,
      forbidden: denied,
      not_found: nothingThere,
      method_not_allowed: nothingThere,
      redirect: (f) => m.t("webhook.redirect", { who, status: f.status, key }),
      refused: (f) => m.t("webhook.refused", { who, status: f.status, quoted: f.quoted, key }),
    },
  };
}

/** The DeliveryResult of an HTTP answer from the webhook described by `ctx`. */
export function webhookResultFromResponse(answer: HttpAnswer, ctx: WebhookContext, now: number = Date.now(), retry: RetryWording = AGENT_RETRY): DeliveryResult {
  return resultFromAnswer(answer, webhookAnswerWording(ctx), now, retry);
}

/**
 * The DeliveryResult of a request to `target` (masked) that got no HTTP answer.
 * `what` names the receiver in messages ("the webhook pager", "the heartbeat URL").
 */
export function resultFromNetworkError(
  err: unknown,
  target: string,
  opts: { what: string; timeoutMs?: number; key?: string; hasHeaders?: boolean; retry?: RetryWording },
): DeliveryResult {
  return resultFromNoAnswer(err, serviceNoAnswerWording(target, opts), opts);
}
