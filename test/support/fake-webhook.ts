/**
 * A fake JSON webhook receiver (an Alertmanager webhook consumer, or a
 * Healthchecks.io-style ping URL): a real HTTP server on 127.0.0.1 (random
 * port) that records every request. For integration tests.
 *
 *   const fake = new FakeWebhook();
 *   const { url } = await fake.start();            // http://127.0.0.1:PORT/hooks/lookout
 *   fake.requireHeader("authorization", "Bearer s3cret-token");
 *   fake.respondWith([{ status: 429, body: "slow down", headers: { "retry-after": "3" } }]);
 *   … send to url …
 *   const [req] = await fake.waitFor(1);
 *   await fake.close();
 *
 * Answers, in order: the next canned answer from `respondWith` if any; else
 * 404 for a path that is not served; 401 when a required header is missing or
 * wrong; else 200 `{"status":"ok"}` (any method: a heartbeat GET works too).
 */
import type { IncomingHttpHeaders, Server, ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback-server.js";

export const FAKE_WEBHOOK_PATH = "/hooks/lookout";

export interface CannedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the connection stays open until the client gives up or `close()`). */
  hang?: boolean;
  /** Close the connection without an answer (the client sees a reset). */
  drop?: boolean;
}

export interface RecordedRequest {
  /** Date.now() when the request was complete. */
  at: number;
  method: string;
  /** The path, without the query. */
  path: string;
  /** The query string without `?`, "" when none. */
  query: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON; undefined when it is not JSON (or empty). */
  body: unknown;
  raw: string;
}

export class FakeWebhook {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  #server: Server | undefined;
  #base = "";
  #paths = new Set<string>([FAKE_WEBHOOK_PATH]);
  #required = new Map<string, string>();
  #queue: CannedAnswer[] = [];
  #default: CannedAnswer | undefined;
  #waiters: Array<() => void> = [];
  #timers = new Set<NodeJS.Timeout>();

  /** Start listening on 127.0.0.1 at a random port. `url` is the served path's URL. */
  async start(): Promise<{ url: string; baseUrl: string; port: number }> {
    if (this.#server) throw new Error("FakeWebhook already started");
    const { server, port, base } = await listenOnLoopback((method, url, headers, body, res) => this.#handle(method, url, headers, body, res));
    this.#server = server;
    this.#base = base;
    return { url: this.urlFor(FAKE_WEBHOOK_PATH), baseUrl: this.#base, port };
  }

  /** The URL of `path` on this server. */
  urlFor(path: string): string {
    if (!this.#base) throw new Error("FakeWebhook not started");
    return `${this.#base}${path.startsWith("/") ? path : `/${path}`}`;
  }

  /** The URL of the first served path. */
  get url(): string {
    return this.urlFor([...this.#paths][0] ?? FAKE_WEBHOOK_PATH);
  }

  /** Serve `path` too (any other path answers 404). */
  addPath(path: string): void {
    this.#paths.add(path);
  }

  /** Answer 401 unless the request has header `name` (any case) with exactly `value`. */
  requireHeader(name: string, value: string): void {
    this.#required.set(name.toLowerCase(), value);
  }

  /** Queue canned answers, used one per request before the normal answers take over again. */
  respondWith(answers: CannedAnswer[]): void {
    this.#queue.push(...answers);
  }

  /** Answer every request (after the queued ones) with `answer`, until `reset()`; undefined restores the normal answers. */
  respondAlways(answer: CannedAnswer | undefined): void {
    this.#default = answer;
  }

  /** Forget recorded requests, queued answers, the default answer and required headers. */
  reset(): void {
    this.requests.length = 0;
    this.#queue = [];
    this.#default = undefined;
    this.#required.clear();
  }

  /** Resolves with the requests once `count` have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 2000): Promise<RecordedRequest[]> {
    if (this.requests.length >= count) return Promise.resolve(this.requests.slice());
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.requests.length < count) return;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== check);
        resolve(this.requests.slice());
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== check);
        reject(new Error(`FakeWebhook: ${this.requests.length} of ${count} requests after ${timeoutMs}ms`));
      }, timeoutMs);
      this.#waiters.push(check);
    });
  }

  /** Stop: closes every connection, hanging ones included. */
  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  #handle(method: string, url: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): void {
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q + 1);
    let body: unknown;
    try {
      body = raw === "" ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    this.requests.push({ at: Date.now(), method, path, query, headers, body, raw });
    for (const w of this.#waiters.slice()) w();

    const canned = this.#queue.shift() ?? this.#default;
    if (canned) {
      this.#answerCanned(canned, res);
      return;
    }
    if (!this.#paths.has(path)) {
      answer(res, 404, JSON.stringify({ error: "not found" }), { "content-type": "application/json" });
      return;
    }
    for (const [name, value] of this.#required) {
      if (headers[name] !== value) {
        answer(res, 401, JSON.stringify({ error: "unauthorized", detail: `missing or wrong ${name}` }), { "content-type": "application/json" });
        return;
      }
    }
    answer(res, 200, JSON.stringify({ status: "ok" }), { "content-type": "application/json" });
  }

  #answerCanned(c: CannedAnswer, res: ServerResponse): void {
    if (c.hang) return;
    if (c.drop) {
      res.socket?.destroy();
      return;
    }
    const send = (): void => answer(res, c.status, c.body ?? "", c.headers);
    if (c.delayMs && c.delayMs > 0) {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        send();
      }, c.delayMs);
      this.#timers.add(t);
    } else {
      send();
    }
  }
}

function answer(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(body);
}
