/**
 * The ntfy receiver: publishes a notification, or a burst as one message, to
 * an ntfy server (default https://ntfy.sh) as JSON at the server's root
 * (`{topic, title, message, priority, tags, click, actions, markdown: false}`,
 * docs.ntfy.sh "Publish as JSON"), once per attempt; retries belong to the
 * dispatcher. It never throws.
 *
 * Plain text (Markdown off): machine text is made inert by where it goes
 * (plain-text.ts). The message is cut to ntfy's 4,096-byte limit (a longer
 * one would become an attachment on ntfy.sh), the title to 250 characters.
 * Priority from the state: critical 5, warning 4, resolved 3, the daily summary 2. With
 * `http.public_url`, `click` opens the alert in the dashboard and a firing
 * alert has a "Silence 1 h" button.
 *
 * Secrets: the access token or password, and, on a server without them (the
 * public ntfy.sh), the topic itself, which is all it takes to read the
 * messages: registered, shown masked, never in a message or a log line.
 */
import { messagesOf } from "../../alert/title.js";
import { RECEIVER_LISTS } from "../../config/names.js";
import type { NtfyReceiverConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import type { Notification } from "../../model/notification.js";
import { maskUrl, registerSecret } from "../../secrets.js";
import { USER_AGENT } from "../../version.js";
import { registerHeaderSecret } from "../headers.js";
import { AGENT_RETRY, ONE_SHOT_RETRY, type RetryWording } from "../http-answers.js";
import { headerValue } from "../http-values.js";
import type { DashboardLinks } from "../links.js";
import { buildFailure, type DeliveryResult, type ReceiverSettings, type SendOptions, SettingsNotifier } from "../notifier.js";
import { plainMessage, utf8Bytes, worstState } from "../plain-text.js";
import { postJson } from "../post-json.js";
import { entryMessages, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { checkHttpUrl, secretField } from "../secret-field.js";
import { deliver, type ServiceContext, serviceAnswerWording } from "../service-answers.js";
import { webhookTestNotification } from "../webhook/webhook.js";

/** ntfy.sh's message limit (bytes); a longer message becomes an attachment there. */
export const NTFY_LIMITS = { title: 250, message: 4096, url: 2048 } as const;
export const NTFY_PRIORITY = { critical: 5, warning: 4, resolved: 3, info: 2 } as const;
export const NTFY_TAGS = { critical: ["rotating_light"], warning: ["warning"], resolved: ["white_check_mark"], info: ["clipboard"] } as const;

export interface NtfyAction {
  action: "view";
  label: string;
  url: string;
  clear?: boolean;
}

export interface NtfyPayload {
  topic: string;
  title: string;
  message: string;
  priority: number;
  tags: string[];
  markdown: false;
  click?: string;
  actions?: NtfyAction[];
}

export interface NtfyNotifierConfig extends ReceiverSettings {
  /** The server (`https://ntfy.sh`); the JSON goes to its root. */
  url: string;
  topic: string;
  /** The Authorization header's value (`Bearer tk_…`, `Basic …`), when the server asks for one. */
  authorization?: string | undefined;
}

/** The ntfy message of `ns` (one, or a burst as one). Pure. */
export function ntfyPayload(ns: readonly Notification[], topic: string, links?: DashboardLinks, note?: string): NtfyPayload {
  const { title, message } = plainMessage(ns, { title: NTFY_LIMITS.title, message: NTFY_LIMITS.message, measure: utf8Bytes }, note);
  const state = worstState(ns);
  const out: NtfyPayload = { topic, title, message, priority: NTFY_PRIORITY[state], tags: [...NTFY_TAGS[state]], markdown: false };
  if (links) {
    const first = ns[0]!;
    const click = ns.length === 1 ? (first.kind === "summary" ? links.summary(first) : links.alert(first)) : links.around(ns);
    if (click.length <= NTFY_LIMITS.url) out.click = click;
    if (ns.length === 1 && first.kind !== "resolved" && first.kind !== "summary") {
      const silence = links.silence(first);
      if (silence.length <= NTFY_LIMITS.url) out.actions = [{ action: "view", label: messagesOf(first).t("slack.button.silence"), url: silence, clear: true }];
    }
  }
  return out;
}

export class NtfyNotifier extends SettingsNotifier {
  readonly kind = "ntfy";
  /** Read by people: it gets the daily summary unless notify.daily_summary.receiver names another. */
  readonly summaryByDefault = true;
  readonly target: string;
  readonly #url: string;
  readonly #topic: string;
  readonly #authorization: string | undefined;
  readonly #key: string;

  constructor(cfg: NtfyNotifierConfig) {
    super(cfg);
    if (cfg.authorization) registerHeaderSecret(cfg.authorization);
    else registerSecret(cfg.topic); // on an open server, whoever knows the topic reads the messages
    registerSecret(cfg.url); // a user and password in it, if any
    const url = new URL(cfg.url);
    if (!url.pathname.endsWith("/")) url.pathname = `${url.pathname}/`;
    this.#url = url.toString();
    this.#topic = cfg.topic;
    this.#authorization = cfg.authorization;
    this.#key = cfg.configKey ?? `notify.${RECEIVER_LISTS.ntfy}`;
    this.target = `${maskUrl(this.#url).replace(/\/\*\*\*\*$/, "")}/****`;
  }

  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.sendMany([n], opts);
  }

  async sendMany(ns: Notification[], opts: SendOptions = {}): Promise<DeliveryResult> {
    let payload: NtfyPayload;
    try {
      payload = ntfyPayload(ns, this.#topic, this.links, opts.note);
    } catch (err) {
      return buildFailure("ntfy message", this.name, ns, err);
    }
    return this.post(payload, ns.map((n) => n.id).join(","), AGENT_RETRY, opts);
  }

  async sendTest(hostname: string): Promise<DeliveryResult> {
    const n = webhookTestNotification(hostname, this.now(), this.name, this.words);
    n.alert.summary = this.words.t("receiver.test.summary.ntfy", { receiver: this.name });
    const payload = ntfyPayload([n], this.#topic);
    payload.priority = 3;
    payload.tags = ["white_check_mark"];
    const result = await this.post(payload, n.id, ONE_SHOT_RETRY);
    if (result.ok) result.message = `ntfy ${this.name} (${this.target}) published the test message; it shows on every device subscribed to the topic.`;
    return result;
  }

  private context(oneShot: boolean): ServiceContext {
    return {
      service: "ntfy",
      name: this.name,
      target: this.target,
      key: this.#key,
      what: "message",
      oneShot,
      auth: processMessages().t(this.#authorization ? "ntfy.auth.refused" : "ntfy.auth.needed", { key: this.#key }),
    };
  }

  private async post(payload: NtfyPayload, ids: string, retry: RetryWording, opts: SendOptions = {}): Promise<DeliveryResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const ctx = this.context(retry === ONE_SHOT_RETRY);
    const headers: Record<string, string> = { "user-agent": USER_AGENT, "x-lookout-notification-id": headerValue(ids) };
    if (this.#authorization) headers.authorization = this.#authorization;
    const { result } = await deliver(() => postJson(this.#url, headers, JSON.stringify(payload), timeoutMs, opts.signal), ctx, serviceAnswerWording(ctx, ["error"]), {
      timeoutMs,
      retry,
      now: this.now,
    });
    return result;
  }
}

// ---------------------------------------------------------------- from config

export const ntfyPlugin: ReceiverPlugin<NtfyReceiverConfig> = receiverPlugin("ntfy", createNtfyNotifier);

function createNtfyNotifier(r: NtfyReceiverConfig, ctx: ReceiverContext): NtfyNotifier | undefined {
  const m = entryMessages(ctx);
  const before = ctx.problems.length;
  const token = secretField(r, "token", "entry.what.accessToken", ctx);
  const password = secretField(r, "password", "entry.what.password", ctx);
  checkHttpUrl(r.url, `${ctx.key}.url`, "https://ntfy.sh", ctx.problems, m);
  if (r.username !== undefined && /[:\p{Cc}]/u.test(r.username)) ctx.problems.push(m.t("entry.ntfy.username", { key: `${ctx.key}.username` }));
  if (ctx.problems.length > before) return undefined;
  const authorization = token ? `Bearer ${token}` : password !== undefined ? `Basic ${Buffer.from(`${r.username}:${password}`, "utf8").toString("base64")}` : undefined;
  if (!authorization && r.topic.length < 12) {
    ctx.warnings.push(m.t("entry.ntfy.openTopic", { key: `${ctx.key}.topic` }));
  }
  return new NtfyNotifier({
    ...receiverSettings(r, ctx),
    url: r.url,
    topic: r.topic,
    authorization,
  });
}
