/**
 * The Gotify receiver: `POST <url>/message` with the application token in the
 * `X-Gotify-Key` header, a notification or a burst as one message
 * (`{title, message, priority, extras}`, gotify.net "Push messages" and
 * "Message Extras"), once per attempt; retries belong to the dispatcher. It
 * never throws.
 *
 * Plain text: `extras["client::display"].contentType` is `text/plain`, so the
 * web UI and the Android app render no Markdown; machine text is made inert
 * and readable by plain-text.ts. Gotify documents no size limit: Lookout cuts
 * the title to 250 and the message to 8,000 characters (a phone shows the
 * start; log output keeps its last lines). Priority from the state: critical
 * 8, warning 5, resolved 2 (the Android app: 8+ sounds and pops up, 4–7
 * sounds, 1–3 only shows). With `http.public_url`, tapping the notification
 * opens the alert in the dashboard (`client::notification.click.url`).
 *
 * The token is a secret: registered, never in a message or a log line.
 */

import { RECEIVER_LISTS } from "../../config/names.js";
import type { GotifyReceiverConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import type { Notification } from "../../model/notification.js";
import { maskUrl, registerSecret } from "../../secrets.js";
import { USER_AGENT } from "../../version.js";
import { AGENT_RETRY, ONE_SHOT_RETRY, type RetryWording } from "../http-answers.js";
import { headerValue } from "../http-values.js";
import type { DashboardLinks } from "../links.js";
import { buildFailure, type DeliveryResult, type ReceiverSettings, type SendOptions, SettingsNotifier } from "../notifier.js";
import { plainMessage, worstState } from "../plain-text.js";
import { postJson } from "../post-json.js";
import { entryMessages, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { checkHttpUrl, secretField } from "../secret-field.js";
import { deliver, type ServiceContext, serviceAnswerWording } from "../service-answers.js";
import { webhookTestNotification } from "../webhook/webhook.js";

export const GOTIFY_LIMITS = { title: 250, message: 8000 } as const;
export const GOTIFY_PRIORITY = { critical: 8, warning: 5, resolved: 2, info: 2 } as const;

export interface GotifyPayload {
  title: string;
  message: string;
  priority: number;
  extras: {
    "client::display": { contentType: "text/plain" };
    "client::notification"?: { click: { url: string } };
  };
}

/** The Gotify message of `ns` (one, or a burst as one). Pure. */
export function gotifyPayload(ns: readonly Notification[], links?: DashboardLinks, note?: string): GotifyPayload {
  const { title, message } = plainMessage(ns, GOTIFY_LIMITS, note);
  const out: GotifyPayload = { title, message, priority: GOTIFY_PRIORITY[worstState(ns)], extras: { "client::display": { contentType: "text/plain" } } };
  if (links) {
    const first = ns[0]!;
    const url = ns.length === 1 ? (first.kind === "summary" ? links.summary(first) : links.alert(first)) : links.around(ns);
    out.extras["client::notification"] = { click: { url } };
  }
  return out;
}

/** `<server>/message`, whatever the server's address ends with. */
export function gotifyMessageUrl(base: string): string {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, "");
  if (!path.endsWith("/message")) url.pathname = `${path}/message`;
  return url.toString();
}

export interface GotifyNotifierConfig extends ReceiverSettings {
  url: string;
  token: string;
}

export class GotifyNotifier extends SettingsNotifier {
  readonly kind = "gotify";
  readonly summaryByDefault = true;
  readonly target: string;
  readonly #url: string;
  readonly #token: string;
  readonly #key: string;

  constructor(cfg: GotifyNotifierConfig) {
    super(cfg);
    registerSecret(cfg.token, "****");
    registerSecret(cfg.url);
    this.#url = gotifyMessageUrl(cfg.url);
    this.#token = cfg.token;
    this.#key = cfg.configKey ?? `notify.${RECEIVER_LISTS.gotify}`;
    this.target = maskUrl(this.#url);
  }

  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.sendMany([n], opts);
  }

  async sendMany(ns: Notification[], opts: SendOptions = {}): Promise<DeliveryResult> {
    let payload: GotifyPayload;
    try {
      payload = gotifyPayload(ns, this.links, opts.note);
    } catch (err) {
      return buildFailure("Gotify message", this.name, ns, err);
    }
    return this.post(payload, ns.map((n) => n.id).join(","), AGENT_RETRY, opts);
  }

  async sendTest(hostname: string): Promise<DeliveryResult> {
    const n = webhookTestNotification(hostname, this.now(), this.name, this.words);
    n.alert.summary = this.words.t("receiver.test.summary.gotify", { receiver: this.name });
    const payload = gotifyPayload([n]);
    payload.priority = 4;
    const result = await this.post(payload, n.id, ONE_SHOT_RETRY);
    if (result.ok) result.message = `Gotify ${this.name} (${this.target}) took the test message; it shows in its application's messages and on its clients.`;
    return result;
  }

  private async post(payload: GotifyPayload, ids: string, retry: RetryWording, opts: SendOptions = {}): Promise<DeliveryResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const ctx: ServiceContext = {
      service: "Gotify",
      name: this.name,
      target: this.target,
      key: this.#key,
      what: "message",
      oneShot: retry === ONE_SHOT_RETRY,
      auth: processMessages().t("gotify.auth", { key: this.#key }),
    };
    const headers = { "user-agent": USER_AGENT, "x-gotify-key": this.#token, "x-lookout-notification-id": headerValue(ids) };
    const { result } = await deliver(
      () => postJson(this.#url, headers, JSON.stringify(payload), timeoutMs, opts.signal),
      ctx,
      serviceAnswerWording(ctx, ["errorDescription", "error"]),
      { timeoutMs, retry, now: this.now },
    );
    return result;
  }
}

// ---------------------------------------------------------------- from config

export const gotifyPlugin: ReceiverPlugin<GotifyReceiverConfig> = receiverPlugin("gotify", createGotifyNotifier);

function createGotifyNotifier(r: GotifyReceiverConfig, ctx: ReceiverContext): GotifyNotifier | undefined {
  const before = ctx.problems.length;
  registerSecret(r.url);
  const token = secretField(r, "token", "entry.what.appToken", ctx);
  checkHttpUrl(r.url, `${ctx.key}.url`, "https://gotify.example.com", ctx.problems, entryMessages(ctx));
  if (ctx.problems.length > before || token === undefined) return undefined;
  return new GotifyNotifier({
    ...receiverSettings(r, ctx),
    url: r.url,
    token,
  });
}
