/**
 * `lookout test-webhook` and `lookout check` with ntfy, Gotify, Pushover and
 * PagerDuty receivers configured: each sends its test to a stand-in and says
 * the service's answer in plain words; secrets given as ${ENV} or *_file are
 * never printed, even when the service refuses them; a bad entry is refused
 * naming the key and the fix.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, workspace } from "../support/cli.js";
import { GotifyStandIn, NtfyStandIn, PagerdutyStandIn, PushoverStandIn } from "../support/push-standins.js";

const NTFY_PASSWORD = "ntfy-pass-w0rd-secret";
const GOTIFY_TOKEN = "AgotifySecretTok";
const PUSHOVER_TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi";
const PUSHOVER_USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG";
const PD_KEY = "R0utingKeyR0utingKeyR0utingKey12";
const SECRETS = [NTFY_PASSWORD, Buffer.from(`lookout:${NTFY_PASSWORD}`).toString("base64"), GOTIFY_TOKEN, PUSHOVER_TOKEN, PUSHOVER_USER, PD_KEY];

const ntfy = new NtfyStandIn("lookout-7f3kq9x2m4", `Basic ${Buffer.from(`lookout:${NTFY_PASSWORD}`).toString("base64")}`);
const gotify = new GotifyStandIn(GOTIFY_TOKEN);
const pushover = new PushoverStandIn(PUSHOVER_TOKEN, PUSHOVER_USER);
const pd = new PagerdutyStandIn();

beforeAll(async () => {
  await Promise.all([ntfy.start(), gotify.start(), pushover.start(), pd.start()]);
});
afterAll(async () => {
  await Promise.all([ntfy.close(), gotify.close(), pushover.close(), pd.close()]);
});

function config(): { config: string; env: Record<string, string> } {
  const ws = workspace();
  writeFileSync(join(ws.dir, "pushover-user"), `${PUSHOVER_USER}\n`, { mode: 0o600 });
  writeFileSync(join(ws.dir, "ntfy-password"), NTFY_PASSWORD, { mode: 0o600 });
  writeFileSync(
    ws.config,
    [
      "notify:",
      "  ntfy:",
      "    - name: phone",
      `      url: ${ntfy.base}`,
      "      topic: lookout-7f3kq9x2m4",
      "      username: lookout",
      "      password_file: ntfy-password",
      "  gotify:",
      `    - url: ${gotify.base}`,
      "      token: ${GOTIFY_TOKEN}",
      "  pushover:",
      "    - name: me",
      "      token: ${PUSHOVER_TOKEN}",
      "      user_key_file: pushover-user",
      `      api_url: ${pushover.url}`,
      "  pagerduty:",
      "    - name: oncall",
      "      routing_key: ${PD_KEY}",
      `      url: ${pd.url}`,
      "      min_severity: critical",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  return { config: ws.config, env: { GOTIFY_TOKEN, PUSHOVER_TOKEN, PD_KEY } };
}

describe("lookout test-webhook with push and paging receivers", () => {
  it("sends each receiver's test and says each answer; no secret is printed", async () => {
    const { config: path, env } = config();
    const r = await runCli(["test-webhook", "--config", path], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^phone \(http:\/\/127\.0\.0\.1:\d+\/\*\*\*\*\): OK: ntfy phone .* published the test message/m);
    expect(r.stdout).toMatch(/^gotify\[0\] \(.*\): OK: Gotify gotify\[0\] .* took the test message/m);
    expect(r.stdout).toMatch(/^me \(.*\): OK: Pushover me .* took the test message/m);
    expect(r.stdout).toMatch(/^oncall \(.*\): OK: PagerDuty oncall .* took the test alert \(severity info\) and its resolve/m);
    for (const s of SECRETS) expect(r.stdout + r.stderr).not.toContain(s);
    expect(ntfy.accepted).toHaveLength(1);
    expect(gotify.accepted).toHaveLength(1);
    expect(pushover.accepted).toHaveLength(1);
    expect(pd.accepted).toHaveLength(2);
  });

  it("says a refusal in the service's words, a rate limit as a temporary problem, and still prints no secret", async () => {
    const { config: path, env } = config();
    pushover.mode = "rate_limited";
    pushover.resetAt = Math.floor(Date.now() / 1000) + 55 * 60; // "in 54m" or "55m": never on a unit's edge (an hour could round to "1h")
    gotify.mode = "down";
    const r = await runCli(["test-webhook", "--config", path], { env: { ...env, GOTIFY_TOKEN: "Awrongwrongwrong" } });
    pushover.mode = "ok";
    gotify.mode = "ok";
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^gotify\[0\] .*FAILED: Gotify .*HTTP 503.*run lookout test-notify again/m);
    expect(r.stdout).toMatch(
      /^me .*FAILED: Pushover me: the application's messages for this month are used up \(HTTP 429\); they are back at .*run lookout test-notify again in 5\dm/m,
    );
    for (const s of [...SECRETS, "Awrongwrongwrong"]) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it("refuses a bad entry naming the key and the fix, without the secret", async () => {
    const ws = workspace(
      [
        "notify:",
        "  pushover:",
        "    - token: ${PUSHOVER_TOKEN}",
        "  ntfy:",
        "    - topic: 'bad topic!'",
        "  pagerduty:",
        "    - routing_key: ${PD_KEY}",
        "      routing_key_file: /nonexistent",
        "  gotify:",
        "    - url: not-a-url",
        "      token: ${GOTIFY_TOKEN}",
        "",
      ].join("\n"),
    );
    const r = await runCli(["check", "--config", ws.config], { env: { PUSHOVER_TOKEN, PD_KEY, GOTIFY_TOKEN } });
    expect(r.code).toBe(2);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/notify\.pushover\[0\].*needs user_key or user_key_file/);
    expect(out).toMatch(/notify\.ntfy\[0\]\.topic.*expected a topic name/);
    expect(out).toMatch(/notify\.pagerduty\[0\]\.routing_key.*set routing_key or routing_key_file, not both/);
    for (const s of SECRETS) expect(out).not.toContain(s);
  });
});
