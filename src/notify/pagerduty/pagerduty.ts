/**
 * The PagerDuty receiver: Events API v2 (`POST
 * https://events.pagerduty.com/v2/enqueue`), one event per alert: a firing,
 * escalated, reminder or flapping notification is a `trigger`, a resolved one
 * a `resolve`, both with the alert's identity as `dedup_key`, so PagerDuty
 * pairs them (one PagerDuty alert per Lookout alert; a trigger again while it
 * is open only updates it). Once per attempt; retries belong to the
 * dispatcher. It never throws.
 *
 * Not one message per burst: PagerDuty's alerts are per alert by nature (each
 * is acknowledged and resolved on its own, and its resolve must name it), so
 * this receiver has no `sendMany` and the dispatcher sends a burst's alerts
 * one by one, in order, each retried on its own. The service's own alert
 * grouping (Intelligent or time-based) makes a burst one incident, if wanted.
 *
 * The event (developer.pagerduty.com, "Send an Alert Event"): `payload.summary`
 * (the title, at most 1,024 characters), `source` (the host), `severity`
 * (critical, warning; info for a test), `timestamp`, `component` (the
 * container or mount), `group` (the compose project, else the host), `class`
 * (the alert's name), `custom_details` (labels, value, threshold, facts,
 * processes, log output cut to keep its last lines); with `http.public_url`,
 * `links` to the dashboard. The daily summary is not sent (it is not an
 * incident): it counts as delivered.
 *
 * Answers: 202 `{status: "success", dedup_key}`; 400 `{errors: […]}` gives up
 * with PagerDuty's words; 429 and 5xx are retried (429 with backoff:
 * PagerDuty sends no Retry-After). The routing key is a secret: registered,
 * never in a message or a log line.
 */

import { messagesOf, notificationTitle } from "../../alert/title.js";
import { RECEIVER_LISTS } from "../../config/names.js";
import type { PagerdutyReceiverConfig } from "../../config/schema.js";
import { oneLine, textBlock } from "../../escape.js";
import { sha256Hex } from "../../hash.js";
import { processMessages } from "../../i18n/current.js";
import type { Notification } from "../../model/notification.js";
import { maskUrl, registerSecret } from "../../secrets.js";
import { formatThreshold, formatValue, isoTime } from "../../units.js";
import { USER_AGENT } from "../../version.js";
import { keepEnd } from "../cut-text.js";
import { AGENT_RETRY, ONE_SHOT_RETRY, type RetryWording } from "../http-answers.js";
import { headerValue } from "../http-values.js";
import type { DashboardLinks } from "../links.js";
import { buildFailure, type DeliveryResult, type ReceiverSettings, type SendOptions, SettingsNotifier } from "../notifier.js";
import { cutEnd } from "../plain-text.js";
import { postJson } from "../post-json.js";
import { entryMessages, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { checkHttpUrl, secretField } from "../secret-field.js";
import { deliver, type ServiceContext, serviceAnswerWording } from "../service-answers.js";
import { webhookTestNotification } from "../webhook/webhook.js";

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
export const PAGERDUTY_LIMITS = { summary: 1024, dedupKey: 255, field: 255, section: 8000 } as const;

export interface PagerdutyEvent {
  routing_key: string;
  event_action: "trigger" | "resolve";
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: "critical" | "error" | "warning" | "info";
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  client?: string;
  client_url?: string;
  links?: Array<{ href: string; text: string }>;
}

/**
 * The dedup_key of an alert: its identity (`host_cpu{hostname="web-1"}`),
 * the same for its trigger and its resolve; one longer than PagerDuty's 255
 * characters becomes `lookout:` and its SHA-256.
 */
export function dedupKey(n: Notification): string {
  const id = n.alert.fingerprint;
  return id.length <= PAGERDUTY_LIMITS.dedupKey ? id : `lookout:${sha256Hex(id)}`;
}

/** The event of one notification (without the routing key). Pure. */
export function pagerdutyEvent(n: Notification, opts: { links?: DashboardLinks | undefined; note?: string | undefined } = {}): Omit<PagerdutyEvent, "routing_key"> {
  if (n.kind === "resolved") return { event_action: "resolve", dedup_key: dedupKey(n) };
  const a = n.alert;
  const labels = a.labels;
  // Its keys that scripts read (alert, state, labels, value…) are the same in every language; what people read is in the notification's.
  const m = messagesOf(n);
  // PagerDuty shows all of it to people, as text: machine text has its control and bidi characters shown escaped (`\n`, `\x1b`), one line each.
  const field = (v: string | undefined) => (v === undefined || v === "" ? undefined : cutEnd(oneLine(v), PAGERDUTY_LIMITS.field, undefined, "…"));
  const shownLabels = Object.fromEntries(Object.entries(labels).map(([k, v]) => [oneLine(k), oneLine(v)]));
  const details: Record<string, unknown> = { alert: oneLine(a.alertname), state: n.kind, labels: shownLabels };
  if (a.summary === undefined) {
    details.value = formatValue(a.value, a.unit);
    details.threshold = formatThreshold(a.threshold, a.unit);
    details.peak = formatValue(a.peak, a.unit);
  }
  details.active_since = isoTime(a.activeSince);
  for (const f of n.details.facts) if (f.label) details[oneLine(f.label)] = oneLine(f.value);
  const top = n.details.topProcesses;
  if (top && top.processes.length > 0) {
    details[top.by === "cpu" ? m.t("pagerduty.topProcesses.cpu") : m.t("pagerduty.topProcesses.memory")] = top.processes
      .slice(0, 5)
      .map((p) => m.t("receiver.process", { name: oneLine(p.name), pid: p.pid, cpu: p.cpuPercent.toFixed(1), memory: p.memoryPercent.toFixed(1) }));
  }
  for (const s of n.details.sections ?? []) details[oneLine(s.title) || m.t("pagerduty.details")] = keepEnd(s.text, PAGERDUTY_LIMITS.section, (t) => textBlock(t).length, m.locale);
  for (const k of Object.keys(details)) if (typeof details[k] === "string" && k !== "state") details[k] = textBlock(details[k] as string);
  if (opts.note) details[m.t("notify.undelivered")] = opts.note;
  const payload: NonNullable<PagerdutyEvent["payload"]> = {
    // PagerDuty shows the summary as text: no markup to escape.
    summary: cutEnd(oneLine(notificationTitle(n)), PAGERDUTY_LIMITS.summary),
    source: field(n.hostname) ?? m.t("pagerduty.unknownHost"),
    severity: a.severity,
    timestamp: isoTime(Number.isFinite(n.at) ? n.at : Date.now()),
    custom_details: details,
  };
  const component = field(labels.container ?? labels.mount ?? a.display);
  const group = field(labels["com.docker.compose.project"] ?? labels.compose_project ?? n.hostname);
  const cls = field(a.alertname);
  if (component) payload.component = component;
  if (group) payload.group = group;
  if (cls) payload.class = cls;
  const event: Omit<PagerdutyEvent, "routing_key"> = { event_action: "trigger", dedup_key: dedupKey(n), payload, client: "Lookout" };
  if (opts.links) {
    event.client_url = opts.links.base;
    event.links = [{ href: opts.links.alert(n), text: m.t("slack.button.open") }];
    event.links.push({ href: opts.links.silence(n), text: m.t("receiver.silenceIn") });
  }
  return event;
}

export interface PagerdutyNotifierConfig extends ReceiverSettings {
  routingKey: string;
  /** Default PAGERDUTY_EVENTS_URL. */
  url?: string;
}

export class PagerdutyNotifier extends SettingsNotifier {
  readonly kind = "pagerduty";
  /** Pages people: no daily summary unless notify.daily_summary.receiver names it (and then it is not sent). */
  readonly summaryByDefault = false;
  readonly target: string;
  readonly #url: string;
  readonly #routingKey: string;
  readonly #key: string;

  constructor(cfg: PagerdutyNotifierConfig) {
    super(cfg);
    registerSecret(cfg.routingKey, "****");
    this.#url = cfg.url ?? PAGERDUTY_EVENTS_URL;
    if (this.#url !== PAGERDUTY_EVENTS_URL) registerSecret(this.#url); // a proxy's address may hold a token
    this.#routingKey = cfg.routingKey;
    this.#key = cfg.configKey ?? `notify.${RECEIVER_LISTS.pagerduty}`;
    this.target = this.#url === PAGERDUTY_EVENTS_URL ? PAGERDUTY_EVENTS_URL : maskUrl(this.#url);
  }

  /** One event: a trigger, or the resolve of the alert the trigger opened. */
  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    if (n.kind === "summary") {
      return { ok: true, retryable: false, code: "not_sent", message: `PagerDuty ${this.name} gets no daily summary (it is not an incident); not sent.` };
    }
    let event: PagerdutyEvent;
    try {
      event = { routing_key: this.#routingKey, ...pagerdutyEvent(n, { links: this.links, note: opts.note }) };
    } catch (err) {
      return buildFailure("PagerDuty event", this.name, [n], err);
    }
    const result = await this.post(event, n.id, AGENT_RETRY, opts);
    if (result.ok) result.message = `PagerDuty ${this.name} took the ${event.event_action} of ${event.dedup_key.length > 80 ? "the alert" : event.dedup_key}.`;
    return result;
  }

  /**
   * A test alert (severity info) triggered, then resolved at once: PagerDuty
   * shows it in the service's alerts; whether anyone is notified in between
   * is the service's urgency rules'.
   */
  async sendTest(hostname: string): Promise<DeliveryResult> {
    const now = this.now();
    const n = webhookTestNotification(hostname, now, this.name, this.words);
    n.alert.summary = this.words.t("receiver.test.summary.pagerduty", { receiver: this.name });
    const base = pagerdutyEvent(n);
    const key = `lookout-test:${hostname}:${now}`;
    const trigger: PagerdutyEvent = { routing_key: this.#routingKey, ...base, dedup_key: key };
    trigger.payload!.severity = "info";
    const first = await this.post(trigger, n.id, ONE_SHOT_RETRY);
    if (!first.ok) return first;
    const second = await this.post({ routing_key: this.#routingKey, event_action: "resolve", dedup_key: key }, n.id, ONE_SHOT_RETRY);
    if (!second.ok) return { ...second, message: `PagerDuty ${this.name} took the test alert but not its resolve: ${second.message} Resolve the alert "${key}" in PagerDuty.` };
    return {
      ...second,
      message: `PagerDuty ${this.name} (${this.target}) took the test alert (severity info) and its resolve; it shows, resolved, in the service's alerts.`,
    };
  }

  private async post(event: PagerdutyEvent, ids: string, retry: RetryWording, opts: SendOptions = {}): Promise<DeliveryResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const ctx: ServiceContext = {
      service: "PagerDuty",
      name: this.name,
      target: this.target,
      key: this.#key,
      what: "event",
      oneShot: retry === ONE_SHOT_RETRY,
      auth: processMessages().t("pagerduty.auth", { key: this.#key }),
    };
    const wording = serviceAnswerWording(ctx, ["errors", "message"]);
    const headers = { "user-agent": USER_AGENT, "x-lookout-notification-id": headerValue(ids) };
    const { result } = await deliver(() => postJson(this.#url, headers, JSON.stringify(event), timeoutMs, opts.signal), ctx, wording, { timeoutMs, retry, now: this.now });
    if (!result.ok && result.status === 400 && /routing.?key|integration key/i.test(result.message)) {
      // A bad routing key is the configuration's, not this event's: every event fails the same way.
      delete result.messageRefused;
      result.message += ` Check ${this.#key}.routing_key.`;
    }
    return result;
  }
}

// ---------------------------------------------------------------- from config

export const pagerdutyPlugin: ReceiverPlugin<PagerdutyReceiverConfig> = receiverPlugin("pagerduty", createPagerdutyNotifier);

function createPagerdutyNotifier(r: PagerdutyReceiverConfig, ctx: ReceiverContext): PagerdutyNotifier | undefined {
  const m = entryMessages(ctx);
  const before = ctx.problems.length;
  const routingKey = secretField(r, "routing_key", "entry.what.integrationKey", ctx);
  if (r.url !== PAGERDUTY_EVENTS_URL) registerSecret(r.url);
  checkHttpUrl(r.url, `${ctx.key}.url`, PAGERDUTY_EVENTS_URL, ctx.problems, m);
  if (ctx.problems.length > before || routingKey === undefined) return undefined;
  if (!/^[A-Za-z0-9]{32}$/.test(routingKey)) {
    ctx.warnings.push(m.t("entry.pagerduty.keyForm", { key: `${ctx.key}.routing_key` }));
  }
  return new PagerdutyNotifier({
    ...receiverSettings(r, ctx),
    routingKey,
    url: r.url,
  });
}
