/**
 * What the chat receivers (Discord, Telegram, Microsoft Teams) share: one
 * POST per attempt of a message rendered from a `ChatCard`, its answer worded
 * by the receiver (http-answers.ts rules: 2xx delivered; 408, 429, 5xx and
 * network trouble retried with the service's own retry-after; what refuses a
 * message for what it holds splits a group), never a throw, never a secret in
 * a message or a log line. Also: reading a secret from its value or its
 * `*_file` key, cutting escaped text to a limit, and fitting a whole message
 * to a service's total size limit by squeezing its longest parts.
 */

import { resolve } from "node:path";
import { readSecretFile } from "../config/files.js";
import { processMessages } from "../i18n/current.js";
import { DEFAULT_LOCALE, type MessageKey, type Messages, messages } from "../i18n/messages.js";
import { log } from "../log.js";
import type { Notification } from "../model/notification.js";
import { redact, registerSecret } from "../secrets.js";
import { USER_AGENT } from "../version.js";
import { type CardItem, type CardSection, type ChatCard, groupCard, testCard } from "./chat-card.js";
import { safeEnd } from "./cut-text.js";
import { AGENT_RETRY, type AnswerWording, type NetworkWording, ONE_SHOT_RETRY, type RetryWording, resultFromAnswer, resultFromNoAnswer } from "./http-answers.js";
import { headerValue } from "./http-values.js";
import { buildFailure, type DeliveryResult, type ReceiverSettings, type SendOptions, SettingsNotifier, testBuildFailure, unexpectedFailure } from "./notifier.js";
import { type JsonAnswer, postJson } from "./post-json.js";
import { entryMessages, type ReceiverContext } from "./receiver-plugin.js";

// ---------------------------------------------------------------- text

const ELLIPSIS = "…";

/**
 * `raw` escaped by `escape`, at most `max` long as `measure` counts it
 * (default: the escaped length): when too long, the raw text is cut (never
 * inside an escape) and "…" marks the cut.
 */
export function cutEscaped(raw: string, max: number, escapeFn: (t: string) => string, measure: (escaped: string) => number = (t) => t.length): string {
  const whole = escapeFn(raw);
  if (measure(whole) <= max) return whole;
  if (max < 1) return "";
  let lo = 0;
  let hi = raw.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(escapeFn(raw.slice(0, safeEnd(raw, mid))) + ELLIPSIS) <= max) lo = mid;
    else hi = mid - 1;
  }
  return escapeFn(raw.slice(0, safeEnd(raw, lo))) + ELLIPSIS;
}

/** How hard a message is squeezed to fit its service's total limit: each level shows less. */
export interface Squeeze {
  /** Longest preformatted section (log lines keep their end). */
  codeChars: number;
  /** Longest text section. */
  textChars: number;
  /** Most alerts of a group shown; the rest are named in one line. */
  items: number;
  /** Most fields shown. */
  fields: number;
}

const SQUEEZES: readonly Squeeze[] = [
  { codeChars: Number.POSITIVE_INFINITY, textChars: Number.POSITIVE_INFINITY, items: 50, fields: 25 },
  { codeChars: 1500, textChars: 1500, items: 30, fields: 25 },
  { codeChars: 800, textChars: 800, items: 20, fields: 15 },
  { codeChars: 400, textChars: 400, items: 10, fields: 10 },
  { codeChars: 150, textChars: 200, items: 5, fields: 6 },
  { codeChars: 0, textChars: 100, items: 2, fields: 4 },
];

/**
 * The first rendering of `render` (least squeezed first) whose `size` is
 * within `limit`; else the most squeezed one, which the renderer keeps within
 * the limit by itself (a short title and nothing more).
 */
export function fitMessage<P>(render: (s: Squeeze, last: boolean) => P, size: (p: P) => number, limit: number): P {
  for (const s of SQUEEZES) {
    const p = render(s, false);
    if (size(p) <= limit) return p;
  }
  return render(SQUEEZES[SQUEEZES.length - 1]!, true);
}

/**
 * The sections a squeeze shows, each with the most characters its text may
 * take (`cap`: the service's own): the first 3 only at the last squeeze, code
 * sections only while the squeeze shows code.
 */
export function squeezedSections(card: ChatCard, s: Squeeze, last: boolean, cap: number): Array<{ section: CardSection; max: number }> {
  const sections = last ? card.sections.slice(0, 3) : card.sections;
  return sections.filter((sec) => !sec.code || s.codeChars > 0).map((section) => ({ section, max: Math.min(section.code ? s.codeChars : s.textChars, cap) }));
}

/** The items of a group a squeeze shows, and the rest (named in one line): all of them when only one would be left out. */
export function squeezedItems(card: ChatCard, s: Squeeze): { shown: CardItem[]; rest: CardItem[] } {
  const shown = card.items.length <= s.items + 1 ? card.items : card.items.slice(0, s.items);
  return { shown, rest: card.items.slice(shown.length) };
}

/** Colours of a card's tone, `#rrggbb` as Slack's. */
export const TONE_COLORS = { critical: 0xd50200, warning: 0xf2a900, resolved: 0x2eb67d, test: 0x1d9bd1 } as const;

export const TONE_MARKS = { critical: "🔴", warning: "🟠", resolved: "✅", test: "🔵" } as const;

// ---------------------------------------------------------------- config

/**
 * A secret from its value (`${ENV}` already expanded) or from its file
 * (`*_file`, relative to the config's folder), registered at once; undefined
 * with the problem said in `ctx.problems`. The schema makes sure exactly one
 * of the two is set.
 */
export function readSecretSetting(
  value: string | undefined,
  file: string | undefined,
  keys: { value: string; file: string; what: MessageKey },
  ctx: ReceiverContext,
): string | undefined {
  const m = entryMessages(ctx);
  if (file !== undefined) {
    const read = readSecretFile(resolve(ctx.baseDir, file), `${ctx.key}.${keys.file}`, keys.what, m);
    if (typeof read !== "string") {
      ctx.problems.push(read.problem);
      return undefined;
    }
    if (read === "") {
      ctx.problems.push(m.t("entry.theFileEmpty", { key: `${ctx.key}.${keys.file}`, what: m.t(keys.what) }));
      return undefined;
    }
    return read;
  }
  if (value === undefined || value.trim() === "") {
    ctx.problems.push(m.t("entry.valueEmpty", { key: `${ctx.key}.${keys.value}`, what: m.t(keys.what), file: keys.file }));
    return undefined;
  }
  return value.trim();
}

/** A problem with an http(s) URL from `key` (said without its value: it is a secret), or undefined. */
export function httpUrlProblem(url: string, key: string, example: string, fromFile: boolean, m: Messages = messages(DEFAULT_LOCALE)): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return m.t(fromFile ? "entry.url.fileNotUrl" : "entry.url.notUrl.short", { key, example });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return m.t("entry.url.notHttps", { key, example });
  return undefined;
}

/**
 * The webhook URL of a chat entry, from `webhook_url` or `webhook_url_file`,
 * registered as a secret and checked to be an http(s) URL (`example` shows
 * one); with the key it came from, for messages. Undefined with the problem
 * said in `ctx.problems`.
 */
export function readWebhookUrl(
  entry: { webhook_url?: string | undefined; webhook_url_file?: string | undefined },
  what: MessageKey,
  example: string,
  ctx: ReceiverContext,
): { url: string; key: string } | undefined {
  const fromFile = entry.webhook_url_file !== undefined;
  const url = readSecretSetting(entry.webhook_url, entry.webhook_url_file, { value: "webhook_url", file: "webhook_url_file", what }, ctx);
  if (url === undefined) return undefined;
  registerSecret(url);
  const key = `${ctx.key}.${fromFile ? "webhook_url_file" : "webhook_url"}`;
  const problem = httpUrlProblem(url, key, example, fromFile, entryMessages(ctx));
  if (problem) {
    ctx.problems.push(problem);
    return undefined;
  }
  return { url, key };
}

// ---------------------------------------------------------------- the receiver

export type ChatNotifierConfig = ReceiverSettings;

/** One chat receiver: its kind says what it posts, where, and how its service's answers read. */
export abstract class ChatNotifier extends SettingsNotifier {
  /** A chat that people read: it gets the daily summary unless notify.daily_summary.receiver names another. */
  readonly summaryByDefault = true;

  /** The service's name in messages: "Discord". */
  protected abstract readonly service: string;
  /** What the test message says works: "this webhook" (a catalogue text: the test message is in the config's language). */
  protected abstract readonly testWhere: MessageKey;
  /** Where it posts: a secret. */
  protected abstract postUrl(): string;
  /** The body of a card, within the service's limits. Pure; throws only on a Lookout bug. */
  abstract render(card: ChatCard): unknown;
  /** How the service's answers read; `oneShot` for lookout test-notify. */
  protected abstract answerWording(oneShot: boolean): AnswerWording;
  protected abstract noAnswerWording(oneShot: boolean): NetworkWording;
  /** The wait the service asked for, as Retry-After text (seconds or a date): default the header. */
  protected retryAfterOf(answer: JsonAnswer): string | null {
    return answer.retryAfter;
  }

  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.sendMany([n], opts);
  }

  async sendMany(ns: Notification[], opts: SendOptions = {}): Promise<DeliveryResult> {
    let body: unknown;
    try {
      body = this.render(groupCard(ns, { note: opts.note, links: this.links }));
    } catch (err) {
      return buildFailure(`${this.service} message`, this.name, ns, err);
    }
    return this.post(body, ns.map((n) => n.id).join(","), AGENT_RETRY, opts);
  }

  async sendTest(hostname: string): Promise<DeliveryResult> {
    let body: unknown;
    try {
      body = this.render(testCard(hostname, Date.now(), this.testWhere, this.links, this.words));
    } catch (err) {
      return testBuildFailure("message", err);
    }
    // One attempt, for a user at a terminal: a temporary failure is theirs to try again.
    return this.post(body, "test", ONE_SHOT_RETRY);
  }

  private async post(body: unknown, ids: string, retry: RetryWording, opts: SendOptions = {}): Promise<DeliveryResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const oneShot = retry === ONE_SHOT_RETRY;
    try {
      const json = JSON.stringify(body);
      let answer: JsonAnswer;
      try {
        answer = await postJson(this.postUrl(), { "user-agent": USER_AGENT, "x-lookout-notification-id": headerValue(ids) }, json, timeoutMs, opts.signal);
      } catch (err) {
        const result = resultFromNoAnswer(err, this.noAnswerWording(oneShot), { timeoutMs, retry });
        log.debug(processMessages().t("log.noAnswer", { kind: this.kind }), { receiver: this.name, code: result.code });
        return result;
      }
      const result = resultFromAnswer({ ...answer, retryAfter: this.retryAfterOf(answer) }, this.answerWording(oneShot), Date.now(), retry);
      if (result.messageRefused) {
        // This message, not every message (the dispatcher sends a group's members alone).
        log.error(processMessages().t("log.chatRefused", { kind: this.kind, service: this.service }), {
          receiver: this.name,
          status: answer.status,
          code: result.code,
          payload: redact(json),
        });
      }
      return result;
    } catch (err) {
      return unexpectedFailure(`${this.service} ${this.name} (${this.target})`, err, retry());
    }
  }
}

/** The JSON of an answer's body, when it is JSON; else undefined. */
export function jsonBody(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a service said in a quoted JSON body (`"Unknown Webhook"`), picked by
 * `pick` from the body, one line of at most 200 characters, quoted; else the
 * quote as it is.
 */
export function saidInQuote(quoted: string, pick: (body: Record<string, unknown>) => unknown): string {
  if (!(quoted.startsWith('"') && quoted.endsWith('"'))) return quoted;
  const body = jsonBody(quoted.slice(1, -1));
  const said = body === undefined ? undefined : pick(body);
  return typeof said === "string" && said.trim() !== "" ? JSON.stringify(said.replace(/[\p{Cc}\u2028\u2029]+/gu, " ").slice(0, 200)) : quoted;
}
