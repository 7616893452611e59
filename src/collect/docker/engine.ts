/**
 * A read-only client of the Docker Engine API, over the unix socket (or
 * `tcp://host:port`). On the unix socket, every answer read whole goes through
 * `socketGet` (socket-get.ts: HTTP/1.1 over node:net, one connection each),
 * the events stream through node:http; over TCP, everything through node:http
 * and a keep-alive agent, loaded with the first request that needs it. It sends GET requests only — every request
 * goes through `#get` — so Lookout can sit behind a socket proxy that allows
 * `containers`, `events`, `info`, `version` and `_ping`, and never changes a
 * container.
 *
 * The API version is negotiated once from `/version` (the highest both sides
 * speak, capped at 1.41, never below the daemon's minimum) and every later
 * path carries it (`/v1.41/containers/json`). Every failure is a `DockerError`
 * whose message says what happened and what to do; nothing else is thrown.
 */

import type { Agent, IncomingMessage, RequestOptions } from "node:http";
import { LookoutError, type Said, said } from "../../errors.js";
import { processMessages } from "../../i18n/current.js";
import type { MessageKey } from "../../i18n/messages.js";
import { log } from "../../log.js";
import type { ContainerInspect, ContainerStats, ContainerSummary, EngineInfo, EngineVersion } from "./api-types.js";
import { Demultiplexer, lastLines } from "./logs.js";
import { type EndSignal, type SocketAnswer, socketGet } from "./socket-get.js";

export type DockerErrorKind = "unreachable" | "permission" | "timeout" | "api";

/**
 * Docker cannot be used; the message says why and what to do: a catalogue text (`Said`), shown in the language
 * of whoever shows it (`describeError`: the process's, the config's `locale`), `userMessage` in English.
 */
export class DockerError extends LookoutError {
  readonly kind: DockerErrorKind;
  /** The HTTP status, for `api` errors. */
  readonly status: number | undefined;
  constructor(userMessage: string | Said, opts: { kind: DockerErrorKind; status?: number; cause?: unknown }) {
    super(userMessage, { cause: opts.cause });
    this.kind = opts.kind;
    this.status = opts.status;
  }
}

/** `new DockerError(message, { kind, … })`, kind first: reads better where there are many. */
export function dockerError(kind: DockerErrorKind, userMessage: string | Said, opts: { status?: number; cause?: unknown } = {}): DockerError {
  return new DockerError(userMessage, { kind, ...opts });
}

/** The newest API version Lookout needs (Docker 20.10). */
export const MAX_API_VERSION = "1.41";
export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
export const DOCKER_TIMEOUT_MS = 5_000;
/** No answer Lookout reads is bigger; a daemon that sends more is cut off. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_LOG_BYTES = 8 * 1024 * 1024;

/** An Engine API version as the daemon writes it ("1.41"). */
const API_VERSION = /^\d{1,3}\.\d{1,3}$/;

/** Compares dotted versions numerically: "1.9" < "1.41". */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** min(daemon's ApiVersion, 1.41), but never below the daemon's MinAPIVersion. */
export function negotiateApiVersion(daemonApi: string, daemonMin?: string): string {
  let v = compareApiVersions(daemonApi, MAX_API_VERSION) < 0 ? daemonApi : MAX_API_VERSION;
  if (daemonMin && compareApiVersions(v, daemonMin) < 0) v = daemonMin;
  return v;
}

type Endpoint = { kind: "unix"; socketPath: string; origin: string } | { kind: "tcp"; origin: string; hostname: string; port: number };

function parseHost(host: string): Endpoint {
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    if (socketPath === "") throw badHost(host);
    return { kind: "unix", socketPath, origin: "http://localhost" };
  }
  if (host.startsWith("/")) return { kind: "unix", socketPath: host, origin: "http://localhost" };
  if (host.startsWith("tcp://")) {
    let url: URL;
    try {
      url = new URL(`http://${host.slice("tcp://".length)}`);
    } catch {
      throw badHost(host);
    }
    if (!url.hostname || (url.pathname !== "/" && url.pathname !== "")) throw badHost(host);
    const port = url.port || "2375";
    return {
      kind: "tcp",
      origin: `http://${url.hostname.includes(":") && !url.hostname.startsWith("[") ? `[${url.hostname}]` : url.hostname}:${port}`,
      // node:http wants an IPv6 address without its brackets.
      hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(port),
    };
  }
  throw badHost(host);
}

function badHost(host: string): DockerError {
  return dockerError("unreachable", said("docker.badHost", { host }));
}

export interface LogsOptions {
  /** How many lines, from the end. */
  tail: number;
  /**
   * Whether the container has a TTY (`Config.Tty`): its logs are then raw text.
   * Without it, the multiplexed stream is split (and raw text is still
   * recognised when the stream does not start with a frame header).
   */
  tty?: boolean;
}

interface GetOptions {
  /** 404 (and the other listed statuses) are answered with null instead of an error. */
  nullOn?: number[];
  /** Body limit. */
  maxBytes?: number;
  /** Past `maxBytes`, keep what came instead of failing (logs). */
  truncate?: boolean;
  /** No body timeout (a stream), and this signal ends it. */
  stream?: AbortSignal;
}

/** A raw answer. */
interface Answer {
  status: number;
  body: Buffer;
}

/** A marker for the abort this client does itself at its deadline. */
const DEADLINE = Symbol("deadline");
/** A marker for the abort close() does of the requests in flight. */
const CLOSED = Symbol("closed");

/**
 * How a request on the unix socket is ended, at its deadline or by close(): what socketGet needs of an AbortSignal
 * (socket-get.ts `EndSignal`), without Node's AbortController, whose module a short command would load for it alone
 * (with one listener, 1.3–2 ms of a bare `node`: docs/benchmarks.md). A request through node:http gets a real one.
 */
class Deadline implements EndSignal {
  aborted = false;
  reason: symbol | undefined;
  #listeners: (() => void)[] = [];

  abort(reason: symbol): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = [];
    for (const listener of listeners) listener();
  }

  addEventListener(_type: "abort", listener: () => void): void {
    if (!this.aborted) this.#listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const at = this.#listeners.indexOf(listener);
    if (at !== -1) this.#listeners.splice(at, 1);
  }

  /** An AbortSignal that aborts with this (for node:http). */
  signal(): AbortSignal {
    const controller = new AbortController();
    if (this.aborted) controller.abort(this.reason);
    else this.addEventListener("abort", () => controller.abort(this.reason));
    return controller.signal;
  }
}

/** How long an idle kept-alive connection stays open (as undici's default keep-alive timeout was). */
const IDLE_CONNECTION_MS = 4_000;

export class DockerEngine {
  /** As given: `unix:///var/run/docker.sock`, `/path`, `tcp://host:port`. */
  readonly host: string;
  readonly timeoutMs: number;
  readonly #endpoint: Endpoint;
  /** node:http's keep-alive agent, made with the first request through node:http. */
  #agent: Agent | null = null;
  #prefix: string | null = null;
  #negotiating: Promise<{ version: string; apiVersion: string }> | null = null;
  #closed = false;
  readonly #streams = new Set<AbortController>();
  /** The requests in flight on the unix socket (each its own connection), ended by close(). */
  readonly #inFlight = new Set<Deadline>();

  /**
   * The Docker address: `docker.socket` from the config, else DOCKER_HOST,
   * else `unix:///var/run/docker.sock`. A bare `/path` becomes `unix:///path`.
   * Throws a DockerError for an address Lookout cannot use (ssh://, npipe://).
   */
  static resolveHost(configSocket?: string, env: NodeJS.ProcessEnv = process.env): string {
    const raw = configSocket?.trim() || env.DOCKER_HOST?.trim() || DEFAULT_DOCKER_HOST;
    const normalized = raw.startsWith("/") ? `unix://${raw}` : raw;
    parseHost(normalized);
    return normalized;
  }

  constructor(opts: { host: string; timeoutMs?: number }) {
    this.host = opts.host;
    this.timeoutMs = opts.timeoutMs ?? DOCKER_TIMEOUT_MS;
    this.#endpoint = parseHost(opts.host);
  }

  /** The keep-alive agent for node:http's requests, made when first needed (node:http with it). */
  #agentNow(): Agent {
    this.#agent ??= new (process.getBuiltinModule("node:http").Agent)({
      keepAlive: true,
      // statsMany's default concurrency (16), the events stream, and room for the rest.
      maxSockets: 32,
      maxFreeSockets: 32,
      // Closes a connection idle in the pool this long (a request in flight is ended by its own deadline).
      timeout: IDLE_CONNECTION_MS,
    });
    return this.#agent;
  }

  /** The socket path, or host:port, for messages. */
  get where(): string {
    return this.#endpoint.kind === "unix" ? this.#endpoint.socketPath : this.#endpoint.origin.replace(/^http:\/\//, "tcp://");
  }

  /** The API version in use, once negotiated ("1.41"). */
  get apiVersion(): string | null {
    return this.#prefix === null ? null : this.#prefix.slice(2);
  }

  /**
   * The daemon's version, and the API version this client now uses:
   * min(daemon's ApiVersion, 1.41), never below its MinAPIVersion.
   */
  async version(): Promise<{ version: string; apiVersion: string }> {
    const v = await this.#json<EngineVersion>("/version");
    // A version goes into every later path: only digits and one dot are taken from the daemon.
    if (typeof v?.ApiVersion !== "string" || !API_VERSION.test(v.ApiVersion)) {
      throw dockerError("api", said("docker.noVersion", { where: this.where }));
    }
    const apiVersion = negotiateApiVersion(v.ApiVersion, typeof v.MinAPIVersion === "string" && API_VERSION.test(v.MinAPIVersion) ? v.MinAPIVersion : undefined);
    this.#prefix = `/v${apiVersion}`;
    return { version: String(v.Version ?? "unknown"), apiVersion };
  }

  /** What the daemon says of itself (`/info`): where it keeps its data. */
  async info(): Promise<EngineInfo> {
    return (await this.#json<EngineInfo>(`${await this.#api()}/info`)) ?? {};
  }

  /** Resolves when the daemon answers `/_ping` with OK. */
  async ping(): Promise<void> {
    const res = await this.#get("/_ping", { maxBytes: 1024 });
    const text = res.body.toString("utf8").trim();
    if (text !== "OK") throw dockerError("api", said("docker.badPing", { where: this.where, text: text.slice(0, 80) }));
  }

  /** Every container, stopped ones too (`all=true`). */
  async listContainers(): Promise<ContainerSummary[]> {
    const list = await this.#json<ContainerSummary[]>(`${await this.#api()}/containers/json?all=true`);
    return Array.isArray(list) ? list : [];
  }

  /** The container's details; null when there is no such container. */
  async inspect(id: string): Promise<ContainerInspect | null> {
    return this.#json<ContainerInspect>(`${await this.#api()}/containers/${encodeURIComponent(id)}/json`, { nullOn: [404] });
  }

  /**
   * One stats sample (`stream=false&one-shot=true`: no wait for a second
   * sample, so `precpu_stats` is empty). Null when the container is gone or
   * not running (404, 409, or the zeroed answer dockerd gives a stopped one).
   */
  async stats(id: string): Promise<ContainerStats | null> {
    const s = await this.#json<ContainerStats>(`${await this.#api()}/containers/${encodeURIComponent(id)}/stats?stream=false&one-shot=true`, { nullOn: [404, 409] });
    if (s === null || typeof s !== "object") return null;
    if (typeof s.read !== "string" || s.read.startsWith("0001-01-01")) return null;
    return s;
  }

  /**
   * Stats of many containers, at most `concurrency` requests at once. A
   * container without stats (gone, not running) is left out, and so is one
   * whose request failed on its own (logged); an unreachable daemon or a
   * permission error stops the sweep and is thrown, and so is the first error
   * when every request failed.
   */
  async statsMany(ids: string[], concurrency = 16): Promise<Map<string, ContainerStats>> {
    const out = new Map<string, ContainerStats>();
    if (ids.length === 0) return out;
    await this.#api();
    let next = 0;
    let failed = 0;
    let firstError: DockerError | null = null;
    let fatal: DockerError | null = null;
    const worker = async (): Promise<void> => {
      while (fatal === null && next < ids.length) {
        const id = ids[next++]!;
        try {
          const s = await this.stats(id);
          if (s) out.set(id, s);
        } catch (err) {
          const e = err instanceof DockerError ? err : this.#toDockerError(err, "GET stats");
          failed++;
          firstError ??= e;
          if (e.kind === "unreachable" || e.kind === "permission") fatal = e;
          else log.debug(processMessages().t("log.docker.noStats"), { container: id.slice(0, 12), error: e.userMessage });
        }
      }
    };
    const n = Math.max(1, Math.min(Math.floor(concurrency) || 1, ids.length));
    await Promise.all(Array.from({ length: n }, worker));
    if (fatal) throw fatal;
    if (failed === ids.length && firstError) throw firstError;
    return out;
  }

  /**
   * The last `tail` lines of the container's output, stdout and stderr
   * together, oldest first. Empty when the container is gone.
   */
  async logs(id: string, opts: LogsOptions): Promise<string[]> {
    const tail = Math.max(0, Math.floor(opts.tail));
    if (tail === 0) return [];
    const res = await this.#get(`${await this.#api()}/containers/${encodeURIComponent(id)}/logs?stdout=1&stderr=1&timestamps=0&tail=${tail}`, {
      nullOn: [404],
      maxBytes: MAX_LOG_BYTES,
      truncate: true,
    });
    if (res === null) return [];
    let text: string;
    if (opts.tty) {
      text = res.body.toString("utf8");
    } else {
      const d = new Demultiplexer();
      text = [...d.push(res.body), ...d.end()].map((f) => f.text).join("");
    }
    return lastLines(text, tail);
  }

  /**
   * Opens GET /events with these query parameters and returns its body, a
   * stream that ends when the daemon closes it or `signal` aborts. Used by
   * EventWatcher.
   */
  async openEvents(query: Record<string, string>, signal: AbortSignal): Promise<AsyncIterable<Buffer>> {
    const qs = new URLSearchParams(query).toString();
    return this.#request(`${await this.#api()}/events${qs ? `?${qs}` : ""}`, { stream: signal });
  }

  /** Closes every connection (an open events stream too). Later calls fail. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#streams) c.abort();
    this.#streams.clear();
    for (const c of this.#inFlight) c.abort(CLOSED);
    this.#inFlight.clear();
    this.#agent?.destroy();
  }

  // ------------------------------------------------------------------ internals

  /** The version prefix, negotiated on first use. */
  async #api(): Promise<string> {
    if (this.#prefix !== null) return this.#prefix;
    this.#negotiating ??= this.version().finally(() => {
      this.#negotiating = null;
    });
    await this.#negotiating;
    return this.#prefix ?? `/v${MAX_API_VERSION}`;
  }

  async #json<T>(path: string, opts: GetOptions = {}): Promise<T | null> {
    const res = await this.#get(path, opts);
    if (res === null) return null;
    try {
      return JSON.parse(res.body.toString("utf8")) as T;
    } catch {
      throw dockerError("api", said("docker.notJson", { where: this.where, path }));
    }
  }

  /** GET, body read whole. Null for a status in `nullOn`. */
  async #get(path: string, opts: GetOptions & { nullOn: number[] }): Promise<Answer | null>;
  async #get(path: string, opts?: GetOptions): Promise<Answer>;
  async #get(path: string, opts: GetOptions = {}): Promise<Answer | null> {
    // One retry when a kept-alive connection turns out closed (the daemon restarted): GET is safe to repeat.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#getOnce(path, opts);
      } catch (err) {
        if (attempt === 0 && isStaleConnection(err)) continue;
        throw err instanceof DockerError ? err : this.#toDockerError(err, `GET ${path}`);
      }
    }
  }

  async #getOnce(path: string, opts: GetOptions): Promise<Answer | null> {
    const deadline = new Deadline();
    const timer = setTimeout(() => deadline.abort(DEADLINE), this.timeoutMs);
    const maxBytes = opts.maxBytes ?? MAX_BODY_BYTES;
    try {
      const answer =
        this.#endpoint.kind === "unix" ? await this.#socketGet(this.#endpoint.socketPath, path, maxBytes, deadline) : await this.#httpGet(path, maxBytes, deadline.signal());
      if (opts.nullOn?.includes(answer.status)) return null;
      if (answer.cut && !opts.truncate) throw tooLarge(maxBytes);
      if (answer.status >= 400) throw this.#httpError(answer.status, path, answer.body);
      return { status: answer.status, body: answer.body };
    } catch (err) {
      if (deadline.reason === CLOSED) throw dockerError("unreachable", said("docker.closed"), { cause: err });
      if (deadline.aborted) {
        throw dockerError("timeout", said("docker.deadline", { where: this.where, path, seconds: formatSeconds(this.timeoutMs) }), { cause: err });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A GET on the unix socket, its answer read whole (socket-get.ts); close() ends it through `deadline`. */
  async #socketGet(socketPath: string, path: string, maxBytes: number, deadline: Deadline): Promise<SocketAnswer> {
    if (this.#closed) throw dockerError("unreachable", said("docker.closed"));
    this.#inFlight.add(deadline);
    try {
      return await socketGet(socketPath, path, { maxBytes, signal: deadline });
    } finally {
      this.#inFlight.delete(deadline);
    }
  }

  /** A GET through node:http, its answer read whole as socketGet reads one. */
  async #httpGet(path: string, maxBytes: number, signal: AbortSignal): Promise<SocketAnswer> {
    const res = await this.#request(path, { signal });
    return { status: res.statusCode ?? 0, ...(await readBody(res, maxBytes)) };
  }

  /** The only place a request is made through node:http: always GET. */
  async #request(path: string, opts: { signal?: AbortSignal; stream?: AbortSignal }): Promise<IncomingMessage> {
    if (this.#closed) throw dockerError("unreachable", said("docker.closed"));
    if (opts.stream) {
      const controller = new AbortController();
      const onAbort = (): void => controller.abort();
      if (opts.stream.aborted) controller.abort();
      else opts.stream.addEventListener("abort", onAbort, { once: true });
      this.#streams.add(controller);
      try {
        // No time limit on the body (a stream), but its headers come within timeoutMs.
        const res = await this.#send(path, controller.signal, this.timeoutMs);
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          const read = await readBody(res, 64 * 1024).catch(() => null);
          const body = read === null || read.cut ? Buffer.alloc(0) : read.body;
          throw this.#httpError(status, path, body);
        }
        const release = (): void => {
          this.#streams.delete(controller);
          opts.stream?.removeEventListener("abort", onAbort);
        };
        res.once("close", release);
        return res;
      } catch (err) {
        this.#streams.delete(controller);
        opts.stream.removeEventListener("abort", onAbort);
        if (err instanceof DockerError) throw err;
        if (controller.signal.aborted && !this.#closed) throw dockerError("unreachable", said("docker.eventsStopped"), { cause: err });
        throw this.#toDockerError(err, `GET ${path}`);
      }
    }
    return this.#send(path, opts.signal);
  }

  /**
   * One GET; resolves with the answer once its headers came. `signal` ends it
   * (before or after the headers); `headersWithinMs`, when given, fails it with
   * a timeout (ETIMEDOUT) when the headers do not come in time.
   */
  #send(path: string, signal: AbortSignal | undefined, headersWithinMs?: number): Promise<IncomingMessage> {
    const where = this.#endpoint.kind === "unix" ? { socketPath: this.#endpoint.socketPath, host: "localhost" } : { host: this.#endpoint.hostname, port: this.#endpoint.port };
    return new Promise<IncomingMessage>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        // servername "": the agent would otherwise work out a TLS server name for every request (plain HTTP here), and
        // its first IP-address test compiles a large regular expression: ~6 ms of a short `lookout check`.
        const options: RequestOptions & { servername: string } = { ...where, method: "GET", path, agent: this.#agentNow(), servername: "", ...(signal ? { signal } : {}) };
        const req = process.getBuiltinModule("node:http").request(options);
        if (headersWithinMs !== undefined) {
          timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${formatSeconds(headersWithinMs)}`), { code: "ETIMEDOUT" })), headersWithinMs);
        }
        req.once("response", (res) => {
          clearTimeout(timer);
          res.on("error", () => undefined); // its reader sees it; one after the reader is gone changes nothing
          resolve(res);
        });
        // Every error, not just the first: one after the abort must not go unhandled.
        req.on("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
        req.end();
      } catch (err) {
        clearTimeout(timer);
        reject(err);
      }
    });
  }

  #httpError(status: number, path: string, body: Buffer): DockerError {
    let message = "";
    try {
      const parsed = JSON.parse(body.toString("utf8")) as { message?: unknown };
      if (typeof parsed?.message === "string") message = parsed.message;
    } catch {
      message = body.toString("utf8").trim();
    }
    message = message.replace(/\s+/g, " ").slice(0, 500);
    // The daemon was upgraded or downgraded under us: negotiate again on the next call.
    if (status === 400 && /client version \S+ is too (new|old)/i.test(message)) this.#prefix = null;
    const key = `docker.http${message ? ".message" : ""}${status === 403 || status === 401 ? ".proxy" : ""}` as MessageKey;
    return dockerError("api", said(key, { where: this.where, path, status, message }), { status });
  }

  /** The one mapping of a transport failure to what the user should do. */
  #toDockerError(err: unknown, what: string): DockerError {
    return toDockerError(err, this.#endpoint.kind === "unix" ? { socketPath: this.#endpoint.socketPath } : { tcp: this.where }, what);
  }
}

/**
 * A transport failure (a node:http or net error) as a DockerError whose message
 * says what to do. Exported for tests.
 */
export function toDockerError(err: unknown, at: { socketPath: string } | { tcp: string }, what = "a request"): DockerError {
  if (err instanceof DockerError) return err;
  const code = errorCode(err);
  const where = "socketPath" in at ? at.socketPath : at.tcp;
  const unix = "socketPath" in at;
  // What was asked, worded by each language: a request, the events stream, or `GET <path>` as it was sent.
  const during = (key: "docker.timeout" | "docker.cut"): Said =>
    what === "a request" ? said(`${key}.request`, { where }) : what === "the events stream" ? said(`${key}.events`, { where }) : said(key, { where, what });
  switch (code) {
    case "ENOENT":
      return dockerError("unreachable", said("docker.noSocket", { where }), { cause: err });
    case "EACCES":
    case "EPERM":
      return dockerError("permission", said("docker.permission", { where }), { cause: err });
    case "ECONNREFUSED":
      return dockerError("unreachable", said(unix ? "docker.notRunning.unix" : "docker.notRunning.tcp", { where }), { cause: err });
    case "ENOTSOCK":
    case "ENOTDIR":
      return dockerError("unreachable", said("docker.notSocket", { where }), { cause: err });
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return dockerError("unreachable", said("docker.resolve", { where }), { cause: err });
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return dockerError("unreachable", said("docker.noRoute", { where }), { cause: err });
    case "ETIMEDOUT":
      return dockerError("timeout", during("docker.timeout"), { cause: err });
    case "ECONNRESET":
    case "EPIPE":
      return dockerError("unreachable", during("docker.cut"), { cause: err });
    default: {
      const detail = err instanceof Error ? `${err.message}${code ? ` (${code})` : ""}` : String(err);
      return dockerError("unreachable", said("docker.failed", { where, detail: detail.slice(0, 200) }), { cause: err });
    }
  }
}

function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === "object"; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code !== "ABORT_ERR") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isStaleConnection(err: unknown): boolean {
  const code = errorCode(err);
  return code === "ECONNRESET" || code === "EPIPE";
}

/** The whole body, or what came before it went past `maxBytes` (then `cut`, and the rest is not read). */
async function readBody(body: IncomingMessage, maxBytes: number): Promise<{ body: Buffer; cut: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      return { body: Buffer.concat(chunks), cut: true };
    }
    chunks.push(chunk);
  }
  return { body: Buffer.concat(chunks), cut: false };
}

function tooLarge(maxBytes: number): DockerError {
  return dockerError("api", said("docker.tooLarge", { mib: Math.round(maxBytes / 1024 / 1024) }));
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
