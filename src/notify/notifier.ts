import type { Severity } from "../config/schema.js";
import type { Notification } from "../alert/notification.js";
import { describeError } from "../errors.js";
import { log } from "../log.js";
import { redact } from "../secrets.js";

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
}

/** A receiver (Alertmanager's "integration", Telegraf's "output"). One file each, registered in notify/registry.ts. */
export interface Notifier {
  /** Receiver kind, e.g. "slack". */
  readonly kind: string;
  /** Name for logs and status, e.g. "slack[0]" or the configured name. */
  readonly name: string;
  /** Where it sends, safe to show: secrets masked. */
  readonly target: string;
  readonly minSeverity: Severity;
  send(notification: Notification): Promise<DeliveryResult>;
  /**
   * Several notifications as one message (a burst: 30 containers dying at
   * once). Receivers without it get them one by one.
   */
  sendMany?(notifications: Notification[]): Promise<DeliveryResult>;
  /** A test message (`lookout test-webhook`). */
  sendTest(hostname: string): Promise<DeliveryResult>;
}

/**
 * A receiver could not even build its message: a Lookout bug. Logged for a
 * report; not retryable (the same input would fail the same way).
 */
export function buildFailure(what: string, receiver: string, ns: readonly Notification[], err: unknown): DeliveryResult {
  log.error(`could not build the ${what}; this is a Lookout bug, please report it`, {
    receiver,
    notifications: ns.map((n) => n.id).join(","),
    error: describeError(err),
  });
  return {
    ok: false,
    retryable: false,
    code: "build_failed",
    message: `Lookout could not build the ${what} (${redact(describeError(err))}). This is a bug in Lookout: please report it.`,
  };
}
