/**
 * Standard output (and error) when nobody reads them any more: `lookout run |
 * head -1`, `lookout status | head -1`, a closed terminal. A write to a closed
 * pipe fails with EPIPE, which Node reports as an 'error' event on the stream;
 * unhandled, it ends the process with a stack trace. Here such an error only
 * marks the stream closed: later writes are dropped, and whoever asked is told
 * once (`run` logs it on stderr and goes on; a one-shot command ends quietly,
 * as `ls | head -1` does).
 */
import { describeError } from "../errors.js";

let stdoutClosed = false;
const closeListeners: Array<(why: string) => void> = [];
let guarded = false;

/** Installs the handlers (once): from then on a closed stdout or stderr never ends the process. */
export function guardOutput(): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on("error", (err: unknown) => stdoutFailed(err));
  // Nothing is left to tell when stderr itself is closed: its writes are dropped.
  process.stderr.on("error", () => undefined);
}

function stdoutFailed(err: unknown): void {
  if (stdoutClosed) return;
  stdoutClosed = true;
  const why = (err as NodeJS.ErrnoException).code ?? describeError(err);
  for (const fn of closeListeners) {
    try {
      fn(why);
    } catch {
      /* a listener that fails changes nothing here */
    }
  }
}

/** Called once, with the error code (EPIPE), when stdout turns out to be closed. */
export function whenStdoutCloses(fn: (why: string) => void): void {
  closeListeners.push(fn);
}

/** Writes to stdout; dropped once stdout is closed. */
export function writeOut(text: string): void {
  if (stdoutClosed) return;
  try {
    process.stdout.write(text);
  } catch (err) {
    stdoutFailed(err);
  }
}

export function isStdoutClosed(): boolean {
  return stdoutClosed;
}
