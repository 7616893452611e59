/**
 * Alertmanager's API v2 body (`POST /api/v2/alerts`): a JSON array of
 * `postableAlert`s, built from Lookout notifications. Pure.
 *
 * The OpenAPI schema (api/v2/openapi.yaml, `postableAlert`):
 *
 *   { labels: {name: value} (required), annotations?: {name: value},
 *     startsAt?: date-time, endsAt?: date-time, generatorURL?: uri }
 *
 * Labels and annotations are the webhook receiver's (notify/webhook/alertmanager.ts
 * `alertmanagerAlert`: the alert's labels with alertname, severity and
 * hostname; summary, description, value, threshold…). Alertmanager refuses a
 * label or annotation name outside `[a-zA-Z_][a-zA-Z0-9_]*` (HTTP 400
 * "invalid label set"): such a name gets `_` for each character it cannot
 * take. Values are any text: JSON.stringify escapes them.
 *
 * `endsAt`: a resolved alert's is when it resolved; a firing alert's is the
 * time of the send plus `validForMs` (4 × the re-send period, as Prometheus
 * does), so that Alertmanager resolves it by itself if Lookout stops sending.
 * It is computed when the body is built, at each attempt: a firing state that
 * waited in the outbox while Alertmanager was down is still the alert's
 * newest state (a newer one replaces it while it waits), and must not arrive
 * already expired. `generatorURL` is left out without `http.public_url`
 * (Alertmanager refuses "" as a URI).
 */
import type { Notification } from "../../model/notification.js";
import { isoTime } from "../../units.js";
import type { DashboardLinks } from "../links.js";
import { alertmanagerAlert } from "../webhook/alertmanager.js";

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface PostableOptions {
  /** When the body is sent, ms since epoch. */
  now: number;
  /** How long a firing alert holds in Alertmanager from `now` unless sent again. */
  validForMs: number;
  links?: DashboardLinks | undefined;
  /** Whether a firing alert gets a `silence_url` annotation (with `links`). Default true. */
  silenceLinks?: boolean;
}

/** A label or annotation name Alertmanager takes: `[a-zA-Z_][a-zA-Z0-9_]*`; another gets `_` for each character it cannot take. */
export function labelName(name: string): string {
  const out = name.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(out) || out === "" ? `_${out}` : out;
}

/** `record` with names Alertmanager takes; when two become the same name, the first (in sorted order) keeps it. */
function validNames(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(record).sort()) {
    const name = labelName(k);
    if (!Object.hasOwn(out, name)) out[name] = record[k]!;
  }
  return out;
}

/** One postable alert for `n`. */
export function postableAlert(n: Notification, opts: PostableOptions): PostableAlert {
  const a = alertmanagerAlert(n, opts.links, opts.silenceLinks ?? true);
  const startsAt = n.alert.firingSince;
  // Alertmanager refuses an end before the start ("start time must be before end time").
  const endsAt = a.status === "resolved" ? Math.max(n.at, startsAt) : Math.max(opts.now + opts.validForMs, startsAt);
  const out: PostableAlert = {
    labels: validNames(a.labels),
    annotations: validNames(a.annotations),
    startsAt: isoTime(startsAt),
    endsAt: isoTime(endsAt),
  };
  if (a.generatorURL !== "") out.generatorURL = a.generatorURL;
  return out;
}

/** The body of `POST /api/v2/alerts` for `notifications`, one alert each. */
export function postableAlerts(notifications: readonly Notification[], opts: PostableOptions): PostableAlert[] {
  return notifications.map((n) => postableAlert(n, opts));
}

/** Alertmanager's API v2 address for alerts under `base` (its own address, or already …/api/v2/alerts). */
export function alertsUrl(base: string): string {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, "");
  if (!path.endsWith("/api/v2/alerts")) url.pathname = `${path}/api/v2/alerts`;
  return url.toString();
}
