/**
 * A real SMTP server on 127.0.0.1 (random port), `smtp-server`, the one
 * Nodemailer's own author keeps: STARTTLS with the test-only certificate of
 * test/fixtures/tls/ (or TLS on connect), AUTH PLAIN/LOGIN against one user,
 * and each mail received parsed with `mailparser` and checked against RFC 5322
 * (CRLF line ends, lines of at most 998 characters, the headers a mail must
 * have, a text and an HTML part).
 *
 *   const smtp = new FakeSmtp({ auth: { user: "lookout", pass: "s3cret" } });
 *   const { port } = await smtp.start();
 *   smtp.failNext([{ at: "data", code: 451, message: "try later" }]);
 *   … send …
 *   const [mail] = await smtp.waitFor(1);
 *
 * Answers, in order: the next canned failure of `failNext` at its step, if
 * any; else 535 for a wrong login, 530 for a mail without one when a user is
 * set; else 250.
 */
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer, type SMTPServerOptions } from "smtp-server";

export const TLS_DIR = join(import.meta.dirname, "../fixtures/tls");
/** The test-only self-signed certificate (CA: itself) for 127.0.0.1 and localhost. */
export const TEST_CERT = readFileSync(join(TLS_DIR, "cert.pem"), "utf8");
const TEST_KEY = readFileSync(join(TLS_DIR, "key.pem"), "utf8");

export type SmtpStep = "connect" | "auth" | "mail" | "rcpt" | "data";

export interface CannedFailure {
  at: SmtpStep;
  code: number;
  message: string;
}

export interface ReceivedMail {
  /** The test clock's time when the mail was complete. */
  at: number;
  from: string;
  to: string[];
  /** Whether the session was encrypted when the mail came. */
  secure: boolean;
  /** The user it logged in as. */
  user: string | undefined;
  raw: string;
  parsed: ParsedMail;
}

export interface FakeSmtpOptions {
  /** TLS from the first byte (465); else STARTTLS is offered. */
  secure?: boolean;
  /** The one login taken; undefined: no AUTH needed. */
  auth?: { user: string; pass: string };
  /** Offer no STARTTLS (a server that cannot encrypt). */
  noTls?: boolean;
  now?: () => number;
}

/** What RFC 5322 and MIME ask of a mail as it travels: a problem, or null. */
export function validateMail(raw: string, parsed: ParsedMail): string | null {
  if (/(?<!\r)\n/.test(raw)) return "a line ends without CRLF";
  const long = raw.split("\r\n").find((l) => l.length > 998);
  if (long) return `a line is longer than 998 characters (${long.length})`;
  const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
  for (const h of ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type"]) {
    if (!new RegExp(`^${h}:`, "im").test(head)) return `no ${h} header`;
  }
  if (/[^\x00-\x7f]/.test(head)) return "raw 8-bit text in the headers (it must be encoded)";
  if (!/^Content-Type: multipart\/alternative/im.test(head)) return "not multipart/alternative (a text and an HTML part)";
  if (typeof parsed.text !== "string" || parsed.text.length === 0) return "no text part";
  if (typeof parsed.html !== "string" || parsed.html.length === 0) return "no HTML part";
  return null;
}

function smtpError(f: CannedFailure): Error {
  return Object.assign(new Error(f.message), { responseCode: f.code });
}

export class FakeSmtp {
  readonly mails: ReceivedMail[] = [];
  /** Every step tried, with its answer code: `connect 421`, `data 250`. */
  readonly log: string[] = [];
  port = 0;
  readonly #opts: FakeSmtpOptions;
  #server: SMTPServer | undefined;
  #queue: CannedFailure[] = [];
  #down = false;
  #waiters: Array<() => void> = [];

  constructor(opts: FakeSmtpOptions = {}) {
    this.#opts = opts;
  }

  #now(): number {
    return (this.#opts.now ?? Date.now)();
  }

  /** The next canned failure at `step`, taken from the queue. */
  #failure(step: SmtpStep): CannedFailure | undefined {
    const i = this.#queue.findIndex((f) => f.at === step);
    if (i === -1) return undefined;
    return this.#queue.splice(i, 1)[0];
  }

  async start(): Promise<{ port: number }> {
    const auth = this.#opts.auth;
    const opts: SMTPServerOptions = {
      secure: this.#opts.secure === true,
      key: TEST_KEY,
      cert: TEST_CERT,
      logger: false,
      banner: "Lookout's test SMTP server",
      size: 10 * 1024 * 1024,
      authMethods: ["PLAIN", "LOGIN"],
      authOptional: auth === undefined,
      disabledCommands: this.#opts.noTls ? ["STARTTLS"] : [],
      onConnect: (_session, cb) => {
        const f = this.#down ? { at: "connect" as const, code: 421, message: "4.3.2 Service not available, closing transmission channel" } : this.#failure("connect");
        this.log.push(`connect ${f?.code ?? 220}`);
        cb(f ? smtpError(f) : null);
      },
      onAuth: (a, _session, cb) => {
        const f = this.#failure("auth");
        const ok = !f && auth !== undefined && a.username === auth.user && a.password === auth.pass;
        this.log.push(`auth ${f?.code ?? (ok ? 235 : 535)}`);
        if (f) return cb(smtpError(f));
        if (!ok) return cb(Object.assign(new Error("5.7.8 Authentication credentials invalid"), { responseCode: 535 }));
        cb(null, { user: a.username });
      },
      onMailFrom: (_address, session, cb) => {
        const f = this.#failure("mail");
        if (!f && auth && !session.user) {
          this.log.push("mail 530");
          return cb(Object.assign(new Error("5.7.0 Authentication required"), { responseCode: 530 }));
        }
        this.log.push(`mail ${f?.code ?? 250}`);
        cb(f ? smtpError(f) : null);
      },
      onRcptTo: (_address, _session, cb) => {
        const f = this.#failure("rcpt");
        this.log.push(`rcpt ${f?.code ?? 250}`);
        cb(f ? smtpError(f) : null);
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const f = this.#failure("data");
          this.log.push(`data ${f?.code ?? 250}`);
          if (f) return cb(smtpError(f));
          const raw = Buffer.concat(chunks).toString("utf8");
          const at = this.#now();
          simpleParser(raw).then(
            (parsed) => {
              this.mails.push({
                at,
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
                to: session.envelope.rcptTo.map((r) => r.address),
                secure: session.secure,
                user: session.user as string | undefined,
                raw,
                parsed,
              });
              for (const w of this.#waiters.splice(0)) w();
              cb(null);
            },
            (err: Error) => cb(err),
          );
        });
      },
    };
    const server = new SMTPServer(opts);
    server.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.#server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return { port: this.port };
  }

  /** Fail the next attempts at these steps, in order. */
  failNext(failures: CannedFailure[]): void {
    this.#queue.push(...failures);
  }

  /** While down, every connection is answered 421 (an outage), until `setDown(false)`. */
  setDown(down: boolean): void {
    this.#down = down;
  }

  reset(): void {
    this.mails.length = 0;
    this.log.length = 0;
    this.#queue = [];
    this.#down = false;
  }

  async waitFor(count: number, timeoutMs = 5000): Promise<ReceivedMail[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.mails.length < count) {
      if (Date.now() > deadline) throw new Error(`FakeSmtp: ${this.mails.length} of ${count} mails after ${timeoutMs}ms`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.mails.slice();
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
