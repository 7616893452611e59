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

import { AGENT_RETRY, type AnswerWording, answerCode, type HttpAnswer, type NetworkWording, type RetryWording, resultFromAnswer, resultFromNoAnswer } from "../http-answers.js";
import type { DeliveryResult } from "../notifier.js";

/** Codes that mean Lookout built a message Slack cannot take: a Lookout bug. */
const BUG_CODES = new Set(["invalid_payload", "invalid_blocks", "invalid_blocks_format", "no_text", "too_many_attachments"]);

export function isLookoutBugCode(code: string | undefined): boolean {
  return code !== undefined && BUG_CODES.has(code);
}

const NEW_WEBHOOK = "Create a new incoming webhook in Slack (api.slack.com/apps → your app → Incoming Webhooks) and put its URL in notify.slack webhook_url.";
const BUG = "This is a bug in Lookout, not in your setup: please report it at the Lookout issue tracker, with the log line that holds the refused message.";

/** Slack's code when the body is one (`no_service`), else undefined. */
function codeOf(body: string): string | undefined {
  const text = body.trim();
  return /^[a-z][a-z0-9_]{0,63}$/.test(text) ? text : undefined;
}

function lower(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}

/** How Slack's answers read, for the webhook at `target` (masked). */
export function slackAnswerWording(target: string): AnswerWording {
  const refused = (f: { status: number; code?: string }) => `Slack refused the message for ${target} (HTTP ${f.status}${f.code ? ` ${f.code}` : ""})`;
  return {
    delivered: `Delivered to Slack (${target}).`,
    htmlPage: "a proxy or firewall between this server and Slack",
    readCode: codeOf,
    // Slack's own code when it gave one; else none, but for a delivery and a 429.
    resultCode: (kind, own) => own ?? (kind === "ok" || kind === "rate_limited" ? answerCode(kind) : undefined),
    // Only a message Lookout built wrong is refused for what it holds.
    refusesMessage: (_status, own) => isLookoutBugCode(own),
    byCode: (code, f) => {
      const slack = refused(f);
      switch (code) {
        case "invalid_payload":
          return `${slack}: Slack could not read the message Lookout sent. ${BUG}`;
        case "invalid_blocks":
        case "invalid_blocks_format":
          return `${slack}: the message's blocks break Slack's rules. ${BUG}`;
        case "no_text":
          return `${slack}: the message had no text. ${BUG}`;
        case "too_many_attachments":
          return `${slack}: the message had too many attachments. ${BUG}`;
        case "invalid_token":
          return `${slack}: the token in the webhook URL is not valid (revoked, or the URL was copied incompletely). Check the URL, or ${lower(NEW_WEBHOOK)}`;
        case "action_prohibited":
          return `${slack}: the workspace does not allow this webhook to post there (an admin restriction). Ask a Slack admin to allow the app, or use a webhook of another channel.`;
        case "team_disabled":
          return `${slack}: the Slack workspace of this webhook is disabled or deleted. Use a webhook of an active workspace.`;
        case "invalid_team":
          return `${slack}: the workspace in the webhook URL does not exist. Check that the URL was copied completely, or ${lower(NEW_WEBHOOK)}`;
        case "no_service":
          return `${slack}: this webhook does not exist (it was removed, its app was uninstalled, or the URL is wrong). ${NEW_WEBHOOK}`;
        case "channel_not_found":
          return `${slack}: the channel of this webhook no longer exists. ${NEW_WEBHOOK}`;
        case "user_not_found":
          return `${slack}: the user this webhook posts to no longer exists. ${NEW_WEBHOOK}`;
        case "channel_is_archived":
          return `${slack}: the channel of this webhook is archived. Unarchive the channel in Slack, or ${lower(NEW_WEBHOOK)}`;
      }
      return undefined;
    },
    words: {
      rate_limited: (f) =>
        `Slack is rate-limiting the webhook ${target} (HTTP 429). ${f.retry(f.waitMs)} ` +
        "Slack takes about one message per second per webhook; if this happens often, fewer alerts (longer repeat_interval, higher thresholds) will help.",
      request_timeout: (f) => `Slack timed out reading the message for ${target} (HTTP 408). ${f.again} If it keeps happening, check this server's network.`,
      server_error: (f) =>
        `Slack had a problem on its side for ${target} (HTTP ${f.status}${f.code ? ` ${f.code}` : ""}, ${f.quoted}). ${f.again} Nothing to change unless it lasts: see status.slack.com.`,
      unauthorized: (f) => `${refused(f)}: access denied, ${f.quoted}. Check that the webhook URL is complete and still active, and that no proxy blocks hooks.slack.com.`,
      forbidden: (f) => `${refused(f)}: access denied, ${f.quoted}. Check that the webhook URL is complete and still active, and that no proxy blocks hooks.slack.com.`,
      not_found: (f) => `${refused(f)}: the webhook was not found, ${f.quoted}. Check the URL. ${NEW_WEBHOOK}`,
      redirect: (f) => `Slack answered the webhook ${target} with a redirect (HTTP ${f.status}), which webhooks never do. Check the webhook URL.`,
      refused: (f) => `${refused(f)}: Slack said ${f.quoted}. Retrying will not help: check the webhook URL and Slack's answer above.`,
    },
  };
}

/** How Slack's requests that got no answer read, for the webhook at `target` (masked). */
export function slackNoAnswerWording(target: string): NetworkWording {
  const network = "If it keeps happening, check this server's internet access, firewall and proxy.";
  return {
    timeout: (f) => `Slack did not answer${f.within} (${target}). ${f.again} ${network}`,
    aborted: (f) => `The message to Slack (${target}) was cancelled before Slack answered. ${f.again}`,
    invalid_url: () => `The webhook URL ${target} is not a valid URL. Check notify.slack webhook_url.`,
    no_code: (f) => `Could not send to Slack (${target}): the request failed without an answer. ${f.again} ${network}`,
    dns: (f) =>
      `Could not look up the address of the webhook host of ${target} (DNS, ${f.code}). ${f.again} Check this server's DNS settings and internet access, and the host name in the URL.`,
    refused: (f) => `The connection to ${target} was refused (${f.code}). ${f.again} ${network}`,
    reset: (f) => `The connection to ${target} was dropped before Slack answered (${f.code}). ${f.again} ${network}`,
    unreachable: (f) => `The network cannot reach ${target} (${f.code}). ${f.again} Check this server's routes and internet access.`,
    certificate: (f) =>
      `The TLS certificate of ${target} could not be verified (${f.code}). If this server reaches the internet through a proxy that inspects TLS, ` +
      "give Lookout the proxy's CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; otherwise check the system clock and the CA certificates.",
    other: (f) => `Could not send to Slack (${target}): ${f.code}. ${f.again} ${network}`,
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
