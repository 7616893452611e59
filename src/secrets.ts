/**
 * Secrets (webhook URLs, tokens, header values) never reach logs, CLI output,
 * error messages, the data directory or another receiver's message. Every
 * secret is registered once when config is loaded; `redact` replaces any
 * registered secret found in a text by its masked form. `maskUrl` is how a
 * webhook is shown to people: `https://hooks.slack.com/services/T…/B…/****`.
 *
 * A URL is registered whole and part by part, since a receiver that does not
 * know a path answers with it (`404 Cannot POST /services/T…/B…/<token>`):
 * - every path segment that is not a public word: a Slack-style URL's segments
 *   after `services` (T…, B… and the token) always; elsewhere every segment
 *   except lowercase words of at most 12 letters (`hooks`, `api`, `alertmanager`,
 *   `push`, joined by - or _ too) and version tags like `v1`;
 * - the query string and the fragment, whole, and each query value;
 * - the user name and password.
 * Each part is registered as written in the URL and percent-decoded.
 *
 * A secret of 6 characters or more is replaced wherever it appears. A shorter
 * one (a 5-character header value, a short path segment) is replaced only
 * where it stands as a whole token, between characters that are not letters,
 * digits or `_` (`key=k3y12` → `key=****`): replacing every `k3y12` inside other
 * words would mangle text without hiding anything more.
 */
const SHORT = 6;

interface Entry {
  masked: string;
  /** Set for a short secret: matches it only as a whole token. */
  re?: RegExp;
}

const secrets = new Map<string, Entry>();
/** The secrets, longest first (a URL before its parts), rebuilt when one is added. */
let ordered: Array<[string, Entry]> | null = null;

export function maskUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "****";
  }
  const origin = `${url.protocol}//${url.host}`;
  const parts = url.pathname.split("/").filter(Boolean);
  if (parts[0] === "services" && parts.length >= 2) {
    const shown = parts.slice(1, -1).map((p) => `${p.slice(0, 1)}…`);
    return `${origin}/services/${[...shown, "****"].join("/")}`;
  }
  return parts.length > 0 || url.search !== "" ? `${origin}/****` : origin;
}

/** A path segment anyone could guess: a lowercase word of at most 12 letters (`hooks`, `alert-manager`), or `v1`. */
export function isPublicSegment(segment: string): boolean {
  return (segment.length <= 12 && /^[a-z]+(?:[-_][a-z]+)*$/.test(segment)) || /^v\d{1,2}$/.test(segment);
}

export function registerSecret(value: string | undefined, masked?: string): void {
  if (!value) return;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) registerUrlParts(value);
  add(value, masked ?? (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? maskUrl(value) : "****"));
}

function add(value: string, masked: string): void {
  if (!value || value === masked) return;
  for (const form of new Set([value, encodeURIComponent(value), decoded(value)])) {
    if (!form || secrets.has(form)) continue;
    const entry: Entry = { masked };
    if (form.length < SHORT) entry.re = new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(form)}(?![A-Za-z0-9_])`, "g");
    secrets.set(form, entry);
    ordered = null;
  }
}

/** Every part of a secret URL a receiver could echo: see the top of this file. */
function registerUrlParts(raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return;
  }
  if (url.username) add(url.username, "****");
  if (url.password) add(url.password, "****");
  const parts = url.pathname.split("/").filter(Boolean);
  const slackStyle = parts[0] === "services" && parts.length >= 2;
  parts.forEach((p, i) => {
    if (slackStyle) {
      if (i === 0) return;
      add(p, i < parts.length - 1 ? `${p.slice(0, 1)}…` : "****");
    } else if (!isPublicSegment(p)) {
      add(p, "****");
    }
  });
  if (url.search.length > 1) {
    add(url.search.slice(1), "****");
    for (const pair of url.search.slice(1).split("&")) {
      const eq = pair.indexOf("=");
      if (eq !== -1) add(pair.slice(eq + 1), "****");
    }
  }
  if (url.hash.length > 1) add(url.hash.slice(1), "****");
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function redact(text: string): string {
  if (secrets.size === 0 || !text) return text;
  ordered ??= [...secrets].sort((a, b) => b[0].length - a[0].length);
  let out = text;
  for (const [secret, entry] of ordered) {
    if (!out.includes(secret)) continue;
    if (entry.re) {
      entry.re.lastIndex = 0;
      out = out.replace(entry.re, () => entry.masked);
    } else {
      out = out.split(secret).join(entry.masked);
    }
  }
  return out;
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear();
  ordered = null;
}
