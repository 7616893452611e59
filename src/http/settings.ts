/**
 * `http.*` as the server uses it: the address, the token (read from
 * `auth_token_file` here, as receivers read theirs, and registered as a
 * secret), the public URL. Whatever would make the server unsafe or unusable
 * is a configuration problem, said before the agent starts (exit code 2):
 * above all, an address other machines can reach without a token.
 */

import { isLoopback, type ListenAddress, listenText, parseListen } from "../config/listen.js";
import type { LoadedConfig } from "../config/load.js";
import { readSecretFile } from "../config/load.js";
import { MIN_TOKEN_LENGTH } from "../config/schema.js";
import { ConfigError } from "../errors.js";
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
  const problems: string[] = [];
  const parsed = parseListen(h.listen);
  // The schema checked it; LOOKOUT_HTTP_LISTEN was checked as it was read.
  if ("problem" in parsed) throw new ConfigError([`http.listen: ${parsed.problem}, got ${JSON.stringify(h.listen)}`], source);
  let token: string | null = null;
  if (h.auth_token !== undefined) {
    token = h.auth_token.trim();
    registerSecret(token);
  } else if (h.auth_token_file !== undefined) {
    const read = readSecretFile(h.auth_token_file, "http.auth_token_file", "the token");
    if (typeof read !== "string") problems.push(read.problem);
    else if (read.length < MIN_TOKEN_LENGTH) {
      problems.push(
        `http.auth_token_file: ${h.auth_token_file} holds ${read.length === 0 ? "nothing" : `a token shorter than ${MIN_TOKEN_LENGTH} characters`}; put a longer one in it (openssl rand -hex 32 > ${h.auth_token_file})`,
      );
    } else token = read;
  }
  if (token === "") token = null;
  if (token === null && problems.length === 0 && !isLoopback(parsed.host)) {
    const where = parsed.host === "" || parsed.host === "0.0.0.0" || parsed.host === "::" ? "every interface" : parsed.host;
    problems.push(
      `http.listen: ${listenText(parsed)} listens on ${where}, which other machines can reach, and no token is set: anyone could read this host's state and add silences; ` +
        `set http.auth_token (or http.auth_token_file; openssl rand -hex 32 makes one), or listen on 127.0.0.1:${parsed.port} only`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems, source);
  return {
    listen: parsed,
    token,
    publicUrl: h.public_url !== undefined ? new URL(h.public_url) : null,
    ...(h.metrics_public ? { metricsPublic: true } : {}),
  };
}
