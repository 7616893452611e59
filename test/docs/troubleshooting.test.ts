/**
 * README's Troubleshooting table quotes what `lookout test-notify` says. Each
 * quoted phrase is checked here against what Lookout really says for that
 * answer (Slack's wording, as test-notify words it): a reworded answer fails
 * this test until the README is changed with it, and a row with no scenario
 * here fails too.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ONE_SHOT_RETRY } from "../../src/notify/http-answers.js";
import { resultFromError, resultFromResponse } from "../../src/notify/slack/answers.js";

const ROOT = join(import.meta.dirname, "..", "..");
const TARGET = "https://hooks.slack.com/services/T…/B…/****";
const NOW = Date.parse("2026-12-01T00:00:00Z");

const answer = (status: number, body: string, retryAfter?: string) => {
  const r = resultFromResponse({ status, body, retryAfter: retryAfter ?? null }, TARGET, NOW, ONE_SHOT_RETRY);
  return `${r.ok ? "OK" : "FAILED"}: ${r.message}`;
};
const noAnswer = (code: string, name?: string) => {
  const err = Object.assign(new Error(code), { code });
  if (name) err.name = name;
  return `FAILED: ${resultFromError(err, TARGET, { timeoutMs: 10_000, retry: ONE_SHOT_RETRY }).message}`;
};

/** The phrase in the README's first column, and what Lookout says in that case. */
const SCENARIOS: Record<string, () => string> = {
  "OK: Delivered to Slack": () => answer(200, "ok"),
  "this webhook does not exist": () => answer(404, "no_service"),
  "the token in the webhook URL is not valid": () => answer(403, "invalid_token"),
  "the channel of this webhook no longer exists": () => answer(404, "channel_not_found"),
  "the channel of this webhook is archived": () => answer(410, "channel_is_archived"),
  "does not allow this webhook to post there": () => answer(403, "action_prohibited"),
  "Slack is rate-limiting the webhook": () => answer(429, "rate_limited", "30"),
  "Slack had a problem on its side": () => answer(503, "service unavailable"),
  "an HTML page, likely from a proxy or firewall between this server and Slack": () => answer(403, "<html><body>Blocked by policy</body></html>"),
  "Could not look up the address of the webhook host": () => noAnswer("ENOTFOUND"),
  "was refused (ECONNREFUSED)": () => noAnswer("ECONNREFUSED"),
  "Slack did not answer within": () => noAnswer("ETIMEDOUT", "TimeoutError"),
  "could not be verified": () => noAnswer("UNABLE_TO_VERIFY_LEAF_SIGNATURE"),
  "This is a bug in Lookout": () => answer(400, "invalid_blocks"),
};
/** Rows that are not a receiver's answer: the CLI's own line, tested where the CLI is (test/cli). */
const ELSEWHERE = new Set(["no receiver configured"]);

function tableRows(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Troubleshooting\n"));
  if (!section) throw new Error("README.md has no Troubleshooting section");
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!).filter((p) => p !== "test-notify");
}

describe("README's Troubleshooting table", () => {
  it("has a scenario here for every row, and a row for every scenario", () => {
    const rows = tableRows();
    expect(rows.filter((r) => !ELSEWHERE.has(r)).sort()).toEqual(Object.keys(SCENARIOS).sort());
  });

  for (const [phrase, say] of Object.entries(SCENARIOS)) {
    it(`quotes what Lookout says: ${phrase}`, () => {
      expect(say()).toContain(phrase);
    });
  }
});
