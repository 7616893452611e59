/**
 * One HTTP request to a receiver with a time limit, and the parts of the answer
 * receivers read: `postJson` for Slack and webhooks, `getText` for the
 * heartbeat. node:http and node:https, with one keep-alive agent each (an idle
 * connection is closed after 4 s); not fetch, which refuses some ports outright
 * (the WHATWG "bad ports" list) that a self-hosted receiver may use.
 * Redirects are not followed. The answer's body is read up to what is quoted of
 * it, then the connection is dropped.
 *
 * Throws on no answer: a network error (its code: ECONNREFUSED, ECONNRESET,
 * ENOTFOUND, a certificate's code…), an invalid request (ERR_INVALID_URL,
 * ERR_INVALID_CHAR…), the time limit (`signal.reason` of
 * `AbortSignal.timeout`: a TimeoutError) or the caller's `signal` (its reason:
 * an AbortError). Each receiver maps that to what the user should do
 * (`resultFromNoAnswer`). The time limit and the caller's signal end the
 * request alike, whether its answer has begun or not, so Lookout stopping does
 * not wait for a receiver that hangs.
 */
import type { Agent, ClientRequest, request as httpRequest, IncomingMessage, RequestOptions } from "node:http";

/** Receivers answer with a word or a short text; anything longer is cut before it is read further. */
const MAX_ANSWER_CHARS = 16_384;
/** How long an idle kept-alive connection to a receiver stays open. */
const IDLE_CONNECTION_MS = 4_000;

export interface JsonAnswer {
  status: number;
  body: string;
  retryAfter: string | null;
  /** Every header of the answer (a service's own rate-limit headers: Pushover's X-Limit-App-Reset). */
  headers?: Record<string, string | string[] | undefined>;
}

type Transport = { agent: Agent; request: typeof httpRequest };
let http: Transport | undefined;
/** node:https (TLS) is loaded with the first https:// request. */
let https: Promise<Transport> | undefined;

export async function postJson(url: string, headers: Record<string, string>, json: string, timeoutMs: number, signal?: AbortSignal): Promise<JsonAnswer> {
  return post(url, "application/json", headers, json, { timeoutMs, ...(signal ? { signal } : {}) });
}

/** A POST of an HTML form (`application/x-www-form-urlencoded`: Pushover's API). */
export async function postForm(url: string, headers: Record<string, string>, form: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<JsonAnswer> {
  return post(url, "application/x-www-form-urlencoded", headers, new URLSearchParams(form).toString(), { timeoutMs, keepHeaders: true, ...(signal ? { signal } : {}) });
}

/** A POST of `text` as `contentType` (its content-length counted); the answer read up to what is quoted of it. */
function post(
  url: string,
  contentType: string,
  headers: Record<string, string>,
  text: string,
  opts: Pick<SendOptions, "timeoutMs" | "keepHeaders" | "signal">,
): Promise<JsonAnswer> {
  const body = Buffer.from(text, "utf8");
  return send(url, {
    method: "POST",
    headers: { "content-type": contentType, ...headers, "content-length": String(body.length) },
    body,
    maxChars: MAX_ANSWER_CHARS,
    ...opts,
  });
}

/** A GET; the body is read up to `maxChars` characters. */
export async function getText(url: string, headers: Record<string, string>, timeoutMs: number, maxChars: number): Promise<JsonAnswer> {
  return send(url, { method: "GET", headers, timeoutMs, maxChars });
}

interface SendOptions {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  maxChars: number;
  /** The answer keeps all its headers (`JsonAnswer.headers`). */
  keepHeaders?: boolean;
  signal?: AbortSignal;
}

async function send(url: string, opts: SendOptions): Promise<JsonAnswer> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  let target: URL;
  let transport: Transport;
  try {
    target = new URL(url);
    transport = target.protocol === "https:" ? await httpsTransport() : httpTransport();
  } catch (err) {
    throw signal.aborted ? signal.reason : err; // ERR_INVALID_URL
  }
  return new Promise<JsonAnswer>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      fn();
    };
    // The time limit or the caller: the request ends (its answer too, if it has begun) with the signal's reason.
    const onAbort = (): void => {
      finish(() => reject(signal.reason));
      res?.destroy();
      req?.destroy();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const options: RequestOptions = { method: opts.method, headers: opts.headers, agent: transport.agent };
      req = transport.request(target, options);
    } catch (err) {
      // A header that is not valid HTTP (ERR_INVALID_CHAR, ERR_INVALID_HTTP_TOKEN), a protocol node:http does not speak.
      finish(() => reject(err));
      return;
    }
    // Every error, not just the first: one after the abort must not go unhandled.
    req.on("error", (err) => finish(() => reject(err)));
    req.once("response", (answer) => {
      res = answer;
      answer.on("error", () => undefined); // readText sees it; one after the end changes nothing
      readText(answer, opts.maxChars).then(
        (text) => {
          const ra = answer.headers["retry-after"];
          finish(() =>
            resolve({ status: answer.statusCode ?? 0, retryAfter: (Array.isArray(ra) ? ra[0] : ra) ?? null, body: text, ...(opts.keepHeaders ? { headers: answer.headers } : {}) }),
          );
        },
        (err: unknown) => finish(() => reject(err)),
      );
    });
    req.end(opts.body);
  });
}

/**
 * The answer's text, at most `maxChars` characters: at most 4 bytes each, so
 * what is read past 4 × maxChars bytes would be cut anyway, and is not read.
 */
async function readText(res: IncomingMessage, maxChars: number): Promise<string> {
  const limit = maxChars * 4;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      res.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8").slice(0, maxChars);
}

/** node:http is loaded with the first http:// request too: a command that only reads the config (`status`) needs none. */
function httpTransport(): Transport {
  if (http === undefined) {
    const m = process.getBuiltinModule("node:http");
    http = { agent: new m.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }), request: m.request };
  }
  return http;
}

function httpsTransport(): Promise<Transport> {
  https ??= import("node:https").then((m) => ({ agent: new m.Agent({ keepAlive: true, timeout: IDLE_CONNECTION_MS }), request: m.request }));
  return https;
}
