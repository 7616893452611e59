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
 * replace its status's sentence. Pure. Messages never hold a secret: callers
 * word them with the masked target, and the answer's body is redacted where
 * it comes in and quoted cut to 200 characters.
 */

import { STATUS_CODES } from "node:http";
import { formatDuration } from "../config/duration.js";
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

export const AGENT_RETRY: RetryWording = (waitMs) => `Lookout will try again${waitMs !== undefined ? ` in ${formatDuration(waitMs)}` : ""}.`;

export const ONE_SHOT_RETRY: RetryWording = (waitMs) =>
  `A temporary problem: run lookout test-notify again in ${waitMs !== undefined && waitMs > 0 ? formatDuration(waitMs) : "a minute"}.`;

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

/** What an HTML page in place of an answer likely is, for a service the user gave by URL (a webhook, the heartbeat). */
export const SERVICE_HTML_PAGE = "a proxy or web server in front of the receiver";

/** An answer's body, safe and short enough to quote: redacted, one line, at most 200 characters. */
export function quoteBody(body: string, htmlPage: string): string {
  const text = redact(body)
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return "an empty answer";
  if (/^<(!doctype|html|\?xml)/i.test(text)) return `an HTML page, likely from ${htmlPage}`;
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
  if (text === "") text = STATUS_CODES[status] ?? "";
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
  const facts: NetworkFacts = {
    code,
    within: opts.timeoutMs !== undefined ? ` within ${formatDuration(opts.timeoutMs)}` : "",
    again: (opts.retry ?? AGENT_RETRY)(),
  };
  const result: DeliveryResult = { ok: false, retryable: !NOT_RETRYABLE.has(trouble), code, message: wording[trouble]!(facts) };
  if (trouble === "timeout") result.timedOut = true;
  return result;
}

/**
 * How a request to a service the user gave by URL (a webhook, the heartbeat)
 * reads when it got no answer: `what` names it
 * ("the webhook pager", "the heartbeat URL"), `key` is its config entry.
 */
export function serviceNoAnswerWording(target: string, opts: { what: string; key?: string; hasHeaders?: boolean }): NetworkWording {
  const key = opts.key ?? "notify.webhooks";
  const what = opts.what;
  const check = "If it keeps happening, check that the service at that address is up, and this server's network, firewall and proxy.";
  return {
    timeout: (f) => `${cap(what)} (${target}) did not answer${f.within}. ${f.again} ${check}`,
    aborted: (f) => `The request to ${what} (${target}) was cancelled before it answered. ${f.again}`,
    invalid_url: () => `The URL of ${what} (${target}) is not a valid URL. Check ${key}.url.`,
    invalid_request: (f) => {
      const headers = opts.hasHeaders ? `, and the names and values in ${key}.headers and header_files` : "";
      return `Lookout could not make a request to ${what} (${target}): the URL or a header is not valid HTTP (${f.code}). Check ${key}.url${headers}.`;
    },
    no_code: (f) => `Could not reach ${what} (${target}): the request failed without an answer. ${f.again} ${check}`,
    dns: (f) => `Could not look up the host of ${what} (${target}) (DNS, ${f.code}). ${f.again} Check the host name in ${key}.url and this server's DNS settings.`,
    refused: (f) =>
      `The connection to ${what} (${target}) was refused (${f.code}). ${f.again} Check that the service at that address is running and listens on that port, and the port in ${key}.url.`,
    reset: (f) => `The connection to ${what} (${target}) was dropped before it answered (${f.code}). ${f.again} ${check}`,
    unreachable: (f) => `The network cannot reach ${what} (${target}) (${f.code}). ${f.again} Check this server's routes and firewall.`,
    certificate: (f) =>
      `The TLS certificate of ${what} (${target}) could not be verified (${f.code}). For a private CA, give Lookout its certificate with ` +
      "NODE_EXTRA_CA_CERTS=/path/to/ca.pem; otherwise check the receiver's certificate, the system clock and the CA certificates.",
    other: (f) => `Could not reach ${what} (${target}): ${f.code}. ${f.again} ${check}`,
  };
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
