/**
 * A fake Slack incoming webhook: a real HTTP server on 127.0.0.1 (random port)
 * that answers as Slack does. For integration tests.
 *
 *   const fake = new FakeSlack();
 *   const { url } = await fake.start();      // http://127.0.0.1:PORT/services/T000/B000/XXXX
 *   fake.respondWith([{ status: 429, body: "rate_limited", headers: { "retry-after": "3" } }]);
 *   fake.respondBy((r) => (r.at < outageEnd ? { status: 500, body: "internal_error" } : undefined));
 *   … send to url …
 *   const [req] = await fake.waitFor(1);
 *   await fake.close();
 *
 * Answers, in order: the next canned answer from `respondWith` if any; else
 * the answer of the `respondBy` function if it gives one; else 404
 * `no_service` for a path that is not served; 400 `invalid_payload` for a
 * body that is not JSON; 400 `no_text` with neither text nor blocks nor
 * attachments; 400 `invalid_blocks` when blocks break Slack's limits; else
 * 200 `ok`. Each recorded request keeps the status it was answered with.
 */
import type { IncomingHttpHeaders, Server, ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback-server.js";

export const FAKE_SLACK_PATH = "/services/T000/B000/XXXX";

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
  /** When the request was complete: Date.now(), or the time of the clock the FakeSlack was given. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON; undefined when it is not JSON. */
  body: unknown;
  raw: string;
  /** Why validation refused it (`invalid_blocks: …`), null when valid; undefined when not validated (canned answer, unknown path). */
  problem?: string | null;
  /** The HTTP status answered; undefined until the answer is sent, and for a hung or dropped request. */
  status?: number;
}

/** Decides the answer to a request: a canned answer, or undefined for the normal answer. */
export type Responder = (request: RecordedRequest) => CannedAnswer | undefined;

// ---------------------------------------------------------------- validation

const LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  blocks: 50,
  contextElements: 10,
  text: 3000,
  blockId: 255,
  attachments: 100,
};

const KNOWN_BLOCKS = new Set(["header", "section", "context", "divider", "image", "actions", "rich_text", "markdown"]);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A problem with a text object, or null. `types` are the text types allowed there. */
function checkText(t: unknown, where: string, max: number, types: ReadonlyArray<"plain_text" | "mrkdwn">): string | null {
  if (!isObject(t)) return `${where} must be a text object`;
  if (t.type !== "plain_text" && t.type !== "mrkdwn") return `${where}.type must be plain_text or mrkdwn, got ${JSON.stringify(t.type)}`;
  if (!types.includes(t.type)) return `${where}.type must be ${types.join(" or ")}, got ${t.type}`;
  if (typeof t.text !== "string") return `${where}.text must be a string`;
  if (t.text.length === 0) return `${where}.text must not be empty`;
  if (t.text.length > max) return `${where}.text is ${t.text.length} characters (max ${max})`;
  if (t.type === "mrkdwn" && "emoji" in t) return `${where}: emoji is only allowed on plain_text`;
  if (t.type === "plain_text" && "verbatim" in t) return `${where}: verbatim is only allowed on mrkdwn`;
  if ("emoji" in t && typeof t.emoji !== "boolean") return `${where}.emoji must be a boolean`;
  if ("verbatim" in t && typeof t.verbatim !== "boolean") return `${where}.verbatim must be a boolean`;
  return null;
}

function checkBlock(b: unknown, where: string): string | null {
  if (!isObject(b)) return `${where} must be an object`;
  if (typeof b.type !== "string" || !KNOWN_BLOCKS.has(b.type)) return `${where}.type ${JSON.stringify(b.type)} is not a block type`;
  if ("block_id" in b && (typeof b.block_id !== "string" || b.block_id.length > LIMITS.blockId)) {
    return `${where}.block_id must be a string of at most ${LIMITS.blockId} characters`;
  }
  switch (b.type) {
    case "header":
      return checkText(b.text, `${where}.text`, LIMITS.headerText, ["plain_text"]);
    case "section": {
      if (b.text === undefined && b.fields === undefined) return `${where} needs text or fields`;
      if (b.text !== undefined) {
        const p = checkText(b.text, `${where}.text`, LIMITS.sectionText, ["plain_text", "mrkdwn"]);
        if (p) return p;
      }
      if (b.fields !== undefined) {
        if (!Array.isArray(b.fields) || b.fields.length === 0) return `${where}.fields must be a non-empty array`;
        if (b.fields.length > LIMITS.fields) return `${where}.fields has ${b.fields.length} items (max ${LIMITS.fields})`;
        for (let i = 0; i < b.fields.length; i++) {
          const p = checkText(b.fields[i], `${where}.fields[${i}]`, LIMITS.fieldText, ["plain_text", "mrkdwn"]);
          if (p) return p;
        }
      }
      return null;
    }
    case "context": {
      if (!Array.isArray(b.elements) || b.elements.length === 0) return `${where}.elements must be a non-empty array`;
      if (b.elements.length > LIMITS.contextElements) return `${where}.elements has ${b.elements.length} items (max ${LIMITS.contextElements})`;
      for (let i = 0; i < b.elements.length; i++) {
        const e = b.elements[i];
        if (isObject(e) && e.type === "image") continue;
        const p = checkText(e, `${where}.elements[${i}]`, LIMITS.text, ["plain_text", "mrkdwn"]);
        if (p) return p;
      }
      return null;
    }
    default:
      return null;
  }
}

function checkBlocks(blocks: unknown, where: string): string | null {
  if (!Array.isArray(blocks)) return `${where} must be an array`;
  if (blocks.length > LIMITS.blocks) return `${where} has ${blocks.length} blocks (max ${LIMITS.blocks})`;
  for (let i = 0; i < blocks.length; i++) {
    const p = checkBlock(blocks[i], `${where}[${i}]`);
    if (p) return p;
  }
  return null;
}

/**
 * Whether Slack would take this webhook body: null when valid, else
 * `code: reason` with the code Slack answers (`invalid_payload`, `no_text`,
 * `invalid_blocks`, `too_many_attachments`).
 */
export function validateSlackPayload(body: unknown): string | null {
  if (!isObject(body)) return "invalid_payload: the body must be a JSON object";
  if (body.text !== undefined && typeof body.text !== "string") return "invalid_payload: text must be a string";
  const hasText = typeof body.text === "string" && body.text.trim() !== "";
  const hasBlocks = Array.isArray(body.blocks) && body.blocks.length > 0;
  const hasAttachments = Array.isArray(body.attachments) && body.attachments.length > 0;

  if (body.attachments !== undefined && !Array.isArray(body.attachments)) return "invalid_payload: attachments must be an array";
  if (Array.isArray(body.attachments) && body.attachments.length > LIMITS.attachments) {
    return `too_many_attachments: ${body.attachments.length} attachments (max ${LIMITS.attachments})`;
  }
  if (!hasText && !hasBlocks && !hasAttachments) return "no_text: neither text nor blocks nor attachments";

  if (body.blocks !== undefined) {
    const p = checkBlocks(body.blocks, "blocks");
    if (p) return `invalid_blocks: ${p}`;
  }
  const attachments = Array.isArray(body.attachments) ? body.attachments : [];
  for (let i = 0; i < attachments.length; i++) {
    const a: unknown = attachments[i];
    if (!isObject(a)) return `invalid_payload: attachments[${i}] must be an object`;
    for (const key of ["color", "fallback", "text", "pretext", "title"]) {
      if (a[key] !== undefined && typeof a[key] !== "string") return `invalid_payload: attachments[${i}].${key} must be a string`;
    }
    if (a.blocks !== undefined) {
      const p = checkBlocks(a.blocks, `attachments[${i}].blocks`);
      if (p) return `invalid_blocks: ${p}`;
    }
  }
  return null;
}

/** The Slack error code of a `validateSlackPayload` problem. */
export function problemCode(problem: string): string {
  const i = problem.indexOf(":");
  return i === -1 ? problem : problem.slice(0, i);
}

// ---------------------------------------------------------------- server

export class FakeSlack {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  #server: Server | undefined;
  #base = "";
  #paths = new Set<string>([FAKE_SLACK_PATH]);
  #queue: CannedAnswer[] = [];
  #responder: Responder | undefined;
  #waiters: Array<() => void> = [];
  #timers = new Set<NodeJS.Timeout>();
  #minGapMs = 0;
  #lastAccepted = new Map<string, number>();
  readonly #now: () => number;

  /** `now`: the time recorded for each request (`at`) and used by `enforceRate`; Date.now by default, a test's clock for timing rules. */
  constructor(opts: { now?: () => number } = {}) {
    this.#now = opts.now ?? Date.now;
  }

  /** Start listening on 127.0.0.1 at a random port. `url` is the valid webhook URL. */
  async start(): Promise<{ url: string; baseUrl: string; port: number }> {
    if (this.#server) throw new Error("FakeSlack already started");
    const { server, port, base } = await listenOnLoopback((method, url, headers, body, res) => this.#handle(method, url, headers, body, res));
    this.#server = server;
    this.#base = base;
    return { url: this.urlFor(FAKE_SLACK_PATH), baseUrl: this.#base, port };
  }

  /** The URL of `path` on this server. */
  urlFor(path: string): string {
    if (!this.#base) throw new Error("FakeSlack not started");
    return `${this.#base}${path.startsWith("/") ? path : `/${path}`}`;
  }

  /** The valid webhook URL (first served path). */
  get url(): string {
    return this.urlFor([...this.#paths][0] ?? FAKE_SLACK_PATH);
  }

  /** Serve only `path` as a webhook; any other path answers 404 no_service. */
  setPath(path: string): void {
    this.#paths = new Set([path]);
  }

  /** Serve `path` as a webhook too. */
  addPath(path: string): void {
    this.#paths.add(path);
  }

  /** Queue canned answers, used (one per request) before validation takes over again. */
  respondWith(answers: CannedAnswer[]): void {
    this.#queue.push(...answers);
  }

  /**
   * Answer each request (after the queued ones) with what `fn` returns for it,
   * e.g. by its time; undefined from `fn` gives the normal answer. Until
   * `reset()` or `respondBy(undefined)`.
   */
  respondBy(fn: Responder | undefined): void {
    this.#responder = fn;
  }

  /**
   * Enforce Slack's rate limit of one message per second per webhook: a POST
   * that arrives less than `minGapMs` after the last accepted one to the same
   * path gets 429 `rate_limited` with `Retry-After: 1`, as Slack does. Until
   * `reset()`.
   */
  enforceRate(minGapMs = 1000): void {
    this.#minGapMs = minGapMs;
    this.#lastAccepted.clear();
  }

  /** Forget recorded requests, queued answers, the `respondBy` function and rate limiting. */
  reset(): void {
    this.requests.length = 0;
    this.#queue = [];
    this.#responder = undefined;
    this.#minGapMs = 0;
    this.#lastAccepted.clear();
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
        reject(new Error(`FakeSlack: ${this.requests.length} of ${count} requests after ${timeoutMs}ms`));
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

  #record(r: RecordedRequest): void {
    this.requests.push(r);
    for (const w of this.#waiters.slice()) w();
  }

  #handle(method: string, url: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): void {
    const path = url.split("?")[0] ?? url;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const record: RecordedRequest = { at: this.#now(), method, path, headers, body, raw };

    const canned = this.#queue.shift() ?? this.#responder?.(record);
    if (canned) {
      this.#record(record);
      this.#answerCanned(canned, record, res);
      return;
    }
    if (!this.#paths.has(path)) {
      this.#record(record);
      answer(res, record, 404, "no_service");
      return;
    }
    if (method !== "POST") {
      this.#record(record);
      answer(res, record, 405, "invalid_method");
      return;
    }
    const last = this.#lastAccepted.get(path);
    if (this.#minGapMs > 0 && last !== undefined && record.at - last < this.#minGapMs) {
      this.#record(record);
      answer(res, record, 429, "rate_limited", { "retry-after": "1" });
      return;
    }
    this.#lastAccepted.set(path, record.at);
    record.problem = body === undefined ? "invalid_payload: the body is not JSON" : validateSlackPayload(body);
    this.#record(record);
    if (record.problem) answer(res, record, 400, problemCode(record.problem));
    else answer(res, record, 200, "ok");
  }

  #answerCanned(c: CannedAnswer, record: RecordedRequest, res: ServerResponse): void {
    if (c.hang) return;
    if (c.drop) {
      res.socket?.destroy();
      return;
    }
    const send = (): void => answer(res, record, c.status, c.body ?? (c.status === 200 ? "ok" : ""), c.headers);
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

function answer(res: ServerResponse, record: RecordedRequest, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  record.status = status;
  res.writeHead(status, { "content-type": "text/html", ...headers });
  res.end(body);
}
