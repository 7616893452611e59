import { redact } from "./secrets.js";

/**
 * The agent's log: one line per event on stderr, `LEVEL message key=value`,
 * every line passed through `redact` so no secret can leak. Alerts themselves
 * go to stdout through the console notifier, so stdout stays the alert stream.
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

function write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold) return;
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
  if (fields) {
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const text = typeof v === "string" ? v : JSON.stringify(v);
      line += ` ${k}=${/[\s"]/.test(text) ? JSON.stringify(text) : text}`;
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
