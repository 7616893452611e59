/**
 * The Pushover receiver: `POST https://api.pushover.net/1/messages.json` (an
 * HTML form: token, user, title, message, priority…; pushover.net/api), a
 * notification or a burst as one message, once per attempt; retries belong
 * to the dispatcher. It never throws.
 *
 * Plain text (`html=0`): machine text is made inert and readable by
 * plain-text.ts. Pushover's limits: title 250 characters, message 1,024,
 * supplementary URL 512 and its title 100; the text is cut to them (log
 * output keeps its last lines, a burst names the alerts that do not fit).
 * Priority from the state: critical 1 (high), warning 0, resolved -1
 * (quiet); critical is 2 (an emergency, repeated every 5 minutes for an hour
 * until acknowledged) only with `emergency: true`. With `http.public_url`
 * the message links to the alert in the dashboard.
 *
 * Pushover answers 200 `{"status":1}`, or 4xx with an `errors` array (said
 * in plain words); 429 when the application's monthly messages are used up
 * (until `X-Limit-App-Reset`, which is waited for, within
 * notify.max_retry_after); 5xx: again, at most every 5 seconds as Pushover asks.
 *
 * The application token and the user key are secrets: registered, never in a
 * message or a log line.
 */
import { messagesOf } from "../../alert/title.js";
import { RECEIVER_LISTS } from "../../config/names.js";
import type { PushoverReceiverConfig } from "../../config/schema.js";
import { processMessages } from "../../i18n/current.js";
import type { Notification } from "../../model/notification.js";
import { maskUrl, registerSecret } from "../../secrets.js";
import { USER_AGENT } from "../../version.js";
import { AGENT_RETRY, type AnswerFacts, ONE_SHOT_RETRY, type RetryWording } from "../http-answers.js";
import { headerValue } from "../http-values.js";
import type { DashboardLinks } from "../links.js";
import { buildFailure, type DeliveryResult, type ReceiverSettings, type SendOptions, SettingsNotifier } from "../notifier.js";
import { codePoints, cutEnd, plainMessage, utcText, worstState } from "../plain-text.js";
import { postForm } from "../post-json.js";
import { entryMessages, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { checkHttpUrl, secretField } from "../secret-field.js";
import { deliver, type ServiceContext, saidIn, serviceAnswerWording } from "../service-answers.js";
import { webhookTestNotification } from "../webhook/webhook.js";

export const PUSHOVER_API_URL = "https://api.pushover.net/1/messages.json";
export const PUSHOVER_LIMITS = { title: 250, message: 1024, url: 512, urlTitle: 100 } as const;
export const PUSHOVER_PRIORITY = { critical: 1, warning: 0, resolved: -1, info: -1 } as const;
/** An emergency is repeated this often (seconds; Pushover's minimum is 30) until acknowledged, for this long. */
export const EMERGENCY = { retry: 300, expire: 3600 } as const;
/** Pushover asks for no more than one retry every 5 seconds after a 5xx. */
const SERVER_ERROR_WAIT_MS = 5000;

/** The form fields of `ns` (one, or a burst as one), secrets apart. Pure. */
export function pushoverFields(
  ns: readonly Notification[],
  opts: { links?: DashboardLinks | undefined; note?: string | undefined; emergency?: boolean; device?: string | undefined },
): Record<string, string> {
  const { title, message } = plainMessage(ns, { title: PUSHOVER_LIMITS.title, message: PUSHOVER_LIMITS.message, measure: codePoints }, opts.note);
  const state = worstState(ns);
  const priority = state === "critical" && opts.emergency ? 2 : PUSHOVER_PRIORITY[state];
  const out: Record<string, string> = { title, message, priority: String(priority), html: "0" };
  if (priority === 2) {
    out.retry = String(EMERGENCY.retry);
    out.expire = String(EMERGENCY.expire);
  }
  const first = ns[0];
  if (first && ns.length === 1 && Number.isFinite(first.at)) out.timestamp = String(Math.floor(first.at / 1000));
  if (opts.links && first) {
    const url = ns.length === 1 ? (first.kind === "summary" ? opts.links.summary(first) : opts.links.alert(first)) : opts.links.around(ns);
    if (url.length <= PUSHOVER_LIMITS.url) {
      out.url = url;
      out.url_title = cutEnd(messagesOf(first).t("slack.button.open"), PUSHOVER_LIMITS.urlTitle);
    }
  }
  if (opts.device) out.device = opts.device;
  return out;
}

export interface PushoverNotifierConfig extends ReceiverSettings {
  token: string;
  userKey: string;
  device?: string | undefined;
  emergency?: boolean;
  /** Default PUSHOVER_API_URL (tests give a stand-in's). */
  apiUrl?: string;
}

/** The parameters Pushover names in its errors (`{"user":"invalid","errors":[…]}`): what to check in the config. */
const PARAMETER_KEYS: Record<string, string> = { token: "token", user: "user_key", device: "device" };

export class PushoverNotifier extends SettingsNotifier {
  readonly kind = "pushover";
  readonly summaryByDefault = true;
  readonly target: string;
  readonly #url: string;
  readonly #token: string;
  readonly #userKey: string;
  readonly #device: string | undefined;
  readonly #emergency: boolean;
  readonly #key: string;

  constructor(cfg: PushoverNotifierConfig) {
    super(cfg);
    registerSecret(cfg.token, "****");
    registerSecret(cfg.userKey, "****");
    this.#url = cfg.apiUrl ?? PUSHOVER_API_URL;
    this.#token = cfg.token;
    this.#userKey = cfg.userKey;
    this.#device = cfg.device;
    this.#emergency = cfg.emergency ?? false;
    this.#key = cfg.configKey ?? `notify.${RECEIVER_LISTS.pushover}`;
    this.target = maskUrl(this.#url).replace(/\/\*\*\*\*$/, "");
  }

  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.sendMany([n], opts);
  }

  async sendMany(ns: Notification[], opts: SendOptions = {}): Promise<DeliveryResult> {
    let fields: Record<string, string>;
    try {
      fields = pushoverFields(ns, { links: this.links, note: opts.note, emergency: this.#emergency, device: this.#device });
    } catch (err) {
      return buildFailure("Pushover message", this.name, ns, err);
    }
    return this.post(fields, ns.map((n) => n.id).join(","), AGENT_RETRY, opts);
  }

  async sendTest(hostname: string): Promise<DeliveryResult> {
    const n = webhookTestNotification(hostname, this.now(), this.name, this.words);
    n.alert.summary = this.words.t("receiver.test.summary.pushover", { receiver: this.name });
    const fields = pushoverFields([n], { device: this.#device });
    fields.priority = "0";
    const result = await this.post(fields, n.id, ONE_SHOT_RETRY);
    if (result.ok) result.message = `Pushover ${this.name} (${this.target}) took the test message for the user key's devices${this.#device ? ` (${this.#device})` : ""}.`;
    return result;
  }

  private async post(fields: Record<string, string>, ids: string, retry: RetryWording, opts: SendOptions = {}): Promise<DeliveryResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const key = this.#key;
    const ctx: ServiceContext = {
      service: "Pushover",
      name: this.name,
      target: this.target,
      key,
      what: "message",
      oneShot: retry === ONE_SHOT_RETRY,
      auth: processMessages().t("pushover.auth", { key }),
    };
    const wording = serviceAnswerWording(ctx, ["errors"], {
      // A bad token, user key or device is the configuration, not this message: not worth splitting a burst for.
      refusesMessage: (status, own) => (status === 400 || status === 413 || status === 422) && own === undefined,
      readCode: (body) => {
        try {
          const parsed = JSON.parse(body) as Record<string, unknown>;
          return Object.keys(PARAMETER_KEYS).find((p) => parsed[p] === "invalid");
        } catch {
          return undefined;
        }
      },
      byCode: (code: string, f: AnswerFacts) => {
        if (f.status === 429 || f.status >= 500) return undefined;
        const said = saidIn(f.quoted, ["errors"]);
        const m = processMessages();
        const words = said !== undefined ? m.t("service.said", { service: "Pushover", words: said }) : f.quoted;
        return m.t("pushover.refused", { name: this.name, status: f.status, said: words, key: `${key}.${PARAMETER_KEYS[code]}` });
      },
    });
    const form = { token: this.#token, user: this.#userKey, ...fields };
    const headers = { "user-agent": USER_AGENT, "x-lookout-notification-id": headerValue(ids) };
    const { result, answer } = await deliver(() => postForm(this.#url, headers, form, timeoutMs, opts.signal), ctx, wording, { timeoutMs, retry, now: this.now });
    if (answer?.status === 429) {
      // The application's monthly messages are used up: Pushover says when they are back.
      const reset = Number(headerText(answer.headers?.["x-limit-app-reset"]));
      if (Number.isFinite(reset) && reset > 0) {
        const waitMs = Math.max(0, reset * 1000 - this.now());
        result.retryAfterMs ??= waitMs;
        result.message = processMessages().t("pushover.monthUsedUp", { name: this.name, at: utcText(reset * 1000), retry: retry(waitMs) });
      }
    } else if (answer && answer.status >= 500 && result.retryAfterMs === undefined) {
      result.retryAfterMs = SERVER_ERROR_WAIT_MS;
    }
    return result;
  }
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

// ---------------------------------------------------------------- from config

export const pushoverPlugin: ReceiverPlugin<PushoverReceiverConfig> = receiverPlugin("pushover", createPushoverNotifier);

function createPushoverNotifier(r: PushoverReceiverConfig, ctx: ReceiverContext): PushoverNotifier | undefined {
  const m = entryMessages(ctx);
  const before = ctx.problems.length;
  const token = secretField(r, "token", "entry.what.pushoverToken", ctx);
  const userKey = secretField(r, "user_key", "entry.what.userKey", ctx);
  checkHttpUrl(r.api_url, `${ctx.key}.api_url`, PUSHOVER_API_URL, ctx.problems, m);
  if (ctx.problems.length > before || token === undefined || userKey === undefined) return undefined;
  for (const [what, value] of [
    ["token", token],
    ["user_key", userKey],
  ] as const) {
    if (!/^[A-Za-z0-9]{30}$/.test(value)) ctx.warnings.push(m.t("entry.pushover.keyForm", { key: `${ctx.key}.${what}` }));
  }
  return new PushoverNotifier({
    ...receiverSettings(r, ctx),
    token,
    userKey,
    device: r.device,
    emergency: r.emergency,
    apiUrl: r.api_url,
  });
}
