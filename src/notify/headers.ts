/**
 * The extra headers an HTTP receiver takes from its entry (`headers`, values
 * from the config, and `header_files`, values read from files): checked,
 * registered as secrets, and problems said naming the key; with the entry's
 * URL (`readUrlAndHeaders`). Shared by the receivers that take them
 * (webhooks, Alertmanager).
 */
import { resolve } from "node:path";
import { readSecretFile } from "../config/load.js";
import { registerSecret } from "../secrets.js";
import type { ReceiverContext } from "./receiver-plugin.js";

/** A header name HTTP accepts (RFC 9110 token). */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header value that goes through unchanged: visible ASCII, spaces and tabs. */
const HEADER_VALUE_RE = /^[\t\x20-\x7e]*$/;

/** Register a header value as a secret, and the credential of an auth scheme alone (`Bearer abc…` → `abc…`). */
export function registerHeaderSecret(value: string): void {
  const trimmed = value.trim();
  registerSecret(trimmed, "****");
  const m = /^(?:Bearer|Basic|Token|Bot|Key|ApiKey|Api-Key|GenieKey|Splunk|SSWS|Digest)\s+(\S.*)$/i.exec(trimmed);
  if (m) registerSecret(m[1]!, "****");
}

/** The entry's headers, files read; what is wrong goes to `ctx.problems` (that header is left out). */
export function readHeaders(r: { headers: Record<string, string>; header_files: Record<string, string> }, ctx: ReceiverContext): Record<string, string> {
  const { key, problems } = ctx;
  const headers: Record<string, string> = {};
  const seen = new Map<string, string>();
  const add = (where: "headers" | "header_files", name: string, value: string): void => {
    const at = `${key}.${where}.${name}`;
    if (!HEADER_NAME_RE.test(name)) {
      problems.push(`${at}: not a valid header name (letters, digits and - only, like X-Api-Key)`);
      return;
    }
    if (!HEADER_VALUE_RE.test(value)) {
      problems.push(
        `${at}: the value holds a line break, control character or non-ASCII character, which a header cannot carry${where === "header_files" ? "; the file must hold the value on one line" : ""}`,
      );
      return;
    }
    const lower = name.toLowerCase();
    const earlier = seen.get(lower);
    if (earlier !== undefined) {
      problems.push(`${at}: also set as ${earlier}; keep one`);
      return;
    }
    seen.set(lower, `${key}.${where}.${name}`);
    headers[name] = value;
  };

  for (const [name, value] of Object.entries(r.headers)) add("headers", name, value);
  for (const [name, path] of Object.entries(r.header_files)) {
    const file = resolve(ctx.baseDir, path);
    // The one safe read of a secret file (regular, small, never echoed; registered as a secret at once).
    const read = readSecretFile(file, `${key}.header_files.${name}`, "the header's value");
    if (typeof read !== "string") {
      problems.push(read.problem);
      continue;
    }
    const value = read;
    registerHeaderSecret(value);
    if (value === "") {
      problems.push(`${key}.header_files.${name}: ${file} is empty; put the header's value in it`);
      continue;
    }
    add("header_files", name, value);
  }
  return headers;
}

/**
 * The URL (registered as a secret, checked to be http(s)) and headers of an
 * HTTP receiver's entry; undefined when anything is wrong (said in
 * `ctx.problems`). `expected` says what a URL should be ("a URL like
 * https://example.com/alerts"); `like`, an example a wrong scheme's problem gives.
 */
export function readUrlAndHeaders(
  r: { url: string; headers: Record<string, string>; header_files: Record<string, string> },
  ctx: ReceiverContext,
  wording: { expected: string; like?: string },
): Record<string, string> | undefined {
  const { key, problems } = ctx;
  const before = problems.length;
  // Secrets from the start, so no later problem can show them.
  registerSecret(r.url);
  for (const value of Object.values(r.headers)) registerHeaderSecret(value);
  let parsed: URL | undefined;
  try {
    parsed = new URL(r.url);
  } catch {
    problems.push(`${key}.url: expected ${wording.expected}, got a value that is not a URL (${r.url.length} characters)`);
  }
  if (parsed && parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    problems.push(`${key}.url: expected an http:// or https:// URL${wording.like ? ` like ${wording.like}` : ""}, got a ${parsed.protocol} URL`);
  }
  const headers = readHeaders(r, ctx);
  return problems.length > before ? undefined : headers;
}
