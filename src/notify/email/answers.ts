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

/** The DeliveryResult of a failed send: what happened and what to do, never a secret. */
export function smtpFailure(err: unknown, ctx: SmtpContext): DeliveryResult {
  const e = errorOf(err);
  const reply = replyExcerpt(e.response);
  const said = reply ? ` (it answered: ${reply})` : "";
  const server = `the mail server ${ctx.server} of ${ctx.name}`;
  const status = e.responseCode;
  const answer = reply || undefined;
  const base = (r: Omit<DeliveryResult, "answer">): DeliveryResult => (answer ? { ...r, answer } : r);

  if (status !== undefined && status >= 400 && status < 500) {
    return base({
      ok: false,
      retryable: true,
      status,
      code: `smtp_${status}`,
      message: `${cap(server)} is not taking mail for now${said}. ${ctx.retry()}`,
    });
  }
  if (e.code === "EAUTH" || status === 535 || status === 534 || status === 530 || status === 538) {
    const who = ctx.username ? `the user ${ctx.username}` : "Lookout";
    const message =
      e.code === "EAUTH" && status === undefined
        ? `${cap(server)} could not log ${who} in (${replyExcerpt(e.message)}). Check ${ctx.key}.smtp.username and password, and that the server offers AUTH on this port. Not retried.`
        : status === 530
          ? `${cap(server)} asks for a login before it takes mail${said}. Set ${ctx.key}.smtp.username and password (or password_file). Not retried.`
          : `${cap(server)} refused the login of ${who}${said}: the user name or password is wrong, or the account may not send by SMTP (an app password may be needed). Check ${ctx.key}.smtp.username and password. Not retried.`;
    return base({ ok: false, retryable: false, ...(status !== undefined ? { status } : {}), code: "auth_failed", message });
  }
  if (e.command === "STARTTLS" && status !== undefined && status >= 500) {
    return base({
      ok: false,
      retryable: false,
      status,
      code: "no_starttls",
      message: `${cap(server)} offers no STARTTLS${said}, and ${ctx.key}.smtp asks for it (starttls: required, the default). Use port 465 with secure: true if it has it, or set starttls: opportunistic (mail, and a password, then go in clear). Not retried.`,
    });
  }
  if (status === 552 && e.command === "DATA") {
    return base({
      ok: false,
      retryable: false,
      status,
      code: "smtp_552",
      messageRefused: true,
      message: `${cap(server)} refused this mail for its size${said}. Not retried.`,
    });
  }
  if (status !== undefined && status >= 500) {
    const where =
      e.command === "RCPT TO"
        ? `Check ${ctx.key}.to, and that the server relays for ${ctx.username ? `the user ${ctx.username}` : "this host"} (many servers relay only after a login).`
        : e.command === "MAIL FROM"
          ? `Check ${ctx.key}.from: the server may not let this account send as that address.`
          : `Check ${ctx.key}.`;
    return base({
      ok: false,
      retryable: false,
      status,
      code: `smtp_${status}`,
      message: `${cap(server)} refused the mail${e.command ? ` at ${e.command}` : ""}${said}. ${where} Not retried.`,
    });
  }
  // No reply code: the connection itself.
  const sys = e.originalCode ?? e.code;
  const again = ctx.retry();
  switch (sys) {
    case "ECONNREFUSED":
      return {
        ok: false,
        retryable: true,
        code: sys,
        message: `${cap(server)} refused the connection: nothing listens there, or it is down. Check ${ctx.key}.smtp.host and port. ${again}`,
      };
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EDNS":
      return { ok: false, retryable: true, code: sys, message: `The name of ${server} could not be looked up. Check ${ctx.key}.smtp.host. ${again}` };
    case "ETIMEDOUT":
      return {
        ok: false,
        retryable: true,
        code: "timeout",
        timedOut: true,
        message: `${cap(server)} did not answer within ${Math.round(ctx.timeoutMs / 1000)} s (the mail may have gone through). ${again}`,
      };
    case "ETLS":
      return {
        ok: false,
        retryable: true,
        code: "tls_failed",
        message: `TLS with ${server} failed (${replyExcerpt(e.message)}): check ${ctx.key}.smtp.port and secure (true for 465, where TLS starts on connect; false for 587, where STARTTLS does); a certificate of a private CA needs smtp.ca_file. ${again}`,
      };
  }
  if (sys && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH|SSL|TLS/i.test(sys)) {
    return {
      ok: false,
      retryable: true,
      code: "certificate",
      message: `The certificate of ${server} could not be verified (${sys}): give its CA in ${ctx.key}.smtp.ca_file, or check ${ctx.key}.smtp.host. ${again}`,
    };
  }
  return {
    ok: false,
    retryable: true,
    code: sys ?? "network_error",
    message: `Sending to ${server} failed (${replyExcerpt(e.message) || "no answer"}). ${again}`,
  };
}

function cap(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
