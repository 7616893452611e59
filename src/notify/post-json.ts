/**
 * One JSON POST with a time limit, and the parts of the answer receivers read.
 * undici's request rather than fetch: fetch refuses some ports outright (the
 * WHATWG "bad ports" list), which a self-hosted receiver may use. Redirects are
 * not followed. Throws on no answer (network error, timeout, `signal` aborted):
 * each receiver maps that to what the user should do. The time limit and the
 * caller's signal end the request alike, so Lookout stopping does not wait for
 * a receiver that hangs.
 */
import { request } from "undici";

/** Receivers answer with a word or a short text; anything longer is cut before it is read further. */
const MAX_ANSWER_CHARS = 16_384;

export interface JsonAnswer {
  status: number;
  body: string;
  retryAfter: string | null;
}

export async function postJson(url: string, headers: Record<string, string>, json: string, timeoutMs: number, signal?: AbortSignal): Promise<JsonAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: json,
    signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
  });
  const ra = res.headers["retry-after"];
  return {
    status: res.statusCode,
    retryAfter: (Array.isArray(ra) ? ra[0] : ra) ?? null,
    body: (await res.body.text()).slice(0, MAX_ANSWER_CHARS),
  };
}
