/**
 * How the server answers: JSON with every string passed through `redact`
 * (a secret that reached a value, a webhook URL in a receiver's answer, is
 * masked before it leaves), the security headers every answer carries, and
 * `HttpError`, the one way a handler refuses a request (status and a
 * one-line reason; never a stack trace).
 */
import type { ServerResponse } from "node:http";
import { redact } from "../secrets.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** One line, for the client: what is wrong and what to do. */
    readonly reason: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(reason);
  }
}

export const badRequest = (reason: string): HttpError => new HttpError(400, reason);
export const notFound = (reason = "no such path; the API is under /api/v1/ (docs/api.md)"): HttpError => new HttpError(404, reason);

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

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: oneLineReason(err.reason) }, err.headers);
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
