/**
 * Text from the machine (container names, labels, mount points, process names,
 * health-check output, log lines) is untrusted: it can hold newlines, ANSI
 * escape sequences and other control characters. These are the two ways such
 * text is made safe to show; each output (the terminal, Slack's mrkdwn, the log)
 * builds on one of them, so no control character reaches a reader raw.
 * JSON outputs keep the true value (JSON escapes it).
 *
 * Escaped characters are written as a reader would type them: `\n`, `\r`,
 * `\t`, `\x1b`, `\x7f`, `\u009b`, `\u202e`.
 */

/**
 * Characters never shown raw: C0 controls, DEL, C1 controls (0x9b is CSI on
 * some terminals), the line and paragraph separators, and the bidirectional
 * overrides and isolates that can reorder what a reader sees.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_BLOCK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function visible(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * For a single-line field (a title, a name, a label value, a fact, a table
 * cell, a terminal line): every control character is shown escaped, newlines
 * and tabs included, so the text can neither forge a line nor steer a terminal.
 */
export function oneLine(text: string): string {
  return text.replace(UNSAFE, visible);
}

/**
 * For a block of lines (log lines, health-check output): newlines and tabs are
 * the text's own and stay; a CR before a newline is dropped (Windows line
 * ends); every other control character is shown escaped.
 */
export function textBlock(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(UNSAFE_IN_BLOCK, visible);
}

/** Whether the text holds a character that `oneLine` would escape. */
export function hasControl(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}
