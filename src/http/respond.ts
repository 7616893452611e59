/**
 * How the server answers: JSON with every string passed through `redact`
 * (a secret that reached a value, a webhook URL in a receiver's answer, is
 * masked before it leaves), the security headers every answer carries, and
 * `HttpError`, the one way a handler refuses a request (status and a
 * one-line reason; never a stack trace).
 */
import type { ServerResponse } from "node:http";
import { type Said, said, sayIn } from "../errors.js";
import { type Messages, messages } from "../i18n/messages.js";
import { redact } from "../secrets.js";

/**
 * What a refusal says: English text, a catalogue text (`Said`), or a function
 * of the `Messages` when the reason holds a part that is itself worded in a
 * language (a Docker error, a list joined with "or"). It is rendered when the
 * answer is sent, in the agent's language, since the dashboard shows it to
 * the user.
 */
export type Reason = string | Said | ((m: Messages) => string);

function reasonText(reason: Reason, m: Messages): string {
  if (typeof reason === "string") return reason;
  return typeof reason === "function" ? reason(m) : sayIn(reason, m);
}

export class HttpError extends Error {
  /** One line, for the client: what is wrong and what to do, in English (the log, code that matches on it). */
  readonly reason: string;
  constructor(
    readonly status: number,
    private readonly worded: Reason,
    readonly headers: Record<string, string> = {},
  ) {
    const text = reasonText(worded, messages("en"));
    super(text);
    this.reason = text;
  }

  /** The reason in `m`'s language. */
  reasonIn(m: Messages): string {
    return reasonText(this.worded, m);
  }
}

export const badRequest = (reason: Reason): HttpError => new HttpError(400, reason);
export const notFound = (reason: Reason = said("api.noSuchPath")): HttpError => new HttpError(404, reason);

/**
 * Every answer: no MIME sniffing, no framing, no referrer to elsewhere.
 * `same-origin`, not `no-referrer`: under `no-referrer` a browser sends
 * `Origin: null` with its own pages' POSTs (the sign-in form, the dashboard's
 * silences), which the Origin check must refuse.
 */
export function securityHeaders(res: ServerResponse): void {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Referrer-Policy", "same-origin");
}

/** Pages: only this server's own files, no inline script, no form posting elsewhere. */
export const PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** JSON, every string value redacted; API answers are never cached (they are the host's state now). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body, (_key, value: unknown) => (typeof value === "string" ? redact(value) : value));
  if (res.headersSent) return void res.end();
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The refusal as `{ "error": "…" }`, its reason in `m`'s language (the agent's). */
export function sendError(res: ServerResponse, err: HttpError, m: Messages = messages("en")): void {
  sendJson(res, err.status, { error: oneLineReason(err.reasonIn(m)) }, err.headers);
}

/** An HTML page of the server's own (sign-in, no dashboard): redacted too, never cached. */
export function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  const text = redact(html);
  if (res.headersSent) return void res.end();
  res.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": PAGE_CSP,
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(303, { Location: location, "Cache-Control": "no-store", "Content-Length": 0, ...headers });
  res.end();
}

/** A reason is one line: a newline in machine text it quotes must not make it two. */
function oneLineReason(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

/** Text for HTML: the five characters that could open markup or an attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
