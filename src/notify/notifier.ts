import type { Severity } from "../config/schema.js";
import { describeError } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import { type Locale, type Messages, messages } from "../i18n/messages.js";
import { log } from "../log.js";
import { localeOf, type Notification } from "../model/notification.js";
import { redact } from "../secrets.js";
import type { DashboardLinks } from "./links.js";

/**
 * The answer of one delivery attempt (modelled on Alertmanager's notify.Notifier,
 * whose Notify returns "should retry" with the error).
 */
export interface DeliveryResult {
  ok: boolean;
  /** A later attempt may succeed (5xx, 429, network). False for 4xx: retrying cannot help. */
  retryable: boolean;
  /** The receiver asked us to wait this long (Slack's 429 Retry-After). */
  retryAfterMs?: number;
  /** HTTP status, when there was an answer. */
  status?: number;
  /** The receiver's own error code, e.g. Slack's `no_service`. */
  code?: string;
  /** What happened and what the user should do, in plain words. Never holds a secret. */
  message: string;
  /**
   * What the receiver answered to a delivery, safe to keep and show: status
   * and a redacted, one-line body excerpt of at most 200 characters (`200 ok`,
   * `202 Accepted`); `http-answers.ts` `answerExcerpt`. The events journal
   * keeps it with the sent notification.
   */
  answer?: string;
  /**
   * The receiver refused this message for what it holds (Slack's
   * `invalid_blocks`, a webhook's 400, 413 or 422, a message Lookout could not
   * build), not every message: a group is split and its members sent alone.
   */
  messageRefused?: boolean;
  /** No answer within the time limit: the receiver may have processed it, so a retry may be a copy. */
  timedOut?: boolean;
}

/**
 * Default time limit of one send (notify.timeout). Long enough for a receiver
 * that works slowly (a cold-started function, a ticket made before it
 * answers), since a send that times out may still have been processed and
 * its retry would be a copy; short enough that a receiver that hangs holds
 * only its own queue, and only that long.
 */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** How one send goes, as the dispatcher decides it. */
export interface SendOptions {
  /** Aborts the request (Lookout is stopping): the notification stays queued. */
  signal?: AbortSignal;
  /** The time limit of this attempt, answer included; default the receiver's own (`notify.timeout`). */
  timeoutMs?: number;
  /** What could not be delivered before ("2 notifications could not be delivered: …"): the message says it. */
  note?: string;
}

/** The title of the part of a message that says what could not be delivered before. */
export const UNDELIVERED_TITLE = messages("en").t("notify.undelivered");

/** `n` with the note on what could not be delivered before as its last section. */
export function withNote(n: Notification, note: string | undefined): Notification {
  if (!note) return n;
  return { ...n, details: { ...n.details, sections: [...(n.details.sections ?? []), { title: messages(localeOf(n)).t("notify.undelivered"), text: note }] } };
}

/** A receiver (Alertmanager's "integration", Telegraf's "output"). One folder each, its plugin registered in notify/registry.ts. */
export interface Notifier {
  /** Receiver kind, e.g. "slack". */
  readonly kind: string;
  /**
   * Whether it gets the daily summary when `notify.daily_summary.receiver` is
   * not set (a chat: Slack), or not (a machine: a webhook). Default false.
   */
  readonly summaryByDefault?: boolean;
  /** Name for logs and status, e.g. "slack[0]" or the configured name. */
  readonly name: string;
  /** Where it sends, safe to show: secrets masked. */
  readonly target: string;
  readonly minSeverity: Severity;
  /** Its time limit for one send (`notify.timeout`), when it has one. */
  readonly timeoutMs?: number;
  /** The longest Retry-After it is allowed to impose (`notify.max_retry_after`); default 10 min. */
  readonly maxRetryAfterMs?: number;
  /**
   * A receiver that keeps the state of each alert (Alertmanager), which
   * expires a firing alert not sent again in time: the agent sends each firing
   * alert it was told of again this often (a `Notification.resend`), and only
   * the newest state of an alert waits in its queue (a newer one replaces an
   * unsent older one). Undefined: a receiver of messages.
   */
  readonly resendEveryMs?: number;
  send(notification: Notification, opts?: SendOptions): Promise<DeliveryResult>;
  /**
   * Several notifications as one message (a burst: 30 containers dying at
   * once). Receivers without it get them one by one.
   */
  sendMany?(notifications: Notification[], opts?: SendOptions): Promise<DeliveryResult>;
  /** A test message (`lookout test-notify`). */
  sendTest(hostname: string): Promise<DeliveryResult>;
}

/** What every receiver is built with, from its entry (`receiverSettings`, receiver-plugin.ts) or by a test. */
export interface ReceiverSettings {
  name: string;
  minSeverity: Severity;
  /** Limit of one attempt, answer included (notify.timeout). Default 30 s. */
  timeoutMs?: number | undefined;
  /** The longest Retry-After it may impose (notify.max_retry_after); the dispatcher applies it. */
  maxRetryAfterMs?: number | undefined;
  /** Its config entry, for messages: `notify.ntfy[0]`. */
  configKey?: string | undefined;
  /** Links to the dashboard (`http.public_url`) for its messages. */
  links?: DashboardLinks | undefined;
  /**
   * The language of what it sends that no notification carries a language
   * for: its test message (`lookout test-notify`). The config's `locale`;
   * default English. A notification's own words follow the notification's.
   */
  locale?: Locale | undefined;
  /** The time now; default Date.now (tests give their own). */
  now?: () => number;
}

/**
 * The `Notifier` fields every receiver takes from its settings as they are
 * (name, least severity, time limit, longest Retry-After), and the dashboard
 * links and the clock its messages use; a receiver adds its kind, its target
 * and how it sends.
 */
export abstract class SettingsNotifier implements Notifier {
  abstract readonly kind: string;
  abstract readonly target: string;
  readonly name: string;
  readonly minSeverity: Severity;
  readonly timeoutMs: number;
  readonly maxRetryAfterMs: number | undefined;
  protected readonly links: DashboardLinks | undefined;
  /** The words of its test message: the config's language. */
  protected readonly words: Messages;
  protected readonly now: () => number;

  constructor(cfg: ReceiverSettings) {
    this.name = cfg.name;
    this.minSeverity = cfg.minSeverity;
    this.timeoutMs = cfg.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxRetryAfterMs = cfg.maxRetryAfterMs;
    this.links = cfg.links;
    this.words = messages(cfg.locale);
    this.now = cfg.now ?? Date.now;
  }

  abstract send(notification: Notification, opts?: SendOptions): Promise<DeliveryResult>;
  abstract sendTest(hostname: string): Promise<DeliveryResult>;
}

/**
 * A receiver could not even build its message: a Lookout bug. Logged for a
 * report; not retryable (the same input would fail the same way).
 */
export function buildFailure(what: string, receiver: string, ns: readonly Notification[], err: unknown): DeliveryResult {
  log.error(processMessages().t("log.buildFailed", { what }), {
    receiver,
    notifications: ns.map((n) => n.id).join(","),
    error: describeError(err),
  });
  return {
    ok: false,
    retryable: false,
    messageRefused: true,
    code: "build_failed",
    message: `Lookout could not build the ${what} (${redact(describeError(err))}). This is a bug in Lookout: please report it.`,
  };
}

/** The test message (`lookout test-notify`) could not be built: said to the user at the terminal; `what`: "message", "mail". */
export function testBuildFailure(what: string, err: unknown): DeliveryResult {
  return { ok: false, retryable: false, code: "build_failed", message: `Lookout could not build the test ${what} (${redact(describeError(err))}).` };
}

/** A send failed in a way not handled where it happened (a Lookout bug): retryable, never thrown; `then` says what happens next (`retry()`). */
export function unexpectedFailure(where: string, err: unknown, then: string): DeliveryResult {
  const m = processMessages();
  return { ok: false, retryable: true, code: "unexpected", message: m.t("answer.unexpected", { where, detail: redact(describeError(err, m)), then }) };
}
