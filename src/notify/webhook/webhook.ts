/**
 * The generic JSON webhook receiver: POSTs a notification (or a group of them)
 * as Alertmanager's webhook body (version 4), once. Retries belong to the dispatcher; this makes
 * one attempt and says in a DeliveryResult how it went. It never throws.
 *
 * The URL and every header value are secrets (a URL often carries a token, and
 * headers carry credentials): they are registered with `secrets.ts`, shown
 * masked, and never appear in a message or a log line.
 */
import type { LoadedConfig } from "../../config/loaded.js";
import type { WebhookReceiverConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import { type Messages, messages } from "../../i18n/messages.js";
import { log } from "../../log.js";
import type { Notification } from "../../model/notification.js";
import { maskUrl, registerSecret } from "../../secrets.js";
import { readUrlAndHeaders, registerHeaderSecret } from "../headers.js";
import { AGENT_RETRY, ONE_SHOT_RETRY, type RetryWording } from "../http-answers.js";
import { headerValue, isHttpUrl } from "../http-values.js";
import {
  buildFailure,
  DEFAULT_TIMEOUT_MS,
  type DeliveryResult,
  type ReceiverSettings,
  type SendOptions,
  SettingsNotifier,
  testBuildFailure,
  unexpectedFailure,
  withNote,
} from "../notifier.js";
import { type JsonAnswer, postJson } from "../post-json.js";
import { createAllReceivers, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { type AlertmanagerWebhook, alertmanagerPayload } from "./alertmanager.js";
import { resultFromNetworkError, type WebhookContext, webhookResultFromResponse } from "./answers.js";

export interface WebhookNotifierConfig extends ReceiverSettings {
  url: string;
  /** Extra headers (auth tokens), values already resolved (env expanded, files read). */
  headers: Record<string, string>;
}

export const WEBHOOK_TIMEOUT_MS = DEFAULT_TIMEOUT_MS;

import { USER_AGENT } from "../../version.js";

export class WebhookNotifier extends SettingsNotifier {
  readonly kind = "webhook";
  /** A machine's intake (a pager, a ticket system): it gets the daily summary only when notify.daily_summary.receiver names it. */
  readonly summaryByDefault = false;
  readonly target: string;
  /** The names of the configured headers (values are secrets and not kept in sight). */
  readonly headerNames: string[];
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #context: WebhookContext;

  constructor(cfg: WebhookNotifierConfig) {
    super(cfg);
    registerSecret(cfg.url);
    for (const value of Object.values(cfg.headers)) registerHeaderSecret(value);
    this.#url = cfg.url;
    this.#headers = { ...cfg.headers };
    this.target = maskUrl(cfg.url);
    this.headerNames = Object.keys(cfg.headers);
    this.#context = { name: this.name, target: this.target, headerNames: this.headerNames, key: cfg.configKey ?? "notify.webhooks" };
  }

  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.sendMany([n], opts);
  }

  /**
   * Several notifications as one body: one Alertmanager alert each (`status`
   * resolved only when all are). The note on what could not be delivered
   * before goes into the first alert's description.
   */
  async sendMany(ns: Notification[], opts: SendOptions = {}): Promise<DeliveryResult> {
    let payload: AlertmanagerWebhook;
    try {
      const [first, ...rest] = ns;
      payload = alertmanagerPayload(first ? [withNote(first, opts.note), ...rest] : [], { receiver: this.name, links: this.links });
    } catch (err) {
      return buildFailure("webhook body", this.name, ns, err);
    }
    return this.post(payload, ns.map((n) => n.id).join(","), AGENT_RETRY, opts);
  }

  async sendTest(hostname: string): Promise<DeliveryResult> {
    let payload: AlertmanagerWebhook;
    const n = webhookTestNotification(hostname, Date.now(), this.name, this.words);
    try {
      payload = alertmanagerPayload([n], { receiver: this.name, links: this.links, silenceLinks: false });
    } catch (err) {
      return testBuildFailure("body", err);
    }
    // One attempt, for a user at a terminal: a temporary failure is theirs to try again.
    return this.post(payload, n.id, ONE_SHOT_RETRY);
  }

  /** One POST of `payload`; every outcome is a DeliveryResult, worded with `retry` when trying again may help. */
  private async post(payload: AlertmanagerWebhook, notificationId: string, retry: RetryWording, opts: SendOptions = {}): Promise<DeliveryResult> {
    const ctx = this.#context;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    try {
      if (!isHttpUrl(this.#url)) {
        return {
          ok: false,
          retryable: false,
          code: "invalid_url",
          message: `The URL of the webhook ${this.name} (${this.target}) is not an http(s) URL. Check ${ctx.key}.url.`,
        };
      }
      // Lower-cased names so a configured header replaces a default one instead of doubling it.
      const headers: Record<string, string> = {
        "user-agent": USER_AGENT,
        "x-lookout-notification-id": headerValue(notificationId),
      };
      for (const [k, v] of Object.entries(this.#headers)) headers[k.toLowerCase()] = v;

      let answer: JsonAnswer;
      try {
        answer = await postJson(this.#url, headers, JSON.stringify(payload), timeoutMs, opts.signal);
      } catch (err) {
        const result = resultFromNetworkError(err, this.target, {
          what: processMessages().t("webhook.what", { name: this.name }),
          timeoutMs,
          key: ctx.key,
          hasHeaders: this.headerNames.length > 0,
          retry,
        });
        log.debug(processMessages().t("log.noAnswer", { kind: "webhook" }), { receiver: this.name, code: result.code });
        return result;
      }
      // A 400, 413 or 422 refuses this body, not every body: the dispatcher sends a group's members alone.
      return webhookResultFromResponse(answer, ctx, Date.now(), retry);
    } catch (err) {
      // Not expected (request errors are handled above); still never throw.
      return unexpectedFailure(`the webhook ${this.name} (${this.target})`, err, retry());
    }
  }
}

/**
 * The notification `sendTest` sends: a firing `LookoutTest` alert (warning)
 * for `hostname`, its words in `m` (the receiver's config's language; its
 * labels are the same in every language: scripts match them).
 */
export function webhookTestNotification(hostname: string, now: number, receiver: string, m: Messages = messages()): Notification {
  const labels = { alertname: "LookoutTest", severity: "warning", hostname };
  const n: Notification = {
    id: `test-${now}`,
    kind: "firing",
    hostname,
    at: now,
    alert: {
      fingerprint: `LookoutTest{hostname=${JSON.stringify(hostname)}}`,
      alertname: "LookoutTest",
      labels,
      severity: "warning",
      display: m.t("receiver.test.display"),
      value: 0,
      threshold: 0,
      unit: "",
      activeSince: now,
      firingSince: now,
      peak: 0,
      maxSeverity: "warning",
      summary: m.t("receiver.test.summary.webhook", { receiver }),
    },
    details: {
      facts: [{ label: m.t("receiver.test.sentBy"), value: m.t("receiver.test.sentBy.value") }],
    },
  };
  // As the enricher does: an English notification names no language.
  if (m.locale !== "en") n.locale = m.locale;
  return n;
}

// ---------------------------------------------------------------- from config

/** The webhooks' plugin: `notify.webhooks` entries, each URL checked and its headers resolved (header_files read). */
export const webhookPlugin: ReceiverPlugin<WebhookReceiverConfig> = receiverPlugin("webhook", createWebhookNotifier);

/** The configured webhooks (`notify.webhooks`), headers resolved. Throws ConfigError on a bad URL, header or unreadable header file. */
export function createWebhookNotifiers(loaded: LoadedConfig): WebhookNotifier[] {
  return createAllReceivers([webhookPlugin], loaded).notifiers as WebhookNotifier[];
}

function createWebhookNotifier(r: WebhookReceiverConfig, ctx: ReceiverContext): WebhookNotifier | undefined {
  const headers = readUrlAndHeaders(r, ctx, { expected: "entry.expected.webhook" });
  if (headers === undefined) return undefined;
  return new WebhookNotifier({
    ...receiverSettings(r, ctx),
    url: r.url,
    headers,
  });
}
