/**
 * Standard output (and error) when nobody reads them any more: `lookout run |
 * head -1`, `lookout status | head -1`, a closed terminal. A write to a closed
 * pipe fails with EPIPE, which Node reports as an 'error' event on the stream;
 * unhandled, it ends the process with a stack trace. Here such an error only
 * marks the stream closed: later writes are dropped, and whoever asked is told
 * once (`run` logs it on stderr and goes on; a one-shot command ends quietly,
 * as `ls | head -1` does).
 */
import { writeSync } from "node:fs";
import { describeError } from "../errors.js";

let stdoutClosed = false;
const closeListeners: Array<(why: string) => void> = [];
let guarded = false;

/**
 * Installs the handlers (once): from then on a closed stdout or stderr never ends the process. Each goes on its stream
 * when Node makes it, on first use, not here: making one for a pipe loads node:net and its streams (~10 ms of a
 * one-shot command on a 2-core machine), and a command that writes with writeAllNow (`status`, `silence`) makes none.
 */
export function guardOutput(): void {
  if (guarded) return;
  guarded = true;
  whenMade("stdout", (s) => s.on("error", (err: unknown) => stdoutFailed(err)));
  // Nothing is left to tell when stderr itself is closed: its writes are dropped.
  whenMade("stderr", (s) => s.on("error", () => undefined));
}

/** Calls `guard` with process[name] when Node makes it (its getter is first called), or now if it cannot wait. */
function whenMade(name: "stdout" | "stderr", guard: (stream: NodeJS.WriteStream) => void): void {
  const made = Object.getOwnPropertyDescriptor(process, name);
  if (made?.get === undefined || made.configurable !== true) {
    guard(process[name]);
    return;
  }
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: made.enumerable,
    get() {
      Object.defineProperty(process, name, made); // Node's own getter again, which keeps the stream it makes
      const stream = process[name];
      guard(stream);
      return stream;
    },
  });
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

/**
 * Writes all of `text` to standard output (or, `fd` 2, standard error) at once, with write(2), not through Node's
 * stream: a one-shot command (`check` from cron) that prints once and exits spares making the stream (~10 ms of its
 * start; ~1–2 ms for standard error's, made for a config's warnings). Not to be mixed with process.stdout in one
 * process (process.stderr is written at once on Linux, so its lines stay in order with these). A full non-blocking
 * pipe is waited on; a closed one (`lookout check | head -1`) ends the writing quietly, as `ls | head -1` does.
 */
export function writeAllNow(text: string, fd: 1 | 2 = 1): void {
  const bytes = Buffer.from(text, "utf8");
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") return; // EPIPE, EBADF: nobody reads it
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a full pipe: its reader is slow
    }
  }
}
