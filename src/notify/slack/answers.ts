/**
 * What Slack's answer means for the user. Pure: an incoming webhook's answer
 * (HTTP status and body) or the error of a request that got no answer becomes
 * a DeliveryResult whose message says what happened and what to do.
 *
 * Incoming webhooks answer 200 `ok`, or an HTTP error status with a short
 * code as the body (`no_service`, `channel_is_archived`…). Retrying helps for
 * 408, 429, 5xx and network trouble; any other 4xx will fail again the same way.
 *
 * Messages never hold the webhook URL: callers pass `target`, the masked URL,
 * and anything quoted from an answer goes through `redact`.
 */

import { formatDuration } from "../../config/duration.js";
import { redact } from "../../secrets.js";
import { inspect, isCertificateCode, network, RESET_CODES, TIMEOUT_CODES, UNREACHABLE_CODES } from "../network-errors.js";
import type { DeliveryResult } from "../notifier.js";

export interface SlackHttpAnswer {
  status: number;
  /** The response body as text (Slack: `ok` or an error code). */
  body: string;
  /** The `Retry-After` header, when there was one. */
  retryAfter?: string | null;
}

/** Codes that mean Lookout built a message Slack cannot take: a Lookout bug. */
const BUG_CODES = new Set(["invalid_payload", "invalid_blocks", "invalid_blocks_format", "no_text", "too_many_attachments"]);

export function isLookoutBugCode(code: string | undefined): boolean {
  return code !== undefined && BUG_CODES.has(code);
}

/**
 * How a message says that trying again may help. The same answer reads
 * differently to the agent, which tries again by itself (AGENT_RETRY, the
 * default), and to `lookout test-webhook`, which makes one attempt and leaves
 * the next to the user (ONE_SHOT_RETRY). `waitMs`: how long the receiver asked
 * to wait (Retry-After), when it said.
 */
export type RetryWording = (waitMs?: number) => string;

export const AGENT_RETRY: RetryWording = (waitMs) => `Lookout will try again${waitMs !== undefined ? ` in ${formatDuration(waitMs)}` : ""}.`;

export const ONE_SHOT_RETRY: RetryWording = (waitMs) =>
  `A temporary problem: run lookout test-webhook again in ${waitMs !== undefined && waitMs > 0 ? formatDuration(waitMs) : "a minute"}.`;
const NEW_WEBHOOK = "Create a new incoming webhook in Slack (api.slack.com/apps → your app → Incoming Webhooks) and put its URL in notify.slack webhook_url.";
const BUG = "This is a bug in Lookout, not in your setup: please report it at the Lookout issue tracker, with the log line that holds the refused message.";

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

/** Slack's code when the body is one (`no_service`), else undefined. */
function codeOf(body: string): string | undefined {
  const text = body.trim();
  return /^[a-z][a-z0-9_]{0,63}$/.test(text) ? text : undefined;
}

/** The body, safe and short enough to quote in a message (redacted again: callers may pass it raw). */
function quote(body: string): string {
  const text = redact(body)
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return "an empty answer";
  if (/^<(!doctype|html|\?xml)/i.test(text)) return "an HTML page, likely from a proxy or firewall between this server and Slack";
  return `"${text.length > 200 ? `${text.slice(0, 199)}…` : text}"`;
}

function fail(status: number, code: string | undefined, retryable: boolean, message: string, retryAfterMs?: number): DeliveryResult {
  const result: DeliveryResult = { ok: false, retryable, status, message };
  if (code !== undefined) result.code = code;
  if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
  return result;
}

/** The DeliveryResult of an HTTP answer from the webhook at `target` (masked). */
export function resultFromResponse(answer: SlackHttpAnswer, target: string, now: number = Date.now(), retry: RetryWording = AGENT_RETRY): DeliveryResult {
  const { status } = answer;
  // Redacted where it enters: a receiver that echoes the request (`Cannot POST /services/T…/B…/<token>`)
  // must not get the token into the code, the message, the log, the data directory or another receiver's note.
  const body = redact(answer.body);
  const code = codeOf(body);
  const slack = `Slack refused the message for ${target} (HTTP ${status}${code ? ` ${code}` : ""})`;
  const again = retry();

  if (status >= 200 && status < 300) {
    return { ok: true, retryable: false, status, code: code ?? "ok", message: `Delivered to Slack (${target}).` };
  }

  switch (code) {
    case "invalid_payload":
      return fail(status, code, false, `${slack}: Slack could not read the message Lookout sent. ${BUG}`);
    case "invalid_blocks":
    case "invalid_blocks_format":
      return fail(status, code, false, `${slack}: the message's blocks break Slack's rules. ${BUG}`);
    case "no_text":
      return fail(status, code, false, `${slack}: the message had no text. ${BUG}`);
    case "too_many_attachments":
      return fail(status, code, false, `${slack}: the message had too many attachments. ${BUG}`);
    case "invalid_token":
      return fail(
        status,
        code,
        false,
        `${slack}: the token in the webhook URL is not valid (revoked, or the URL was copied incompletely). Check the URL, or ${lower(NEW_WEBHOOK)}`,
      );
    case "action_prohibited":
      return fail(
        status,
        code,
        false,
        `${slack}: the workspace does not allow this webhook to post there (an admin restriction). Ask a Slack admin to allow the app, or use a webhook of another channel.`,
      );
    case "team_disabled":
      return fail(status, code, false, `${slack}: the Slack workspace of this webhook is disabled or deleted. Use a webhook of an active workspace.`);
    case "invalid_team":
      return fail(status, code, false, `${slack}: the workspace in the webhook URL does not exist. Check that the URL was copied completely, or ${lower(NEW_WEBHOOK)}`);
    case "no_service":
      return fail(status, code, false, `${slack}: this webhook does not exist (it was removed, its app was uninstalled, or the URL is wrong). ${NEW_WEBHOOK}`);
    case "channel_not_found":
      return fail(status, code, false, `${slack}: the channel of this webhook no longer exists. ${NEW_WEBHOOK}`);
    case "user_not_found":
      return fail(status, code, false, `${slack}: the user this webhook posts to no longer exists. ${NEW_WEBHOOK}`);
    case "channel_is_archived":
      return fail(status, code, false, `${slack}: the channel of this webhook is archived. Unarchive the channel in Slack, or ${lower(NEW_WEBHOOK)}`);
  }

  if (status === 429) {
    const wait = parseRetryAfter(answer.retryAfter, now);
    return fail(
      status,
      code ?? "rate_limited",
      true,
      `Slack is rate-limiting the webhook ${target} (HTTP 429). ${retry(wait)} ` +
        "Slack takes about one message per second per webhook; if this happens often, fewer alerts (longer repeat_interval, higher thresholds) will help.",
      wait,
    );
  }
  if (status === 408) {
    return fail(status, code, true, `Slack timed out reading the message for ${target} (HTTP 408). ${again} If it keeps happening, check this server's network.`);
  }
  if (status >= 500) {
    return fail(
      status,
      code,
      true,
      `Slack had a problem on its side for ${target} (HTTP ${status}${code ? ` ${code}` : ""}, ${quote(body)}). ${again} Nothing to change unless it lasts: see status.slack.com.`,
    );
  }
  if (status === 401 || status === 403) {
    return fail(status, code, false, `${slack}: access denied, ${quote(body)}. Check that the webhook URL is complete and still active, and that no proxy blocks hooks.slack.com.`);
  }
  if (status === 404 || status === 410) {
    return fail(status, code, false, `${slack}: the webhook was not found, ${quote(body)}. Check the URL. ${NEW_WEBHOOK}`);
  }
  if (status >= 300 && status < 400) {
    return fail(status, code, false, `Slack answered the webhook ${target} with a redirect (HTTP ${status}), which webhooks never do. Check the webhook URL.`);
  }
  return fail(status, code, false, `${slack}: Slack said ${quote(body)}. Retrying will not help: check the webhook URL and Slack's answer above.`);
}

function lower(sentence: string): string {
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}

// ---------------------------------------------------------------- network errors

/**
 * The DeliveryResult of a request to `target` (masked) that got no HTTP answer.
 * `timeoutMs` is the limit the request had, for the message.
 */
export function resultFromError(err: unknown, target: string, opts: { timeoutMs?: number; retry?: RetryWording } = {}): DeliveryResult {
  const again = (opts.retry ?? AGENT_RETRY)();
  const { code, name } = inspect(err);
  const within = opts.timeoutMs !== undefined ? ` within ${formatDuration(opts.timeoutMs)}` : "";
  const network_ = "If it keeps happening, check this server's internet access, firewall and proxy.";

  if (name === "TimeoutError" || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return network("timeout", true, `Slack did not answer${within} (${target}). ${again} ${network_}`);
  }
  if (name === "AbortError") {
    return network("aborted", true, `The message to Slack (${target}) was cancelled before Slack answered. ${again}`);
  }
  if (code === "ERR_INVALID_URL") {
    return network(code, false, `The webhook URL ${target} is not a valid URL. Check notify.slack webhook_url.`);
  }
  if (code === undefined) {
    return network("network_error", true, `Could not send to Slack (${target}): the request failed without an answer. ${again} ${network_}`);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return network(
      code,
      true,
      `Could not look up the address of the webhook host of ${target} (DNS, ${code}). ${again} Check this server's DNS settings and internet access, and the host name in the URL.`,
    );
  }
  if (code === "ECONNREFUSED") {
    return network(code, true, `The connection to ${target} was refused (${code}). ${again} ${network_}`);
  }
  if (RESET_CODES.has(code)) {
    return network(code, true, `The connection to ${target} was dropped before Slack answered (${code}). ${again} ${network_}`);
  }
  if (UNREACHABLE_CODES.has(code)) {
    return network(code, true, `The network cannot reach ${target} (${code}). ${again} Check this server's routes and internet access.`);
  }
  if (isCertificateCode(code)) {
    return network(
      code,
      false,
      `The TLS certificate of ${target} could not be verified (${code}). If this server reaches the internet through a proxy that inspects TLS, ` +
        "give Lookout the proxy's CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem; otherwise check the system clock and the CA certificates.",
    );
  }
  return network(code, true, `Could not send to Slack (${target}): ${code}. ${again} ${network_}`);
}
