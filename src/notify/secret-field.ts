/**
 * A receiver's secret given as a value (`token: ${NTFY_TOKEN}`) or read from
 * a file (`token_file: /run/secrets/ntfy`): the one read, registered as a
 * secret at once, checked to be one line of visible text (it goes into a
 * header or a form), and what is wrong said naming the key, never the value.
 * Shared by the push and paging receivers (ntfy, Gotify, Pushover, PagerDuty).
 */
import { resolve } from "node:path";
import { readSecretFile } from "../config/files.js";
import { DEFAULT_LOCALE, type MessageKey, type Messages, messages } from "../i18n/messages.js";
import { registerSecret } from "../secrets.js";
import { entryMessages, type ReceiverContext } from "./receiver-plugin.js";

/**
 * `entry[field]`, else the content of `entry[field_file]`; undefined when
 * neither is set or something is wrong (said in `ctx.problems`). `what` names
 * it in messages, as a catalogue noun: "entry.what.accessToken".
 */
export function secretField(entry: object, field: string, what: MessageKey, ctx: ReceiverContext): string | undefined {
  const m = entryMessages(ctx);
  const values = entry as Record<string, unknown>;
  const given = values[field];
  const file = values[`${field}_file`];
  let value: string;
  let key: string;
  if (typeof file === "string") {
    key = `${ctx.key}.${field}_file`;
    const read = readSecretFile(resolve(ctx.baseDir, file), key, what, m);
    if (typeof read !== "string") {
      ctx.problems.push(read.problem);
      return undefined;
    }
    if (read === "") {
      ctx.problems.push(m.t("entry.fileEmpty", { key, file: resolve(ctx.baseDir, file), what: m.t(what) }));
      return undefined;
    }
    value = read;
  } else if (typeof given === "string") {
    key = `${ctx.key}.${field}`;
    value = given.trim();
    registerSecret(given);
    registerSecret(value);
    if (value === "") {
      ctx.problems.push(m.t("entry.valueEmpty.env", { key, what: m.t(what) }));
      return undefined;
    }
  } else {
    return undefined;
  }
  if (!/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value)) {
    ctx.problems.push(m.t("entry.badChars", { key, what: m.t(what) }));
    return undefined;
  }
  return value;
}

/** An http(s) URL, else a problem naming `key` (the value is not shown: it may hold a secret), in `m`'s language. */
export function checkHttpUrl(url: string, key: string, example: string, problems: string[], m: Messages = messages(DEFAULT_LOCALE)): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(m.t("entry.url.notUrl", { key, example, length: url.length }));
    return undefined;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    problems.push(m.t("entry.url.notHttp", { key, example }));
    return undefined;
  }
  return parsed;
}
