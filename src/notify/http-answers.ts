/**
 * What an HTTP receiver's answer means, written once for every receiver
 * (Slack, webhooks, the heartbeat), in the spirit of Alertmanager's
 * `notify.Retrier.Check`: the rules live here, each receiver brings only its
 * wording.
 *
 * The rules: 2xx is delivered. 408, 429, 5xx and network trouble may pass
 * later (retryable); 429 carries the receiver's Retry-After (seconds or an
 * HTTP date), and 503 too for a receiver that says it honours it there. Any
 * other answer fails the same way again: not retried. 400, 413 and 422 refuse
 * this message for what it holds (`messageRefused`: a group is split and its
 * members sent alone), unless the receiver says which of its answers do. No
 * answer within the time limit is `timedOut`. An invalid URL, an invalid
 * request and an unverifiable certificate are not retried.
 *
 * The wording: for each kind of answer, the sentence that says what happened
 * and what to do; a receiver's own answer codes (Slack's `no_service`) may
 * replace its status's sentence. The sentences are catalogue texts in the
 * process's language (the config's `locale`), rendered when the answer comes:
 * `lookout test-notify`, the log, the API and the "not delivered" lines all
 * show what was rendered then. Messages never hold a secret: callers
 * word them with the masked target, and the answer's body is redacted where
 * it comes in and quoted cut to 200 characters.
 */

import { processMessages } from "../i18n/current.js";
import type { Messages } from "../i18n/messages.js";
import { redact } from "../secrets.js";
import { safeEnd } from "./cut-text.js";
import { classifyNetworkError, type NetworkTrouble } from "./network-errors.js";
import type { DeliveryResult } from "./notifier.js";

// ---------------------------------------------------------------- retrying, in words

/**
 * How a message says that trying again may help. The same answer reads
 * differently to the agent, which tries again by itself (AGENT_RETRY, the
 * default), and to `lookout test-notify`, which makes one attempt and leaves
 * the next to the user (ONE_SHOT_RETRY). `waitMs`: how long the receiver asked
 * to wait (Retry-After), when it said.
 */
export type RetryWording = (waitMs?: number) => string;

export const AGENT_RETRY: RetryWording = (waitMs) => {
  const m = processMessages();
  return waitMs !== undefined ? m.t("answer.retry.agentIn", { duration: m.duration(waitMs) }) : m.t("answer.retry.agent");
};

export const ONE_SHOT_RETRY: RetryWording = (waitMs) => {
  const m = processMessages();
  return waitMs !== undefined && waitMs > 0 ? m.t("answer.retry.oneShotIn", { duration: m.duration(waitMs) }) : m.t("answer.retry.oneShot");
};

/**
 * `Retry-After` in milliseconds: delay-seconds (`3`) or an HTTP date.
 * Undefined when missing or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

// ---------------------------------------------------------------- HTTP answers

export interface HttpAnswer {
  status: number;
  /** The response body as text. */
  body: string;
  /** The `Retry-After` header, when there was one. */
  retryAfter?: string | null;
}

/** What an HTTP status means, whatever the receiver. */
export type AnswerKind = "ok" | "redirect" | "rate_limited" | "request_timeout" | "server_error" | "unauthorized" | "forbidden" | "not_found" | "method_not_allowed" | "refused";

export function classifyStatus(status: number): AnswerKind {
  if (status >= 200 && status < 300) return "ok";
  if (status === 429) return "rate_limited";
  if (status === 408) return "request_timeout";
  if (status >= 500) return "server_error";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 404 || status === 410) return "not_found";
  if (status === 405) return "method_not_allowed";
  if (status >= 300 && status < 400) return "redirect";
  return "refused";
}

const RETRYABLE_ANSWERS = new Set<AnswerKind>(["rate_limited", "request_timeout", "server_error"]);

/** Answers that refuse this body for what it holds (bad request, too large, unprocessable): another body may pass. */
export const MESSAGE_REFUSED_STATUSES: ReadonlySet<number> = new Set([400, 413, 422]);

/** What an answer's sentence may say. */
export interface AnswerFacts {
  status: number;
  /** The receiver's own code read from the body (Slack's `no_service`), when its wording reads one. */
  code?: string;
  /** The body, safe to quote: redacted, one line, at most 200 characters, in quotes (or "an empty answer", "an HTML page…"). */
  quoted: string;
  /** "Lookout will try again." (or the one-shot wording of `lookout test-notify`). */
  again: string;
  /** How long the receiver asked to wait (Retry-After), when it said. */
  waitMs?: number;
  /** The retry sentence, for a wait: `retry(waitMs)`. */
  retry: RetryWording;
}

type Words = (facts: AnswerFacts) => string;

/** A receiver's wording of HTTP answers. The rules (retryable, Retry-After, messageRefused) are not its to change. */
export interface AnswerWording {
  /** The message of a delivered answer. */
  delivered: string;
  /** What an HTML page in place of an answer likely is, e.g. "a proxy or firewall between this server and Slack". */
  htmlPage: string;
  /** One sentence per kind of failed answer. A receiver without words for a kind gets its `refused` words. */
  words: Pick<Record<AnswerKind, Words>, "redirect" | "rate_limited" | "request_timeout" | "server_error" | "refused"> &
    Partial<Record<"unauthorized" | "forbidden" | "not_found" | "method_not_allowed", Words>>;
  /** The receiver's own code in a body (Slack: `no_service`), when it answers with codes. */
  readCode?: (body: string) => string | undefined;
  /** Words for the receiver's own codes, whatever the status: a sentence replaces the status's (not retryable), undefined keeps it. */
  byCode?: (code: string, facts: AnswerFacts) => string | undefined;
  /** The result's `code`; default the kind of answer (`not_found`, or `timeout` for 408). */
  resultCode?: (kind: AnswerKind, ownCode: string | undefined) => string | undefined;
  /** Which of its answers refuse the message for what it holds; default 400, 413 and 422. */
  refusesMessage?: (status: number, ownCode: string | undefined) => boolean;
  /** Whether a 503's Retry-After is honoured, like a 429's. */
  retryAfterOn503?: boolean;
}

/** The result's `code` of each kind of answer, for receivers that have no codes of their own. */
const ANSWER_CODES: Record<AnswerKind, string> = {
  ok: "ok",
  redirect: "redirect",
  rate_limited: "rate_limited",
  request_timeout: "timeout",
  server_error: "server_error",
  unauthorized: "unauthorized",
  forbidden: "forbidden",
  not_found: "not_found",
  method_not_allowed: "method_not_allowed",
  refused: "refused",
};

export function answerCode(kind: AnswerKind): string {
  return ANSWER_CODES[kind];
}

const QUOTE_CHARS = 200;

/** What an HTML page in place of an answer likely is, for a service the user gave by URL (a webhook, the heartbeat), in `m`'s language. */
export function serviceHtmlPage(m: Messages = processMessages()): string {
  return m.t("answer.htmlPage.service");
}

/** An answer's body, safe and short enough to quote: redacted, one line, at most 200 characters. */
export function quoteBody(body: string, htmlPage: string, m: Messages = processMessages()): string {
  const text = redact(body)
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return m.t("answer.body.empty");
  if (/^<(!doctype|html|\?xml)/i.test(text)) return m.t("answer.body.html", { what: htmlPage });
  const cut = text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS - 1)}…` : text;
  // The cut can split a secret the receiver echoed; redact once more what is left of it.
  return `"${redact(cut)}"`;
}

/** Longest excerpt of a delivered answer's body kept (`DeliveryResult.answer`). */
export const ANSWER_EXCERPT_CHARS = 200;

/** Control characters, line and paragraph separators, and the marks that reorder text (bidi): none is kept in an excerpt. */
const NOT_SHOWN = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+/gu;

/**
 * What a receiver answered to a delivery, short and safe to keep and show:
 * the status and the body's start (`200 ok`), or the status's reason phrase
 * when the body is empty (`202 Accepted`). Redacted (a receiver may echo the
 * URL it was sent to, or a header), one line without control or bidi
 * characters, at most ANSWER_EXCERPT_CHARS characters of body.
 */
export function answerExcerpt(status: number, body: string): string {
  let text = redact(body).replace(NOT_SHOWN, " ").replace(/\s+/g, " ").trim();
  if (text.length > ANSWER_EXCERPT_CHARS) text = `${text.slice(0, safeEnd(text, ANSWER_EXCERPT_CHARS - 1))}…`;
  // The cut can split a secret the receiver echoed; redact once more what is left of it.
  text = redact(text);
  if (text === "") text = process.getBuiltinModule("node:http").STATUS_CODES[status] ?? ""; // loaded when first needed
  return text === "" ? String(status) : `${status} ${text}`;
}

/** The DeliveryResult of an HTTP answer, worded by the receiver. */
export function resultFromAnswer(answer: HttpAnswer, wording: AnswerWording, now: number = Date.now(), retry: RetryWording = AGENT_RETRY): DeliveryResult {
  const { status } = answer;
  // Redacted where it enters: a receiver that echoes the request (`Cannot POST /services/T…/B…/<token>`)
  // must not get a secret into the code, the message, the log, the data directory or another receiver's note.
  const body = redact(answer.body);
  const ownCode = wording.readCode?.(body);
  const kind = classifyStatus(status);
  const code = (k: AnswerKind) => (wording.resultCode ? wording.resultCode(k, ownCode) : ANSWER_CODES[k]);

  if (kind === "ok") {
    const result: DeliveryResult = { ok: true, retryable: false, status, message: wording.delivered, answer: answerExcerpt(status, body) };
    const c = code(kind);
    if (c !== undefined) result.code = c;
    return result;
  }

  const waitMs = kind === "rate_limited" || (status === 503 && wording.retryAfterOn503) ? parseRetryAfter(answer.retryAfter, now) : undefined;
  const facts: AnswerFacts = { status, quoted: quoteBody(body, wording.htmlPage), again: retry(), retry };
  if (ownCode !== undefined) facts.code = ownCode;
  if (waitMs !== undefined) facts.waitMs = waitMs;

  const own = ownCode !== undefined ? wording.byCode?.(ownCode, facts) : undefined;
  let result: DeliveryResult;
  if (own !== undefined) {
    result = { ok: false, retryable: false, status, code: ownCode!, message: own };
  } else {
    const worded: AnswerKind = kind in wording.words ? kind : "refused";
    const words = wording.words[worded as keyof AnswerWording["words"]]!;
    result = { ok: false, retryable: RETRYABLE_ANSWERS.has(kind), status, message: words(facts) };
    const c = code(worded);
    if (c !== undefined) result.code = c;
    if (waitMs !== undefined) result.retryAfterMs = waitMs;
  }
  if ((wording.refusesMessage ?? ((s) => MESSAGE_REFUSED_STATUSES.has(s)))(status, ownCode)) result.messageRefused = true;
  return result;
}

// ---------------------------------------------------------------- no answer

/** What a no-answer sentence may say. */
export interface NetworkFacts {
  /** The error code (ECONNREFUSED…), or the result's code (`timeout`, `aborted`, `network_error`) when there is none. */
  code: string;
  /** " within 30s" when the request had a time limit, else "". */
  within: string;
  again: string;
}

type NetworkWords = (facts: NetworkFacts) => string;

/** A receiver's wording of requests that got no answer. A receiver without words for an invalid request gets its `other` words (and rule). */
export type NetworkWording = Record<Exclude<NetworkTrouble, "invalid_request">, NetworkWords> & { invalid_request?: NetworkWords };

const NOT_RETRYABLE = new Set<NetworkTrouble>(["invalid_url", "invalid_request", "certificate"]);

/**
 * The DeliveryResult of a request that got no HTTP answer, worded by the
 * receiver. `timeoutMs` is the limit the request had, for the message.
 */
export function resultFromNoAnswer(err: unknown, wording: NetworkWording, opts: { timeoutMs?: number; retry?: RetryWording } = {}): DeliveryResult {
  const classified = classifyNetworkError(err);
  const trouble: NetworkTrouble = classified.trouble === "invalid_request" && wording.invalid_request === undefined ? "other" : classified.trouble;
  const code = trouble === "timeout" ? "timeout" : trouble === "aborted" ? "aborted" : (classified.code ?? "network_error");
  const m = processMessages();
  const facts: NetworkFacts = {
    code,
    within: opts.timeoutMs !== undefined ? m.t("answer.within", { duration: m.duration(opts.timeoutMs) }) : "",
    again: (opts.retry ?? AGENT_RETRY)(),
  };
  const result: DeliveryResult = { ok: false, retryable: !NOT_RETRYABLE.has(trouble), code, message: wording[trouble]!(facts) };
  if (trouble === "timeout") result.timedOut = true;
  return result;
}

/**
 * How a request to a service the user gave by URL (a webhook, the heartbeat)
 * reads when it got no answer: `what` names it, in `m`'s language
 * ("the webhook pager", "the heartbeat URL", "Discord ops"), `key` is its config entry.
 */
export function serviceNoAnswerWording(target: string, opts: { what: string; key?: string; hasHeaders?: boolean }, m: Messages = processMessages()): NetworkWording {
  const key = opts.key ?? "notify.webhooks";
  const what = opts.what;
  const check = m.t("noAnswer.check");
  const base = { what, target, key };
  return {
    timeout: (f) => m.t("noAnswer.timeout", { ...base, what: cap(what), within: f.within, again: f.again, check }),
    aborted: (f) => m.t("noAnswer.aborted", { ...base, again: f.again }),
    invalid_url: () => m.t("noAnswer.invalidUrl", base),
    invalid_request: (f) => m.t(opts.hasHeaders ? "noAnswer.invalidRequest.headers" : "noAnswer.invalidRequest", { ...base, code: f.code }),
    no_code: (f) => m.t("noAnswer.noCode", { ...base, again: f.again, check }),
    dns: (f) => m.t("noAnswer.dns", { ...base, code: f.code, again: f.again }),
    refused: (f) => m.t("noAnswer.refused", { ...base, code: f.code, again: f.again }),
    reset: (f) => m.t("noAnswer.reset", { ...base, code: f.code, again: f.again, check }),
    unreachable: (f) => m.t("noAnswer.unreachable", { ...base, code: f.code, again: f.again }),
    certificate: (f) => m.t("noAnswer.certificate", { ...base, code: f.code }),
    other: (f) => m.t("noAnswer.failed", { ...base, code: f.code, again: f.again, check }),
  };
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
