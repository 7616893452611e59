/**
 * What a failed HTTP request (no answer at all) was, read from the error's
 * cause chain: the facts every receiver's answer mapping shares (Slack,
 * webhooks, the heartbeat). `http-answers.ts` turns them into a DeliveryResult.
 */

export interface ErrorFacts {
  code?: string;
  name?: string;
}

/** The first error code (ECONNREFUSED…) or telling name (TimeoutError) in an error's cause chain. */
export function inspect(err: unknown): ErrorFacts {
  const facts: ErrorFacts = {};
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.size < 20) {
    const e = queue.shift();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const rec = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    if (facts.code === undefined && typeof rec.code === "string" && rec.code !== "") facts.code = rec.code;
    if (facts.name === undefined && (rec.name === "TimeoutError" || rec.name === "AbortError")) facts.name = rec.name;
    if (rec.cause !== undefined) queue.push(rec.cause);
    if (Array.isArray(rec.errors)) queue.push(...rec.errors);
  }
  return facts;
}

/**
 * The codes node:http, node:https and the kernel give (post-json.ts). A time
 * limit of Lookout's own is a TimeoutError (AbortSignal.timeout), told apart by
 * its name; ETIMEDOUT is the kernel's (a connection that never got through).
 * A connection dropped before the answer is ECONNRESET ("socket hang up").
 */
export const TIMEOUT_CODES = new Set(["ETIMEDOUT"]);
export const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);
export const UNREACHABLE_CODES = new Set(["EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN"]);
/** The request itself could not be made: a header name or value that is not valid HTTP. */
export const INVALID_REQUEST_CODES = new Set(["ERR_INVALID_CHAR", "ERR_INVALID_HTTP_TOKEN"]);

export function isCertificateCode(code: string): boolean {
  return /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH/i.test(code);
}

/** What kind of trouble a request without an answer had, in the order it is told apart. */
export type NetworkTrouble = "timeout" | "aborted" | "invalid_url" | "invalid_request" | "no_code" | "dns" | "refused" | "reset" | "unreachable" | "certificate" | "other";

/** The trouble of an error, and its code (ECONNREFUSED…) when the cause chain holds one. */
export function classifyNetworkError(err: unknown): { trouble: NetworkTrouble; code?: string } {
  const { code, name } = inspect(err);
  const withCode = (trouble: NetworkTrouble) => (code !== undefined ? { trouble, code } : { trouble });
  if (name === "TimeoutError" || (code !== undefined && TIMEOUT_CODES.has(code))) return withCode("timeout");
  if (name === "AbortError") return withCode("aborted");
  if (code === undefined) return { trouble: "no_code" };
  if (code === "ERR_INVALID_URL") return withCode("invalid_url");
  if (INVALID_REQUEST_CODES.has(code)) return withCode("invalid_request");
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return withCode("dns");
  if (code === "ECONNREFUSED") return withCode("refused");
  if (RESET_CODES.has(code)) return withCode("reset");
  if (UNREACHABLE_CODES.has(code)) return withCode("unreachable");
  if (isCertificateCode(code)) return withCode("certificate");
  return withCode("other");
}
