/**
 * Serves recorded Engine API answers (test/fixtures/docker/) over a unix
 * socket (or TCP on 127.0.0.1), for the unit tests of the client's parsing,
 * errors and reconnects. The integration tests talk to a real dockerd instead.
 *
 *   const server = new FixtureServer((req) => req.path === "/version" ? json(fixture("version.json")) : undefined);
 *   const host = await server.listen();          // unix:///tmp/…/docker.sock
 *   … new DockerEngine({ host }) …
 *   await server.close();
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const FIXTURES = resolve(import.meta.dirname, "../../fixtures/docker");

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export function fixtureJson<T = unknown>(name: string): T {
  return JSON.parse(fixture(name).toString("utf8")) as T;
}

export interface SeenRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  at: number;
}

export interface Answer {
  status?: number;
  body?: string | Buffer;
  contentType?: string;
  /** Wait before answering. */
  delayMs?: number;
  /** Never answer. */
  hang?: boolean;
  /** Write the head, then hand the response over (for streams); the server ends it on close. */
  stream?: (res: ServerResponse, req: IncomingMessage) => void;
}

export type Handler = (req: SeenRequest) => Answer | undefined | Promise<Answer | undefined>;

export function json(value: unknown, status = 200): Answer {
  return { status, body: typeof value === "string" || Buffer.isBuffer(value) ? value : JSON.stringify(value), contentType: "application/json" };
}

export class FixtureServer {
  readonly requests: SeenRequest[] = [];
  /** Requests being answered right now, and the most at once. */
  inFlight = 0;
  maxInFlight = 0;
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  readonly #dir = mkdtempSync(join(tmpdir(), "lookout-fixture-"));
  readonly socketPath = join(this.#dir, "docker.sock");
  #handler: Handler;

  constructor(handler: Handler) {
    this.#handler = handler;
  }

  setHandler(handler: Handler): void {
    this.#handler = handler;
  }

  /** Listens on the unix socket (default) or on 127.0.0.1; returns the Docker host string. */
  async listen(on: "unix" | "tcp" = "unix"): Promise<string> {
    const server = createServer((req, res) => void this.#answer(req, res));
    server.keepAliveTimeout = 60_000;
    server.on("connection", (s: Socket) => {
      this.#sockets.add(s);
      s.on("close", () => this.#sockets.delete(s));
    });
    this.#server = server;
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      if (on === "unix") server.listen(this.socketPath, ok);
      else server.listen(0, "127.0.0.1", ok);
    });
    if (on === "unix") return `unix://${this.socketPath}`;
    return `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Open connections (a client that leaves none open closed cleanly). */
  get openConnections(): number {
    return this.#sockets.size;
  }

  /** Stops listening (the socket file goes away) and cuts every connection. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((ok) => server.close(() => ok()));
  }

  /** `close()` and delete the temp directory. */
  async dispose(): Promise<void> {
    await this.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const seen: SeenRequest = { method: req.method ?? "", path: url.pathname, query: url.searchParams, at: Date.now() };
    this.requests.push(seen);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.on("close", () => this.inFlight--);
    const answer = (await this.#handler(seen)) ?? json({ message: `page not found` }, 404);
    if (answer.hang) return;
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (answer.stream) {
      res.writeHead(answer.status ?? 200, { "content-type": answer.contentType ?? "application/json" });
      res.flushHeaders();
      answer.stream(res, req);
      return;
    }
    res.writeHead(answer.status ?? 200, { "content-type": answer.contentType ?? "application/json" });
    res.end(answer.body ?? "");
  }
}
