/**
 * The extra headers an HTTP receiver takes from its entry (`headers`, values
 * from the config, and `header_files`, values read from files): checked,
 * registered as secrets, and problems said naming the key; with the entry's
 * URL (`readUrlAndHeaders`). Shared by the receivers that take them
 * (webhooks, Alertmanager).
 */
import { resolve } from "node:path";
import { readSecretFile } from "../config/files.js";
import type { MessageKey } from "../i18n/messages.js";
import { registerSecret } from "../secrets.js";
import { entryMessages, type ReceiverContext } from "./receiver-plugin.js";

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
  const m = entryMessages(ctx);
  const headers: Record<string, string> = {};
  const seen = new Map<string, string>();
  const add = (where: "headers" | "header_files", name: string, value: string): void => {
    const at = `${key}.${where}.${name}`;
    if (!HEADER_NAME_RE.test(name)) {
      problems.push(m.t("entry.header.name", { key: at }));
      return;
    }
    if (!HEADER_VALUE_RE.test(value)) {
      problems.push(m.t(where === "header_files" ? "entry.header.value.file" : "entry.header.value", { key: at }));
      return;
    }
    const lower = name.toLowerCase();
    const earlier = seen.get(lower);
    if (earlier !== undefined) {
      problems.push(m.t("entry.header.twice", { key: at, earlier }));
      return;
    }
    seen.set(lower, `${key}.${where}.${name}`);
    headers[name] = value;
  };

  for (const [name, value] of Object.entries(r.headers)) add("headers", name, value);
  for (const [name, path] of Object.entries(r.header_files)) {
    const file = resolve(ctx.baseDir, path);
    // The one safe read of a secret file (regular, small, never echoed; registered as a secret at once).
    const read = readSecretFile(file, `${key}.header_files.${name}`, "entry.what.headerValue", m);
    if (typeof read !== "string") {
      problems.push(read.problem);
      continue;
    }
    const value = read;
    registerHeaderSecret(value);
    if (value === "") {
      problems.push(m.t("entry.fileEmpty", { key: `${key}.header_files.${name}`, file, what: m.t("entry.what.headerValue") }));
      continue;
    }
    add("header_files", name, value);
  }
  return headers;
}

/**
 * The URL (registered as a secret, checked to be http(s)) and headers of an
 * HTTP receiver's entry; undefined when anything is wrong (said in
 * `ctx.problems`). `expected` says what a URL should be, as a catalogue noun
 * ("entry.expected.webhook": "a URL like https://example.com/alerts"); `like`, an
 * example a wrong scheme's problem gives.
 */
export function readUrlAndHeaders(
  r: { url: string; headers: Record<string, string>; header_files: Record<string, string> },
  ctx: ReceiverContext,
  wording: { expected: MessageKey; like?: string },
): Record<string, string> | undefined {
  const { key, problems } = ctx;
  const m = entryMessages(ctx);
  const before = problems.length;
  // Secrets from the start, so no later problem can show them.
  registerSecret(r.url);
  for (const value of Object.values(r.headers)) registerHeaderSecret(value);
  let parsed: URL | undefined;
  try {
    parsed = new URL(r.url);
  } catch {
    problems.push(m.t("entry.url.expected", { key: `${key}.url`, expected: m.t(wording.expected), length: r.url.length }));
  }
  if (parsed && parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    const url = `${key}.url`;
    problems.push(
      wording.like ? m.t("entry.url.scheme.like", { key: url, like: wording.like, protocol: parsed.protocol }) : m.t("entry.url.scheme", { key: url, protocol: parsed.protocol }),
    );
  }
  const headers = readHeaders(r, ctx);
  return problems.length > before ? undefined : headers;
}
