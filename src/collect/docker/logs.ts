/**
 * Docker's log stream. For a container without a TTY, the logs endpoint sends
 * frames: an 8-byte header (stream: 0 stdin, 1 stdout, 2 stderr; three zero
 * bytes; the payload's length, big-endian uint32) then the payload. With a TTY
 * it sends the raw text. Pure: no I/O.
 */

export type LogStream = "stdout" | "stderr";

export interface LogFrame {
  stream: LogStream;
  text: string;
}

const HEADER = 8;

/** Whether `buf` starts like a frame header (stream 0, 1 or 2, then three zero bytes). */
function looksLikeHeader(buf: Buffer, at = 0): boolean {
  return buf.length - at >= 4 && (buf[at] ?? 9) <= 2 && buf[at + 1] === 0 && buf[at + 2] === 0 && buf[at + 3] === 0;
}

/**
 * Splits a log stream that arrives in chunks, cut anywhere (inside a header,
 * inside a payload, inside a UTF-8 character). `push` returns the frames (or
 * parts of frames) that are complete so far; `end` returns what is left,
 * including the text of a trailing frame the stream cut short. A stream that
 * does not start with a frame header is taken as raw text (a TTY, or a
 * daemon that does not multiplex), all of it stdout; so is the rest of a
 * stream whose header goes bad half-way.
 */
type StringDecoder = import("node:string_decoder").StringDecoder;

/** A UTF-8 decoder that keeps a character cut between chunks; node:string_decoder is loaded when a log is first read. */
function newDecoder(): StringDecoder {
  return new (process.getBuiltinModule("node:string_decoder").StringDecoder)("utf8");
}

export class Demultiplexer {
  #mode: "unknown" | "frames" | "raw" = "unknown";
  #pending: Buffer = Buffer.alloc(0);
  /** Bytes of the current frame's payload still to come, and its stream. */
  #remaining = 0;
  #stream: LogStream = "stdout";
  readonly #decoders: Record<LogStream, StringDecoder> = {
    stdout: newDecoder(),
    stderr: newDecoder(),
  };

  push(chunk: Buffer): LogFrame[] {
    const out: LogFrame[] = [];
    let buf = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = Buffer.alloc(0);

    if (this.#mode === "unknown") {
      if (buf.length < 4) {
        this.#pending = buf;
        return out;
      }
      this.#mode = looksLikeHeader(buf) ? "frames" : "raw";
    }

    while (buf.length > 0) {
      if (this.#mode === "raw") {
        this.#emit(out, "stdout", buf);
        break;
      }
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, buf.length);
        this.#emit(out, this.#stream, buf.subarray(0, take));
        this.#remaining -= take;
        buf = buf.subarray(take);
        continue;
      }
      // At a header.
      if (buf.length < HEADER) {
        if (buf.length >= 4 && !looksLikeHeader(buf)) {
          this.#mode = "raw";
          continue;
        }
        this.#pending = Buffer.from(buf);
        break;
      }
      if (!looksLikeHeader(buf)) {
        this.#mode = "raw";
        continue;
      }
      this.#stream = buf[0] === 2 ? "stderr" : "stdout";
      this.#remaining = buf.readUInt32BE(4);
      buf = buf.subarray(HEADER);
    }
    return out;
  }

  /** The rest: a trailing partial frame's text, a character cut short. */
  end(): LogFrame[] {
    const out: LogFrame[] = [];
    if (this.#pending.length > 0 && (this.#mode === "raw" || (this.#mode === "unknown" && !looksLikeHeader(this.#pending)))) {
      this.#emit(out, "stdout", this.#pending);
    }
    // A partial header at the very end carries no text.
    this.#pending = Buffer.alloc(0);
    for (const stream of ["stdout", "stderr"] as const) {
      const rest = this.#decoders[stream].end();
      if (rest) out.push({ stream, text: rest });
    }
    return out;
  }

  #emit(out: LogFrame[], stream: LogStream, bytes: Buffer): void {
    const text = this.#decoders[stream].write(bytes);
    if (text.length === 0) return;
    out.push({ stream, text });
  }
}

/** All frames of a complete log answer, in order. */
export function demultiplex(buf: Buffer): LogFrame[] {
  const d = new Demultiplexer();
  return [...d.push(buf), ...d.end()];
}

/**
 * The last `n` lines of `text`, oldest first, without their line ends (`\n`
 * or a TTY's `\r\n`). A final line end does not make an empty last line.
 */
export function lastLines(text: string, n: number): string[] {
  if (n <= 0 || text.length === 0) return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.slice(-n).map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}
