/**
 * Typed errors. Every error that can reach a user carries a message written for
 * that user (what happened and what to do), never a stack trace. The CLI prints
 * `userMessage` and exits with `exitCode`.
 */
export class LookoutError extends Error {
  readonly userMessage: string;
  readonly exitCode: number;
  constructor(userMessage: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(userMessage, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.userMessage = userMessage;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** The configuration is invalid: one line per problem, exit code 2. */
export class ConfigError extends LookoutError {
  readonly problems: string[];
  /** The file (or "built-in defaults") the problems are in. */
  readonly source: string;
  constructor(problems: string[], source: string) {
    super(`${source}: invalid configuration\n${problems.map((p) => `  ${p}`).join("\n")}`, { exitCode: 2 });
    this.problems = problems;
    this.source = source;
  }
}

/** The command line is wrong (unknown flag, bad value). */
export class UsageError extends LookoutError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
  }
}

/**
 * Something on disk (the data directory, its database, its lock, a state file
 * to import) cannot be used: exit code 3, however it fails.
 */
export class StorageError extends LookoutError {
  constructor(userMessage: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(userMessage, { ...opts, exitCode: opts.exitCode ?? 3 });
  }
}

/** Human-readable text of any thrown value, without a stack. */
export function describeError(err: unknown): string {
  if (err instanceof LookoutError) return err.userMessage;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
