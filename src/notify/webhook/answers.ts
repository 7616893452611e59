/**
 * What a generic webhook's answer means for the user. Pure: an HTTP answer
 * (status, body, Retry-After) or the error of a request that got no answer
 * becomes a DeliveryResult whose message says what happened and what to check.
 *
 * 2xx is delivered. 408, 429, 5xx and network trouble may pass later
 * (retryable; Retry-After honoured on 429 and 503). Any other 4xx will fail
 * the same way again: not retried, and the message quotes the first 200
 * characters of the answer (redacted) and says what to check.
 *
 * Messages never hold the URL or a header value: callers pass `target`, the
 * masked URL, and anything quoted from an answer goes through `redact`.
 */

import { formatDuration } from "../../config/duration.js";
import { redact } from "../../secrets.js";
import { inspect, isCertificateCode, network, RESET_CODES, TIMEOUT_CODES, UNREACHABLE_CODES } from "../network-errors.js";
import type { DeliveryResult } from "../notifier.js";
import { AGENT_RETRY, parseRetryAfter, type RetryWording } from "../slack/answers.js";

export interface WebhookHttpAnswer {
  status: number;
  body: string;
  retryAfter?: string | null;
}

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

const QUOTE_CHARS = 200;

/** The answer's body, safe and short enough to quote: redacted, one line, at most 200 characters. */
export function quoteBody(body: string): string {
  const text = redact(body)
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "") return "an empty answer";
  if (/^<(!doctype|html|\?xml)/i.test(text)) return "an HTML page, likely from a proxy or web server in front of the receiver";
  const cut = text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS - 1)}…` : text;
  // The cut can split a secret the receiver echoed; redact once more what is left of it.
  return `"${redact(cut)}"`;
}

function fail(status: number, retryable: boolean, message: string, retryAfterMs?: number, code?: string): DeliveryResult {
  const result: DeliveryResult = { ok: false, retryable, status, message };
  if (code !== undefined) result.code = code;
  if (retryAfterMs !== undefined) result.retryAfterMs = retryAfterMs;
  return result;
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

/** The DeliveryResult of an HTTP answer from the webhook described by `ctx`. */
export function webhookResultFromResponse(answer: WebhookHttpAnswer, ctx: WebhookContext, now: number = Date.now(), retry: RetryWording = AGENT_RETRY): DeliveryResult {
  const { status } = answer;
  // Redacted where it enters: a receiver that echoes the request (`Cannot POST /hooks/…?token=…`)
  // must not get a secret into the message, the log, the data directory or another receiver's note.
  const body = redact(answer.body);
  const again = retry();
  const key = ctx.key ?? "notify.webhooks";
  const who = `The webhook ${ctx.name} (${ctx.target})`;

  if (status >= 200 && status < 300) {
    return { ok: true, retryable: false, status, code: "ok", message: `Delivered to the webhook ${ctx.name} (${ctx.target}).` };
  }
  if (status === 429) {
    const wait = parseRetryAfter(answer.retryAfter, now);
    return fail(status, true, `${who} is rate-limiting Lookout (HTTP 429). ${retry(wait)}`, wait, "rate_limited");
  }
  if (status === 408) {
    return fail(status, true, `${who} timed out reading the notification (HTTP 408). ${again} If it keeps happening, check this server's network.`, undefined, "timeout");
  }
  if (status >= 500) {
    const wait = status === 503 ? parseRetryAfter(answer.retryAfter, now) : undefined;
    return fail(
      status,
      true,
      `${who} had a problem on its side (HTTP ${status}, ${quoteBody(body)}). ${again} If it lasts, check the receiving service and its logs.`,
      wait,
      "server_error",
    );
  }
  if (status === 401 || status === 403) {
    return fail(
      status,
      false,
      `${who} refused the notification: ${status === 401 ? "not authenticated" : "access denied"} (HTTP ${status}, ${quoteBody(body)}). Retrying will not help. ${authAdvice(ctx, key)}`,
      undefined,
      status === 401 ? "unauthorized" : "forbidden",
    );
  }
  if (status === 404 || status === 405 || status === 410) {
    return fail(
      status,
      false,
      `${who} refused the notification (HTTP ${status}, ${quoteBody(body)}): nothing takes webhooks at that address. Retrying will not help: check ${key}.url (host, port and path).`,
      undefined,
      status === 405 ? "method_not_allowed" : "not_found",
    );
  }
  if (status >= 300 && status < 400) {
    return fail(
      status,
      false,
      `${who} answered with a redirect (HTTP ${status}); Lookout does not follow redirects with alerts. Check ${key}.url: use the address the receiver redirects to (often https:// instead of http://, or a trailing slash).`,
      undefined,
      "redirect",
    );
  }
  return fail(
    status,
    false,
    `${who} refused the notification (HTTP ${status}, ${quoteBody(body)}). Retrying will not help: check ${key}.url and its headers, and that the receiver takes Alertmanager's webhook format (version 4).`,
    undefined,
    "refused",
  );
}

// ---------------------------------------------------------------- network errors

/**
 * The DeliveryResult of a request to `target` (masked) that got no HTTP answer.
 * `what` names the receiver in messages ("the webhook pager", "the heartbeat URL").
 */
export function resultFromNetworkError(
  err: unknown,
  target: string,
  opts: { what: string; timeoutMs?: number; key?: string; hasHeaders?: boolean; retry?: RetryWording },
): DeliveryResult {
  const again = (opts.retry ?? AGENT_RETRY)();
  const { code, name } = inspect(err);
  const within = opts.timeoutMs !== undefined ? ` within ${formatDuration(opts.timeoutMs)}` : "";
  const key = opts.key ?? "notify.webhooks";
  const check = "If it keeps happening, check that the service at that address is up, and this server's network, firewall and proxy.";

  if (name === "TimeoutError" || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return network("timeout", true, `${cap(opts.what)} (${target}) did not answer${within}. ${again} ${check}`);
  }
  if (name === "AbortError") {
    return network("aborted", true, `The request to ${opts.what} (${target}) was cancelled before it answered. ${again}`);
  }
  if (code === "ERR_INVALID_URL") {
    return network(code, false, `The URL of ${opts.what} (${target}) is not a valid URL. Check ${key}.url.`);
  }
  if (code === "UND_ERR_INVALID_ARG" || code === "ERR_INVALID_CHAR" || code === "ERR_INVALID_HTTP_TOKEN") {
    const headers = opts.hasHeaders ? `, and the names and values in ${key}.headers and header_files` : "";
    return network(code, false, `Lookout could not make a request to ${opts.what} (${target}): the URL or a header is not valid HTTP (${code}). Check ${key}.url${headers}.`);
  }
  if (code === undefined) {
    return network("network_error", true, `Could not reach ${opts.what} (${target}): the request failed without an answer. ${again} ${check}`);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return network(code, true, `Could not look up the host of ${opts.what} (${target}) (DNS, ${code}). ${again} Check the host name in ${key}.url and this server's DNS settings.`);
  }
  if (code === "ECONNREFUSED") {
    return network(
      code,
      true,
      `The connection to ${opts.what} (${target}) was refused (${code}). ${again} Check that the service at that address is running and listens on that port, and the port in ${key}.url.`,
    );
  }
  if (RESET_CODES.has(code)) {
    return network(code, true, `The connection to ${opts.what} (${target}) was dropped before it answered (${code}). ${again} ${check}`);
  }
  if (UNREACHABLE_CODES.has(code)) {
    return network(code, true, `The network cannot reach ${opts.what} (${target}) (${code}). ${again} Check this server's routes and firewall.`);
  }
  if (isCertificateCode(code)) {
    return network(
      code,
      false,
      `The TLS certificate of ${opts.what} (${target}) could not be verified (${code}). For a private CA, give Lookout its certificate with ` +
        "NODE_EXTRA_CA_CERTS=/path/to/ca.pem; otherwise check the receiver's certificate, the system clock and the CA certificates.",
    );
  }
  return network(code, true, `Could not reach ${opts.what} (${target}): ${code}. ${again} ${check}`);
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
