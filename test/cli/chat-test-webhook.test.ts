/**
 * `lookout test-webhook` with Discord, Telegram and Teams receivers (the built
 * CLI, dist/: run `npm run build` first): each sends its test message to its
 * stand-in and reports the service's answer in plain words; no secret in its
 * output, whether the service takes the message or refuses it; `lookout check`
 * takes them, its warnings naming keys only.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli, workspace } from "../support/cli.js";
import { FakeChat, TELEGRAM_TOKEN } from "../support/fake-chat.js";

const discord = new FakeChat("discord");
const telegram = new FakeChat("telegram");
const teams = new FakeChat("teams");
const SECRETS = ["discordTOKENabcdefghijklmnop", "123456789012345678", TELEGRAM_TOKEN, TELEGRAM_TOKEN.split(":")[1]!, "teamsSIGabcdefghijklmnop"];

beforeAll(async () => {
  await Promise.all([discord.start(), telegram.start(), teams.start()]);
});
afterAll(async () => {
  await Promise.all([discord.close(), telegram.close(), teams.close()]);
});
beforeEach(() => {
  for (const f of [discord, telegram, teams]) f.reset();
});

const CONFIG = [
  "notify:",
  "  discord:",
  "    - name: ops-discord",
  "      webhook_url: ${DISCORD_URL}",
  "  telegram:",
  "    - name: ops-telegram",
  "      bot_token: ${TELEGRAM_TOKEN}",
  "      chat_id: -1001234567890",
  "      api_url: ${TELEGRAM_API}",
  "  teams:",
  "    - name: ops-teams",
  "      webhook_url_file: teams-url",
  "",
].join("\n");

function run(args: string[]) {
  const ws = workspace(CONFIG);
  writeFileSync(join(ws.dir, "teams-url"), teams.url, { mode: 0o600 });
  return runCli([...args, "--config", ws.config], { env: { DISCORD_URL: discord.url, TELEGRAM_TOKEN, TELEGRAM_API: telegram.url } });
}

function expectNoSecret(text: string): void {
  for (const s of SECRETS) expect(text).not.toContain(s);
}

describe("lookout test-webhook with chat receivers", () => {
  it("sends each test message and says each service took it", async () => {
    const r = await run(["test-webhook"]);
    expectNoSecret(r.stdout + r.stderr);
    expect(r.stdout).toMatch(/^ops-discord \(http:\/\/127\.0\.0\.1:\d+\/\*\*\*\*\): OK: Delivered to Discord/m);
    expect(r.stdout).toMatch(/^ops-telegram \(http:\/\/127\.0\.0\.1:\d+\/bot\*\*\*\*\/sendMessage \(chat -1001234567890\)\): OK: Delivered to Telegram/m);
    expect(r.stdout).toMatch(/^ops-teams \(.*\): OK: Microsoft Teams ops-teams .* accepted the test card \(202 Accepted\)/m);
    expect(r.code).toBe(0);
    for (const f of [discord, telegram, teams]) {
      expect(f.requests).toHaveLength(1);
      expect(f.requests[0]!.problem).toBeNull();
    }
  });

  it("reports each refusal in plain words, one attempt, without a secret", async () => {
    discord.respondWith([{ status: 404, body: JSON.stringify({ message: "Unknown Webhook", code: 10015 }) }]);
    telegram.respondWith([{ status: 429, body: JSON.stringify({ ok: false, error_code: 429, description: "Too Many Requests: retry after 9", parameters: { retry_after: 9 } }) }]);
    teams.respondWith([{ status: 401, body: JSON.stringify({ error: { code: "DirectApiAuthorizationRequired", message: `bad sig for ${teams.url}` } }) }]);
    const r = await run(["test-webhook"]);
    expectNoSecret(r.stdout + r.stderr);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ops-discord .*FAILED: .*webhook no longer exists/);
    expect(r.stdout).toMatch(/ops-telegram .*FAILED: .*rate-limiting .*run lookout test-notify again in 9s/);
    expect(r.stdout).toMatch(/ops-teams .*FAILED: .*signature is not accepted/);
  });

  it("lookout check takes the configuration; its warning names the key, not the URL", async () => {
    const r = await run(["check"]);
    expectNoSecret(r.stdout + r.stderr);
    expect(r.stderr).toContain("notify.discord[0].webhook_url: not a https://discord.com/api/webhooks/… address");
  });
});
