/**
 * Typed errors. Every error that can reach a user carries a message written for
 * that user (what happened and what to do), never a stack trace. The CLI prints
 * it in the process's language (`describeError`) and exits with `exitCode`.
 *
 * An error may carry its text as a catalogue key and its parameters (`Said`)
 * rather than as a sentence: it is rendered when it is shown, in the language
 * of whoever shows it (`describeError`: the process's, i18n/current.ts), so an
 * error thrown before the config is loaded still speaks the config's language
 * when it is printed. `userMessage` (and `message`) stay the English text: the
 * log's fields, tests and code that matches on it see what they always saw.
 */
import { processMessages } from "./i18n/current.js";
import { type Locale, type MessageKey, type Messages, messages, type Params } from "./i18n/messages.js";

/** A catalogue text not rendered yet: its key and what fills its `{name}`s. */
export interface Said {
  readonly key: MessageKey;
  readonly params?: Params;
}

/** `{ key, params }`, for a `LookoutError` or a problem rendered later. */
export function said(key: MessageKey, params?: Params): Said {
  return params === undefined ? { key } : { key, params };
}

/** The text of `s` in `m`'s language (English by default). */
export function sayIn(s: Said, m: Messages = messages("en")): string {
  return m.t(s.key, s.params);
}

export class LookoutError extends Error {
  readonly userMessage: string;
  readonly exitCode: number;
  /** The text as a catalogue key, when it was given as one: rendered in the language it is shown in (`textIn`). */
  readonly said: Said | undefined;
  constructor(text: string | Said, opts: { exitCode?: number; cause?: unknown } = {}) {
    const userMessage = typeof text === "string" ? text : sayIn(text);
    super(userMessage, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.userMessage = userMessage;
    this.said = typeof text === "string" ? undefined : text;
    this.exitCode = opts.exitCode ?? 1;
  }

  /** The message in `m`'s language: the catalogue's when it was given as a key, else `userMessage` as written. */
  textIn(m: Messages): string {
    return this.said ? sayIn(this.said, m) : this.userMessage;
  }
}

/** The configuration is invalid: one line per problem, exit code 2. */
export class ConfigError extends LookoutError {
  readonly problems: string[];
  /** The file (or "built-in defaults") the problems are in. */
  readonly source: string;
  /**
   * The language the problems are written in: the frame around them (`lookout: FILE: invalid configuration`)
   * is said in it too, so a line never mixes languages. English unless the loader chose another
   * (config/load.ts: LOOKOUT_LOCALE, else the file's own `locale:`).
   */
  readonly locale: Locale;
  constructor(problems: string[], source: string, locale: Locale = "en") {
    super(`${source}: invalid configuration\n${problems.map((p) => `  ${p}`).join("\n")}`, { exitCode: 2 });
    this.problems = problems;
    this.source = source;
    this.locale = locale;
  }

  /** In the language the problems are written in, whatever `m`'s: a line never mixes languages. */
  override textIn(_m: Messages): string {
    return [this.head(), ...this.problems.map((p) => `  ${p}`)].join("\n");
  }

  /** `FILE: invalid configuration`, in the problems' language. */
  head(): string {
    const m = messages(this.locale);
    return m.t("error.config.invalid", { source: this.source === BUILT_IN ? m.t("error.config.builtIn") : this.source });
  }
}

/** ConfigError's `source` when no file was read. */
export const BUILT_IN = "built-in defaults";

/** The command line is wrong (unknown flag, bad value). */
export class UsageError extends LookoutError {
  constructor(message: string | Said) {
    super(message, { exitCode: 2 });
  }
}

/**
 * Something on disk (the data directory, its database, its lock, a state file
 * to import) cannot be used: exit code 3, however it fails.
 */
export class StorageError extends LookoutError {
  constructor(userMessage: string | Said, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(userMessage, { ...opts, exitCode: opts.exitCode ?? 3 });
  }
}

/** Human-readable text of any thrown value, without a stack, in `m`'s language (the process's by default). */
export function describeError(err: unknown, m: Messages = processMessages()): string {
  if (err instanceof LookoutError) return err.textIn(m);
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
