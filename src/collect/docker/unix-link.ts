/**
 * A connection to a local unix socket, bytes in and out, for socketGet
 * (socket-get.ts), the Docker client's GET. Two ways to make one, the same to
 * their caller:
 *
 * - "pipe": Node's own pipe handle (`process.binding("pipe_wrap")`, what
 *   node:net wraps), driven directly: connect, read, write, close. Loading
 *   node:net loads Node's stream machinery with it (28 modules, ~10 ms of CPU
 *   on a 2-core machine), the largest single cost of a steady `lookout check`
 *   after Node's own start; a GET this way costs ~2 ms in all
 *   (docs/benchmarks.md, section 2). `process.binding` is deprecated in
 *   Node's documentation only (DEP0111: it warns under --pending-deprecation,
 *   when this is not used), and its handles are not a public API: so it is
 *   used only on Node 20, the Node it was written and is tested against, when
 *   every part found is what this file expects; the first surprise (a call
 *   that throws) turns it off for the process.
 * - "net": node:net's `createConnection`, the public way, on any other Node,
 *   when the first is off, or when asked for (the tests run both).
 *
 * Either reports, in this order: `connect`, then `data` (each piece as it
 * came), then `end` (the other side closed) or `error` (an Error with Node's
 * `code` and `syscall`: ENOENT, EACCES, ECONNREFUSED, ECONNRESET), then
 * `close` once, also after `destroy()`.
 */
import { getSystemErrorName } from "node:util";

export type UnixTransport = "pipe" | "net";

export interface LinkEvents {
  connect(): void;
  data(chunk: Buffer): void;
  end(): void;
  error(err: Error): void;
  close(): void;
}

export interface UnixLink {
  /** Sends `text` (latin1: a request's head). */
  write(text: string): void;
  /** Closes the connection; `close` follows. */
  destroy(): void;
}

/** The parts of Node's pipe handle this file uses, as found. */
interface PipeParts {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => { oncomplete: (status: number) => void };
  WriteWrap: new () => { handle: PipeHandle; oncomplete: (status: number) => void; async: boolean };
  socketType: number;
  state: Int32Array;
  readBytesOrError: number;
  arrayBufferOffset: number;
}

interface PipeHandle {
  connect(req: object, path: string): number | undefined;
  readStart(): number;
  writeLatin1String(req: object, text: string): number;
  close(cb: () => void): void;
  onread: (buffer: ArrayBuffer | undefined) => void;
}

const ignoreRead = (): void => undefined;

/** The pipe's parts once found (null: not there, or turned off); undefined until first asked. */
let pipeParts: PipeParts | null | undefined;

function findPipeParts(): PipeParts | null {
  // Only the Node whose handles this was written and tested against (package.json's engines start there); any other
  // takes node:net. A handle used wrongly fails an assertion in Node's C++, which ends the process: not worth a guess.
  if (process.versions.node.split(".")[0] !== "20") return null;
  const options = `${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`;
  if (options.includes("--pending-deprecation")) return null; // process.binding would warn
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
    const pipe = binding("pipe_wrap");
    const stream = binding("stream_wrap");
    const constants = pipe.constants as Record<string, unknown> | undefined;
    const { Pipe, PipeConnectWrap } = pipe;
    const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset } = stream;
    const proto = typeof Pipe === "function" ? (Pipe.prototype as Record<string, unknown>) : {};
    const ok =
      typeof Pipe === "function" &&
      typeof PipeConnectWrap === "function" &&
      typeof WriteWrap === "function" &&
      typeof constants?.SOCKET === "number" &&
      streamBaseState instanceof Int32Array &&
      typeof kReadBytesOrError === "number" &&
      typeof kArrayBufferOffset === "number" &&
      ["connect", "readStart", "writeLatin1String", "close"].every((m) => typeof proto[m] === "function");
    if (!ok) return null;
    return {
      Pipe: Pipe as PipeParts["Pipe"],
      PipeConnectWrap: PipeConnectWrap as PipeParts["PipeConnectWrap"],
      WriteWrap: WriteWrap as PipeParts["WriteWrap"],
      socketType: constants.SOCKET as number,
      state: streamBaseState,
      readBytesOrError: kReadBytesOrError,
      arrayBufferOffset: kArrayBufferOffset,
    };
  } catch {
    return null;
  }
}

/** The transport a link takes when none is asked for: the pipe where its parts are as expected, else node:net. */
export function defaultTransport(): UnixTransport {
  pipeParts ??= findPipeParts();
  return pipeParts === null ? "net" : "pipe";
}

/** A libuv status (negative errno) as Node's own network errors are: `connect ENOENT /path`, with code and syscall. */
function uvError(status: number, syscall: string, path: string): Error {
  let code: string;
  try {
    code = getSystemErrorName(status);
  } catch {
    code = `E${-status}`;
  }
  return Object.assign(new Error(`${syscall} ${code} ${path}`), { code, errno: status, syscall, address: path });
}

/** Connects to the unix socket `path`; what happens comes to `events`. Never throws. */
export function openUnixLink(path: string, events: LinkEvents, transport: UnixTransport = defaultTransport()): UnixLink {
  if (transport === "pipe") {
    pipeParts ??= findPipeParts();
    if (pipeParts !== null) {
      try {
        return pipeLink(pipeParts, path, events);
      } catch {
        pipeParts = null; // not the handle this file knows: node:net from now on
      }
    }
  }
  return netLink(path, events);
}

function pipeLink(parts: PipeParts, path: string, events: LinkEvents): UnixLink {
  const handle = new parts.Pipe(parts.socketType);
  let closed = false;
  /** Writes in flight, kept while the link is (the handle holds them only natively); one a request. */
  const writes = new Set<object>();
  const close = (): void => {
    if (closed) return;
    closed = true;
    handle.onread = ignoreRead; // a function: Node's handle refuses anything else
    handle.close(() => events.close());
  };
  // Closed first, so that nothing reports twice; `close` still comes after `error` (the handle closes on a later turn).
  const fail = (err: Error): void => {
    if (closed) return;
    close();
    events.error(err);
  };
  const req = new parts.PipeConnectWrap();
  req.oncomplete = (status: number) => {
    if (closed) return;
    if (status < 0) {
      fail(uvError(status, "connect", path));
      return;
    }
    handle.onread = (buffer) => {
      const n = parts.state[parts.readBytesOrError]!;
      if (n > 0 && buffer !== undefined) {
        events.data(Buffer.from(buffer, parts.state[parts.arrayBufferOffset]!, n));
      } else if (n < 0) {
        if (getSystemErrorName(n) === "EOF") {
          events.end();
          close();
        } else {
          fail(uvError(n, "read", path));
        }
      }
    };
    const err = handle.readStart();
    if (err < 0) {
      fail(uvError(err, "read", path));
      return;
    }
    events.connect();
  };
  const err = handle.connect(req, path);
  if (typeof err === "number" && err < 0) {
    // As node:net reports it: after this call has returned.
    process.nextTick(() => fail(uvError(err, "connect", path)));
  }
  return {
    write(text: string): void {
      if (closed) return;
      const w = new parts.WriteWrap();
      w.handle = handle;
      w.async = false;
      w.oncomplete = (status: number) => {
        writes.delete(w);
        if (status < 0) fail(uvError(status, "write", path));
      };
      writes.add(w);
      const status = handle.writeLatin1String(w, text);
      if (status < 0) fail(uvError(status, "write", path));
    },
    destroy: close,
  };
}

function netLink(path: string, events: LinkEvents): UnixLink {
  let socket: import("node:net").Socket;
  try {
    socket = process.getBuiltinModule("node:net").createConnection({ path });
  } catch (err) {
    process.nextTick(() => {
      events.error(err instanceof Error ? err : new Error(String(err)));
      events.close();
    });
    return { write: () => undefined, destroy: () => undefined };
  }
  socket.on("connect", () => events.connect());
  socket.on("data", (chunk: Buffer) => events.data(chunk));
  socket.on("end", () => events.end());
  socket.on("error", (err) => events.error(err));
  socket.on("close", () => events.close());
  return {
    write: (text) => void socket.write(text, "latin1"),
    destroy: () => void socket.destroy(),
  };
}
