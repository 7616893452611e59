/**
 * `http.*` as the server uses it: the address, the token (read from
 * `auth_token_file` here, as receivers read theirs, and registered as a
 * secret), the public URL. Whatever would make the server unsafe or unusable
 * is a configuration problem, said before the agent starts (exit code 2):
 * above all, an address other machines can reach without a token.
 */

import { readSecretFile } from "../config/files.js";
import { isLoopback, type ListenAddress, listenText, parseListen } from "../config/listen.js";
import type { LoadedConfig } from "../config/loaded.js";
import { MIN_TOKEN_LENGTH } from "../config/names.js";
import { ConfigError } from "../errors.js";
import { DEFAULT_LOCALE, messages } from "../i18n/messages.js";
import { registerSecret } from "../secrets.js";

export interface HttpSettings {
  listen: ListenAddress;
  /** null: no token (only on loopback): everything is open to local processes. */
  token: string | null;
  /** `http.public_url`, as given. */
  publicUrl: URL | null;
  /** `http.metrics_public`: `/metrics` answers without the token (it is open anyway when there is none). */
  metricsPublic?: boolean;
}

/** The HTTP server's settings; null when `http.enabled` is false. Throws a ConfigError (exit 2) naming the key and the fix. */
export function httpSettings(loaded: LoadedConfig): HttpSettings | null {
  const h = loaded.config.http;
  if (!h.enabled) return null;
  const source = loaded.path ?? "built-in defaults";
  // In the config's language, as the loader's problems (LOOKOUT_LOCALE overrides `locale`).
  const m = messages(loaded.config.locale ?? DEFAULT_LOCALE);
  const problems: string[] = [];
  const parsed = parseListen(h.listen);
  // The schema checked it; LOOKOUT_HTTP_LISTEN was checked as it was read.
  if ("problem" in parsed) throw new ConfigError([m.t("httpcfg.listen", { problem: m.t(parsed.said.key, parsed.said.params), value: JSON.stringify(h.listen) })], source, m.locale);
  let token: string | null = null;
  if (h.auth_token !== undefined) {
    token = h.auth_token.trim();
    registerSecret(token);
  } else if (h.auth_token_file !== undefined) {
    const read = readSecretFile(h.auth_token_file, "http.auth_token_file", "entry.what.token", m);
    if (typeof read !== "string") problems.push(read.problem);
    else if (read.length < MIN_TOKEN_LENGTH) {
      const file = h.auth_token_file;
      problems.push(read.length === 0 ? m.t("httpcfg.tokenFile.empty", { file }) : m.t("httpcfg.tokenFile.short", { file, min: MIN_TOKEN_LENGTH }));
    } else token = read;
  }
  if (token === "") token = null;
  if (token === null && problems.length === 0 && !isLoopback(parsed.host)) {
    const where = parsed.host === "" || parsed.host === "0.0.0.0" || parsed.host === "::" ? m.t("httpcfg.everyInterface") : parsed.host;
    problems.push(m.t("httpcfg.open", { listen: listenText(parsed), where, port: parsed.port }));
  }
  if (problems.length > 0) throw new ConfigError(problems, source, m.locale);
  return {
    listen: parsed,
    token,
    publicUrl: h.public_url !== undefined ? new URL(h.public_url) : null,
    ...(h.metrics_public ? { metricsPublic: true } : {}),
  };
}
