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

import {
  AGENT_RETRY,
  type AnswerWording,
  type HttpAnswer,
  quoteBody as quote,
  type RetryWording,
  resultFromAnswer,
  resultFromNoAnswer,
  SERVICE_HTML_PAGE,
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
  return quote(body, SERVICE_HTML_PAGE);
}

/** Which headers to check for an authentication problem, in words. */
function authAdvice(ctx: WebhookContext, key: string): string {
  const auth = ctx.headerNames.filter((h) => /auth|token|key|secret|signature|cookie/i.test(h));
  const names = auth.length > 0 ? auth : ctx.headerNames;
  if (names.length === 0) {
    return `No header is configured for it: if the receiver wants a token, add one under ${key}.headers ` + '(e.g. Authorization: "Bearer ${TOKEN}") or header_files.';
  }
  const list = names.map((h) => `"${h}"`).join(", ");
  return `Check the ${list} header${names.length > 1 ? "s" : ""} in ${key} (headers or header_files): the token may be wrong, expired or revoked, or the environment variable or file it comes from may hold another value.`;
}

/** How the webhook described by `ctx` words its answers. */
export function webhookAnswerWording(ctx: WebhookContext): AnswerWording {
  const key = ctx.key ?? "notify.webhooks";
  const who = `The webhook ${ctx.name} (${ctx.target})`;
  const denied = (f: { status: number; quoted: string }) =>
    `${who} refused the notification: ${f.status === 401 ? "not authenticated" : "access denied"} (HTTP ${f.status}, ${f.quoted}). Retrying will not help. ${authAdvice(ctx, key)}`;
  const nothingThere = (f: { status: number; quoted: string }) =>
    `${who} refused the notification (HTTP ${f.status}, ${f.quoted}): nothing takes webhooks at that address. Retrying will not help: check ${key}.url (host, port and path).`;
  return {
    delivered: `Delivered to the webhook ${ctx.name} (${ctx.target}).`,
    htmlPage: SERVICE_HTML_PAGE,
    retryAfterOn503: true,
    words: {
      rate_limited: (f) => `${who} is rate-limiting Lookout (HTTP 429). ${f.retry(f.waitMs)}`,
      request_timeout: (f) => `${who} timed out reading the notification (HTTP 408). ${f.again} If it keeps happening, check this server's network.`,
      server_error: (f) => `${who} had a problem on its side (HTTP ${f.status}, ${f.quoted}). ${f.again} If it lasts, check the receiving service and its logs.`,
      unauthorized: denied,
      forbidden: denied,
      not_found: nothingThere,
      method_not_allowed: nothingThere,
      redirect: (f) =>
        `${who} answered with a redirect (HTTP ${f.status}); Lookout does not follow redirects with alerts. Check ${key}.url: use the address the receiver redirects to (often https:// instead of http://, or a trailing slash).`,
      refused: (f) =>
        `${who} refused the notification (HTTP ${f.status}, ${f.quoted}). Retrying will not help: check ${key}.url and its headers, and that the receiver takes Alertmanager's webhook format (version 4).`,
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
