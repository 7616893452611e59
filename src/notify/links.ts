/**
 * Links from a message to the dashboard (`http.public_url`): where to look
 * at an alert and where to silence it. Pure. The routes are the dashboard's
 * own (src/http/page/route.js):
 *
 *   #/containers/<name>?at=<ms>                  that container, around that time
 *   #/silence?matchers=a=b&matchers=c=d&duration=1h   the silence form, filled in
 *   ?from=<ms>&to=<ms>#/                         the host overview over that range
 *
 * Every label value is machine text (a container's or a mount's name): it is
 * percent-encoded whole (`encodeURIComponent`), so no `"`, `&`, `#`, `?`,
 * space or newline in it can end its parameter, the hash or the URL, and the
 * URL holds only ASCII that JSON, Slack and a browser take as it is.
 */
import type { Notification } from "../model/notification.js";

/** The range shown around an alert's time on the overview: 30 minutes each side (the dashboard's own `?at=` range). */
const AROUND_MS = 30 * 60_000;

/** Labels a silence of an alert leaves out: its severity changes while it fires (the dashboard's own silence links leave it out too). */
const NOT_IDENTIFYING = new Set(["severity"]);

/**
 * A label value as a glob in the dashboard's silence form, which reads one
 * matcher per line, cuts at `,` before `name=`, trims each, and takes `*` and
 * `?` as wildcards (src/label-matchers.ts): a newline, a comma, any other
 * control character, and a leading or trailing space each become `?` (exactly
 * one character), so the matcher still holds for this value, and the person
 * who confirms the form sees it.
 */
export function silenceGlob(value: string): string {
  let out = value.replace(/[\p{Cc}\u2028\u2029,]/gu, "?");
  out = out.replace(/^\s+/, (s) => "?".repeat(s.length)).replace(/\s+$/, (s) => "?".repeat(s.length));
  return out;
}

/** The time an alert's link shows: when what it reports happened (`causedAt`: a crash's exit, else when the condition began), else when it started firing. */
function alertTime(n: Notification): number {
  const a = n.alert;
  const t = a.causedAt ?? a.firingSince;
  return Number.isFinite(t) ? t : n.at;
}

/**
 * Percent-encoded whole (UTF-8). A lone surrogate (half an emoji, from text
 * cut or decoded badly) becomes U+FFFD first: `encodeURIComponent` would throw.
 */
function encode(text: string): string {
  return encodeURIComponent(text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD"));
}

function query(params: ReadonlyArray<readonly [string, string]>): string {
  return params.map(([k, v]) => `${encode(k)}=${encode(v)}`).join("&");
}

/** The dashboard at `http.public_url`, and the links into it. */
export class DashboardLinks {
  /** The public URL's origin and path, ending with `/`: the dashboard's page. */
  readonly base: string;

  /** Throws on a URL that is not http(s) (the schema refused it already). */
  constructor(publicUrl: string) {
    const url = new URL(publicUrl);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("http.public_url: expected an http:// or https:// URL");
    // The page's own files are relative to it: its path ends with "/". Its query, fragment and any user are not the dashboard's.
    this.base = `${url.origin}${url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`}`;
  }

  /** The host overview from `from` to `to` (ms). */
  overview(from: number, to: number): string {
    return `${this.base}?${query([
      ["from", String(Math.floor(from))],
      ["to", String(Math.ceil(to))],
    ])}#/`;
  }

  /** Where to look at the alert of `n`: its container's view at the alert's time, else the overview around it. */
  alert(n: Notification): string {
    const at = alertTime(n);
    const container = n.alert.labels.container;
    if (container !== undefined && container !== "") return `${this.base}#/containers/${encode(container)}?${query([["at", String(Math.floor(at))]])}`;
    return this.overview(at - AROUND_MS, at + AROUND_MS);
  }

  /**
   * The silence form filled in for the alert of `n` (its labels but severity,
   * one `matchers` parameter each, for an hour): the person signed in to the
   * dashboard confirms it there.
   */
  silence(n: Notification): string {
    const labels = n.alert.labels;
    const matchers = Object.keys(labels)
      .filter((k) => !NOT_IDENTIFYING.has(k))
      .sort()
      .map((k) => ["matchers", `${k}=${silenceGlob(labels[k]!)}`] as const);
    return `${this.base}#/silence?${query([...matchers, ["duration", "1h"]])}`;
  }

  /** The overview over the times of several notifications (a group), 30 minutes on each side. */
  around(ns: readonly Notification[]): string {
    const times = ns.flatMap((n) => [alertTime(n), n.at]).filter(Number.isFinite);
    if (times.length === 0) return this.base;
    return this.overview(Math.min(...times) - AROUND_MS, Math.max(...times) + AROUND_MS);
  }

  /** The daily summary's link: the overview over the day it counts. */
  summary(n: Notification): string {
    return this.overview(n.alert.activeSince, n.at);
  }
}

/** The dashboard's links when `http.public_url` is set (and the server enabled), else undefined: messages then carry none. */
export function dashboardLinks(http: { enabled: boolean; public_url?: string | undefined } | undefined): DashboardLinks | undefined {
  if (!http || http.enabled === false || http.public_url === undefined) return undefined;
  return new DashboardLinks(http.public_url);
}
