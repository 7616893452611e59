/**
 * What Slack's answer means for the user: Slack's wording of the answers
 * `http-answers.ts` classifies (its rules: what is retried, Retry-After,
 * what refuses a message). Pure.
 *
 * Incoming webhooks answer 200 `ok`, or an HTTP error status with a short
 * code as the body (`no_service`, `channel_is_archived`…): those codes are
 * Slack's own words here, and the result's `code`.
 *
 * Messages never hold the webhook URL: callers pass `target`, the masked URL,
 * and anything quoted from an answer goes through `redact`.
 */

import { processMessages } from "../../i18n/current.js";
import type { MessageKey, Messages } from "../../i18n/messages.js";
import { AGENT_RETRY, type AnswerWording, answerCode, type HttpAnswer, type NetworkWording, type RetryWording, resultFromAnswer, resultFromNoAnswer } from "../http-answers.js";
import type { DeliveryResult } from "../notifier.js";

/** Codes that mean Lookout built a message Slack cannot take: a Lookout bug. */
const BUG_CODES = new Set(["invalid_payload", "invalid_blocks", "invalid_blocks_format", "no_text", "too_many_attachments"]);

export function isLookoutBugCode(code: string | undefined): boolean {
  return code !== undefined && BUG_CODES.has(code);
}

/** Slack's code when the body is one (`no_service`), else undefined. */
function codeOf(body: string): string | undefined {
  const text = body.trim();
  return /^[a-z][a-z0-9_]{0,63}$/.test(text) ? text : undefined;
}

/** Slack's own codes worded here (`slack.code.<code>`); any other keeps its status's words. */
const WORDED_CODES = new Set([
  "invalid_payload",
  "invalid_blocks",
  "invalid_blocks_format",
  "no_text",
  "too_many_attachments",
  "invalid_token",
  "action_prohibited",
  "team_disabled",
  "invalid_team",
  "no_service",
  "channel_not_found",
  "user_not_found",
  "channel_is_archived",
]);

/** How Slack's answers read, for the webhook at `target` (masked), in `m`'s language (the process's). */
export function slackAnswerWording(target: string, m: Messages = processMessages()): AnswerWording {
  const head = (f: { status: number; code?: string }) =>
    f.code ? m.t("slack.head.code", { target, status: f.status, code: f.code }) : m.t("slack.head", { target, status: f.status });
  const bug = m.t("slack.bug");
  const newWebhook = m.t("slack.newWebhook");
  const newWebhookAfterOr = m.t("slack.newWebhook.afterOr");
  return {
    delivered: m.t("slack.delivered", { target }),
    htmlPage: m.t("slack.htmlPage"),
    readCode: codeOf,
    // Slack's own code when it gave one; else none, but for a delivery and a 429.
    resultCode: (kind, own) => own ?? (kind === "ok" || kind === "rate_limited" ? answerCode(kind) : undefined),
    // Only a message Lookout built wrong is refused for what it holds.
    refusesMessage: (_status, own) => isLookoutBugCode(own),
    byCode: (code, f) => {
      if (!WORDED_CODES.has(code)) return undefined;
      const key = code === "invalid_blocks_format" ? "invalid_blocks" : code;
      return m.t(`slack.code.${key}` as MessageKey, {
        head: head(f),
        bug,
        newWebhook: /^(invalid_token|invalid_team|channel_is_archived)$/.test(code) ? newWebhookAfterOr : newWebhook,
      });
    },
    words: {
      rate_limited: (f) => m.t("slack.rateLimited", { target, retry: f.retry(f.waitMs) }),
      request_timeout: (f) => m.t("slack.requestTimeout", { target, again: f.again }),
      server_error: (f) =>
        f.code
          ? m.t("slack.serverError.code", { target, status: f.status, code: f.code, quoted: f.quoted, again: f.again })
          : m.t("slack.serverError", { target, status: f.status, quoted: f.quoted, again: f.again }),
      unauthorized: (f) => m.t("slack.denied", { head: head(f), quoted: f.quoted }),
      forbidden: (f) => m.t("slack.denied", { head: head(f), quoted: f.quoted }),
      not_found: (f) => m.t("slack.notFound", { head: head(f), quoted: f.quoted, newWebhook }),
      redirect: (f) => m.t("slack.redirect", { target, status: f.status }),
      refused: (f) => m.t("slack.refused", { head: head(f), quoted: f.quoted }),
    },
  };
}

/** How Slack's requests that got no answer read, for the webhook at `target` (masked), in `m`'s language. */
export function slackNoAnswerWording(target: string, m: Messages = processMessages()): NetworkWording {
  const network = m.t("slack.network");
  return {
    timeout: (f) => m.t("slack.noAnswer.timeout", { target, within: f.within, again: f.again, network }),
    aborted: (f) => m.t("slack.noAnswer.aborted", { target, again: f.again }),
    invalid_url: () => m.t("slack.noAnswer.invalidUrl", { target }),
    no_code: (f) => m.t("slack.noAnswer.noCode", { target, again: f.again, network }),
    dns: (f) => m.t("slack.noAnswer.dns", { target, code: f.code, again: f.again }),
    refused: (f) => m.t("slack.noAnswer.refused", { target, code: f.code, again: f.again, network }),
    reset: (f) => m.t("slack.noAnswer.reset", { target, code: f.code, again: f.again, network }),
    unreachable: (f) => m.t("slack.noAnswer.unreachable", { target, code: f.code, again: f.again }),
    certificate: (f) => m.t("slack.noAnswer.certificate", { target, code: f.code }),
    other: (f) => m.t("slack.noAnswer.failed", { target, code: f.code, again: f.again, network }),
  };
}

/** The DeliveryResult of an HTTP answer from the webhook at `target` (masked). */
export function resultFromResponse(answer: HttpAnswer, target: string, now: number = Date.now(), retry: RetryWording = AGENT_RETRY): DeliveryResult {
  return resultFromAnswer(answer, slackAnswerWording(target), now, retry);
}

/**
 * The DeliveryResult of a request to `target` (masked) that got no HTTP answer.
 * `timeoutMs` is the limit the request had, for the message.
 */
export function resultFromError(err: unknown, target: string, opts: { timeoutMs?: number; retry?: RetryWording } = {}): DeliveryResult {
  return resultFromNoAnswer(err, slackNoAnswerWording(target), opts);
}
