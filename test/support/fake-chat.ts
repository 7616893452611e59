/**
 * Stand-ins for Discord's webhook execute endpoint, Telegram's Bot API
 * `sendMessage` and a Teams Workflows webhook: real HTTP servers on 127.0.0.1
 * that check each request against the service's documented format and limits
 * and answer as the service does (its success, its 400 with its own error
 * body for a message it refuses, its 404 for an unknown webhook or token, its
 * 429 with its own retry-after form), or with canned answers
 * (`respondWith`), or by a function of the request (`respondBy`, an outage).
 */
import type { IncomingHttpHeaders, Server, ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback-server.js";

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  drop?: boolean;
}

export interface ChatRequest {
  at: number;
  method: string;
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  raw: string;
  /** What the service would refuse in it, or null. */
  problem: string | null;
  status: number;
}

export type ChatKind = "discord" | "telegram" | "teams";

export const DISCORD_PATH = "/api/webhooks/123456789012345678/discordTOKENabcdefghijklmnop";
export const TELEGRAM_TOKEN = "123456789:AAtelegramTOKENabcdefghijklmnopq";
export const TELEGRAM_PATH = `/bot${TELEGRAM_TOKEN}/sendMessage`;
export const TEAMS_PATH = "/workflows/0f0e0d0c0b0a/triggers/manual/paths/invoke";
export const TEAMS_QUERY = "api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=teamsSIGabcdefghijklmnop";

const PATHS: Record<ChatKind, string> = { discord: DISCORD_PATH, telegram: TELEGRAM_PATH, teams: TEAMS_PATH };

export class FakeChat {
  readonly requests: ChatRequest[] = [];
  #server: Server | undefined;
  #base = "";
  #queue: Answer[] = [];
  #by: ((r: ChatRequest) => Answer | undefined) | undefined;
  #waiters: Array<() => void> = [];
  /** The time a request is recorded at (a test's clock). */
  now: () => number = Date.now;

  constructor(readonly kind: ChatKind) {}

  async start(): Promise<string> {
    const { server, base } = await listenOnLoopback((m, u, h, b, res) => this.#handle(m, u, h, b, res));
    this.#server = server;
    this.#base = base;
    return this.url;
  }

  get base(): string {
    return this.#base;
  }

  /** The secret URL of the served webhook (Discord, Teams); Telegram's API base. */
  get url(): string {
    if (this.kind === "telegram") return this.#base;
    return `${this.#base}${PATHS[this.kind]}${this.kind === "teams" ? `?${TEAMS_QUERY}` : ""}`;
  }

  respondWith(answers: Answer[]): void {
    this.#queue.push(...answers);
  }

  respondBy(fn: ((r: ChatRequest) => Answer | undefined) | undefined): void {
    this.#by = fn;
  }

  reset(): void {
    this.requests.length = 0;
    this.#queue = [];
    this.#by = undefined;
  }

  waitFor(count: number, timeoutMs = 2000): Promise<ChatRequest[]> {
    if (this.requests.length >= count) return Promise.resolve(this.requests.slice());
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.requests.length < count) return;
        clearTimeout(timer);
        resolve(this.requests.slice());
      };
      const timer = setTimeout(() => reject(new Error(`FakeChat: ${this.requests.length} of ${count} requests`)), timeoutMs);
      this.#waiters.push(check);
    });
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await closed;
  }

  #handle(method: string, url: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): void {
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q + 1);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const problem = body === undefined ? "not JSON" : validate(this.kind, body, raw);
    const req: ChatRequest = { at: this.now(), method, path, query, headers, body, raw, problem, status: 0 };
    this.requests.push(req);
    const answer = this.#queue.shift() ?? this.#by?.(req) ?? this.#answer(req);
    req.status = answer.status;
    for (const w of this.#waiters.slice()) w();
    if (answer.drop) {
      res.socket?.destroy();
      return;
    }
    res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    res.end(answer.body ?? "");
  }

  /** The service's own answer. */
  #answer(r: ChatRequest): Answer {
    const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body) });
    switch (this.kind) {
      case "discord":
        if (r.method !== "POST" || r.path !== DISCORD_PATH) return json(404, { message: "Unknown Webhook", code: 10015 });
        if (r.headers["content-type"] !== "application/json") return json(400, { message: "Cannot send an empty message", code: 50006 });
        if (r.problem) return json(400, { code: 50035, errors: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: r.problem }] }, message: "Invalid Form Body" });
        return { status: 204 };
      case "telegram":
        if (r.path !== TELEGRAM_PATH)
          return json(r.path.startsWith("/bot") ? 401 : 404, {
            ok: false,
            error_code: r.path.startsWith("/bot") ? 401 : 404,
            description: r.path.startsWith("/bot") ? "Unauthorized" : "Not Found",
          });
        if (r.problem) return json(400, { ok: false, error_code: 400, description: `Bad Request: ${r.problem}` });
        return json(200, { ok: true, result: { message_id: this.requests.length, date: 0, chat: { id: (r.body as { chat_id: unknown }).chat_id }, text: "" } });
      case "teams":
        if (r.path !== TEAMS_PATH) return json(404, { error: { code: "WorkflowNotFound", message: "The workflow could not be found." } });
        if (!new URLSearchParams(r.query).get("sig")) return json(401, { error: { code: "DirectApiAuthorizationRequired", message: "The request must be authenticated." } });
        if (r.problem) return json(400, { error: { code: "InvalidRequestContent", message: r.problem } });
        return { status: 202 };
    }
  }
}

// ---------------------------------------------------------------- the documented formats

function str(v: unknown): v is string {
  return typeof v === "string";
}

/** Discord's execute-webhook body: content ≤ 2000, ≤ 10 embeds, per-embed limits, 6000 across embeds, allowed_mentions. */
export function validateDiscord(b: unknown): string | null {
  const p = b as { content?: unknown; embeds?: unknown; allowed_mentions?: { parse?: unknown } };
  if (p === null || typeof p !== "object") return "not an object";
  if (p.content !== undefined && !str(p.content)) return "content: not a string";
  if (str(p.content) && p.content.length > 2000) return "content: Must be 2000 or fewer in length.";
  const embeds = (p.embeds ?? []) as Array<Record<string, unknown>>;
  if (!Array.isArray(embeds) || embeds.length > 10) return "embeds: Must be 10 or fewer in length.";
  if (!p.content && embeds.length === 0) return "Cannot send an empty message";
  if (!Array.isArray(p.allowed_mentions?.parse) || (p.allowed_mentions.parse as unknown[]).length !== 0) return "allowed_mentions.parse: Lookout must send []";
  let total = 0;
  for (const e of embeds) {
    const title = (e.title ?? "") as string;
    const description = (e.description ?? "") as string;
    const footer = ((e.footer as { text?: string } | undefined)?.text ?? "") as string;
    const fields = (e.fields ?? []) as Array<{ name: unknown; value: unknown }>;
    if (title.length > 256) return "embeds.0.title: Must be 256 or fewer in length.";
    if (description.length > 4096) return "embeds.0.description: Must be 4096 or fewer in length.";
    if (footer.length > 2048) return "embeds.0.footer.text: Must be 2048 or fewer in length.";
    if (fields.length > 25) return "embeds.0.fields: Must be 25 or fewer in length.";
    if (typeof e.color !== "number" || e.color < 0 || e.color > 0xffffff) return "embeds.0.color: not a colour";
    for (const f of fields) {
      if (!str(f.name) || f.name.length === 0 || f.name.length > 256) return "embeds.0.fields.name: Must be between 1 and 256 in length.";
      if (!str(f.value) || f.value.length === 0 || f.value.length > 1024) return "embeds.0.fields.value: Must be between 1 and 1024 in length.";
      total += f.name.length + f.value.length;
    }
    total += title.length + description.length + footer.length;
  }
  if (total > 6000) return "embeds: Embed size exceeds maximum size of 6000";
  return null;
}

/** Telegram's HTML: only its tags, balanced, entities it knows; text ≤ 4096 after parsing. */
export function validateTelegram(b: unknown, raw = ""): string | null {
  const p = b as { chat_id?: unknown; text?: unknown; parse_mode?: unknown; message_thread_id?: unknown };
  if (p === null || typeof p !== "object") return "not an object";
  if (p.chat_id === undefined) return "chat_id is empty";
  if (!str(p.text) || p.text.length === 0) return "message text is empty";
  if (p.parse_mode !== "HTML") return "Lookout must send parse_mode HTML";
  if (p.message_thread_id !== undefined && !Number.isInteger(p.message_thread_id)) return "message thread not found";
  const stack: string[] = [];
  const re = /<(\/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>|<|&(#?\w+);|&/gi;
  for (const m of p.text.matchAll(re)) {
    if (m[0] === "<") return "can't parse entities: unexpected <";
    if (m[0] === "&") return "can't parse entities: bare &";
    if (m[4] !== undefined) {
      if (!/^(lt|gt|amp|quot|#\d+|#x[0-9a-f]+)$/i.test(m[4])) return `can't parse entities: unsupported entity &${m[4]};`;
      continue;
    }
    const tag = m[2]!.toLowerCase();
    if (!["b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"].includes(tag)) return `can't parse entities: unsupported start tag "${tag}"`;
    if (m[1]) {
      if (stack.pop() !== tag) return `can't parse entities: can't find end tag corresponding to start tag "${tag}"`;
    } else stack.push(tag);
  }
  if (stack.length > 0) return `can't parse entities: can't find end tag corresponding to start tag "${stack.at(-1)}"`;
  const visible = p.text.replace(/<[^>]*>/g, "").replace(/&(?:lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/gi, "x");
  if (visible.length > 4096) return "message is too long";
  void raw;
  return null;
}

/** A Workflows message with one Adaptive Card attachment, ≤ 28 KB; card elements of known types. */
export function validateTeams(b: unknown, raw = JSON.stringify(b)): string | null {
  const p = b as { type?: unknown; attachments?: Array<{ contentType?: unknown; content?: Record<string, unknown> }> };
  if (Buffer.byteLength(raw, "utf8") > 28 * 1024) return "message too large";
  if (p?.type !== "message") return "type must be message";
  if (!Array.isArray(p.attachments) || p.attachments.length !== 1) return "one attachment expected";
  const a = p.attachments[0]!;
  if (a.contentType !== "application/vnd.microsoft.card.adaptive") return "contentType";
  const c = a.content ?? {};
  if (c.type !== "AdaptiveCard" || !["1.4", "1.5"].includes(c.version as string)) return "not an AdaptiveCard 1.4/1.5";
  const check = (el: Record<string, unknown>): string | null => {
    switch (el.type) {
      case "Container":
        for (const i of el.items as Array<Record<string, unknown>>) {
          const e = check(i);
          if (e) return e;
        }
        return null;
      case "RichTextBlock":
        for (const r of el.inlines as Array<Record<string, unknown>>) if (r.type !== "TextRun" || !str(r.text) || r.text === "") return "TextRun without text";
        return null;
      case "TextBlock":
        return str(el.text) ? null : "TextBlock without text";
      default:
        return `unknown element ${String(el.type)}`;
    }
  };
  for (const el of c.body as Array<Record<string, unknown>>) {
    const e = check(el);
    if (e) return e;
  }
  for (const act of (c.actions ?? []) as Array<Record<string, unknown>>) if (act.type !== "Action.OpenUrl" || !str(act.url) || !str(act.title)) return "bad action";
  return null;
}

function validate(kind: ChatKind, body: unknown, raw: string): string | null {
  return kind === "discord" ? validateDiscord(body) : kind === "telegram" ? validateTelegram(body, raw) : validateTeams(body, raw);
}
