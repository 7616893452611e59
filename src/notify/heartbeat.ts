/**
 * A dead man's switch (Healthchecks.io, Cronitor, Uptime Kuma push monitors…):
 * while the agent is alive and its checks run, it GETs a URL every `every`;
 * when the pings stop, that service tells someone. The run loop calls `beat()`
 * after each check; `beat` decides whether a ping is due.
 *
 * It never throws. A failure is logged once per failure streak (a warning with
 * the masked URL and what to check) and the next beat tries again; when a ping
 * works again that is logged too. The URL is a secret (whoever has it can
 * ping): registered with secrets.ts and shown masked.
 */

import type { LookoutConfig } from "../config/schema.js";
import { ConfigError, describeError } from "../errors.js";
import { processMessages } from "../i18n/current.js";
import type { Messages } from "../i18n/messages.js";
import { log } from "../log.js";
import { maskUrl, redact, registerSecret } from "../secrets.js";
import { USER_AGENT } from "../version.js";
import { type Clock, REAL_CLOCK } from "./dispatcher.js";
import { type AnswerFacts, type AnswerWording, type NetworkWording, resultFromAnswer, resultFromNoAnswer, serviceHtmlPage, serviceNoAnswerWording } from "./http-answers.js";
import { isHttpUrl } from "./http-values.js";
import { getText } from "./post-json.js";

export interface HeartbeatOptions {
  /** The URL to GET, e.g. https://hc-ping.com/<uuid>. */
  url: string;
  /** Ping at most this often (ms since the last successful ping). */
  everyMs: number;
  /** Limit of one ping, answer included. Default 10 s. */
  timeoutMs?: number;
  /** What "now" is when `beat()` is not told: tests give their own. */
  clock?: Clock;
}

export const HEARTBEAT_TIMEOUT_MS = 10_000;

export class Heartbeat {
  readonly target: string;
  readonly everyMs: number;
  readonly timeoutMs: number;
  readonly #url: string;
  #lastSuccess: number | undefined;
  /** Failures in a row since the last success (0: healthy). */
  #failures = 0;
  #inFlight = false;
  readonly #clock: Clock;
  readonly #wording: AnswerWording;
  readonly #noAnswer: NetworkWording;

  constructor(opts: HeartbeatOptions) {
    registerSecret(opts.url);
    this.#url = opts.url;
    this.target = maskUrl(opts.url);
    this.everyMs = opts.everyMs;
    this.timeoutMs = opts.timeoutMs ?? HEARTBEAT_TIMEOUT_MS;
    this.#clock = opts.clock ?? REAL_CLOCK;
    this.#wording = heartbeatWording(this.target);
    this.#noAnswer = serviceNoAnswerWording(this.target, { what: processMessages().t("heartbeat.what"), key: "notify.heartbeat" });
  }

  /** `notify.heartbeat` as a Heartbeat, or null when not configured. Throws ConfigError for a URL that is not http(s). */
  static fromConfig(config: LookoutConfig, source = "configuration"): Heartbeat | null {
    const hb = config.notify.heartbeat;
    if (!hb) return null;
    registerSecret(hb.url);
    let parsed: URL;
    try {
      parsed = new URL(hb.url);
    } catch {
      const m = processMessages();
      throw new ConfigError([m.t("heartbeat.notUrl", { length: hb.url.length })], source, m.locale);
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      const m = processMessages();
      throw new ConfigError([m.t("heartbeat.notHttp", { protocol: parsed.protocol })], source, m.locale);
    }
    return new Heartbeat({ url: hb.url, everyMs: hb.every });
  }

  /** When the last ping succeeded (ms since epoch), if one did. */
  get lastSuccess(): number | undefined {
    return this.#lastSuccess;
  }

  /**
   * Ping when due: on the first call, then once `everyMs` has passed since the
   * last successful ping (after a failure, at every call until one works).
   * Resolves true when it pinged and the URL answered 2xx; never rejects.
   */
  async beat(now: number = this.#clock.now()): Promise<boolean> {
    if (this.#inFlight) return false;
    if (this.#lastSuccess !== undefined && now - this.#lastSuccess < this.everyMs) return false;
    this.#inFlight = true;
    try {
      const problem = await this.#ping();
      if (problem === null) {
        if (this.#failures > 0) {
          log.info(processMessages().t("log.heartbeat.again"), { url: this.target, failed_pings: this.#failures });
        }
        this.#failures = 0;
        this.#lastSuccess = now;
        return true;
      }
      this.#failures++;
      if (this.#failures === 1) {
        log.warn(processMessages().t("log.heartbeat.failed", { problem }), { url: this.target });
      } else {
        log.debug(processMessages().t("log.heartbeat.again.failed"), { url: this.target, failed_pings: this.#failures });
      }
      return false;
    } catch (err) {
      // Not expected (#ping handles its own errors); still never throw.
      this.#failures++;
      if (this.#failures === 1) log.warn(processMessages().t("log.heartbeat.unexpected"), { url: this.target, error: redact(describeError(err)) });
      return false;
    } finally {
      this.#inFlight = false;
    }
  }

  /** One GET; null when it answered 2xx, else what went wrong and what to check (no secret in it). */
  async #ping(): Promise<string | null> {
    if (!isHttpUrl(this.#url)) return `The heartbeat URL (${this.target}) is not an http(s) URL. Check notify.heartbeat.url.`;
    let status: number;
    let body: string;
    try {
      const res = await getText(this.#url, { "user-agent": USER_AGENT }, this.timeoutMs, 4096);
      status = res.status;
      // Redacted where it enters: a service that echoes the URL's path must not get it into the log.
      body = redact(res.body);
    } catch (err) {
      return resultFromNoAnswer(err, this.#noAnswer, { timeoutMs: this.timeoutMs }).message;
    }
    const result = resultFromAnswer({ status, body }, this.#wording);
    return result.ok ? null : result.message;
  }
}

/** How the heartbeat's answers read in the log (a warning at the first failed ping), in `m`'s language (the process's). */
function heartbeatWording(target: string, m: Messages = processMessages()): AnswerWording {
  const answered = (f: AnswerFacts) => m.t("heartbeat.answered", { target, status: f.status, quoted: f.quoted });
  const checkUrl = (f: AnswerFacts) => m.t("heartbeat.checkUrl", { answered: answered(f) });
  const badKey = (f: AnswerFacts) => m.t("heartbeat.badKey", { answered: answered(f) });
  return {
    delivered: m.t("heartbeat.delivered", { target }),
    htmlPage: serviceHtmlPage(m),
    words: {
      not_found: (f) => m.t("heartbeat.notFound", { answered: answered(f) }),
      unauthorized: badKey,
      forbidden: badKey,
      rate_limited: (f) => m.t("heartbeat.rateLimited", { answered: answered(f) }),
      server_error: (f) => m.t("heartbeat.serverError", { answered: answered(f) }),
      redirect: (f) => m.t("heartbeat.redirect", { answered: answered(f) }),
      request_timeout: checkUrl,
      refused: checkUrl,
    },
  };
}
