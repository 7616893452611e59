/**
 * What a mail server's answer means, in plain words and in a DeliveryResult.
 * SMTP says it in its reply codes (RFC 5321, 4.2.1): 2xx done; 4xx a
 * transient failure (421 service not available, 450/451/452 try later):
 * retried; 5xx a permanent one (535 the login refused, 530 a login needed,
 * 550/551/553/554 relay denied or no such mailbox): not retried, since the
 * same mail would be refused the same way, except a 552 on the message (too
 * large): that mail is refused, not every mail. No reply at all (refused,
 * reset, timed out, name not found, TLS failed) is retried. SMTP has no
 * Retry-After: the dispatcher's backoff paces the retries.
 */
import { oneLine } from "../../escape.js";
import { processMessages } from "../../i18n/current.js";
import type { Messages } from "../../i18n/messages.js";
import { redact } from "../../secrets.js";
import type { RetryWording } from "../http-answers.js";
import type { DeliveryResult } from "../notifier.js";

/** What nodemailer's errors carry (smtp-connection's _formatError). */
export interface SmtpError {
  code?: string;
  /** The code of the system error under it (ECONNREFUSED) when nodemailer gave it its own. */
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  message?: string;
}

export interface SmtpContext {
  /** The receiver's name. */
  name: string;
  /** `smtp.example.com:587`. */
  server: string;
  /** Its config key: `notify.email[0]`. */
  key: string;
  username?: string | undefined;
  retry: RetryWording;
  timeoutMs: number;
}

/** A server's reply, safe to show: one line, secrets masked, at most 200 characters. */
export function replyExcerpt(reply: string | undefined): string {
  if (!reply) return "";
  const line = oneLine(redact(reply.trim()));
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function errorOf(err: unknown): SmtpError {
  return err !== null && typeof err === "object" ? (err as SmtpError) : { message: String(err) };
}

/** The DeliveryResult of a failed send: what happened and what to do, never a secret; in `m`'s language (the process's). */
export function smtpFailure(err: unknown, ctx: SmtpContext, m: Messages = processMessages()): DeliveryResult {
  const e = errorOf(err);
  const reply = replyExcerpt(e.response);
  const said = reply ? m.t("email.said", { reply }) : "";
  const server = m.t("email.server", { server: ctx.server, name: ctx.name });
  const Server = cap(server);
  const status = e.responseCode;
  const answer = reply || undefined;
  const base = (r: Omit<DeliveryResult, "answer">): DeliveryResult => (answer ? { ...r, answer } : r);
  const key = ctx.key;

  if (status !== undefined && status >= 400 && status < 500) {
    return base({
      ok: false,
      retryable: true,
      status,
      code: `smtp_${status}`,
      message: m.t("email.later", { server: Server, said, again: ctx.retry() }),
    });
  }
  if (e.code === "EAUTH" || status === 535 || status === 534 || status === 530 || status === 538) {
    const who = ctx.username ? m.t("email.user", { username: ctx.username }) : "Lookout";
    const message =
      e.code === "EAUTH" && status === undefined
        ? m.t("email.authFailed", { server: Server, who, detail: replyExcerpt(e.message), key })
        : status === 530
          ? m.t("email.loginNeeded", { server: Server, said, key })
          : m.t("email.loginRefused", { server: Server, who, said, key });
    return base({ ok: false, retryable: false, ...(status !== undefined ? { status } : {}), code: "auth_failed", message });
  }
  if (e.command === "STARTTLS" && status !== undefined && status >= 500) {
    return base({ ok: false, retryable: false, status, code: "no_starttls", message: m.t("email.noStarttls", { server: Server, said, key }) });
  }
  if (status === 552 && e.command === "DATA") {
    return base({ ok: false, retryable: false, status, code: "smtp_552", messageRefused: true, message: m.t("email.tooLarge", { server: Server, said }) });
  }
  if (status !== undefined && status >= 500) {
    const where =
      e.command === "RCPT TO"
        ? m.t("email.where.rcpt", { key, who: ctx.username ? m.t("email.user", { username: ctx.username }) : m.t("email.thisHost") })
        : e.command === "MAIL FROM"
          ? m.t("email.where.from", { key })
          : m.t("email.where.any", { key });
    return base({
      ok: false,
      retryable: false,
      status,
      code: `smtp_${status}`,
      message: e.command ? m.t("email.refused.at", { server: Server, command: e.command, said, where }) : m.t("email.refused", { server: Server, said, where }),
    });
  }
  // No reply code: the connection itself.
  const sys = e.originalCode ?? e.code;
  const again = ctx.retry();
  switch (sys) {
    case "ECONNREFUSED":
      return { ok: false, retryable: true, code: sys, message: m.t("email.connRefused", { server: Server, key, again }) };
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EDNS":
      return { ok: false, retryable: true, code: sys, message: m.t("email.dns", { server, key, again }) };
    case "ETIMEDOUT":
      return {
        ok: false,
        retryable: true,
        code: "timeout",
        timedOut: true,
        message: m.t("email.timeout", { server: Server, seconds: Math.round(ctx.timeoutMs / 1000), again }),
      };
    case "ETLS":
      return { ok: false, retryable: true, code: "tls_failed", message: m.t("email.tls", { server, detail: replyExcerpt(e.message), key, again }) };
  }
  if (sys && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH|SSL|TLS/i.test(sys)) {
    return { ok: false, retryable: true, code: "certificate", message: m.t("email.certificate", { server, code: sys, key, again }) };
  }
  return {
    ok: false,
    retryable: true,
    code: sys ?? "network_error",
    message: m.t("email.failed", { server, detail: replyExcerpt(e.message) || m.t("email.noAnswer"), again }),
  };
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
