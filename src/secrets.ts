/**
 * Secrets (webhook URLs, tokens) never reach logs, CLI output or error messages.
 * Every secret is registered once when config is loaded; `redact` replaces any
 * registered secret found in a text by its masked form. `maskUrl` is how a
 * webhook is shown to people: `https://hooks.slack.com/services/T…/B…/****`.
 */
const secrets = new Map<string, string>();

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
  return parts.length > 0 ? `${origin}/****` : origin;
}

export function registerSecret(value: string | undefined, masked?: string): void {
  if (!value || value.length < 6) return;
  secrets.set(value, masked ?? (/^[a-z]+:\/\//i.test(value) ? maskUrl(value) : "****"));
  // A URL can also appear with its query or trailing slash stripped, or encoded.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.set(encoded, secrets.get(value)!);
}

export function redact(text: string): string {
  let out = text;
  for (const [secret, masked] of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(masked);
  }
  return out;
}

/** For tests. */
export function clearSecrets(): void {
  secrets.clear();
}
