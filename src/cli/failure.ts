/**
 * How a command that failed ends: its error as one sentence on stderr (a bad
 * config: one line per problem), secrets masked, no stack unless
 * LOOKOUT_DEBUG is set, and the exit code its kind of error has. Apart from
 * program.ts (commander) so that `lookout check` from cron, which does not
 * need commander (fast-path.ts), ends the same way.
 */
import { ConfigError, describeError, LookoutError } from "../errors.js";
import { oneLine, textBlock } from "../escape.js";
import { processMessages } from "../i18n/current.js";
import { type Messages, messages } from "../i18n/messages.js";
import { redact } from "../secrets.js";
import { writeAllNow } from "./output.js";

/** Says `err` on stderr and returns the exit code for it. */
export function failed(err: unknown): number {
  writeAllNow(errorText(err), 2);
  if (process.env.LOOKOUT_DEBUG && err instanceof Error && err.stack) writeAllNow(textBlock(redact(err.stack)) + "\n", 2);
  return err instanceof LookoutError ? err.exitCode : 1;
}

/** A command's exit code once its action returned: what it set, else 0. */
export function exitCodeSet(): number {
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}

/**
 * The error as the user sees it: one line (a bad config: one line per problem
 * under it), machine text in it escaped, secrets masked, no stack; in the
 * process's language (a bad config: in the language its problems are written in).
 */
export function errorText(err: unknown, m: Messages = processMessages()): string {
  if (err instanceof ConfigError) {
    const frame = messages(err.locale);
    return [frame.t("error.frame", { message: err.head() }), ...err.problems.map((p) => `  ${p}`)].map((l) => oneLine(redact(l))).join("\n") + "\n";
  }
  const message = oneLine(redact(describeError(err, m)));
  return m.t(err instanceof LookoutError ? "error.frame" : "error.frame.internal", { message }) + "\n";
}
