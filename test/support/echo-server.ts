/**
 * A receiver that answers by a function of the request: a real HTTP server on
 * 127.0.0.1 (random port), for tests where the answer depends on the path,
 * the query or a header (an Express-style `404 Cannot POST /path?query` that
 * echoes what it was sent). Records every request.
 *
 *   const echo = new EchoServer((r) => ({ status: 404, body: `Cannot ${r.method} ${r.url}` }));
 *   const base = await echo.start();       // http://127.0.0.1:PORT
 *   … send to `${base}/services/T…/B…/…` …
 *   await echo.close();
 */
import type { IncomingHttpHeaders, Server } from "node:http";
import { listenOnLoopback } from "./loopback-server.js";

export interface EchoRequest {
  method: string;
  /** The request target as sent: path and query. */
  url: string;
  path: string;
  /** The query string without `?`, "" when none. */
  query: string;
  headers: IncomingHttpHeaders;
  raw: string;
}

export type EchoAnswer = { status: number; body: string; headers?: Record<string, string> };

export class EchoServer {
  readonly requests: EchoRequest[] = [];
  #server: Server | undefined;

  constructor(readonly answer: (r: EchoRequest) => EchoAnswer) {}

  /** Starts listening; resolves with the base URL (`http://127.0.0.1:PORT`). */
  async start(): Promise<string> {
    const { server, base } = await listenOnLoopback((method, url, headers, raw, res) => {
      const q = url.indexOf("?");
      const r: EchoRequest = { method, url, path: q === -1 ? url : url.slice(0, q), query: q === -1 ? "" : url.slice(q + 1), headers, raw };
      this.requests.push(r);
      const a = this.answer(r);
      res.writeHead(a.status, { "content-type": "text/html; charset=utf-8", ...a.headers });
      res.end(a.body);
    });
    this.#server = server;
    return base;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}
