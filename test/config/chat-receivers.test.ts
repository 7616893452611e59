/**
 * notify.discord, notify.telegram and notify.teams in the configuration:
 * secrets from ${ENV} or a *_file, registered and masked; one of the two
 * required; what is wrong said naming the key, never the secret; routes name
 * these receivers as they name Slack's.
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";
import { buildReceivers } from "../../src/notify/registry.js";
import { clearSecrets, redact } from "../../src/secrets.js";

const DISCORD = "https://discord.com/api/webhooks/123456789012345678/discordSECRETtokenABCDEFGHIJ";
const TOKEN = "123456789:AAsecretTELEGRAMtokenABCDEFGHIJ";
const TEAMS =
  "https://prod-01.westeurope.logic.azure.com:443/workflows/abc123def456/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=teamsSECRETsigABCDEFGHIJ";

function dir(): string {
  return mkdtempSync(join(tmpdir(), "lookout-chat-"));
}

function writeConfig(text: string, files: Record<string, string> = {}): string {
  const d = dir();
  for (const [name, content] of Object.entries(files)) writeFileSync(join(d, name), content, { mode: 0o600 });
  const path = join(d, "lookout.yaml");
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  return path;
}

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}): string[] {
  try {
    buildReceivers(loadConfig({ configPath: writeConfig(text, files), env }));
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

beforeEach(() => clearSecrets());

describe("chat receivers in the configuration", () => {
  it("reads each secret from ${ENV} or its file, registers it, and shows targets masked", () => {
    const path = writeConfig(
      [
        "notify:",
        "  discord:",
        "    - name: d",
        "      webhook_url: ${DISCORD}",
        "  telegram:",
        "    - name: t",
        "      bot_token_file: token",
        "      chat_id: -1001234567890",
        "      message_thread_id: 7",
        "      min_severity: critical",
        "  teams:",
        "    - webhook_url_file: teams-url",
        "  routes:",
        "    - { receiver: t, min_severity: critical, continue: true }",
        "    - { receiver: d }",
        '    - { receiver: "teams[0]" }',
      ].join("\n"),
      { token: `${TOKEN}\n`, "teams-url": TEAMS },
    );
    const loaded = loadConfig({ configPath: path, env: { DISCORD } });
    const { notifiers } = buildReceivers(loaded);
    expect(notifiers.map((n) => [n.kind, n.name, n.minSeverity])).toEqual([
      ["discord", "d", "warning"],
      ["telegram", "t", "critical"],
      ["teams", "teams[0]", "warning"],
    ]);
    const shown = notifiers.map((n) => n.target).join(" ");
    expect(shown).toContain("https://discord.com/****");
    expect(shown).toContain("https://api.telegram.org/bot****/sendMessage (chat -1001234567890, topic 7)");
    expect(shown).toContain("https://prod-01.westeurope.logic.azure.com/****");
    const text = redact(`${DISCORD} ${TOKEN} https://api.telegram.org/bot${TOKEN}/sendMessage ${TEAMS} sig=teamsSECRETsigABCDEFGHIJ`);
    for (const secret of ["discordSECRETtoken", "AAsecretTELEGRAMtoken", "teamsSECRETsig"]) expect(text).not.toContain(secret);
  });

  it("wants exactly one of the secret and its file, and says what is wrong without the secret", () => {
    const problems = problemsOf(
      [
        "notify:",
        "  discord:",
        "    - min_severity: warning",
        "  telegram:",
        "    - { bot_token: 'not-a-token-AAsecretish', chat_id: 'hello world' }",
        "    - { bot_token: x, bot_token_file: y, chat_id: 1 }",
        "  teams:",
        "    - webhook_url: https://contoso.webhook.office.com/webhookb2/aaaa@bbbb/IncomingWebhook/cccc/dddd",
      ].join("\n"),
    );
    const all = problems.join("\n");
    expect(all).toMatch(/notify\.discord\[0\].*needs webhook_url or webhook_url_file/);
    expect(all).toMatch(/notify\.telegram\[1\].*set bot_token or bot_token_file/);
    // Schema problems come first; the receivers' own checks then, in a second load.
    const second = problemsOf(
      [
        "notify:",
        "  telegram:",
        "    - { bot_token: 'not-a-token-AAsecretish', chat_id: 'hello world' }",
        "  teams:",
        "    - webhook_url: https://contoso.webhook.office.com/webhookb2/aaaa@bbbb/IncomingWebhook/cccc/dddd",
      ].join("\n"),
    ).join("\n");
    expect(second).toMatch(/notify\.telegram\[0\]\.bot_token: expected a bot token like 123456789:AA/);
    expect(second).toMatch(/notify\.telegram\[0\]\.chat_id: expected a chat id/);
    expect(second).toMatch(/notify\.teams\[0\]\.webhook_url: an Office 365 connector URL; Microsoft retired those connectors.*Workflows/);
    expect(second).not.toContain("AAsecretish");
    expect(second).not.toContain("IncomingWebhook/cccc");
  });

  it("refuses a URL that is not http(s) and an unreadable file, naming the key", () => {
    const problems = problemsOf("notify:\n  discord:\n    - webhook_url: ftp://discord.com/x\n  teams:\n    - webhook_url_file: missing-file\n").join("\n");
    expect(problems).toMatch(/notify\.discord\[0\]\.webhook_url: expected an https:\/\/ URL/);
    expect(problems).toMatch(/notify\.teams\[0\]\.webhook_url_file: cannot read/);
  });
});
