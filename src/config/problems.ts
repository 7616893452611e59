/**
 * What is wrong with a config value, in the language the loader chose.
 *
 * zod keeps a schema's message as a string only, so the schema writes each of
 * its messages as a catalogue key and its parameters packed into that string
 * (`say`), and whoever shows the problem renders it (`problemText`, `issueText`)
 * in its own language: the loader in the config's (`locale:`, LOOKOUT_LOCALE),
 * the Docker policy in the process's. Rendering when the schema is built would
 * fix one language for the process before any config has been read. zod's own
 * messages (a `.min(1)` without a message of ours) stay zod's words in English
 * (tests and people's scripts compare them) and become catalogue texts, by issue
 * code, in every other language: no English sentence is glued to a Korean one.
 */
import type { z } from "zod";
import type { MessageKey, Messages, Params } from "../i18n/messages.js";

/** What starts a packed message: a NUL, which no message of ours or zod's holds. */
const MARK = "\u0000said:";

/**
 * The message `key` with `params`, packed for zod: `{ error: say("config.expected.url", { example }) }`.
 * A param may itself be a packed message (rendered in the same language).
 */
export function say(key: MessageKey, params?: Readonly<Record<string, string | number>>): string {
  return MARK + JSON.stringify(params === undefined ? [key] : [key, params]);
}

/** Whether `message` is packed by `say`. */
export function isSaid(message: string): boolean {
  return message.startsWith(MARK);
}

/** `message` in `m`'s language when `say` packed it; else as written. */
export function problemText(message: string, m: Messages): string {
  if (!isSaid(message)) return message;
  const [key, params] = JSON.parse(message.slice(MARK.length)) as [MessageKey, Params | undefined];
  const filled: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(params ?? {})) filled[name] = typeof value === "string" ? problemText(value, m) : value;
  return m.t(key, filled);
}

/** The words of one zod issue (not the key path, not the value found), in `m`'s language. */
export function issueText(issue: z.core.$ZodIssue, m: Messages): string {
  if (isSaid(issue.message) || m.locale === "en") return problemText(issue.message, m);
  switch (issue.code) {
    case "invalid_type":
      return m.t("config.zod.type", { expected: typeName(issue.expected, m) });
    case "too_small":
    case "too_big": {
      const bound = String(issue.code === "too_small" ? issue.minimum : issue.maximum);
      const inclusive = issue.inclusive !== false;
      const what = issue.origin === "string" ? "chars" : issue.origin === "array" || issue.origin === "set" ? "items" : inclusive ? "number" : "exclusive";
      return m.t(`config.zod.${issue.code === "too_small" ? "min" : "max"}.${what}` as MessageKey, { bound });
    }
    case "invalid_value":
      return m.t("config.zod.oneOf", { values: issue.values.map((v) => JSON.stringify(v)).join(m.t("list.sep")) });
    case "invalid_format":
      return m.t("config.zod.format");
    default:
      return m.t("config.zod.invalid");
  }
}

function typeName(expected: string, m: Messages): string {
  switch (expected) {
    case "string":
      return m.t("config.zod.type.string");
    case "number":
      return m.t("config.zod.type.number");
    case "int":
      return m.t("config.zod.type.int");
    case "boolean":
      return m.t("config.zod.type.boolean");
    case "array":
      return m.t("config.zod.type.array");
    case "object":
    case "record":
    case "map":
      return m.t("config.zod.type.object");
    default:
      return expected;
  }
}
