/**
 * The Slack receiver: POSTs a notification to an incoming webhook, once.
 * Retries and backoff belong to the dispatcher; this makes one attempt and
 * says, in a DeliveryResult, how it went. It never throws, and the webhook
 * URL (a secret: whoever has it can post) is never in a message or a log line.
 */

import { resolve } from "node:path";
import { readSecretFile } from "../../config/files.js";
import type { SlackReceiverConfig } from "../../config/schema.js";
import { processLocale, processMessages } from "../../i18n/current.js";
import type { Messages } from "../../i18n/messages.js";
import { log } from "../../log.js";
import type { Notification } from "../../model/notification.js";
import { maskUrl, registerSecret } from "../../secrets.js";
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
} from "../notifier.js";
import { type JsonAnswer, postJson } from "../post-json.js";
import { entryMessages, type ReceiverContext, type ReceiverPlugin, receiverPlugin, receiverSettings } from "../receiver-plugin.js";
import { resultFromError, resultFromResponse } from "./answers.js";
import { buildSlackGroupMessage, buildSlackTestMessage, type SlackPayload } from "./message.js";

export interface SlackNotifierConfig extends ReceiverSettings {
  /** The incoming webhook URL. */
  url: string;
}

export const SLACK_TIMEOUT_MS = DEFAULT_TIMEOUT_MS;

export class SlackNotifier extends SettingsNotifier {
  readonly kind = "slack";
  /** A chat that people read: it gets the daily summary unless notify.daily_summary.receiver names another. */
  readonly summaryByDefault = true;
  readonly target: string;
  readonly #url: string;

  constructor(cfg: SlackNotifierConfig) {
    super(cfg);
    registerSecret(cfg.url);
    this.#url = cfg.url;
    this.target = maskUrl(cfg.url);
  }

  async send(n: Notification, opts: SendOptions = {}): Promise<DeliveryResult> {
    return this.sendMany([n], opts);
  }

  async sendMany(ns: Notification[], opts: SendOptions = {}): Promise<DeliveryResult> {
    let payload: SlackPayload;
    try {
      payload = buildSlackGroupMessage(ns, { ...(opts.note ? { note: opts.note } : {}), ...(this.links ? { links: this.links } : {}) });
    } catch (err) {
      return buildFailure("Slack message", this.name, ns, err);
    }
    return this.post(payload, { "x-lookout-notification-id": headerValue(ns.map((n) => n.id).join(",")) }, AGENT_RETRY, opts);
  }

  async sendTest(hostname: string): Promise<DeliveryResult> {
    let payload: SlackPayload;
    try {
      payload = buildSlackTestMessage(hostname, Date.now(), this.links, this.words);
    } catch (err) {
      return testBuildFailure("message", err);
    }
    // One attempt, for a user at a terminal: a temporary failure is theirs to try again.
    return this.post(payload, {}, ONE_SHOT_RETRY);
  }

  /** One POST of `payload`; every outcome is a DeliveryResult, worded with `retry` when trying again may help. */
  private async post(payload: SlackPayload, headers: Record<string, string>, retry: RetryWording, opts: SendOptions = {}): Promise<DeliveryResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    try {
      if (!isHttpUrl(this.#url)) {
        return {
          ok: false,
          retryable: false,
          code: "invalid_url",
          message: `The Slack webhook URL of ${this.name} (${this.target}) is not an http(s) URL. Check notify.slack webhook_url.`,
        };
      }
      const json = JSON.stringify(payload);
      let answer: JsonAnswer;
      try {
        answer = await postJson(this.#url, headers, json, timeoutMs, opts.signal);
      } catch (err) {
        const result = resultFromError(err, this.target, { timeoutMs, retry });
        log.debug(processMessages().t("log.noAnswer", { kind: "slack" }), { receiver: this.name, code: result.code });
        return result;
      }
      const result = resultFromResponse(answer, this.target, Date.now(), retry);
      if (result.messageRefused) {
        // This message, not every message (the dispatcher sends a group's members alone): a message Lookout built wrong.
        log.error(processMessages().t("log.slackRefused"), {
          receiver: this.name,
          status: answer.status,
          code: result.code,
          payload: json,
        });
      }
      return result;
    } catch (err) {
      // Not expected (request errors are handled above); still never throw.
      return unexpectedFailure(`Slack (${this.target})`, err, retry());
    }
  }
}

// ---------------------------------------------------------------- from config

/**
 * Slack's plugin: `notify.slack` entries (or LOOKOUT_SLACK_WEBHOOK_URL alone),
 * each URL from `webhook_url` or read from `webhook_url_file`; any URL for
 * `lookout test-notify --url`.
 */
export const slackPlugin: ReceiverPlugin<SlackReceiverConfig> = receiverPlugin("slack", createSlackNotifier, {
  // No config to take a language from: the one this process speaks (LOOKOUT_LOCALE, or the loaded config's).
  fromUrl: (url) => new SlackNotifier({ name: "--url", url, minSeverity: "info", locale: processLocale() }),
});

function createSlackNotifier(entry: SlackReceiverConfig, ctx: ReceiverContext): SlackNotifier | undefined {
  const m = entryMessages(ctx);
  const fromFile = entry.webhook_url_file !== undefined;
  let url = entry.webhook_url;
  if (entry.webhook_url_file !== undefined) {
    // The one safe read of a secret file (regular, small, never echoed; registered as a secret at once).
    const read = readSecretFile(resolve(ctx.baseDir, entry.webhook_url_file), `${ctx.key}.webhook_url_file`, "entry.what.webhookUrl", m);
    if (typeof read !== "string") {
      ctx.problems.push(read.problem);
      return undefined;
    }
    url = read;
  }
  const key = ctx.fromEnv ?? `${ctx.key}.${fromFile ? "webhook_url_file" : "webhook_url"}`;
  const problem = checkWebhookUrl(url ?? "", key, ctx.warnings, m, fromFile);
  if (problem) {
    ctx.problems.push(problem);
    return undefined;
  }
  return new SlackNotifier({
    ...receiverSettings(entry, ctx),
    url: url!,
  });
}

/** `fromFile`: the URL is a file's content, of which nothing is said (the file may be anything: /etc/shadow). */
function checkWebhookUrl(url: string, key: string, warnings: string[], m: Messages, fromFile = false): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fromFile ? m.t("entry.slack.fileNotUrl", { key }) : m.t("entry.url.notUrl", { key, example: "https://hooks.slack.com/services/T…/B…/…", length: url.length });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    if (fromFile) return m.t("entry.slack.fileNotHttps", { key });
    return SHOWN_SCHEMES.has(parsed.protocol) ? m.t("entry.slack.scheme", { key, protocol: parsed.protocol }) : m.t("entry.slack.notHttps", { key });
  }
  if (!(parsed.protocol === "https:" && parsed.hostname === "hooks.slack.com" && parsed.pathname.startsWith("/services/"))) {
    warnings.push(m.t("entry.slack.notSlack", { key }));
  }
  return null;
}

/** Schemes named in a message; any other (`root:` of a wrong file, `xoxb-…:` of a token) might be part of a secret. */
const SHOWN_SCHEMES = new Set(["ftp:", "ws:", "wss:", "file:", "mailto:", "ssh:", "sftp:", "git:", "data:", "javascript:", "smtp:", "unix:", "tcp:"]);
