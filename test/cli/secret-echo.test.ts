/**
 * A receiver that echoes what it was sent (`404 Cannot POST /services/T…/B…/<token>`,
 * as Express and many proxies answer) must not get a secret into anything
 * Lookout shows, logs, stores or sends: the real CLI (`test-notify`, `check`,
 * `status`, `status --json`), the bytes of the data directory, and the
 * "could not be delivered" note another receiver gets. Every part of a secret
 * URL (the path segments that are not public words, the query, each query
 * value) and every header value, however short, is a secret.
 */

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, workspace } from "../support/cli.js";
import { hostRulesOnly } from "../support/configs.js";
import { type EchoRequest, EchoServer } from "../support/echo-server.js";

const SLACK_PATH = "/services/T04S3CR3T/B05S3CR3T/xoxTokenS3cr3tValue24chr";
const HOOK_PATH = "/hooks/a8f3kd92ja";
const HOOK_QUERY = "token=WhQueryS3cr3t99";
const HEARTBEAT_PATH = "/ping/9d1c2b7e-4b1f-4e2a-8c3d-5f1c0e8a77aa";
const SHORT_KEY = "k3y12";
const SECRETS = ["T04S3CR3T", "B05S3CR3T", "xoxTokenS3cr3tValue24chr", "a8f3kd92ja", "WhQueryS3cr3t99", "9d1c2b7e-4b1f-4e2a-8c3d-5f1c0e8a77aa", SHORT_KEY];

/** Express's answer to a path it does not serve, with the request's API key echoed as a debugging proxy might. */
function echo(r: EchoRequest) {
  if (r.path === "/good/hook") return { status: 200, body: "ok" };
  const key = r.headers["x-api-key"];
  return { status: 404, body: `Cannot ${r.method} ${r.url}${key ? ` (key=${String(key)})` : ""}` };
}

const server = new EchoServer(echo);
let base = "";
beforeAll(async () => {
  base = await server.start();
});
afterAll(() => server.close());

function config(diskRule: string): string {
  return `${hostRulesOnly({ disk: diskRule })}
notify:
  slack:
    - name: good
      webhook_url: \${GOOD}
    - name: echoing
      webhook_url: \${SLACK}
  webhooks:
    - name: pager
      url: \${HOOK}
      headers:
        X-Api-Key: ${SHORT_KEY}
  heartbeat:
    url: \${HEARTBEAT}
`;
}

function expectNoSecret(where: string, text: string): void {
  for (const s of SECRETS) expect(text, `${where} holds ${s}`).not.toContain(s);
}

describe("a receiver that echoes the request in its answer", () => {
  it("gets no part of a secret URL, nor a short header value, into output, the log, status, the database or another receiver's note", async () => {
    const ws = workspace(config('{ warning: 1, critical: null, mounts: ["/"] }'));
    const env = { GOOD: `${base}/good/hook`, SLACK: `${base}${SLACK_PATH}`, HOOK: `${base}${HOOK_PATH}?${HOOK_QUERY}`, HEARTBEAT: `${base}${HEARTBEAT_PATH}` };
    const args = ["--config", ws.config, "--data-dir", ws.data];

    // The echo really holds the secrets: the test would be empty otherwise.
    const t = await runCli(["test-notify", ...args], { env });
    expect(server.requests.some((r) => echo(r).body.includes(`${HOOK_QUERY} (key=${SHORT_KEY})`))).toBe(true);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/echoing .*FAILED: Slack refused the message .*HTTP 404.*the webhook was not found, "Cannot POST \/services\/T…\/B…\/\*\*\*\*"/);
    expect(t.stdout).toMatch(/pager .*FAILED: .*HTTP 404, "Cannot POST \/hooks\/\*\*\*\*\?\*\*\*\* \(key=\*\*\*\*\)"/);
    expectNoSecret("test-notify", t.stdout + t.stderr);

    // The alert fires: the echoing receivers refuse it (4xx, not retried) and the heartbeat's ping is refused.
    const first = await runCli(["check", ...args], { env });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/heartbeat: The heartbeat URL .* answered HTTP 404/);
    expect(first.stderr).toMatch(/notification could not be delivered/);
    expectNoSecret("check's log", first.stdout + first.stderr);

    // It escalates: the next message to the receiver that works carries the note of what could not be delivered.
    writeFileSync(ws.config, config('{ warning: 1, critical: 1.01, mounts: ["/"] }'));
    const second = await runCli(["check", ...args], { env });
    expect(second.code).toBe(2);
    expectNoSecret("check's log", second.stdout + second.stderr);
    const toGood = server.requests.filter((r) => r.path === "/good/hook").map((r) => r.raw);
    expect(toGood.join("\n")).toContain("could not be delivered");
    expectNoSecret("the note sent to Slack", toGood.join("\n"));

    const status = await runCli(["status", ...args], { env });
    expect(status.stdout).toMatch(/could not be delivered/);
    expectNoSecret("status", status.stdout + status.stderr);
    const json = await runCli(["status", "--json", ...args], { env });
    const failed = (JSON.parse(json.stdout) as { failed: Array<{ error: string }> }).failed;
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expectNoSecret("status --json", json.stdout + json.stderr);

    for (const name of readdirSync(ws.data)) {
      expectNoSecret(`data/${name}`, readFileSync(join(ws.data, name)).toString("latin1"));
    }
  }, 60_000);
});
