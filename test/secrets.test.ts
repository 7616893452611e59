import { beforeEach, describe, expect, it } from "vitest";
import { resultFromResponse } from "../src/notify/slack/answers.js";
import { webhookResultFromResponse } from "../src/notify/webhook/answers.js";
import { clearSecrets, isPublicSegment, maskUrl, redact, registerSecret } from "../src/secrets.js";

beforeEach(() => clearSecrets());

describe("secret URLs", () => {
  it("redacts a Slack URL's T…, B… and token where a receiver echoes only the path", () => {
    registerSecret("https://hooks.slack.com/services/T04ABCDEF/B05GHIJKL/xoxTokenValue123456");
    expect(redact("Cannot POST /services/T04ABCDEF/B05GHIJKL/xoxTokenValue123456")).toBe("Cannot POST /services/T…/B…/****");
    expect(redact("token xoxTokenValue123456 of team T04ABCDEF")).toBe("token **** of team T…");
    expect(redact("https://hooks.slack.com/services/T04ABCDEF/B05GHIJKL/xoxTokenValue123456")).toBe("https://hooks.slack.com/services/T…/B…/****");
  });

  it("redacts every path segment that is not a public word, the query, each query value, and their decoded forms", () => {
    registerSecret("https://pager.example.com/api/v2/hooks/a8f3kd92ja/alerts?token=Wh%2FQuery99&team=ops#frag-s3cret");
    expect(redact("404 Cannot POST /api/v2/hooks/a8f3kd92ja/alerts?token=Wh%2FQuery99&team=ops")).toBe("404 Cannot POST /api/v2/hooks/****/alerts?****");
    expect(redact("token=Wh/Query99 (decoded)")).toBe("token=**** (decoded)");
    expect(redact("team=ops, ops team, hops")).toBe("team=****, **** team, hops");
    expect(redact("#frag-s3cret")).toBe("#****");
    // Public words stay, so Lookout's own text is not mangled.
    expect(redact("the webhook alerts api v2 hooks")).toBe("the webhook alerts api v2 hooks");
  });

  it("treats lowercase words of up to 12 letters and v1-style tags as public, anything else as secret", () => {
    for (const p of ["hooks", "services", "alertmanager", "alert-hooks", "push_api", "v1", "v12"]) expect(isPublicSegment(p)).toBe(true);
    for (const p of ["abcdefghijklmnop", "T04ABC", "Hooks", "a8f3", "12345", "nightlybackups", "x.y"]) expect(isPublicSegment(p)).toBe(false);
  });

  it("masks a URL that has only a query", () => {
    expect(maskUrl("https://example.com/?key=abcdef123")).toBe("https://example.com/****");
    expect(maskUrl("https://example.com")).toBe("https://example.com");
  });
});

describe("short secrets", () => {
  it("masks a secret shorter than 6 characters where it stands as a whole token, not inside other words", () => {
    registerSecret("k3y12", "****");
    expect(redact("key=k3y12)")).toBe("key=****)");
    expect(redact("k3y12")).toBe("****");
    expect(redact("k3y123 ak3y12 k3y12_x")).toBe("k3y123 ak3y12 k3y12_x");
    registerSecret("a.b", "****");
    expect(redact("a.b axb")).toBe("**** axb");
  });
});

describe("answers are redacted where they enter", () => {
  it("a Slack answer that is the token itself does not become the code", () => {
    registerSecret("https://hooks.slack.com/services/T04ABCDEF/B05GHIJKL/lowercasetokenvalue");
    const r = resultFromResponse({ status: 404, body: "lowercasetokenvalue" }, "https://hooks.slack.com/services/T…/B…/****");
    expect(r.code).toBeUndefined();
    expect(JSON.stringify(r)).not.toContain("lowercasetokenvalue");
  });

  it("a webhook's echo of a short header value is masked", () => {
    registerSecret("k3y12", "****");
    const r = webhookResultFromResponse({ status: 401, body: "bad key=k3y12" }, { name: "pager", target: "https://example.com/****", headerNames: ["X-Api-Key"] });
    expect(r.message).toContain('"bad key=****"');
  });
});
