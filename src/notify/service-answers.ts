/**
 * How the answers of a push or paging service (ntfy, Gotify, Pushover,
 * PagerDuty) read: one wording, each service bringing its name, where its
 * secrets are configured, and how it says why in its error body (ntfy's
 * `error`, Gotify's `errorDescription`, Pushover's and PagerDuty's `errors`
 * array), quoted as plain words. The rules (what is retried, Retry-After,
 * what refuses a message) are http-answers.ts's. Pure; messages never hold a
 * secret (callers pass the masked target; bodies are redacted where they come in).
 */
import { processMessages } from "../i18n/current.js";
import type { MessageKey, Messages } from "../i18n/messages.js";
import { log } from "../log.js";
import type { AnswerFacts, AnswerWording, NetworkWording, RetryWording } from "./http-answers.js";
import { resultFromAnswer, resultFromNoAnswer, serviceNoAnswerWording } from "./http-answers.js";
import { type DeliveryResult, unexpectedFailure } from "./notifier.js";
import type { JsonAnswer } from "./post-json.js";

export interface ServiceContext {
  /** "ntfy", "Gotify", "Pushover", "PagerDuty". */
  service: string;
  /** The receiver's name. */
  name: string;
  /** Where it sends, masked. */
  target: string;
  /** Its config entry: `notify.ntfy[0]`. */
  key: string;
  /** What to check when the service says "not authenticated" or "forbidden", in the process's language. */
  auth: string;
  /** What is sent: a message, or (PagerDuty) an event. */
  what: "message" | "event";
  /** The words of `lookout test-notify` (one attempt): nothing waits in an outbox. */
  oneShot?: boolean;
}

/** The text a JSON body holds under `fields` (a string, or an array of strings joined by "; "), from a quoted body; undefined when none. */
export function saidIn(quoted: string, fields: readonly string[]): string | undefined {
  if (!(quoted.length >= 2 && quoted.startsWith('"') && quoted.endsWith('"'))) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(quoted.slice(1, -1));
  } catch {
    return undefined; // not JSON, or cut
  }
  if (body === null || typeof body !== "object") return undefined;
  for (const field of fields) {
    const v = (body as Record<string, unknown>)[field];
    const text = typeof v === "string" ? v : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").join("; ") : undefined;
    const clean = text?.replace(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]+/gu, " ").trim();
    if (clean) return clean;
  }
  return undefined;
}

/**
 * The answers of `ctx.service`, in `m`'s language (the process's); `fields`: where its error body says why.
 * Each sentence has a text for a message and one for an event (`service.<kind>.<what>`), so no language has to
 * fit a noun into another sentence.
 */
export function serviceAnswerWording(ctx: ServiceContext, fields: readonly string[], extra: Partial<AnswerWording> = {}, m: Messages = processMessages()): AnswerWording {
  const who = m.t("service.who", { service: ctx.service, name: ctx.name, target: ctx.target });
  const said = (f: AnswerFacts) => {
    const words = saidIn(f.quoted, fields);
    return words !== undefined ? m.t("service.said", { service: ctx.service, words }) : f.quoted;
  };
  const t = (kind: string, params: Record<string, string | number>) => m.t(`service.${kind}.${ctx.what}` as MessageKey, { who, ...params });
  const waiting = ctx.oneShot ? "" : t("waiting", {});
  const denied = (f: AnswerFacts) => t(f.status === 401 ? "unauthorized" : "forbidden", { status: f.status, said: said(f), auth: ctx.auth });
  return {
    delivered: t("delivered", {}),
    htmlPage: m.t("service.htmlPage", { service: ctx.service }),
    words: {
      rate_limited: (f) => m.t("service.rateLimited", { who, said: said(f), retry: f.retry(f.waitMs), waiting }),
      request_timeout: (f) => t("requestTimeout", { again: f.again }),
      server_error: (f) => t("serverError", { status: f.status, said: said(f), again: f.again, waiting }),
      unauthorized: denied,
      forbidden: denied,
      not_found: (f) => m.t("service.notFound", { who, status: f.status, said: said(f), key: ctx.key }),
      method_not_allowed: (f) => t("methodNotAllowed", { status: f.status, said: said(f), key: ctx.key }),
      redirect: (f) => m.t("service.redirect", { who, status: f.status, key: ctx.key }),
      refused: (f) => t("refused", { status: f.status, said: said(f) }),
    },
    ...extra,
  };
}

/** How a request to the service that got no answer reads. */
export function serviceNoAnswer(ctx: ServiceContext): NetworkWording {
  return serviceNoAnswerWording(ctx.target, { what: `${ctx.service} ${ctx.name}`, key: ctx.key });
}

/**
 * One request to the service, every outcome a DeliveryResult (never throws):
 * no answer in `serviceNoAnswer`'s words, an answer in `wording`'s; the
 * answer too, when there was one (its body is not redacted: read it, never show it).
 */
export async function deliver(
  request: () => Promise<JsonAnswer>,
  ctx: ServiceContext,
  wording: AnswerWording,
  opts: { timeoutMs: number; retry: RetryWording; now: () => number },
): Promise<{ result: DeliveryResult; answer?: JsonAnswer }> {
  try {
    let answer: JsonAnswer;
    try {
      answer = await request();
    } catch (err) {
      const result = resultFromNoAnswer(err, serviceNoAnswer(ctx), { timeoutMs: opts.timeoutMs, retry: opts.retry });
      log.debug(processMessages().t("log.noAnswer", { kind: ctx.service.toLowerCase() }), { receiver: ctx.name, code: result.code });
      return { result };
    }
    return { result: resultFromAnswer(answer, wording, opts.now(), opts.retry), answer };
  } catch (err) {
    return { result: unexpectedFailure(`${ctx.service} ${ctx.name} (${ctx.target})`, err, opts.retry()) };
  }
}
