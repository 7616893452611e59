/**
 * The one HTTP request of every receiver (node:http and node:https), against
 * real servers on 127.0.0.1: what reaches the wire, how much of an answer is
 * read, and which error each way of getting no answer gives, with what that
 * means for delivery (resultFromNoAnswer).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { resultFromNoAnswer, serviceNoAnswerWording } from "../../src/notify/http-answers.js";
import { getText, postJson } from "../../src/notify/post-json.js";
import { listenOnLoopback } from "../support/loopback-server.js";

const WORDING = serviceNoAnswerWording("http://127.0.0.1/…", { what: "the test receiver" });

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the request to fail");
}

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function serve(handle: Parameters<typeof listenOnLoopback>[0]) {
  const s = await listenOnLoopback(handle);
  closers.push(() => {
    s.server.closeAllConnections();
    s.server.close();
  });
  return s;
}

describe("postJson on the wire", () => {
  it("sends the JSON with its Content-Length (not chunked), and keeps the connection for the next request", async () => {
    const seen: Array<{ headers: Record<string, unknown>; body: string; port: number | undefined }> = [];
    const { base } = await serve((_m, _u, headers, body, res) => {
      seen.push({ headers, body, port: res.socket?.remotePort });
      res.writeHead(200, { "retry-after": "7" }).end("ok");
    });
    const json = JSON.stringify({ text: "é" });
    const a = await postJson(`${base}/hook`, { "x-one": "1" }, json, 5_000);
    const b = await postJson(`${base}/hook`, {}, json, 5_000);
    expect(a).toEqual({ status: 200, body: "ok", retryAfter: "7" });
    expect(b.status).toBe(200);
    expect(seen[0]!.body).toBe(json);
    expect(seen[0]!.headers).toMatchObject({ "content-type": "application/json", "content-length": String(Buffer.byteLength(json)), "x-one": "1" });
    expect(seen[0]!.headers["transfer-encoding"]).toBeUndefined();
    expect(seen[1]!.port).toBe(seen[0]!.port);
  });

  it("reads an answer up to 16384 characters, and no further", async () => {
    const { base } = await serve((_m, _u, _h, _b, res) => res.writeHead(500).end("é".repeat(1_000_000)));
    const a = await postJson(`${base}/hook`, {}, "{}", 5_000);
    expect(a.status).toBe(500);
    expect(a.body).toBe("é".repeat(16_384));
  });

  it("getText: a GET with its headers, the answer cut to maxChars", async () => {
    const { base } = await serve((method, _u, headers, _b, res) => res.end(`${method} ${headers["user-agent"]} ${"x".repeat(5000)}`));
    const a = await getText(`${base}/ping`, { "user-agent": "Lookout/test" }, 5_000, 20);
    expect(a).toEqual({ status: 200, body: "GET Lookout/test xxx", retryAfter: null });
  });
});

describe("no answer: the error, and what it means", () => {
  it("no answer within the time limit: a TimeoutError (before the headers, and while the body comes)", async () => {
    const { base } = await serve((_m, url, _h, _b, res) => {
      if (url === "/body") res.writeHead(200).write("o"); // then nothing
    });
    for (const path of ["/headers", "/body"]) {
      const t0 = Date.now();
      const err = await rejection(postJson(`${base}${path}`, {}, "{}", 200));
      expect(Date.now() - t0).toBeLessThan(2_000);
      expect((err as Error).name).toBe("TimeoutError");
      expect(resultFromNoAnswer(err, WORDING, { timeoutMs: 200 })).toMatchObject({ ok: false, retryable: true, code: "timeout", timedOut: true });
    }
  });

  it("the caller's signal (Lookout stopping): an AbortError, at once", async () => {
    const { base } = await serve(() => undefined);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 50);
    const t0 = Date.now();
    const err = await rejection(postJson(`${base}/hook`, {}, "{}", 10_000, stop.signal));
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect((err as Error).name).toBe("AbortError");
    expect(resultFromNoAnswer(err, WORDING)).toMatchObject({ retryable: true, code: "aborted" });
  });

  it("a connection dropped before the answer: ECONNRESET, retried", async () => {
    const { base } = await serve((_m, _u, _h, _b, res) => res.socket?.destroy());
    const err = await rejection(postJson(`${base}/hook`, {}, "{}", 5_000));
    expect((err as NodeJS.ErrnoException).code).toBe("ECONNRESET");
    expect(resultFromNoAnswer(err, WORDING)).toMatchObject({ retryable: true, code: "ECONNRESET" });
  });

  it("nothing listening: ECONNREFUSED, retried", async () => {
    const { server, base } = await listenOnLoopback(() => undefined);
    await new Promise((r) => server.close(r));
    const err = await rejection(postJson(`${base}/hook`, {}, "{}", 5_000));
    expect(resultFromNoAnswer(err, WORDING)).toMatchObject({ retryable: true, code: "ECONNREFUSED" });
  });

  it("a header value that is not valid HTTP: ERR_INVALID_CHAR, an invalid request, not retried", async () => {
    const { base } = await serve((_m, _u, _h, _b, res) => res.end("ok"));
    const err = await rejection(postJson(`${base}/hook`, { authorization: "Bearer a\nb" }, "{}", 5_000));
    expect(resultFromNoAnswer(err, WORDING)).toMatchObject({ retryable: false, code: "ERR_INVALID_CHAR" });
  });

  it("a URL that does not parse: ERR_INVALID_URL, not retried", async () => {
    const err = await rejection(postJson("not a url", {}, "{}", 5_000));
    expect(resultFromNoAnswer(err, WORDING)).toMatchObject({ retryable: false, code: "ERR_INVALID_URL" });
  });
});

describe("https", () => {
  let server: HttpsServer;
  let base: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-tls-"));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost"].concat([
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ]),
      { stdio: "ignore" },
    );
    server = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) }, (_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("a certificate that cannot be verified: its code, a certificate problem, not retried", async () => {
    const err = await rejection(postJson(`${base}/hook`, {}, "{}", 5_000));
    expect((err as NodeJS.ErrnoException).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    const r = resultFromNoAnswer(err, WORDING);
    expect(r).toMatchObject({ retryable: false, code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    expect(r.message).toContain("NODE_EXTRA_CA_CERTS");
  });
});
