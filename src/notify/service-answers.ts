/**
 * How the answers of a push or paging service (ntfy, Gotify, Pushover,
 * PagerDuty) read: one wording, each service bringing its name, where its
 * secrets are configured, and how it says why in its error body (ntfy's
 * `error`, Gotify's `errorDescription`, Pushover's and PagerDuty's `errors`
 * array), quoted as plain words. The rules (what is retried, Retry-After,
 * what refuses a message) are http-answers.ts's. Pure; messages never hold a
 * secret (callers pass the masked target; bodies are redacted where they come in).
 */
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
  /** What to check when the service says "not authenticated" or "forbidden". */
  auth: string;
  /** What is sent: "the message", "the event". */
  what: string;
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

/** The answers of `ctx.service`; `fields`: where its error body says why. */
export function serviceAnswerWording(ctx: ServiceContext, fields: readonly string[], extra: Partial<AnswerWording> = {}): AnswerWording {
  const who = `${ctx.service} ${ctx.name} (${ctx.target})`;
  const said = (f: AnswerFacts) => {
    const words = saidIn(f.quoted, fields);
    return words !== undefined ? `${ctx.service} said "${words}"` : f.quoted;
  };
  const waiting = ctx.oneShot ? "" : ` ${ctx.what.charAt(0).toUpperCase()}${ctx.what.slice(1)} waits in Lookout's outbox meanwhile.`;
  const denied = (f: AnswerFacts) =>
    `${who} refused ${ctx.what}: ${f.status === 401 ? "not authenticated" : "access denied"} (HTTP ${f.status}, ${said(f)}). Retrying will not help. ${ctx.auth}`;
  return {
    delivered: `${ctx.service} ${ctx.name} (${ctx.target}) accepted ${ctx.what}.`,
    htmlPage: `a proxy or web server in front of ${ctx.service}`,
    words: {
      rate_limited: (f) => `${who} is rate-limiting Lookout (HTTP 429, ${said(f)}). ${f.retry(f.waitMs)}${waiting}`,
      request_timeout: (f) => `${who} timed out reading ${ctx.what} (HTTP 408). ${f.again}`,
      server_error: (f) => `${who} could not take ${ctx.what} (HTTP ${f.status}, ${said(f)}). ${f.again}${waiting}`,
      unauthorized: denied,
      forbidden: denied,
      not_found: (f) => `${who} has no such address (HTTP ${f.status}, ${said(f)}). Retrying will not help: check ${ctx.key}.`,
      method_not_allowed: (f) => `${who} does not take ${ctx.what} at that address (HTTP ${f.status}, ${said(f)}). Retrying will not help: check ${ctx.key}.`,
      redirect: (f) => `${who} answered with a redirect (HTTP ${f.status}); Lookout does not follow redirects. Check ${ctx.key}: use the address it redirects to (often https://).`,
      refused: (f) => `${who} refused ${ctx.what} (HTTP ${f.status}): ${said(f)}. Retrying will not help.`,
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
      log.debug(`${ctx.service.toLowerCase()}: no answer`, { receiver: ctx.name, code: result.code });
      return { result };
    }
    return { result: resultFromAnswer(answer, wording, opts.now(), opts.retry), answer };
  } catch (err) {
    return { result: unexpectedFailure(`${ctx.service} ${ctx.name} (${ctx.target})`, err, opts.retry()) };
  }
}
