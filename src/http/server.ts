/**
 * `lookout run`'s HTTP server, on `node:http` alone (no framework: the
 * project measures what loading costs, README "Dependencies"). It answers
 * from the agent's memory and the data directory (source.ts), never collects,
 * and never lets a request hurt the agent: every handler's failure becomes
 * an answer (a 4xx with a one-line reason, or a 500 that says to report it,
 * logged), bodies are bounded, slow clients are cut off.
 *
 * Order of a request: security headers; `/healthz` (open); `/login` and
 * `/logout`; then authentication (auth.ts) for everything else; then the
 * API's routes (`/api/v1/…`, each endpoint in its own file) or the
 * dashboard's files (dashboard.ts). Changes (POST, DELETE) are refused
 * unless they come with a JSON content type or `X-Lookout-Request: 1` and
 * from this server's own origin: a form on another site can do neither.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import type { Agent } from "../agent.js";
import { isLoopback, listenText } from "../config/listen.js";
import { describeError, LookoutError, said } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import { messages } from "../i18n/messages.js";
import { log } from "../log.js";
import { listAlerts } from "./alerts.js";
import type { ApiHandler, ApiRequest } from "./api.js";
import { cookieValue, FailedAttempts, SESSION_COOKIE, SESSION_MS, Sessions, sessionCookie, tokenMatches } from "./auth.js";
import { containerLogs, listContainers } from "./containers.js";
import { defaultPageDir, serveDashboardFile } from "./dashboard.js";
import { listEvents } from "./events.js";
import { health } from "./health.js";
import { getHistory } from "./history.js";
import { localPath, loginPage } from "./login.js";
import { metricsAnswer } from "./metrics.js";
import { listNotifications } from "./notifications.js";
import { HttpError, notFound, redirect, securityHeaders, sendError, sendHtml, sendJson } from "./respond.js";
import type { HttpSettings } from "./settings.js";
import { addSilence, endSilence, listSilences } from "./silences.js";
import { type ApiSource, agentSource } from "./source.js";
import { getStatus } from "./status.js";

/** The largest request body read (a silence is a few hundred bytes). */
export const MAX_BODY_BYTES = 64 * 1024;

type Method = "GET" | "POST" | "DELETE";

interface Route {
  path: RegExp;
  methods: Partial<Record<Method, ApiHandler>>;
}

/** The API: one line per path (docs/api.md). A path's `([^/]+)` parts are its parameters. */
const ROUTES: readonly Route[] = [
  { path: /^\/api\/v1\/status$/, methods: { GET: getStatus } },
  { path: /^\/api\/v1\/alerts$/, methods: { GET: listAlerts } },
  { path: /^\/api\/v1\/history$/, methods: { GET: getHistory } },
  { path: /^\/api\/v1\/events$/, methods: { GET: listEvents } },
  { path: /^\/api\/v1\/containers$/, methods: { GET: listContainers } },
  { path: /^\/api\/v1\/containers\/([^/]+)\/logs$/, methods: { GET: containerLogs } },
  { path: /^\/api\/v1\/silences$/, methods: { GET: listSilences, POST: addSilence } },
  { path: /^\/api\/v1\/silences\/([^/]+)$/, methods: { DELETE: endSilence } },
  { path: /^\/api\/v1\/notifications$/, methods: { GET: listNotifications } },
];

export interface HttpServerOptions {
  settings: HttpSettings;
  source: ApiSource;
  /** Time for sessions, slow-down and answers (tests give their own). */
  clock?: () => number;
  /** Where the dashboard's files are (default: dashboard.ts `defaultPageDir`). */
  pageDir?: string;
  /** When the agent started (uptime); default now. */
  startedAt?: number;
}

export class HttpServer {
  private readonly clock: () => number;
  private readonly pageDir: string;
  private readonly startedAt: number;
  private readonly sessions = new Sessions();
  private readonly failures = new FailedAttempts();
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly opts: HttpServerOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
    this.pageDir = opts.pageDir ?? defaultPageDir();
    this.startedAt = opts.startedAt ?? this.clock();
  }

  /**
   * Listens on `http.listen`. A port in use, a port below 1024 without the
   * right, an address not of this machine: a LookoutError (exit code 2) that
   * names http.listen and the fix.
   */
  static async start(opts: HttpServerOptions): Promise<HttpServer> {
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 });
    const http = new HttpServer(server, opts);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => void http.handle(req, res));
    // A request Node could not parse: 400, and the connection closed (Node's default would just drop it).
    server.on("clientError", (_err, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      else socket.destroy();
    });
    server.on("connection", (socket: Socket) => {
      http.sockets.add(socket);
      socket.once("close", () => http.sockets.delete(socket));
    });
    const { host, port } = opts.settings.listen;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, opts.settings));
      server.once("error", onError);
      server.listen({ port, ...(host === "" ? {} : { host }) }, () => {
        server.off("error", onError);
        server.on("error", (err) => log.error(processMessages().t("log.http.serverError"), { error: describeError(err) }));
        resolve();
      });
    });
    return http;
  }

  /** Where it listens (the port chosen when http.listen asked for 0). */
  get address(): { host: string; port: number } {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Stops listening and ends every connection (the agent is stopping: nothing more is answered). */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      securityHeaders(res);
      await this.route(req, res);
    } catch (err) {
      const m = messages(this.opts.source.loaded().config.locale);
      if (err instanceof HttpError) return sendError(res, err, m);
      log.error(processMessages().t("log.http.requestFailed"), { method: req.method, path: (req.url ?? "").split("?")[0], error: describeError(err) });
      sendError(res, new HttpError(500, said("api.internal")), m);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? "";
    if (!raw.startsWith("/")) throw new HttpError(400, said("api.pathExpected"));
    const url = new URL(raw, "http://lookout.invalid");
    const path = url.pathname;
    const method = req.method === "HEAD" ? "GET" : (req.method ?? "");
    const now = this.clock();

    if (path === "/healthz") {
      allow(method, ["GET"]);
      const answer = health(this.opts.source, now, this.startedAt);
      return sendJson(res, answer.status ?? 200, answer.body);
    }
    if (path === "/metrics") {
      allow(method, ["GET"]);
      // Open when there is no token (loopback only: settings.ts) or http.metrics_public; else the token, as the API.
      if (!this.opts.settings.metricsPublic && !this.authorized(req, now)) {
        throw new HttpError(401, said("api.metricsToken"), {
          "WWW-Authenticate": 'Bearer realm="lookout"',
        });
      }
      const answer = metricsAnswer(this.opts.source, req.headers.accept, now);
      // Prometheus asks for gzip: 50 containers' ~600 KB of repeated labels become ~25 KB, at ~3 ms of CPU at level 1.
      const gzip = acceptsGzip(req.headers["accept-encoding"]);
      const body = gzip ? gzipSync(answer.text, { level: 1 }) : Buffer.from(answer.text, "utf8");
      res.writeHead(200, {
        "Content-Type": answer.contentType,
        "Cache-Control": "no-store",
        Vary: "Accept-Encoding",
        ...(gzip ? { "Content-Encoding": "gzip" } : {}),
        "Content-Length": body.length,
      });
      return void res.end(req.method === "HEAD" ? undefined : body);
    }
    if (path === "/login") return this.login(req, res, method, url, now);
    if (path === "/logout") {
      allow(method, ["GET", "POST"]);
      if (method === "POST") this.checkOrigin(req);
      const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
      if (id) this.sessions.close(id);
      return redirect(res, this.opts.settings.token === null ? "/" : "/login", { "Set-Cookie": sessionCookie("", 0, this.secure(req)) });
    }

    const isApi = path.startsWith("/api/");
    if (!this.authorized(req, now)) {
      if (isApi) throw new HttpError(401, said("api.signInApi"), { "WWW-Authenticate": 'Bearer realm="lookout"' });
      if (method !== "GET") throw new HttpError(401, said("api.signIn"));
      return redirect(res, `/login?next=${encodeURIComponent(path + url.search)}`);
    }
    if (isApi) return this.api(req, res, method, url, now);
    allow(method, ["GET"]);
    if (!serveDashboardFile(res, this.pageDir, path, this.opts.source.loaded().config.locale)) throw notFound(said("api.noSuchPage"));
  }

  private async api(req: IncomingMessage, res: ServerResponse, method: string, url: URL, now: number): Promise<void> {
    let params: string[] = [];
    const route = ROUTES.find((r) => {
      const m = r.path.exec(url.pathname);
      if (m) params = m.slice(1);
      return m !== null;
    });
    if (!route) throw notFound();
    const handler = route.methods[method as Method];
    if (!handler) allow(method, Object.keys(route.methods));
    let decoded: string[];
    try {
      decoded = params.map((p) => decodeURIComponent(p));
    } catch {
      throw new HttpError(400, said("api.badPercent"));
    }
    let body: unknown;
    if (method === "POST" || method === "DELETE") {
      this.checkOrigin(req);
      const type = contentType(req);
      if (method === "POST" && type !== "application/json") throw new HttpError(415, said("api.jsonBody"));
      if (method === "DELETE" && type !== "application/json" && req.headers["x-lookout-request"] !== "1") {
        throw new HttpError(403, said("api.csrfHeader"));
      }
      const text = (await readBody(req)).toString("utf8");
      if (method === "POST") {
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(400, said("api.badJson"));
        }
      }
    }
    const apiReq: ApiRequest = { method, url, params: decoded, body, now, source: this.opts.source, startedAt: this.startedAt };
    const answer = await handler!(apiReq);
    sendJson(res, answer.status ?? 200, answer.body);
  }

  /** GET: the form (or `/` when there is no token: nothing to sign in to). POST: the token, then a session cookie. */
  private async login(req: IncomingMessage, res: ServerResponse, method: string, url: URL, now: number): Promise<void> {
    allow(method, ["GET", "POST"]);
    const token = this.opts.settings.token;
    const { hostname, config } = this.opts.source.loaded();
    const locale = config.locale;
    if (token === null) return redirect(res, "/");
    if (method === "GET") return sendHtml(res, 200, loginPage({ next: localPath(url.searchParams.get("next")), hostname, locale }));
    this.checkOrigin(req);
    if (contentType(req) !== "application/x-www-form-urlencoded") throw new HttpError(415, said("api.loginForm"));
    const form = new URLSearchParams((await readBody(req)).toString("utf8"));
    const next = localPath(form.get("next"));
    const address = this.remoteAddress(req);
    const wait = this.failures.waitFor(address, now);
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      return sendHtml(res, 429, loginPage({ next, hostname, locale, refused: { tooMany: s } }), { "Retry-After": String(s) });
    }
    if (!tokenMatches(token, form.get("token") ?? "")) {
      this.failures.failed(address, now);
      return sendHtml(res, 401, loginPage({ next, hostname, locale, refused: { wrong: true } }));
    }
    this.failures.succeeded(address);
    const id = this.sessions.open(now);
    redirect(res, next, { "Set-Cookie": sessionCookie(id, Math.floor(SESSION_MS / 1000), this.secure(req)) });
  }

  /**
   * Whether the request may go on: no token configured (loopback only), the
   * right bearer token, or a live session cookie. A wrong bearer token is a
   * 401 and counts as a failure; an address with too many is a 429.
   */
  private authorized(req: IncomingMessage, now: number): boolean {
    const token = this.opts.settings.token;
    if (token === null) return true;
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      const address = this.remoteAddress(req);
      const wait = this.failures.waitFor(address, now);
      if (wait > 0) throw new HttpError(429, said("api.tooManyTokens", { address, seconds: Math.ceil(wait / 1000) }), { "Retry-After": String(Math.ceil(wait / 1000)) });
      if (m && tokenMatches(token, m[1]!)) {
        this.failures.succeeded(address);
        return true;
      }
      this.failures.failed(address, now);
      throw new HttpError(401, said(m ? "api.wrongToken" : "api.bearerExpected"), { "WWW-Authenticate": 'Bearer realm="lookout", error="invalid_token"' });
    }
    const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
    return id !== undefined && id !== "" && this.sessions.valid(id, now);
  }

  /**
   * The client's address, for the slow-down: the peer's, or behind a reverse
   * proxy on this machine (a loopback peer) the last X-Forwarded-For entry,
   * the one that proxy added (earlier entries are the client's to write).
   */
  private remoteAddress(req: IncomingMessage): string {
    const peer = req.socket.remoteAddress ?? "unknown";
    const forwarded = req.headers["x-forwarded-for"];
    if (isLoopback(peer) && typeof forwarded === "string") {
      const last = forwarded.split(",").pop()?.trim();
      if (last) return last.slice(0, 100);
    }
    return peer;
  }

  /** The cookie is Secure when the browser reached us over https (a proxy says so), or public_url is https. */
  private secure(req: IncomingMessage): boolean {
    const proto = req.headers["x-forwarded-proto"];
    return (
      (req.socket as Socket & { encrypted?: boolean }).encrypted === true ||
      (typeof proto === "string" && proto.split(",")[0]!.trim().toLowerCase() === "https") ||
      this.opts.settings.publicUrl?.protocol === "https:"
    );
  }

  /** A change from a page of another origin is refused (a browser always sends Origin with a cross-site POST). */
  private checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined) return;
    const host = req.headers.host;
    const own = host ? [`http://${host}`, `https://${host}`] : [];
    const pub = this.opts.settings.publicUrl?.origin;
    if (own.includes(origin) || origin === pub) return;
    throw new HttpError(403, pub ? said("api.crossSite.public", { origin: origin.slice(0, 100), url: pub }) : said("api.crossSite", { origin: origin.slice(0, 100) }));
  }
}

function allow(method: string, methods: readonly string[]): void {
  if (methods.includes(method)) return;
  const list = methods.includes("GET") ? [...methods, "HEAD"] : methods;
  throw new HttpError(405, (m) => m.t("api.methodNotAllowed", { method, methods: methods.join(m.t("api.or")) }), { Allow: list.join(", ") });
}

function contentType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

/** The body, at most MAX_BODY_BYTES (413 past it, and the connection closed: the rest is not read). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, said("api.tooLarge", { kib: MAX_BODY_BYTES / 1024 }), { Connection: "close" });
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners("data");
        req.pause();
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", (err) => reject(new HttpError(400, (m) => m.t("api.bodyUnreadable", { error: describeError(err, m) }))));
    req.once("close", () => reject(new HttpError(400, said("api.bodyCut"))));
  });
}

/** Why the server cannot listen, as the user can fix it (exit code 2). */
function listenError(err: NodeJS.ErrnoException, settings: HttpSettings): LookoutError {
  const at = listenText(settings.listen);
  const other = settings.listen.port === 9817 ? "127.0.0.1:9818" : "127.0.0.1:9817";
  // A catalogue key: said in the process's language when it is shown (errors.ts describeError).
  const text =
    err.code === "EADDRINUSE"
      ? said("httpcfg.inUse", { at, other })
      : err.code === "EACCES"
        ? said("httpcfg.notAllowed", { at })
        : err.code === "EADDRNOTAVAIL"
          ? said("httpcfg.notHere", { host: settings.listen.host })
          : said("httpcfg.cannotListen", { at, detail: describeError(err) });
  return new LookoutError(text, { exitCode: 2, cause: err });
}

/**
 * `lookout run`'s server over its agent: listening on `http.listen`, said in
 * the log (never the token). Throws a LookoutError (exit code 2) when it
 * cannot listen.
 */
export async function serveAgent(agent: Agent, settings: HttpSettings): Promise<HttpServer> {
  const server = await HttpServer.start({ settings, source: agentSource(agent) });
  const { port } = server.address;
  const local = `http://${listenText({ host: settings.listen.host === "" ? "127.0.0.1" : settings.listen.host, port })}/`;
  log.info(processMessages().t("log.http.listening"), {
    listen: listenText({ ...settings.listen, port }),
    url: settings.publicUrl?.href ?? local,
    auth: settings.token === null ? "none (loopback only)" : "token",
  });
  if (settings.metricsPublic && settings.token !== null) {
    log.warn(processMessages().t("log.http.metricsPublic"), {
      listen: listenText({ ...settings.listen, port }),
    });
  }
  return server;
}

/** Whether an Accept-Encoding header takes gzip (`gzip`, `gzip;q=0.5`, `*`; not `gzip;q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (coding !== "gzip" && coding !== "*") return false;
    const q = params.map((x) => x.trim()).find((x) => x.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
