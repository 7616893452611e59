/**
 * What a failed HTTP request (no answer at all) was: the pieces every
 * receiver's answer mapping shares (Slack, webhooks, the heartbeat).
 */
import type { DeliveryResult } from "./notifier.js";

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

export const TIMEOUT_CODES = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);
export const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "ECONNABORTED"]);
export const UNREACHABLE_CODES = new Set(["EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN"]);

export function isCertificateCode(code: string): boolean {
  return /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH/i.test(code);
}

export function network(code: string, retryable: boolean, message: string): DeliveryResult {
  return { ok: false, retryable, code, message };
}
