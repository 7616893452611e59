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
const waiting = (oneShot: boolean) => (oneShot ? "" : " The alerts wait in Lookout's outbox meanwhile.");

export function alertmanagerAnswerWording(ctx: AlertmanagerContext, oneShot = false): AnswerWording {
  const who = `Alertmanager ${ctx.name} (${ctx.target})`;
  const auth =
    ctx.headerNames.length > 0
      ? `Check the ${ctx.headerNames.map((h) => `"${h}"`).join(", ")} header${ctx.headerNames.length > 1 ? "s" : ""} in ${ctx.key} (headers or header_files).`
      : `Alertmanager itself has no authentication: a proxy in front of it asks for it. Give its token under ${ctx.key}.headers (e.g. Authorization: "Bearer \${TOKEN}") or header_files.`;
  const denied = (f: { status: number; quoted: string }) =>
    `${who} refused the alerts: ${f.status === 401 ? "not authenticated" : "access denied"} (HTTP ${f.status}, ${alertmanagerMessage(f.quoted)}). Retrying will not help. ${auth}`;
  const nothingThere = (f: { status: number; quoted: string }) =>
    `${who} has no API v2 there (HTTP ${f.status}, ${alertmanagerMessage(f.quoted)}). Retrying will not help: ${ctx.key}.url is Alertmanager's own address, like http://alertmanager:9093 (with its --web.route-prefix, if it has one); Lookout adds /api/v2/alerts. Alertmanager before 0.16 has no API v2.`;
  return {
    delivered: `Alertmanager ${ctx.name} (${ctx.target}) accepted the alerts.`,
    htmlPage: "a proxy or web server in front of Alertmanager",
    retryAfterOn503: true,
    words: {
      rate_limited: (f) => `${who} (or a proxy in front of it) is rate-limiting Lookout (HTTP 429). ${f.retry(f.waitMs)}`,
      request_timeout: (f) => `${who} timed out reading the alerts (HTTP 408). ${f.again}`,
      server_error: (f) =>
        `${who} could not take the alerts (HTTP ${f.status}, ${alertmanagerMessage(f.quoted)}). ${f.again}${waiting(oneShot)} If it lasts, check Alertmanager's log.`,
      unauthorized: denied,
      forbidden: denied,
      not_found: nothingThere,
      method_not_allowed: nothingThere,
      redirect: (f) =>
        `${who} answered with a redirect (HTTP ${f.status}); Lookout does not follow redirects with alerts. Check ${ctx.key}.url: use the address it redirects to (often https://, or its --web.route-prefix).`,
      refused: (f) =>
        `${who} refused the alert${f.status === 400 || f.status === 422 ? "s for what they hold" : "s"} (HTTP ${f.status}): ${alertmanagerMessage(f.quoted)}. ` +
        "Retrying will not help: Lookout gives these up (the others still go). If the message names a label or a time, this is likely a bug in Lookout: please report it with the message.",
    },
  };
}

/** How a request to Alertmanager that got no answer reads. */
export function alertmanagerNoAnswerWording(ctx: AlertmanagerContext, oneShot = false): NetworkWording {
  const base = serviceNoAnswerWording(ctx.target, { what: `Alertmanager ${ctx.name}`, key: ctx.key, hasHeaders: ctx.headerNames.length > 0 });
  return {
    ...base,
    refused: (f) =>
      `The connection to Alertmanager ${ctx.name} (${ctx.target}) was refused (${f.code}): it is not running, or listens elsewhere. ${f.again}${waiting(oneShot)} Check that Alertmanager runs and listens on the port in ${ctx.key}.url (9093 by default).`,
  };
}
