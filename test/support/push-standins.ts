/**
 * Stand-ins for ntfy, Gotify, Pushover and PagerDuty's Events API v2: real
 * HTTP servers on 127.0.0.1 that check each request against the service's
 * documented format and limits, and answer as the service does: accepted,
 * refused with its own error body, rate-limited (429 with the service's own
 * wait), or failing (5xx) while `down`.
 *
 * Each records what it accepted (`accepted`) and what it refused (`refused`,
 * with the reason), so a test sees both the message and the rule it met.
 */
import type { IncomingHttpHeaders, Server, ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback-server.js";

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  /** The parsed body: JSON, or the form's fields. */
  body: Record<string, unknown>;
}

type Mode = "ok" | "rate_limited" | "down";

abstract class StandIn {
  readonly accepted: Seen[] = [];
  readonly refused: Array<Seen & { reason: string; status: number }> = [];
  /** Every request, in order. */
  readonly requests: Seen[] = [];
  mode: Mode = "ok";
  #server: Server | undefined;
  base = "";

  async start(): Promise<this> {
    const { server, base } = await listenOnLoopback((method, url, headers, raw, res) => this.#handle(method, url, headers, raw, res));
    this.#server = server;
    this.base = base;
    return this;
  }

  async close(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    this.#server = undefined;
    const closed = new Promise<void>((r) => s.close(() => r()));
    s.closeAllConnections();
    await closed;
  }

  reset(): void {
    this.accepted.length = 0;
    this.refused.length = 0;
    this.requests.length = 0;
    this.mode = "ok";
  }

  protected abstract parse(headers: IncomingHttpHeaders, raw: string): Record<string, unknown>;
  /** A reason the request breaks the service's rules (with the answer it gets), or the answer to an accepted one. */
  protected abstract check(seen: Seen): Answer | { refuse: string; answer: Answer };
  protected abstract rateLimited(): Answer;
  protected down(): Answer {
    return { status: 503, body: { error: "service unavailable" } };
  }

  #handle(method: string, url: string, headers: IncomingHttpHeaders, raw: string, res: ServerResponse): void {
    let body: Record<string, unknown> = {};
    try {
      body = this.parse(headers, raw);
    } catch {
      body = {};
    }
    const seen: Seen = { method, path: url, headers, raw, body };
    this.requests.push(seen);
    let answer: Answer;
    if (this.mode === "down") answer = this.down();
    else if (this.mode === "rate_limited") answer = this.rateLimited();
    else {
      const checked = this.check(seen);
      if ("refuse" in checked) {
        this.refused.push({ ...seen, reason: checked.refuse, status: checked.answer.status });
        answer = checked.answer;
      } else {
        if (checked.status < 300) this.accepted.push(seen);
        answer = checked;
      }
    }
    res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
  }
}

const json = (_h: IncomingHttpHeaders, raw: string) => JSON.parse(raw) as Record<string, unknown>;
const isHttpUrl = (v: unknown) => typeof v === "string" && /^https?:\/\/[^\s]+$/.test(v);

// ---------------------------------------------------------------- ntfy

/** ntfy: JSON published at the server's root (docs.ntfy.sh, "Publish as JSON"). */
export class NtfyStandIn extends StandIn {
  constructor(
    readonly topic: string,
    /** The Authorization value it asks for; none: an open topic. */
    readonly authorization?: string,
  ) {
    super();
  }
  protected parse = json;
  protected rateLimited(): Answer {
    return { status: 429, body: { code: 42901, http: 429, error: "limit reached: too many requests", link: "https://ntfy.sh/docs/publish/#limitations" } };
  }
  protected check(s: Seen): Answer | { refuse: string; answer: Answer } {
    const bad = (refuse: string, code = 40000): { refuse: string; answer: Answer } => ({
      refuse,
      answer: { status: 400, body: { code, http: 400, error: `invalid request: ${refuse}` } },
    });
    if (s.method !== "POST" || s.path !== "/") return { refuse: "not POST /", answer: { status: 404, body: { code: 40401, http: 404, error: "page not found" } } };
    if (this.authorization && s.headers.authorization !== this.authorization) {
      return { refuse: "no login", answer: { status: 401, body: { code: 40101, http: 401, error: "unauthorized", link: "https://ntfy.sh/docs/publish/#authentication" } } };
    }
    const b = s.body;
    if (b.topic !== this.topic) return bad("topic invalid", 40009);
    if (typeof b.message !== "string" || b.message === "") return bad("message missing");
    if (Buffer.byteLength(b.message, "utf8") > 4096) return { refuse: "message over 4096 bytes", answer: { status: 413, body: { code: 41301, http: 413, error: "too large" } } };
    if (typeof b.title !== "string" || b.title.length > 250) return bad("title");
    if (!Number.isInteger(b.priority) || (b.priority as number) < 1 || (b.priority as number) > 5) return bad("priority invalid", 40007);
    if (!Array.isArray(b.tags) || !b.tags.every((t) => typeof t === "string" && !t.includes(","))) return bad("tags");
    if (b.markdown !== false) return bad("markdown must be off");
    if (b.click !== undefined && !isHttpUrl(b.click)) return bad("click URL invalid");
    if (b.actions !== undefined) {
      const acts = b.actions as Array<Record<string, unknown>>;
      if (!Array.isArray(acts) || acts.length > 3 || !acts.every((a) => a.action === "view" && typeof a.label === "string" && isHttpUrl(a.url)))
        return bad("actions invalid", 40018);
    }
    return { status: 200, body: { id: `m${this.accepted.length}`, time: 1, event: "message", topic: b.topic, title: b.title, message: b.message } };
  }
}

// ---------------------------------------------------------------- Gotify

/** Gotify: POST /message with the application token in X-Gotify-Key (gotify.net, "Push messages", "Message Extras"). */
export class GotifyStandIn extends StandIn {
  constructor(readonly token: string) {
    super();
  }
  protected parse = json;
  protected rateLimited(): Answer {
    // Gotify itself does not rate-limit; a proxy in front of it does.
    return { status: 429, body: "Too Many Requests", headers: { "content-type": "text/plain", "retry-after": "2" } };
  }
  protected check(s: Seen): Answer | { refuse: string; answer: Answer } {
    const error = (status: number, error: string, errorDescription: string) => ({ status, body: { error, errorCode: status, errorDescription } });
    if (s.method !== "POST" || s.path !== "/message") return { refuse: "not POST /message", answer: error(404, "Not Found", "page not found") };
    if (s.headers["x-gotify-key"] !== this.token) {
      return { refuse: "token", answer: error(401, "Unauthorized", "you need to provide a valid access token or user credentials to access this api") };
    }
    const b = s.body;
    if (typeof b.message !== "string" || b.message === "") return { refuse: "message", answer: error(400, "Bad Request", "Field 'message' is required") };
    if (typeof b.title !== "string") return { refuse: "title", answer: error(400, "Bad Request", "Field 'title' must be a string") };
    if (!Number.isInteger(b.priority) || (b.priority as number) < 0 || (b.priority as number) > 10) return { refuse: "priority", answer: error(400, "Bad Request", "priority") };
    const extras = b.extras as Record<string, Record<string, unknown>> | undefined;
    if ((extras?.["client::display"] as { contentType?: string } | undefined)?.contentType !== "text/plain") {
      return { refuse: "not plain text", answer: error(400, "Bad Request", "expected text/plain") };
    }
    const click = extras?.["client::notification"] as { click?: { url?: unknown } } | undefined;
    if (click !== undefined && !isHttpUrl(click.click?.url)) return { refuse: "click url", answer: error(400, "Bad Request", "click url") };
    return { status: 200, body: { id: this.accepted.length + 1, appid: 1, message: b.message, title: b.title, priority: b.priority, date: "2024-05-01T12:00:00Z" } };
  }
}

// ---------------------------------------------------------------- Pushover

/** Pushover: a form POSTed to /1/messages.json (pushover.net/api). */
export class PushoverStandIn extends StandIn {
  /** X-Limit-App-Reset when rate-limited: Unix seconds. */
  resetAt = 0;
  constructor(
    readonly token: string,
    readonly user: string,
  ) {
    super();
  }
  get url(): string {
    return `${this.base}/1/messages.json`;
  }
  protected parse(headers: IncomingHttpHeaders, raw: string): Record<string, unknown> {
    if (!String(headers["content-type"]).startsWith("application/x-www-form-urlencoded")) return {};
    return Object.fromEntries(new URLSearchParams(raw));
  }
  protected rateLimited(): Answer {
    return {
      status: 429,
      body: { status: 0, errors: ["application has exceeded its message limit"], request: "r-limit" },
      headers: { "x-limit-app-limit": "10000", "x-limit-app-remaining": "0", "x-limit-app-reset": String(this.resetAt) },
    };
  }
  protected override down(): Answer {
    return { status: 500, body: "Internal Server Error" };
  }
  protected check(s: Seen): Answer | { refuse: string; answer: Answer } {
    const invalid = (field: string, error: string) => ({ refuse: error, answer: { status: 400, body: { [field]: "invalid", errors: [error], status: 0, request: "r-bad" } } });
    const b = s.body as Record<string, string | undefined>;
    if (s.method !== "POST" || s.path !== "/1/messages.json") return { refuse: "path", answer: { status: 404, body: "Not Found" } };
    if (b.token !== this.token) return invalid("token", "application token is invalid");
    if (b.user !== this.user) return invalid("user", "user identifier is not a valid user, group, or subscribed user key");
    if (!b.message) return invalid("message", "message cannot be blank");
    if ([...b.message].length > 1024) return invalid("message", "message is too long, must be 1024 characters or less");
    if (b.title !== undefined && [...b.title].length > 250) return invalid("title", "title is too long, must be 250 characters or less");
    if (b.url !== undefined && b.url.length > 512) return invalid("url", "url is too long, must be 512 characters or less");
    if (b.url_title !== undefined && b.url_title.length > 100) return invalid("url_title", "url title is too long");
    if (b.html !== undefined && b.html !== "0" && b.html !== "1") return invalid("html", "html is invalid");
    const p = Number(b.priority ?? "0");
    if (!Number.isInteger(p) || p < -2 || p > 2) return invalid("priority", "priority is invalid");
    if (p === 2 && !(Number(b.retry) >= 30 && Number(b.expire) <= 10800)) return invalid("retry", "retry and expire are required for emergency priority");
    return { status: 200, body: { status: 1, request: `r${this.accepted.length}` }, headers: { "x-limit-app-limit": "10000", "x-limit-app-remaining": "9999" } };
  }
}

// ---------------------------------------------------------------- PagerDuty

/** PagerDuty's Events API v2 (developer.pagerduty.com, "Send an Alert Event"), with the alerts it keeps open by dedup_key. */
export class PagerdutyStandIn extends StandIn {
  /** dedup_key → the last trigger's summary, while open. */
  readonly open = new Map<string, string>();
  /** Every dedup_key resolved, in order. */
  readonly resolved: string[] = [];
  get url(): string {
    return `${this.base}/v2/enqueue`;
  }
  protected parse = json;
  protected rateLimited(): Answer {
    return { status: 429, body: "" }; // PagerDuty: "Too Many Requests", no Retry-After
  }
  protected override down(): Answer {
    return { status: 502, body: "" };
  }
  protected check(s: Seen): Answer | { refuse: string; answer: Answer } {
    const invalid = (error: string) => ({ refuse: error, answer: { status: 400, body: { status: "invalid event", message: "Event object is invalid", errors: [error] } } });
    const b = s.body;
    if (s.method !== "POST" || s.path !== "/v2/enqueue") return { refuse: "path", answer: { status: 404, body: "" } };
    if (typeof b.routing_key !== "string" || b.routing_key.length !== 32) return invalid("Length of 'routing_key' is incorrect (should be 32 characters)");
    if (b.event_action !== "trigger" && b.event_action !== "resolve" && b.event_action !== "acknowledge")
      return invalid("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
    const key = b.dedup_key;
    if (key !== undefined && (typeof key !== "string" || key.length > 255)) return invalid("'dedup_key' is too long (must be 255 characters or less)");
    if (b.event_action === "trigger") {
      const p = b.payload as Record<string, unknown> | undefined;
      if (!p) return invalid("'payload' is missing or blank");
      if (typeof p.summary !== "string" || p.summary === "") return invalid("'payload.summary' is missing or blank");
      if (p.summary.length > 1024) return invalid("'payload.summary' is too long (must be 1024 characters or less)");
      if (typeof p.source !== "string" || p.source === "") return invalid("'payload.source' is missing or blank");
      if (!["critical", "error", "warning", "info"].includes(p.severity as string)) return invalid("'payload.severity' is invalid");
      if (p.timestamp !== undefined && Number.isNaN(Date.parse(p.timestamp as string))) return invalid("'payload.timestamp' is invalid");
      for (const f of ["component", "group", "class"]) if (p[f] !== undefined && typeof p[f] !== "string") return invalid(`'payload.${f}' must be a string`);
      if (p.custom_details !== undefined && (typeof p.custom_details !== "object" || p.custom_details === null)) return invalid("'payload.custom_details' is invalid");
      const links = b.links as Array<{ href?: unknown }> | undefined;
      if (links !== undefined && !links.every((l) => isHttpUrl(l.href))) return invalid("'links' is invalid");
      const k = (key as string | undefined) ?? `generated-${this.accepted.length}`;
      this.open.set(k, p.summary);
      return { status: 202, body: { status: "success", message: "Event processed", dedup_key: k } };
    }
    if (typeof key !== "string" || key === "") return invalid("'dedup_key' is missing or blank");
    if (b.event_action === "resolve") {
      this.open.delete(key);
      this.resolved.push(key);
    }
    return { status: 202, body: { status: "success", message: "Event processed", dedup_key: key } };
  }
}
