/**
 * The Alertmanager receiver: POSTs Lookout's alerts to Alertmanager's API v2
 * (`<url>/api/v2/alerts`), as Prometheus does, once per attempt; retries
 * belong to the dispatcher. It never throws.
 *
 * Alertmanager keeps each alert's state and expires a firing alert at its
 * `endsAt`. So, as Prometheus (which re-sends every `resend_delay`, 1 m, with
 * endsAt = now + 4 × max(resend_delay, evaluation interval)), this receiver
 * asks to get every firing alert again every `resend_every` (default 1 m:
 * `resendEveryMs`; the agent makes the re-sends, pipeline/resend.ts) and each
 * firing alert it posts holds for 4 × max(resend_every, interval) from the
 * post. An Alertmanager restarted (its alerts are in memory only) or another
 * member of its cluster has every firing alert again within resend_every;
 * Alertmanager resolves the alerts by itself when Lookout stops.
 *
 * The URL and every header value are secrets: registered, shown masked, never
 * in a message or a log line.
 */

import { formatDuration } from "../../config/duration.js";
import type { LoadedConfig } from "../../config/loaded.js";
import { RECEIVER_LISTS } from "../../config/names.js";
import type { AlertmanagerReceiverConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import { log } from "../../log.js";
import type { Notification } from "../../model/notification.js";
import { maskUrl, registerSecret } from "../../secrets.js";
import { USER_AGENT } from "../../version.js";
import { readUrlAndHeaders, registerHeaderSecret } from "../headers.js";
import { AGENT_RETRY, ONE_SHOT_RETRY, type RetryWording, resultFromAnswer, resultFromNoAnswer } from "../http-answers.js";
import { headerValue } from "../http-values.js";
import { buildFailure, type DeliveryResult, type ReceiverSettings, type SendOptions, SettingsNotifier, testBuildFailure, unexpectedFailure, withNote } from "../notifier.js";
import { type JsonAnswer, postJson } from "../post-json.js";
import { createAllReceivers, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { webhookTestNotification } from "../webhook/webhook.js";
import { type AlertmanagerContext, alertmanagerAnswerWording, alertmanagerNoAnswerWording } from "./answers.js";
import { alertsUrl, type PostableAlert, postableAlerts } from "./api.js";

/** Prometheus' resend_delay: a firing alert is sent again this often by default. */
export const DEFAULT_RESEND_EVERY_MS = 60_000;
/** A firing alert holds in Alertmanager this many re-send periods (Prometheus: 4). */
export const VALID_FOR_RESENDS = 4;
/** How long `lookout test-notify`'s test alert holds before Alertmanager resolves it by itself. */
export const TEST_ALERT_MS = 5 * 60_000;

export interface AlertmanagerNotifierConfig extends ReceiverSettings {
  /** Alertmanager's address (`http://alertmanager:9093`); /api/v2/alerts is added. */
  url: string;
  headers: Record<string, string>;
  /** `resend_every`. Default 1 m. */
  resendEveryMs?: number;
  /** `interval`: a firing alert holds 4 × max(resend_every, interval). */
  intervalMs?: number;
}

export class AlertmanagerNotifier extends SettingsNotifier {
  readonly kind = "alertmanager";
  /** A machine's intake: the daily summary only when notify.daily_summary.receiver names it. */
  readonly summaryByDefault = false;
  readonly target: string;
  readonly resendEveryMs: number;
  /** How long a firing alert holds in Alertmanager from a post: 4 × max(resend_every, interval). */
  readonly validForMs: number;
  readonly headerNames: string[];
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #context: AlertmanagerContext;

  constructor(cfg: AlertmanagerNotifierConfig) {
    super(cfg);
    registerSecret(cfg.url);
    for (const value of Object.values(cfg.headers)) registerHeaderSecret(value);
    this.#url = alertsUrl(cfg.url);
    registerSecret(this.#url);
    this.#headers = { ...cfg.headers };
    this.target = maskUrl(this.#url);
    this.resendEveryMs = cfg.resendEveryMs ?? DEFAULT_RESEND_EVERY_MS;
    this.validForMs = VALID_FOR_RESENDS * Math.max(this.resendEveryMs, cfg.intervalMs ?? 0);
    this.headerNames = Object.keys(cfg.headers);
    this.#context = { name: this.name, target: this.target, key: cfg.configKey ?? `notify.${RECEIVER_LISTS.alertmanager}`, headerNames: this.headerNames };
  }

  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.sendMany([n], opts);
  }

  /** Several alerts in one post (Alertmanager takes a list); the note on what could not be delivered before goes into the first one's description. */
  async sendMany(ns: Notification[], opts: SendOptions = {}): Promise<DeliveryResult> {
    let body: PostableAlert[];
    try {
      const [first, ...rest] = ns;
      body = postableAlerts(first ? [withNote(first, opts.note), ...rest] : [], { now: this.now(), validForMs: this.validForMs, links: this.links });
    } catch (err) {
      return buildFailure("Alertmanager alerts", this.name, ns, err);
    }
    const result = await this.post(body, ns.map((n) => n.id).join(","), AGENT_RETRY, opts);
    if (result.ok) result.message = result.message.replace(/the alerts\.$/, ns.length === 1 ? "the alert." : `${ns.length} alerts.`);
    return result;
  }

  /** A firing `LookoutTest` alert that resolves by itself after TEST_ALERT_MS; the message says how to end it sooner. */
  async sendTest(hostname: string): Promise<DeliveryResult> {
    const now = this.now();
    const n = webhookTestNotification(hostname, now, this.name, this.words);
    n.alert.summary = this.words.t("receiver.test.summary.alertmanager", { receiver: this.name });
    let body: PostableAlert[];
    try {
      body = postableAlerts([n], { now, validForMs: TEST_ALERT_MS, links: this.links, silenceLinks: false });
    } catch (err) {
      return testBuildFailure("alert", err);
    }
    const result = await this.post(body, n.id, ONE_SHOT_RETRY);
    if (result.ok) {
      const labels = Object.entries(body[0]!.labels)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(" ");
      result.message =
        `Alertmanager ${this.name} (${this.target}) accepted the test alert LookoutTest; it routes it as any alert (after its group_wait). ` +
        `The alert ends by itself in ${formatDuration(TEST_ALERT_MS)} (its endsAt, ${body[0]!.endsAt}). ` +
        `To end it now: amtool alert add ${labels} --end=$(date -u +%Y-%m-%dT%H:%M:%SZ) --alertmanager.url=<Alertmanager's address>.`;
    }
    return result;
  }

  private async post(body: PostableAlert[], ids: string, retry: RetryWording, opts: SendOptions = {}): Promise<DeliveryResult> {
    const ctx = this.#context;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    try {
      const headers: Record<string, string> = { "user-agent": USER_AGENT, "x-lookout-notification-id": headerValue(ids) };
      for (const [k, v] of Object.entries(this.#headers)) headers[k.toLowerCase()] = v;
      let answer: JsonAnswer;
      try {
        answer = await postJson(this.#url, headers, JSON.stringify(body), timeoutMs, opts.signal);
      } catch (err) {
        const result = resultFromNoAnswer(err, alertmanagerNoAnswerWording(ctx, retry === ONE_SHOT_RETRY), { timeoutMs, retry });
        log.debug(processMessages().t("log.noAnswer", { kind: "alertmanager" }), { receiver: this.name, code: result.code });
        return result;
      }
      return resultFromAnswer(answer, alertmanagerAnswerWording(ctx, retry === ONE_SHOT_RETRY), this.now(), retry);
    } catch (err) {
      return unexpectedFailure(`Alertmanager ${this.name} (${this.target})`, err, retry());
    }
  }
}

// ---------------------------------------------------------------- from config

/** The Alertmanagers' plugin: `notify.alertmanager` entries, each URL checked and its headers resolved. */
export const alertmanagerPlugin: ReceiverPlugin<AlertmanagerReceiverConfig> = receiverPlugin("alertmanager", createAlertmanagerNotifier);

/** The configured Alertmanagers (`notify.alertmanager`). Throws ConfigError on a bad URL, header or header file. */
export function createAlertmanagerNotifiers(loaded: LoadedConfig): AlertmanagerNotifier[] {
  return createAllReceivers([alertmanagerPlugin], loaded).notifiers as AlertmanagerNotifier[];
}

function createAlertmanagerNotifier(r: AlertmanagerReceiverConfig, ctx: ReceiverContext): AlertmanagerNotifier | undefined {
  const headers = readUrlAndHeaders(r, ctx, { expected: "entry.expected.alertmanager", like: "http://alertmanager:9093" });
  if (headers === undefined) return undefined;
  return new AlertmanagerNotifier({
    ...receiverSettings(r, ctx),
    url: r.url,
    headers,
    resendEveryMs: r.resend_every,
    intervalMs: ctx.intervalMs,
  });
}
