/**
 * One GET over a local unix socket, its answer read whole: how the Docker
 * client asks the daemon's socket everything but the events stream
 * (engine.ts). Written by hand over a bare connection (unix-link.ts: Node's
 * pipe handle, else node:net), not with node:http, because it
 * is the hot path of every `lookout check` and every cycle of `lookout run`:
 * Node's HTTP client cost a steady `check` ~12 ms of CPU on a 2-core machine
 * (loading it, and running its request, agent and parser code for the first
 * time; ~20 ms in bench/check-floor.cjs, the least a check can do), where the
 * target for a whole `check` is 120 (docs/benchmarks.md, section 2, "The
 * least a check can cost").
 *
 * HTTP/1.1 with `Connection: close`, one connection per request: the daemon
 * (Go's net/http) frames every answer, a small one with its Content-Length, a
 * larger one chunked, and closes the connection after it, so an answer cut
 * short (the daemon restarting) is told from a whole one; an answer without
 * either ends where the connection does. Nothing here knows Docker: the
 * caller maps a failure (an error with Node's `code`: ENOENT, EACCES,
 * ECONNREFUSED, ECONNRESET for an answer cut short, EPROTO for one that is
 * not HTTP) to what the user should do.
 */
import { openUnixLink, type UnixLink, type UnixTransport } from "./unix-link.js";

/** What ends a request: an AbortSignal, or anything that has these of it (engine.ts's deadline). */
export interface EndSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export interface SocketGetOptions {
  /** The most body bytes kept; past them the answer is `cut` and the connection closed. */
  maxBytes: number;
  /** Ends the request (the socket is destroyed, the promise rejected). */
  signal?: EndSignal;
  /** How to connect (unix-link.ts); by default Node's pipe handle where it is as expected, else node:net. */
  transport?: UnixTransport;
}

export interface SocketAnswer {
  status: number;
  /** At most `maxBytes`. */
  body: Buffer;
  /** Whether the body went on past `maxBytes` (and was not read further). */
  cut: boolean;
}

/** The most an answer's status line and headers may take. */
const MAX_HEAD_BYTES = 64 * 1024;

const HEAD_END = Buffer.from("\r\n\r\n");
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

/** An error carrying a code, as Node's own network errors do. */
function failure(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The framing of the body, from the answer's headers. */
type Framing = { kind: "length"; length: number } | { kind: "chunked" } | { kind: "close" };

/** The status and framing of an answer's head (the bytes before the blank line); null when it is not HTTP/1.x. */
export function parseHead(head: string): { status: number; framing: Framing } | null {
  const lines = head.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? "");
  if (!m) return null;
  let framing: Framing = { kind: "close" };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "transfer-encoding") {
      if (value.toLowerCase() === "chunked") framing = { kind: "chunked" };
      else if (value.toLowerCase() !== "identity") return null;
    } else if (name === "content-length" && framing.kind !== "chunked") {
      if (!/^\d{1,15}$/.test(value)) return null;
      framing = { kind: "length", length: Number(value) };
    }
  }
  return { status: Number(m[1]), framing };
}

/**
 * A chunked body decoded: `done` once its last (empty) chunk came, `body` what
 * came so far; null when the framing is broken.
 */
export function decodeChunked(raw: Buffer): { body: Buffer; done: boolean } | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf("\r\n", at, "latin1");
    if (eol === -1) return { body: Buffer.concat(parts), done: false };
    const sizeText = raw.toString("latin1", at, eol).split(";")[0]!.trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) return null;
    const size = Number.parseInt(sizeText, 16);
    if (size === 0) return { body: Buffer.concat(parts), done: true };
    const start = eol + 2;
    if (raw.length < start + size + 2) {
      parts.push(raw.subarray(start, Math.min(raw.length, start + size)));
      return { body: Buffer.concat(parts), done: false };
    }
    if (raw[start + size] !== 0x0d || raw[start + size + 1] !== 0x0a) return null;
    parts.push(raw.subarray(start, start + size));
    at = start + size + 2;
  }
}

/** GET `path` from the HTTP server on the unix socket `socketPath`, its answer read whole (up to `maxBytes`). */
export function socketGet(socketPath: string, path: string, opts: SocketGetOptions): Promise<SocketAnswer> {
  return new Promise<SocketAnswer>((resolve, reject) => {
    const { signal } = opts;
    // As node:http refuses them (ERR_UNESCAPED_CHARACTERS): a space, a control character or a line break in the
    // path would end the request line early or add a header. Lookout's paths are its own, with ids encoded.
    if (!/^\/[\x21-\x7e]*$/.test(path)) {
      reject(failure("the request's path holds characters a request line cannot", "ERR_UNESCAPED_CHARACTERS"));
      return;
    }
    if (signal?.aborted) {
      reject(failure("the request was ended before it was sent", "ABORT_ERR"));
      return;
    }
    let socket: UnixLink | undefined;
    let settled = false;
    const chunks: Buffer[] = [];
    let size = 0;
    let head: { status: number; framing: Framing; bodyStart: number } | null = null;

    const finish = (err: Error | null, answer?: SocketAnswer): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      socket?.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const onAbort = (): void => finish(failure("the request was ended", "ABORT_ERR"));

    /** Everything that came, as one buffer (the pieces joined once, then kept joined). */
    const whole = (): Buffer => {
      if (chunks.length > 1) chunks.splice(0, chunks.length, Buffer.concat(chunks, size));
      return chunks[0] ?? Buffer.alloc(0);
    };

    // A chunked body is read up to maxBytes and its framing's few bytes a chunk more: past that, it is cut.
    const chunkedRawLimit = opts.maxBytes + opts.maxBytes / 16 + 1024;

    /**
     * The answer from what came (`ended`: the connection closed after it); an Error when it cannot be one; null when
     * a chunked body is neither whole nor past the limit yet.
     */
    const answer = (ended: boolean): SocketAnswer | Error | null => {
      if (head === null) return failure("the connection closed before an answer came", "ECONNRESET");
      let body = whole().subarray(head.bodyStart);
      if (head.framing.kind === "length") {
        if (ended && body.length < head.framing.length && body.length <= opts.maxBytes) return failure("the connection closed in the middle of an answer", "ECONNRESET");
        body = body.subarray(0, head.framing.length);
      } else if (head.framing.kind === "chunked") {
        const decoded = decodeChunked(body);
        if (decoded === null) return failure("the answer's chunked body is malformed", "EPROTO");
        if (!decoded.done && decoded.body.length <= opts.maxBytes) {
          if (ended) return failure("the connection closed in the middle of an answer", "ECONNRESET");
          // Stopped by the raw size (many small chunks: their framing took the rest): what came is kept, and said cut.
          if (size - head.bodyStart > chunkedRawLimit) return { status: head.status, body: decoded.body, cut: true };
          return null;
        }
        body = decoded.body;
      }
      if (body.length > opts.maxBytes) return { status: head.status, body: Buffer.from(body.subarray(0, opts.maxBytes)), cut: true };
      return { status: head.status, body, cut: false };
    };
    const settle = (a: SocketAnswer | Error | null): void => {
      if (a instanceof Error) finish(a);
      else if (a !== null) finish(null, a);
    };

    /** A chunked body's last chunk ("0" and an empty trailer) is at the end of what came. */
    const lastChunkCame = (): boolean => {
      const tail = LAST_CHUNK.length;
      const last = chunks[chunks.length - 1]!;
      const bytes = last.length >= tail ? last.subarray(last.length - tail) : whole().subarray(Math.max(0, size - tail));
      return bytes.equals(LAST_CHUNK);
    };

    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (head === null) {
        const all = whole();
        const end = all.indexOf(HEAD_END);
        if (end === -1) {
          if (size > MAX_HEAD_BYTES) finish(failure("the answer's headers are too long", "EPROTO"));
          return;
        }
        const parsed = parseHead(all.toString("latin1", 0, end));
        if (parsed === null) {
          finish(failure("the answer is not HTTP", "EPROTO"));
          return;
        }
        head = { ...parsed, bodyStart: end + HEAD_END.length };
      }
      const raw = size - head.bodyStart;
      const { framing } = head;
      // Worth a look when it can be whole (its length came, or what may be its last chunk) or is past the limit.
      const due =
        framing.kind === "length"
          ? raw >= Math.min(framing.length, opts.maxBytes + 1)
          : framing.kind === "chunked"
            ? raw > chunkedRawLimit || lastChunkCame()
            : raw > opts.maxBytes;
      if (due) settle(answer(false));
    };

    signal?.addEventListener("abort", onAbort, { once: true });
    const request = `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`;
    socket = openUnixLink(
      socketPath,
      {
        connect: () => socket?.write(request),
        data: onData,
        end: () => settle(answer(true)),
        error: (err) => finish(err),
        close: () => finish(failure("the connection closed before an answer came", "ECONNRESET")),
      },
      opts.transport,
    );
  });
}
