/**
 * The mail receiver: sends a notification, or a group of them as one mail,
 * over SMTP with nodemailer, once per attempt; retries belong to the
 * dispatcher. It never throws. nodemailer is imported with the first send
 * (commands that send no mail never load it).
 *
 * A connection per mail (no pool: alerts are few, and a pooled connection the
 * server closed in between would fail the next one), TLS on connect (`secure`,
 * 465) or STARTTLS required (the default on 587: a password never goes in
 * clear) or opportunistic. The password is a secret: registered, never shown.
 */

import { resolve } from "node:path";
import type { SMTPSentMessageInfo, SMTPTransportOptions } from "nodemailer";
import { cannotReadProblem, readSecretFile, readSmallFile } from "../../config/files.js";
import { RECEIVER_LISTS } from "../../config/names.js";
import type { EmailReceiverConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import { log } from "../../log.js";
import type { Notification } from "../../model/notification.js";
import { registerSecret } from "../../secrets.js";
import { AGENT_RETRY, ONE_SHOT_RETRY, type RetryWording } from "../http-answers.js";
import { buildFailure, type DeliveryResult, type ReceiverSettings, type SendOptions, SettingsNotifier, testBuildFailure } from "../notifier.js";
import { entryMessages, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { replyExcerpt, type SmtpContext, smtpFailure } from "./answers.js";
import { buildEmail, buildTestEmail, type EmailContent, messageIdDomain } from "./message.js";

export interface EmailNotifierConfig extends ReceiverSettings {
  host: string;
  /** Default 465 with `secure`, else 587. */
  port?: number | undefined;
  secure?: boolean | undefined;
  /** Default `required` (without `secure`). */
  starttls?: "required" | "opportunistic" | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM certificates the server's is checked against, besides the system's. */
  ca?: string | undefined;
  from: string;
  to: string[];
  subjectPrefix?: string | undefined;
}

type Nodemailer = typeof import("nodemailer");
let nodemailer: Promise<Nodemailer> | undefined;
/** nodemailer, imported once, when the first mail goes. */
function loadNodemailer(): Promise<Nodemailer> {
  nodemailer ??= import("nodemailer");
  return nodemailer;
}

export class EmailNotifier extends SettingsNotifier {
  readonly kind = "email";
  /** People read it: it gets the daily summary unless notify.daily_summary.receiver names another. */
  readonly summaryByDefault = true;
  readonly target: string;
  readonly #cfg: EmailNotifierConfig;
  readonly #port: number;
  readonly #domain: string;
  readonly #key: string;

  constructor(cfg: EmailNotifierConfig) {
    super(cfg);
    registerSecret(cfg.password);
    this.#cfg = { ...cfg, to: [...cfg.to] };
    this.#port = cfg.port ?? (cfg.secure ? 465 : 587);
    this.#domain = messageIdDomain(cfg.from);
    this.#key = cfg.configKey ?? `notify.${RECEIVER_LISTS.email}`;
    this.target = `smtp://${cfg.host}:${this.#port} → ${cfg.to.join(", ")}`;
  }

  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.sendMany([n], opts);
  }

  /** Several notifications as one mail: a subject that counts them, one entry each. */
  async sendMany(ns: Notification[], opts: SendOptions = {}): Promise<DeliveryResult> {
    let mail: EmailContent;
    try {
      mail = buildEmail(ns, { domain: this.#domain, subjectPrefix: this.#cfg.subjectPrefix, links: this.#cfg.links, note: opts.note });
    } catch (err) {
      return buildFailure("mail", this.name, ns, err);
    }
    return this.deliver(mail, ns.map((n) => n.id).join(","), AGENT_RETRY, opts);
  }

  async sendTest(hostname: string): Promise<DeliveryResult> {
    const at = Date.now();
    let mail: EmailContent;
    try {
      mail = buildTestEmail(hostname, at, this.name, { domain: this.#domain, subjectPrefix: this.#cfg.subjectPrefix, links: this.#cfg.links }, this.words);
    } catch (err) {
      return testBuildFailure("mail", err);
    }
    const result = await this.deliver(mail, `test-${at}`, ONE_SHOT_RETRY);
    if (result.ok) result.message = result.message.replace(/^The mail server/, "The mail server took the test mail:").replace(/accepted the mail/, "accepted it");
    return result;
  }

  /** `smtp.example.com:587`. */
  get server(): string {
    return `${this.#cfg.host}:${this.#port}`;
  }

  private transportOptions(timeoutMs: number): SMTPTransportOptions {
    const c = this.#cfg;
    const starttls = c.secure ? undefined : (c.starttls ?? "required");
    return {
      host: c.host,
      port: this.#port,
      secure: c.secure === true,
      requireTLS: starttls === "required",
      opportunisticTLS: starttls === "opportunistic",
      ...(c.username ? { auth: { user: c.username, pass: c.password ?? "" } } : {}),
      // SNI takes a name only (RFC 6066); the certificate is checked against the host either way.
      tls: { ...(process.getBuiltinModule("node:net").isIP(c.host) ? {} : { servername: c.host }), minVersion: "TLSv1.2", ...(c.ca ? { ca: c.ca } : {}) },
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      disableFileAccess: true,
      disableUrlAccess: true,
      logger: false,
      debug: false,
    };
  }

  /** One SMTP transaction; every outcome is a DeliveryResult. */
  private async deliver(mail: EmailContent, ids: string, retry: RetryWording, opts: SendOptions = {}): Promise<DeliveryResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const ctx: SmtpContext = { name: this.name, server: this.server, key: this.#key, username: this.#cfg.username, retry, timeoutMs };
    let close: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      const { createTransport } = await loadNodemailer();
      const transport = createTransport(this.transportOptions(timeoutMs));
      close = () => transport.close();
      const sending = transport.sendMail({
        from: this.#cfg.from,
        to: this.#cfg.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: `<${mail.messageId}>`,
        ...(mail.references.length > 0 ? { inReplyTo: `<${mail.references[0]}>`, references: mail.references.map((r) => `<${r}>`) } : {}),
        headers: { "Auto-Submitted": "auto-generated", "X-Lookout-Notification-Id": ids.replace(/[^\x21-\x7e]/g, "?").slice(0, 900) },
        disableFileAccess: true,
        disableUrlAccess: true,
      }) as Promise<SMTPSentMessageInfo>;
      // The whole transaction within the time limit (nodemailer's own limits are per step), and Lookout stopping ends it.
      const stop = new Promise<DeliveryResult>((resolveStop) => {
        timer = setTimeout(() => {
          close?.();
          resolveStop(smtpFailure(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" }), ctx));
        }, timeoutMs);
        onAbort = () => {
          close?.();
          resolveStop({ ok: false, retryable: true, code: "aborted", message: `Sending to ${this.server} was stopped (Lookout is stopping); the mail stays queued.` });
        };
        if (opts.signal?.aborted) onAbort();
        else opts.signal?.addEventListener("abort", onAbort, { once: true });
      });
      return await Promise.race([sending.then((info) => this.accepted(info, ids)), stop]);
    } catch (err) {
      const result = smtpFailure(err, ctx);
      log.debug(processMessages().t("log.email.notSent"), { receiver: this.name, code: result.code });
      return result;
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener("abort", onAbort);
      close?.();
    }
  }

  private accepted(info: SMTPSentMessageInfo, ids: string): DeliveryResult {
    const reply = replyExcerpt(info.response);
    const to = (info.accepted ?? []).map(String);
    const refused = (info.rejected ?? []).map(String);
    let message = `The mail server ${this.server} accepted the mail for ${to.join(", ") || "its recipients"}${reply ? ` (${reply})` : ""}.`;
    if (refused.length > 0) {
      // The others have it: sending again would give them a copy.
      message += ` It refused ${refused.join(", ")}: check ${this.#key}.to.`;
      log.warn(processMessages().t("log.email.refused"), { receiver: this.name, refused: refused.join(", "), notifications: ids });
    }
    return { ok: true, retryable: false, message, ...(reply ? { answer: reply } : {}) };
  }
}

// ---------------------------------------------------------------- from config

/** The mail receivers' plugin: `notify.email` entries, the password read from password_file, the CA from ca_file. */
export const emailPlugin: ReceiverPlugin<EmailReceiverConfig> = receiverPlugin("email", createEmailNotifier);

/** The most a CA file may hold (a few certificates). */
const MAX_CA_BYTES = 256 * 1024;

function createEmailNotifier(r: EmailReceiverConfig, ctx: ReceiverContext): EmailNotifier | undefined {
  const { key, problems } = ctx;
  const m = entryMessages(ctx);
  const before = problems.length;
  const s = r.smtp;
  registerSecret(s.password);
  let password = s.password;
  if (s.password_file !== undefined) {
    const read = readSecretFile(resolve(ctx.baseDir, s.password_file), `${key}.smtp.password_file`, "entry.what.password", m);
    if (typeof read === "string") password = read;
    else problems.push(read.problem);
  }
  let ca: string | undefined;
  if (s.ca_file !== undefined) {
    const file = resolve(ctx.baseDir, s.ca_file);
    const read = readSmallFile(file, MAX_CA_BYTES, m);
    if (!read.ok) problems.push(cannotReadProblem(`${key}.smtp.ca_file`, file, read, m));
    else if (!read.text.includes("-----BEGIN CERTIFICATE-----")) problems.push(m.t("entry.email.noPem", { key: `${key}.smtp.ca_file`, file }));
    else ca = read.text;
  }
  if (/[\s/:@]/.test(s.host)) problems.push(m.t("entry.email.host", { key: `${key}.smtp.host` }));
  if (!s.secure && s.starttls === "opportunistic" && s.username !== undefined) {
    ctx.warnings.push(m.t("entry.email.clearPassword", { key: `${key}.smtp` }));
  }
  if (problems.length > before) return undefined;
  return new EmailNotifier({
    ...receiverSettings(r, ctx),
    host: s.host,
    port: s.port,
    secure: s.secure,
    starttls: s.starttls,
    username: s.username,
    password,
    ca,
    from: r.from,
    to: r.to,
    subjectPrefix: r.subject_prefix,
  });
}
