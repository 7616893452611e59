import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../../src/notify/http-answers.js";
import { isLookoutBugCode, resultFromError, resultFromResponse } from "../../../src/notify/slack/answers.js";
import { registerSecret } from "../../../src/secrets.js";

const URL_ = "https://hooks.slack.com/services/T0SECRET/B0SECRET/abcdefSECRETtoken";
const TARGET = "https://hooks.slack.com/services/T…/B…/****";

function answer(status: number, body: string, retryAfter?: string) {
  return resultFromResponse({ status, body, retryAfter }, TARGET, 1_000_000);
}

function withCode(code: string, extra: Record<string, unknown> = {}): Error {
  const cause = Object.assign(new Error(`connect ${code} 1.2.3.4:443`), { code, ...extra });
  return new TypeError("fetch failed", { cause });
}

function expectNoSecret(message: string): void {
  expect(message).not.toContain("SECRET");
  expect(message).not.toContain(URL_);
}

describe("HTTP answers", () => {
  it("200 ok", () => {
    const r = answer(200, "ok");
    expect(r).toMatchObject({ ok: true, retryable: false, status: 200, code: "ok" });
    expect(r.message).toContain(TARGET);
  });

  const cases: Array<[number, string, boolean, RegExp]> = [
    [400, "invalid_payload", false, /please report it/],
    [400, "invalid_blocks", false, /please report it/],
    [400, "invalid_blocks_format", false, /please report it/],
    [400, "no_text", false, /please report it/],
    [400, "too_many_attachments", false, /please report it/],
    [403, "invalid_token", false, /new incoming webhook/],
    [403, "action_prohibited", false, /admin/],
    [403, "team_disabled", false, /active workspace/],
    [403, "invalid_team", false, /copied completely/],
    [404, "no_service", false, /new incoming webhook/],
    [404, "channel_not_found", false, /channel .*no longer exists.*new incoming webhook/],
    [404, "user_not_found", false, /user .*no longer exists/],
    [410, "channel_is_archived", false, /Unarchive the channel/],
    [500, "rollup_error", true, /try again/],
    [503, "", true, /try again/],
    [408, "", true, /try again/],
    [418, "i_am_a_teapot", false, /"i_am_a_teapot"/],
    [400, "Something odd", false, /"Something odd"/],
  ];
  for (const [status, body, retryable, fix] of cases) {
    it(`${status} ${body || "(empty)"} → retryable ${retryable}`, () => {
      const r = answer(status, body);
      expect(r.ok).toBe(false);
      expect(r.retryable).toBe(retryable);
      expect(r.status).toBe(status);
      if (/^[a-z_]+$/.test(body)) expect(r.code).toBe(body);
      expect(r.message).toMatch(fix);
      expect(r.message).toContain(TARGET);
      expect(r.message).not.toMatch(/hooks\.slack\.com\/services\/T[^…]/);
    });
  }

  it("429 reads Retry-After seconds", () => {
    const r = answer(429, "rate_limited", "3");
    expect(r).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 3000, code: "rate_limited" });
    expect(r.message).toMatch(/rate-limiting.*try again in 3s/);
  });

  it("429 without Retry-After is still retryable", () => {
    const r = answer(429, "");
    expect(r.retryable).toBe(true);
    expect(r.retryAfterMs).toBeUndefined();
  });

  it("Retry-After as an HTTP date, and junk", () => {
    const now = Date.UTC(2024, 0, 1, 0, 0, 0);
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:10 GMT", now)).toBe(10_000);
    expect(parseRetryAfter("Mon, 01 Jan 2023 00:00:10 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("quotes an HTML page as such, not verbatim", () => {
    const r = answer(403, "<!DOCTYPE html><html><body>Blocked by proxy</body></html>");
    expect(r.retryable).toBe(false);
    expect(r.message).toContain("HTML page");
    expect(r.message).not.toContain("<html>");
  });

  it("never quotes a registered secret back", () => {
    registerSecret(URL_);
    const r = answer(400, `bad request to ${URL_}`);
    expectNoSecret(r.message);
  });

  it("bug codes", () => {
    expect(isLookoutBugCode("invalid_blocks")).toBe(true);
    expect(isLookoutBugCode("no_service")).toBe(false);
    expect(isLookoutBugCode(undefined)).toBe(false);
  });
});

describe("network errors", () => {
  const cases: Array<[string, Error, boolean, RegExp]> = [
    ["ENOTFOUND", withCode("ENOTFOUND"), true, /DNS/],
    ["EAI_AGAIN", withCode("EAI_AGAIN"), true, /DNS/],
    ["ECONNREFUSED", withCode("ECONNREFUSED"), true, /refused/],
    ["ECONNRESET", withCode("ECONNRESET"), true, /dropped/],
    ["ENETUNREACH", withCode("ENETUNREACH"), true, /cannot reach/],
    ["CERT_HAS_EXPIRED", withCode("CERT_HAS_EXPIRED"), false, /NODE_EXTRA_CA_CERTS/],
    ["SELF_SIGNED_CERT_IN_CHAIN", withCode("SELF_SIGNED_CERT_IN_CHAIN"), false, /proxy/],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", withCode("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), false, /certificate/],
    ["ERR_TLS_CERT_ALTNAME_INVALID", withCode("ERR_TLS_CERT_ALTNAME_INVALID"), false, /certificate/],
    ["EWHATEVER", withCode("EWHATEVER"), true, /EWHATEVER/],
  ];
  for (const [name, err, retryable, fix] of cases) {
    it(`${name} → retryable ${retryable}`, () => {
      const r = resultFromError(err, TARGET);
      expect(r.ok).toBe(false);
      expect(r.retryable).toBe(retryable);
      expect(r.status).toBeUndefined();
      expect(r.message).toMatch(fix);
      expect(r.message).toContain(TARGET);
    });
  }

  it("timeout (AbortSignal.timeout) names the limit", () => {
    const err = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const r = resultFromError(err, TARGET, { timeoutMs: 10_000 });
    expect(r).toMatchObject({ ok: false, retryable: true, code: "timeout" });
    expect(r.message).toContain("within 10s");
  });

  it("the kernel's connect timeout (ETIMEDOUT) and AbortError", () => {
    expect(resultFromError(withCode("ETIMEDOUT"), TARGET).code).toBe("timeout");
    const aborted = resultFromError(new DOMException("This operation was aborted", "AbortError"), TARGET);
    expect(aborted).toMatchObject({ retryable: true, code: "aborted" });
  });

  it("finds the code inside an AggregateError (several addresses refused)", () => {
    const agg = new AggregateError([Object.assign(new Error("connect ECONNREFUSED ::1:1"), { code: "ECONNREFUSED" })], "");
    const r = resultFromError(new TypeError("fetch failed", { cause: agg }), TARGET);
    expect(r.code).toBe("ECONNREFUSED");
  });

  it("an invalid URL is not retryable and the URL is not quoted", () => {
    const err = new TypeError(`Failed to parse URL from ${URL_}`, { cause: Object.assign(new TypeError("Invalid URL"), { code: "ERR_INVALID_URL" }) });
    const r = resultFromError(err, TARGET);
    expect(r.retryable).toBe(false);
    expectNoSecret(r.message);
  });

  it("an error with no code is retryable and says nothing of the error text", () => {
    const r = resultFromError(new Error(`boom ${URL_}`), TARGET);
    expect(r.retryable).toBe(true);
    expectNoSecret(r.message);
  });
});
