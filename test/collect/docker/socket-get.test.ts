/**
 * socketGet (the Docker client's GET over a unix socket) against a raw server
 * on a temporary unix socket that writes exactly the bytes each case needs:
 * each framing, answers cut short or split byte by byte, limits, and what is
 * not HTTP. engine.test.ts runs the client through Node's HTTP server, and
 * test/integration/engine.suite.ts through a real dockerd.
 */
import { linkSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { decodeChunked, parseHead, type SocketGetOptions, socketGet } from "../../../src/collect/docker/socket-get.js";
import { defaultTransport } from "../../../src/collect/docker/unix-link.js";
import { until } from "../../support/wait.js";

interface Rig {
  path: string;
  /** What each connection sent, as text. */
  seen: string[];
  /** Connections open now. */
  open: () => number;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A server that answers each connection's request with `write(socket)` once the request's head came. */
async function rig(write: (socket: Socket) => unknown): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), "lookout-socket-get-"));
  const path = join(dir, "s.sock");
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let text = "";
    socket.on("data", (b) => {
      text += b.toString("latin1");
      if (text.includes("\r\n\r\n") && !seen.includes(text)) {
        seen.push(text);
        void write(socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  return { path, seen, open: () => sockets.size };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

/** Writes `bytes` one at a time, each in its own write. */
async function trickle(socket: Socket, bytes: string): Promise<void> {
  for (const ch of bytes) {
    socket.write(ch, "latin1");
    await tick();
  }
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error("expected a rejection");
}

const LIMIT = { maxBytes: 1024 };

// Each transport of unix-link.ts the same: Node's pipe handle (the default on Node 20) and node:net.
describe.each(["pipe", "net"] as const)("socketGet over %s", (transport) => {
  const get = (socket: string, path: string, opts: SocketGetOptions = LIMIT) => socketGet(socket, path, { ...opts, transport });

  it("sends one HTTP/1.1 GET that asks the server to close, and reads a Content-Length body without waiting for the close", async () => {
    const r = await rig((s) => s.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"a":"bcd"}')); // left open
    const a = await get(r.path, "/v1.41/containers/json?all=true", LIMIT);
    expect(a).toEqual({ status: 200, body: Buffer.from('{"a":"bcd"}'), cut: false });
    expect(r.seen).toEqual(["GET /v1.41/containers/json?all=true HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]);
    await until(() => r.open() === 0, 2_000, "the client to close the connection", undefined, 10);
  });

  it("reads a chunked body that comes one byte at a time, chunk extensions and trailers included, and stops at its last chunk", async () => {
    const r = await rig((s) => trickle(s, "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n"));
    const a = await get(r.path, "/x", LIMIT);
    expect(a).toEqual({ status: 404, body: Buffer.from("hello, world"), cut: false });
  });

  it("reads a body without framing to the connection's end, and an empty one", async () => {
    const r = await rig((s) => s.end("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nline 1\nline 2\n"));
    expect(await get(r.path, "/logs", LIMIT)).toEqual({ status: 200, body: Buffer.from("line 1\nline 2\n"), cut: false });
    const empty = await rig((s) => s.end("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"));
    expect(await get(empty.path, "/x", LIMIT)).toEqual({ status: 204, body: Buffer.alloc(0), cut: false });
  });

  it("keeps at most maxBytes and says more came, whatever the framing", async () => {
    const big = "x".repeat(3000);
    const chunked = (s: Socket) =>
      s.end(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${"3e8\r\n" + "y".repeat(1000) + "\r\n"}${"3e8\r\n" + "y".repeat(1000) + "\r\n"}0\r\n\r\n`);
    for (const write of [(s: Socket) => s.end(`HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n${big}`), (s: Socket) => s.end(`HTTP/1.1 200 OK\r\n\r\n${big}`), chunked]) {
      const r = await rig(write);
      const a = await get(r.path, "/x", LIMIT);
      expect(a.cut).toBe(true);
      expect(a.body.length).toBe(1024);
    }
    // Many one-byte chunks: the limit is reached by the framing's bytes first; what came is kept and said cut, not whole.
    const tiny = await rig((s) => s.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${"1\r\nt\r\n".repeat(600)}`)); // left open
    const t = await get(tiny.path, "/x", LIMIT);
    expect(t.cut).toBe(true);
    expect(t.body.toString()).toMatch(/^t{300,600}$/);
    const exact = await rig((s) => s.end(`HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n${"z".repeat(1024)}`));
    expect((await get(exact.path, "/x", LIMIT)).cut).toBe(false);
  });

  it("fails as a cut connection (ECONNRESET) when an answer ends early, so that the caller may ask again", async () => {
    const cases = [
      (s: Socket) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial":'),
      (s: Socket) => s.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
      (s: Socket) => s.end("HTTP/1.1 200 OK\r\nContent-"),
      (s: Socket) => s.destroy(),
    ];
    for (const write of cases) {
      const r = await rig(write);
      expect((await rejection(get(r.path, "/x", LIMIT))).code).toBe("ECONNRESET");
    }
  });

  it("refuses what is not an HTTP answer (EPROTO): another protocol, a broken chunk, endless headers", async () => {
    const cases = [
      (s: Socket) => s.end("SSH-2.0-OpenSSH_9.2\r\n\r\n"),
      (s: Socket) => s.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
      (s: Socket) => s.write(`HTTP/1.1 200 OK\r\n${"X-Long: y\r\n".repeat(7000)}`),
    ];
    for (const write of cases) {
      const r = await rig(write);
      expect((await rejection(get(r.path, "/x", LIMIT))).code).toBe("EPROTO");
    }
  });

  it("refuses a path that would break the request line, and sends nothing", async () => {
    const r = await rig((s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"));
    for (const path of ["/v1.41/info\r\nX-Injected: 1", "/a b", "relative", "/caf\u00e9", "/tab\there"]) {
      expect((await rejection(get(r.path, path, LIMIT))).code, JSON.stringify(path)).toBe("ERR_UNESCAPED_CHARACTERS");
    }
    expect((await get(r.path, "/v1.41/containers/a%20b/json?all=true&x=%0D", LIMIT)).status).toBe(200);
    expect(r.seen).toEqual(["GET /v1.41/containers/a%20b/json?all=true&x=%0D HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"]);
  });

  it("passes on the socket's own error (ENOENT for a socket that is not there)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-socket-get-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    expect((await rejection(get(join(dir, "none.sock"), "/x", LIMIT))).code).toBe("ENOENT");
    // A socket file nobody listens on any more (a second name of one, which outlives its server): refused, as
    // Docker's socket is when the daemon died without removing it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, "live.sock"), resolve));
    const stale = join(dir, "stale.sock");
    linkSync(join(dir, "live.sock"), stale);
    await new Promise((resolve) => server.close(resolve));
    const refused = await rejection(get(stale, "/x", LIMIT));
    expect([refused.code, (refused as { syscall?: string }).syscall]).toEqual(["ECONNREFUSED", "connect"]);
  });

  it("ends the request when its signal aborts, and closes the connection", async () => {
    const r = await rig(() => undefined); // never answers
    const ac = new AbortController();
    const p = get(r.path, "/x", { ...LIMIT, signal: ac.signal });
    await until(() => r.seen.length > 0, 2_000, "the request to come", undefined, 10);
    ac.abort();
    expect((await rejection(p)).code).toBe("ABORT_ERR");
    await until(() => r.open() === 0, 2_000, "the client to close the connection", undefined, 10);
    expect((await rejection(get(r.path, "/x", { ...LIMIT, signal: ac.signal }))).code).toBe("ABORT_ERR"); // already aborted: not sent
    expect(r.seen.length).toBe(1);
  });
});

describe("parseHead and decodeChunked", () => {
  it("reads the status and the framing; refuses what it cannot frame", () => {
    expect(parseHead("HTTP/1.1 200 OK\r\nContent-Length: 12")).toEqual({ status: 200, framing: { kind: "length", length: 12 } });
    expect(parseHead("HTTP/1.1 500 Internal Server Error\r\ncontent-length: 3\r\nTRANSFER-ENCODING: Chunked")).toEqual({ status: 500, framing: { kind: "chunked" } });
    expect(parseHead("HTTP/1.0 200")).toEqual({ status: 200, framing: { kind: "close" } });
    expect(parseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked")).toBeNull();
    expect(parseHead("HTTP/1.1 200 OK\r\nContent-Length: -1")).toBeNull();
    expect(parseHead("HTTP/1.1 200 OK\r\nno colon here")).toBeNull();
    expect(parseHead("HTTP/2 200")).toBeNull();
  });

  it("decodes what came of a chunked body, and says when it is whole", () => {
    expect(decodeChunked(Buffer.from("3\r\nabc\r\n0\r\n\r\n"))).toEqual({ body: Buffer.from("abc"), done: true });
    expect(decodeChunked(Buffer.from("3\r\nabc\r\n4\r\nde"))).toEqual({ body: Buffer.from("abcde"), done: false });
    expect(decodeChunked(Buffer.from("3\r\nabcX\r\n"))).toBeNull();
    expect(decodeChunked(Buffer.from("-3\r\nabc\r\n"))).toBeNull();
  });
});

describe("unix-link's transport", () => {
  // After every request above: one that had found the handle not as expected would have turned it off for good.
  it("is Node's pipe handle on the Node this suite runs on (20), whose handles it was written against, still", () => {
    expect(process.versions.node.split(".")[0]).toBe("20");
    expect(defaultTransport()).toBe("pipe");
  });
});
