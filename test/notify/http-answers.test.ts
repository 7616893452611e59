/**
 * The rules every HTTP receiver shares (http-answers.ts): which answers are
 * delivered, retried, refused for what the message holds, how long a receiver
 * may hold its queue, and which network troubles are worth another try. The
 * wording is a stand-in that names the kind of answer: the receivers' own
 * words are tested with each receiver.
 */
import { describe, expect, it } from "vitest";
import {
  AGENT_RETRY,
  type AnswerKind,
  type AnswerWording,
  answerExcerpt,
  classifyStatus,
  type NetworkWording,
  ONE_SHOT_RETRY,
  parseRetryAfter,
  quoteBody,
  resultFromAnswer,
  resultFromNoAnswer,
} from "../../src/notify/http-answers.js";
import { classifyNetworkError } from "../../src/notify/network-errors.js";
import { clearSecrets, registerSecret } from "../../src/secrets.js";

const NOW = Date.UTC(2024, 0, 1, 0, 0, 0);
const IN_10S = "Mon, 01 Jan 2024 00:00:10 GMT";

const said = (kind: string) => (f: { status: number; waitMs?: number; quoted: string }) => `${kind} ${f.status} wait=${f.waitMs ?? "-"} ${f.quoted}`;

const WORDING: AnswerWording = {
  delivered: "delivered",
  htmlPage: "a proxy",
  words: {
    redirect: said("redirect"),
    rate_limited: said("rate_limited"),
    request_timeout: said("request_timeout"),
    server_error: said("server_error"),
    unauthorized: said("unauthorized"),
    forbidden: said("forbidden"),
    not_found: said("not_found"),
    method_not_allowed: said("method_not_allowed"),
    refused: said("refused"),
  },
};

describe("HTTP answers: one ladder for every receiver", () => {
  const table: Array<{ status: number; kind: AnswerKind; retryable: boolean; code: string; refused?: boolean }> = [
    { status: 200, kind: "ok", retryable: false, code: "ok" },
    { status: 204, kind: "ok", retryable: false, code: "ok" },
    { status: 301, kind: "redirect", retryable: false, code: "redirect" },
    { status: 400, kind: "refused", retryable: false, code: "refused", refused: true },
    { status: 401, kind: "unauthorized", retryable: false, code: "unauthorized" },
    { status: 403, kind: "forbidden", retryable: false, code: "forbidden" },
    { status: 404, kind: "not_found", retryable: false, code: "not_found" },
    { status: 405, kind: "method_not_allowed", retryable: false, code: "method_not_allowed" },
    { status: 408, kind: "request_timeout", retryable: true, code: "timeout" },
    { status: 410, kind: "not_found", retryable: false, code: "not_found" },
    { status: 413, kind: "refused", retryable: false, code: "refused", refused: true },
    { status: 418, kind: "refused", retryable: false, code: "refused" },
    { status: 422, kind: "refused", retryable: false, code: "refused", refused: true },
    { status: 429, kind: "rate_limited", retryable: true, code: "rate_limited" },
    { status: 500, kind: "server_error", retryable: true, code: "server_error" },
    { status: 502, kind: "server_error", retryable: true, code: "server_error" },
    { status: 503, kind: "server_error", retryable: true, code: "server_error" },
  ];
  for (const { status, kind, retryable, code, refused } of table) {
    it(`${status} → ${kind}, retryable ${retryable}${refused ? ", this message refused" : ""}`, () => {
      expect(classifyStatus(status)).toBe(kind);
      const r = resultFromAnswer({ status, body: "nope" }, WORDING, NOW);
      expect(r).toMatchObject({ ok: kind === "ok", retryable, status, code });
      expect(r.messageRefused === true).toBe(refused === true);
      expect(r.retryAfterMs).toBeUndefined();
      expect(r.timedOut).toBeUndefined();
      expect(r.message).toBe(kind === "ok" ? "delivered" : `${kind} ${status} wait=- "nope"`);
    });
  }

  const retryAfter: Array<[string, string | null | undefined, number | undefined]> = [
    ["seconds", "3", 3000],
    ["fractional seconds", "1.5", 1500],
    ["an HTTP date", IN_10S, 10_000],
    ["an HTTP date in the past", "Mon, 01 Jan 2023 00:00:10 GMT", 0],
    ["junk", "soon", undefined],
    ["nothing", undefined, undefined],
    ["null", null, undefined],
  ];
  for (const [what, header, ms] of retryAfter) {
    it(`429 with Retry-After as ${what} → retryAfterMs ${ms}`, () => {
      expect(parseRetryAfter(header, NOW)).toBe(ms);
      const r = resultFromAnswer({ status: 429, body: "", retryAfter: header }, WORDING, NOW);
      expect(r).toMatchObject({ ok: false, retryable: true, status: 429, code: "rate_limited" });
      expect(r.retryAfterMs).toBe(ms);
      expect(r.message).toBe(`rate_limited 429 wait=${ms ?? "-"} an empty answer`);
    });
  }

  it("503's Retry-After is honoured only by receivers that say so; other 5xx never carry one", () => {
    expect(resultFromAnswer({ status: 503, body: "", retryAfter: "7" }, WORDING, NOW).retryAfterMs).toBeUndefined();
    const honours = { ...WORDING, retryAfterOn503: true };
    expect(resultFromAnswer({ status: 503, body: "", retryAfter: "7" }, honours, NOW).retryAfterMs).toBe(7000);
    expect(resultFromAnswer({ status: 503, body: "", retryAfter: IN_10S }, honours, NOW).retryAfterMs).toBe(10_000);
    expect(resultFromAnswer({ status: 500, body: "", retryAfter: "7" }, honours, NOW).retryAfterMs).toBeUndefined();
    expect(resultFromAnswer({ status: 502, body: "", retryAfter: "7" }, honours, NOW).retryAfterMs).toBeUndefined();
  });

  it("a receiver without words for a kind gets its refused words, and that code", () => {
    const few: AnswerWording = {
      ...WORDING,
      words: { redirect: said("redirect"), rate_limited: said("rate_limited"), request_timeout: said("x"), server_error: said("x"), refused: said("refused") },
    };
    for (const status of [401, 403, 404, 405, 410]) {
      expect(resultFromAnswer({ status, body: "" }, few, NOW)).toMatchObject({ retryable: false, code: "refused", message: `refused ${status} wait=- an empty answer` });
    }
  });

  it("a receiver's own codes: read from the body, worded by it, never retried; it says which refuse the message", () => {
    const own: AnswerWording = {
      ...WORDING,
      readCode: (body) => (/^[a-z_]+$/.test(body) ? body : undefined),
      byCode: (code, f) => (code === "gone_for_good" ? `own ${code} ${f.status}` : undefined),
      resultCode: (kind, code) => code ?? (kind === "ok" ? "ok" : undefined),
      refusesMessage: (_status, code) => code === "bad_blocks",
    };
    expect(resultFromAnswer({ status: 500, body: "gone_for_good" }, own, NOW)).toEqual({
      ok: false,
      retryable: false,
      status: 500,
      code: "gone_for_good",
      message: "own gone_for_good 500",
    });
    // A code it has no words for keeps its status's rule and words, and is the result's code.
    expect(resultFromAnswer({ status: 503, body: "busy" }, own, NOW)).toMatchObject({ retryable: true, code: "busy", message: 'server_error 503 wait=- "busy"' });
    expect(resultFromAnswer({ status: 400, body: "bad_blocks" }, own, NOW).messageRefused).toBe(true);
    expect(resultFromAnswer({ status: 400, body: "Something odd" }, own, NOW).messageRefused).toBeUndefined();
    expect(resultFromAnswer({ status: 400, body: "Something odd" }, own, NOW).code).toBeUndefined();
  });

  it("quotes a body redacted, on one line, cut to 200 characters; an HTML page as such", () => {
    clearSecrets();
    registerSecret("tok-7f3a9c1e5b2d8e4f");
    expect(quoteBody("", "a proxy")).toBe("an empty answer");
    expect(quoteBody("denied for tok-7f3a9c1e5b2d8e4f\n\tbye", "a proxy")).toBe('"denied for **** bye"');
    expect(quoteBody("<!DOCTYPE html><html>blocked</html>", "a proxy")).toBe("an HTML page, likely from a proxy");
    const long = quoteBody("x".repeat(500), "a proxy");
    expect(long).toBe(`"${"x".repeat(199)}…"`);
    const r = resultFromAnswer({ status: 400, body: "echo tok-7f3a9c1e5b2d8e4f" }, WORDING, NOW);
    expect(r.message).not.toContain("tok-7f3a9c1e5b2d8e4f");
  });

  it("keeps a delivered answer as its status and a redacted, one-line excerpt of at most 200 characters", () => {
    clearSecrets();
    registerSecret("tok-7f3a9c1e5b2d8e4f");
    expect(resultFromAnswer({ status: 200, body: "ok" }, WORDING, NOW).answer).toBe("200 ok");
    expect(answerExcerpt(202, "")).toBe("202 Accepted");
    expect(answerExcerpt(204, " \n ")).toBe("204 No Content");
    expect(answerExcerpt(299, "")).toBe("299");
    expect(answerExcerpt(200, "queued as tok-7f3a9c1e5b2d8e4f\r\n\x1b[2Jnext\u202egnp.exe\u2028end")).toBe("200 queued as **** [2Jnext gnp.exe end");
    const long = answerExcerpt(200, `${"é".repeat(150)}${"\u{1F680}".repeat(100)}`);
    expect(long.length).toBeLessThanOrEqual(4 + 200);
    expect(long.endsWith("…")).toBe(true);
    expect(long).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    // Redacted before the cut: no start of a secret is left where the cut falls in it.
    const cut = answerExcerpt(200, `${"a ".repeat(95)}tok-7f3a9c1e5b2d8e4f`);
    expect(cut).not.toContain("tok-");
    // Failed answers keep none: their message says it.
    expect(resultFromAnswer({ status: 500, body: "boom" }, WORDING, NOW).answer).toBeUndefined();
  });

  it("says trying again for the agent or for a person at a terminal", () => {
    expect(AGENT_RETRY()).toBe("Lookout will try again.");
    expect(AGENT_RETRY(3000)).toBe("Lookout will try again in 3s.");
    expect(ONE_SHOT_RETRY()).toBe("A temporary problem: run lookout test-notify again in a minute.");
    expect(ONE_SHOT_RETRY(120_000)).toBe("A temporary problem: run lookout test-notify again in 2m.");
  });
});

function withCode(code: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(`connect ${code} 1.2.3.4:443`), { code }) });
}

const NET: NetworkWording = {
  timeout: (f) => `timeout ${f.code}${f.within} ${f.again}`,
  aborted: (f) => `aborted ${f.code}`,
  invalid_url: (f) => `invalid_url ${f.code}`,
  invalid_request: (f) => `invalid_request ${f.code}`,
  no_code: (f) => `no_code ${f.code}`,
  dns: (f) => `dns ${f.code}`,
  refused: (f) => `refused ${f.code}`,
  reset: (f) => `reset ${f.code}`,
  unreachable: (f) => `unreachable ${f.code}`,
  certificate: (f) => `certificate ${f.code}`,
  other: (f) => `other ${f.code}`,
};

describe("no answer: one network ladder for every receiver", () => {
  const table: Array<[string, unknown, string, string, boolean]> = [
    ["ECONNREFUSED", withCode("ECONNREFUSED"), "refused", "ECONNREFUSED", true],
    ["ENOTFOUND", withCode("ENOTFOUND"), "dns", "ENOTFOUND", true],
    ["EAI_AGAIN", withCode("EAI_AGAIN"), "dns", "EAI_AGAIN", true],
    ["CERT_HAS_EXPIRED", withCode("CERT_HAS_EXPIRED"), "certificate", "CERT_HAS_EXPIRED", false],
    ["SELF_SIGNED_CERT_IN_CHAIN", withCode("SELF_SIGNED_CERT_IN_CHAIN"), "certificate", "SELF_SIGNED_CERT_IN_CHAIN", false],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", withCode("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), "certificate", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", false],
    ["ERR_TLS_CERT_ALTNAME_INVALID", withCode("ERR_TLS_CERT_ALTNAME_INVALID"), "certificate", "ERR_TLS_CERT_ALTNAME_INVALID", false],
    ["ECONNRESET", withCode("ECONNRESET"), "reset", "ECONNRESET", true],
    ["EPIPE", withCode("EPIPE"), "reset", "EPIPE", true],
    ["ENETUNREACH", withCode("ENETUNREACH"), "unreachable", "ENETUNREACH", true],
    ["EHOSTUNREACH", withCode("EHOSTUNREACH"), "unreachable", "EHOSTUNREACH", true],
    ["ETIMEDOUT", withCode("ETIMEDOUT"), "timeout", "timeout", true],
    ["TimeoutError (AbortSignal.timeout)", new DOMException("The operation was aborted due to timeout", "TimeoutError"), "timeout", "timeout", true],
    ["AbortError (Lookout stopping)", new DOMException("This operation was aborted", "AbortError"), "aborted", "aborted", true],
    ["ERR_INVALID_URL", withCode("ERR_INVALID_URL"), "invalid_url", "ERR_INVALID_URL", false],
    ["ERR_INVALID_CHAR", withCode("ERR_INVALID_CHAR"), "invalid_request", "ERR_INVALID_CHAR", false],
    ["an error without a code", new Error("boom"), "no_code", "network_error", true],
    ["something thrown that is not an error", "oops", "no_code", "network_error", true],
    ["an unknown code", withCode("EWHATEVER"), "other", "EWHATEVER", true],
  ];
  for (const [what, err, trouble, code, retryable] of table) {
    it(`${what} → ${trouble}, code ${code}, retryable ${retryable}`, () => {
      expect(classifyNetworkError(err).trouble).toBe(trouble);
      const r = resultFromNoAnswer(err, NET);
      expect(r).toMatchObject({ ok: false, retryable, code });
      expect(r.status).toBeUndefined();
      expect(r.timedOut === true).toBe(trouble === "timeout");
      expect(r.message.startsWith(`${trouble} ${code}`)).toBe(true);
    });
  }

  it("finds the code inside an AggregateError (several addresses refused)", () => {
    const agg = new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:1"), { code: "ECONNREFUSED" })], "");
    expect(resultFromNoAnswer(new TypeError("fetch failed", { cause: agg }), NET).code).toBe("ECONNREFUSED");
  });

  it("names the time limit and the retry wording", () => {
    const r = resultFromNoAnswer(new DOMException("t", "TimeoutError"), NET, { timeoutMs: 10_000, retry: ONE_SHOT_RETRY });
    expect(r.message).toBe("timeout timeout within 10s A temporary problem: run lookout test-notify again in a minute.");
  });

  it("a receiver without words for an invalid request words it, and retries it, as any other code", () => {
    const { invalid_request: _, ...without } = NET;
    expect(resultFromNoAnswer(withCode("ERR_INVALID_CHAR"), without)).toMatchObject({ retryable: true, code: "ERR_INVALID_CHAR", message: "other ERR_INVALID_CHAR" });
  });
});
