/**
 * What Alertmanager's answers to `POST /api/v2/alerts` mean for the user: its
 * wording of the answers `http-answers.ts` classifies (the rules are not
 * its own: 200 accepted; 429, 408, 5xx and network trouble retried, with
 * Retry-After on 429 and 503; 400 and 422 refuse the alerts for what they
 * hold, not retried, and a group's members go alone). Pure.
 *
 * Alertmanager says why it refused alerts in its 400's body, a JSON string
 * (`"start time must be before end time"`) or, from its request validation,
 * `{"code":601,"message":"…"}`: the message is quoted as plain words.
 * Messages never hold the URL or a header value: callers pass the masked
 * target; the body is redacted where it comes in.
 */
import { processMessages } from "../../i18n/current.js";
import type { Messages } from "../../i18n/messages.js";
import type { AnswerWording, NetworkWording } from "../http-answers.js";
import { serviceNoAnswerWording } from "../http-answers.js";

export interface AlertmanagerContext {
  /** The receiver's name: "alertmanager[0]" or its name. */
  name: string;
  /** The masked alerts URL. */
  target: string;
  /** Its config entry: `notify.alertmanager[0]`. */
  key: string;
  /** Names of the configured headers, for an authentication problem. */
  headerNames: string[];
}

/**
 * Alertmanager's own message in a quoted body (`"\"start time must be before end time\""` → `"start time must be before end time"`),
 * else the quote as it is. Control characters the JSON held become spaces.
 */
export function alertmanagerMessage(quoted: string): string {
  if (!(quoted.length >= 2 && quoted.startsWith('"') && quoted.endsWith('"'))) return quoted;
  let said: unknown;
  try {
    said = JSON.parse(quoted.slice(1, -1));
  } catch {
    return quoted; // not JSON, or cut
  }
  const text =
    typeof said === "string"
      ? said
      : said !== null && typeof said === "object" && typeof (said as { message?: unknown }).message === "string"
        ? (said as { message: string }).message
        : undefined;
  if (text === undefined) return quoted;
  const clean = text.replace(/[\p{Cc}\u2028\u2029]+/gu, " ").trim();
  return clean === "" ? quoted : `"${clean}"`;
}

/** What waits while Alertmanager cannot take alerts: the agent's outbox; nothing for `lookout test-notify` (`oneShot`). */
const waiting = (oneShot: boolean, m: Messages) => (oneShot ? "" : m.t("alertmanager.waiting"));

/** How Alertmanager's answers read, in `m`'s language (the process's). */
export function alertmanagerAnswerWording(ctx: AlertmanagerContext, oneShot = false, m: Messages = processMessages()): AnswerWording {
  const who = m.t("alertmanager.who", { name: ctx.name, target: ctx.target });
  const auth =
    ctx.headerNames.length > 0
      ? m.plural("alertmanager.auth", ctx.headerNames.length, { list: ctx.headerNames.map((h) => `"${h}"`).join(m.t("list.sep")), key: ctx.key })
      : m.t("alertmanager.auth.none", { key: ctx.key });
  const denied = (f: { status: number; quoted: string }) =>
    m.t(f.status === 401 ? "alertmanager.unauthorized" : "alertmanager.forbidden", { who, status: f.status, said: alertmanagerMessage(f.quoted), auth });
  const nothingThere = (f: { status: number; quoted: string }) => m.t("alertmanager.nothingThere", { who, status: f.status, said: alertmanagerMessage(f.quoted), key: ctx.key });
  return {
    delivered: m.t("alertmanager.delivered", { who }),
    htmlPage: m.t("alertmanager.htmlPage"),
    retryAfterOn503: true,
    words: {
      rate_limited: (f) => m.t("alertmanager.rateLimited", { who, retry: f.retry(f.waitMs) }),
      request_timeout: (f) => m.t("alertmanager.requestTimeout", { who, again: f.again }),
      server_error: (f) => m.t("alertmanager.serverError", { who, status: f.status, said: alertmanagerMessage(f.quoted), again: f.again, waiting: waiting(oneShot, m) }),
      unauthorized: denied,
      forbidden: denied,
      not_found: nothingThere,
      method_not_allowed: nothingThere,
      redirect: (f) => m.t("alertmanager.redirect", { who, status: f.status, key: ctx.key }),
      refused: (f) =>
        m.t(f.status === 400 || f.status === 422 ? "alertmanager.refused.content" : "alertmanager.refused", { who, status: f.status, said: alertmanagerMessage(f.quoted) }),
    },
  };
}

/** How a request to Alertmanager that got no answer reads, in `m`'s language. */
export function alertmanagerNoAnswerWording(ctx: AlertmanagerContext, oneShot = false, m: Messages = processMessages()): NetworkWording {
  const base = serviceNoAnswerWording(ctx.target, { what: `Alertmanager ${ctx.name}`, key: ctx.key, hasHeaders: ctx.headerNames.length > 0 }, m);
  return {
    ...base,
    refused: (f) => m.t("alertmanager.noAnswer.refused", { name: ctx.name, target: ctx.target, code: f.code, again: f.again, waiting: waiting(oneShot, m), key: ctx.key }),
  };
}
