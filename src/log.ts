import { hasControl, oneLine } from "./escape.js";
import { redact } from "./secrets.js";
import { isoTime } from "./units.js";

/**
 * The agent's log: one line per event on stderr, `LEVEL message key=value`,
 * every line passed through `redact` so no secret can leak. Alerts themselves
 * go to stdout through the console notifier, so stdout stays the alert stream.
 * Field values are often machine text (a container name, a mount point): they
 * are quoted and escaped so a log line stays one line and no control character
 * reaches the terminal raw.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: number = ORDER[(process.env.LOOKOUT_LOG_LEVEL as LogLevel) ?? "info"] ?? ORDER.info;
let sink: (line: string) => void = (line) => process.stderr.write(line + "\n");

export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}

/** Tests capture log lines instead of printing them. */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn;
}

/**
 * A field value as the log shows it: bare when it is one plain word, else
 * quoted, with `"` and `\` backslashed and every control character shown as
 * `oneLine` shows it (`\n`, `\x1b`, `\u009b`; JSON.stringify would leave DEL,
 * C1 controls and the Unicode separators and bidi controls raw). So a line
 * stays one line and shows the same escapes as Slack and the terminal.
 */
export function logValue(text: string): string {
  if (!/[\s"\\]/.test(text) && !hasControl(text)) return text;
  return `"${oneLine(text.replace(/["\\]/g, "\\$&"))}"`;
}

function write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold) return;
  let line = `${isoTime(Date.now())} ${level.toUpperCase().padEnd(5)} ${oneLine(message)}`;
  if (fields) {
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const text = typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
      // Redacted before quoting too: quoting would change a secret holding `"` or `\`, and the last redact would miss it.
      line += ` ${k}=${logValue(redact(text))}`;
    }
  }
  sink(redact(line));
}

export const log = {
  debug: (m: string, f?: Record<string, unknown>) => write("debug", m, f),
  info: (m: string, f?: Record<string, unknown>) => write("info", m, f),
  warn: (m: string, f?: Record<string, unknown>) => write("warn", m, f),
  error: (m: string, f?: Record<string, unknown>) => write("error", m, f),
};
