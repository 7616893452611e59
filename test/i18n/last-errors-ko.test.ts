/**
 * The last English texts, in Korean (issue 14): what receivers find wrong in
 * their own entries as they are built, http.* settings, the commands' usage
 * errors, and the CLI's help. In process: the receivers are built from a
 * loaded config, errors rendered with `describeError`, help with `outputHelp`.
 * English stays as it was (the other tests hold its exact words; a few here too).
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silenceAdd } from "../../src/cli/actions/silence.js";
import { buildProgram } from "../../src/cli/program.js";
import { textWidth } from "../../src/cli/table.js";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError, describeError } from "../../src/errors.js";
import { httpSettings } from "../../src/http/settings.js";
import { setProcessLocale } from "../../src/i18n/current.js";
import { messages } from "../../src/i18n/messages.js";
import { parseMatcher } from "../../src/label-matchers.js";
import { buildReceivers, createNotifiers } from "../../src/notify/registry.js";
import { thrown } from "../support/thrown.js";

const ko = messages("ko");
const en = messages("en");

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-last-errors-"));
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o600);
  }
  return dir;
}

const BAD_RECEIVERS = [
  "notify:",
  "  slack:",
  "    - webhook_url_file: missing-url",
  "  webhooks:",
  '    - url: "ftp://example.com/x"',
  '      headers: { "bad name": "v" }',
  "      header_files: { X-Key: two-lines }",
  "  telegram:",
  '    - bot_token: "abc"',
  '      chat_id: "x"',
  "  ntfy:",
  "    - topic: lookout-9f3k2abcdef",
  '      url: "nope"',
  "      token_file: empty",
  "  email:",
  '    - smtp: { host: "smtp://x", ca_file: not-pem }',
  "      from: a@example.com",
  "      to: [b@example.com]",
  "",
].join("\n");

function receiverProblems(env: NodeJS.ProcessEnv): { err: ConfigError; dir: string } {
  const dir = dirWith({ "lookout.yaml": BAD_RECEIVERS, "two-lines": "a\nb\n", empty: "", "not-pem": "hello\n" });
  const loaded = loadConfig({ configPath: join(dir, "lookout.yaml"), env });
  const err = thrown(() => createNotifiers(loaded));
  expect(err).toBeInstanceOf(ConfigError);
  return { err: err as ConfigError, dir };
}

/** Fixed English words of the problems translated here: none may be left in a Korean line. */
const ENGLISH =
  /\b(expected|got|cannot|holds|is empty|the file|put only|not a valid|a user name|a value that|give it|keep one|listens on|no token|is in use|is required|no receiver|the receivers|is not)\b/;

describe("receivers' problems with their own entries", () => {
  it("are said in Korean under LOOKOUT_LOCALE=ko, keys and paths as written, with a Korean frame", () => {
    const { err, dir } = receiverProblems({ LOOKOUT_LOCALE: "ko" });
    expect(err.locale).toBe("ko");
    expect(err.problems).toEqual([
      `notify.slack[0].webhook_url_file: ${join(dir, "missing-url")} 파일을 읽을 수 없습니다(ENOENT). 경로와 권한을 확인하세요`,
      "notify.webhooks[0].url: http:// 또는 https:// URL이어야 합니다 (입력값: ftp: URL)",
      "notify.webhooks[0].headers.bad name: 헤더 이름으로 쓸 수 없습니다 (X-Api-Key처럼 영문자, 숫자, -만 가능)",
      `notify.webhooks[0].header_files.X-Key: ${join(dir, "two-lines")} 파일이 여러 줄입니다. 헤더 값 하나만 한 줄로 넣으세요`,
      "notify.telegram[0].bot_token: @BotFather가 준 123456789:AA… 형식의 봇 토큰이어야 합니다 (숫자, 콜론, 그 뒤 영문자·숫자·-·_ 20자 이상). 입력값은 다른 형식의 3자",
      "notify.telegram[0].chat_id: -1001234567890 같은 채팅 ID나 채널의 @이름이어야 합니다",
      `notify.ntfy[0].token_file: ${join(dir, "empty")} 파일이 비어 있습니다 (넣을 내용: 액세스 토큰)`,
      "notify.ntfy[0].url: https://ntfy.sh 같은 URL이어야 합니다 (입력값은 URL이 아님, 4자)",
      `notify.email[0].smtp.ca_file: ${join(dir, "not-pem")}에 PEM 인증서(-----BEGIN CERTIFICATE-----)가 없습니다`,
      "notify.email[0].smtp.host: URL이 아니라 smtp.example.com 같은 메일 서버 이름이어야 합니다",
    ]);
    for (const p of err.problems) expect(p).not.toMatch(ENGLISH);
    expect(err.textIn(en).split("\n")[0]).toBe(`${join(dir, "lookout.yaml")}: 설정 오류`);
  });

  it("stay English without a locale, word for word", () => {
    const { err, dir } = receiverProblems({});
    expect(err.locale).toBe("en");
    expect(err.problems).toContain(`notify.slack[0].webhook_url_file: cannot read ${join(dir, "missing-url")} (ENOENT); check the path and its permissions`);
    expect(err.problems).toContain(`notify.webhooks[0].header_files.X-Key: ${join(dir, "two-lines")} holds more than one line; put only the header's value in it, on one line`);
    expect(err.problems).toContain(`notify.ntfy[0].token_file: ${join(dir, "empty")} is empty; put the access token in it`);
    expect(err.problems).toContain("notify.webhooks[0].url: expected an http:// or https:// URL, got a ftp: URL");
  });
});

describe("receivers' warnings about their own entries", () => {
  it("are said in Korean too", () => {
    const text = 'notify:\n  slack:\n    - webhook_url: "https://chat.example.com/hooks/abc"\n  ntfy:\n    - topic: short\n';
    const dir = dirWith({ "lookout.yaml": text });
    const { warnings } = buildReceivers(loadConfig({ configPath: join(dir, "lookout.yaml"), env: { LOOKOUT_LOCALE: "ko" } }));
    expect(warnings).toEqual([
      "notify.slack[0].webhook_url: https://hooks.slack.com/services/… 주소가 아니지만 Slack 형식으로 보냅니다 (Mattermost 등 Slack 호환 수신처라면 문제없음)",
      "notify.ntfy[0].topic: 로그인 없이 쓰면 토픽 이름을 맞힌 누구나 메시지를 읽을 수 있습니다. 길고 무작위한 토픽(12자 이상)을 쓰세요",
    ]);
    const english = buildReceivers(loadConfig({ configPath: join(dir, "lookout.yaml"), env: {} })).warnings;
    expect(english[1]).toBe("notify.ntfy[0].topic: without a login, anyone who guesses the topic reads its messages; use a long random topic (12 characters or more)");
  });
});

describe("http.* settings", () => {
  it("refuse an open address without a token in Korean", () => {
    const dir = dirWith({ "lookout.yaml": 'http:\n  enabled: true\n  listen: "0.0.0.0:9817"\n', short: "abc\n" });
    const loaded = loadConfig({ configPath: join(dir, "lookout.yaml"), env: { LOOKOUT_LOCALE: "ko" } });
    const err = thrown(() => httpSettings(loaded)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.locale).toBe("ko");
    expect(err.problems).toEqual([
      "http.listen: 0.0.0.0:9817은(는) 다른 머신에서 접속할 수 있는 모든 인터페이스에서 대기하는데 토큰이 없습니다. 누구나 이 호스트의 상태를 보고 사일런스를 추가할 수 있습니다. http.auth_token(또는 http.auth_token_file, openssl rand -hex 32로 생성)을 설정하거나 127.0.0.1:9817에서만 대기하세요",
    ]);

    loaded.config.http.auth_token_file = join(dir, "short");
    const short = thrown(() => httpSettings(loaded)) as ConfigError;
    expect(short.problems).toEqual([
      `http.auth_token_file: ${join(dir, "short")}의 토큰이 16자보다 짧습니다. 더 긴 토큰을 넣으세요 (openssl rand -hex 32 > ${join(dir, "short")})`,
    ]);
    for (const p of [...err.problems, ...short.problems]) expect(p).not.toMatch(ENGLISH);
  });
});

describe("the commands' usage errors", () => {
  it("are said in the language they are shown in", async () => {
    const bad = thrown(() => parseMatcher("foo"));
    expect(describeError(bad, ko)).toBe('--match: container=db-1, alertname=host_* 같은 label=value 형식이어야 합니다 (입력값: "foo")');
    expect(describeError(bad, en)).toBe('--match: expected label=value like container=db-1 or alertname=host_*, got "foo"');

    const noMatch: unknown = await silenceAdd({}, undefined as unknown as Command).catch((e: unknown) => e);
    expect(describeError(noMatch, ko)).toBe(
      "silence add: --match가 필요합니다. container=db-1, alertname=host_* 같은 label=value를 하나 이상 지정하세요 (이 호스트의 모든 알림을 막으려면 --match 'alertname=*')",
    );
    const badFor: unknown = await silenceAdd({ match: ["container=db-1"], for: "soon" }, undefined as unknown as Command).catch((e: unknown) => e);
    expect(describeError(badFor, ko)).toBe('--for: 30m, 2h, 1d, 1h30m 같은 기간이어야 합니다 (입력값: "soon")');
    expect(describeError(badFor, en)).toBe('--for: expected a duration like 30m, 2h, 1d or 1h30m, got "soon"');
    for (const e of [bad, noMatch, badFor]) expect(describeError(e, ko)).not.toMatch(ENGLISH);
  });
});

/** Everything `--help` prints for a command. */
function helpOf(cmd: Command): string {
  let out = "";
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

/** Every command under `cmd`, and itself. */
function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

describe("the CLI's help", () => {
  const saved = process.env.LOOKOUT_LOCALE;
  beforeEach(() => setProcessLocale(undefined));
  afterEach(() => {
    if (saved === undefined) delete process.env.LOOKOUT_LOCALE;
    else process.env.LOOKOUT_LOCALE = saved;
  });

  it("is Korean under LOOKOUT_LOCALE=ko: commander's titles and words too, commands and flags as written", () => {
    process.env.LOOKOUT_LOCALE = "ko";
    const program = buildProgram();
    const top = helpOf(program);
    expect(top).toContain("사용법: lookout [options] [command]");
    expect(top).toContain("Lookout은 이 Linux 호스트를 지켜보다가 문제가 생기면 원인과 함께 Slack에");
    expect(top).toMatch(/\n옵션:\n {2}-V, --version +버전 표시\n/);
    expect(top).toMatch(/\n {2}-h, --help +명령 도움말 표시\n/);
    expect(top).toMatch(/\n명령:\n {2}init \[options\] \[path\] +모든 옵션과 기본값을 주석으로 단\n/);
    expect(top).toMatch(/\n {2}help \[command\] +명령 도움말 표시\n/);
    expect(top).toContain("\n예시:\n  lookout init && lookout run\n");

    const rules = helpOf(program.commands.find((c) => c.name() === "export")!.commands.find((c) => c.name() === "prometheus-rules")!);
    expect(rules).toContain("\n전역 옵션:\n");
    expect(rules).toMatch(/--rate-window <duration> +CPU rate\(\)의 구간: 스크레이프 간격의 두 배 이상\n +\(기본값: "1m"\)\n/);

    const English = /Usage:|Options:|Commands:|Arguments:|Global Options:|Examples?:|display help|output the version|\(default:|\b(print|write|where|show|the|and|with|when)\b/;
    for (const cmd of allCommands(program)) {
      // The examples' command lines stay as written; every other line is Korean.
      const [before, examples = ""] = helpOf(cmd).split("\n예시:\n");
      for (const line of [...before!.split("\n"), ...examples.split("\n").filter((l) => !l.startsWith("  "))]) expect(line).not.toMatch(English);
      // What commander wraps fits its 80 columns, Hangul counted as two.
      for (const line of cmd.helpInformation().split("\n")) expect(textWidth(line)).toBeLessThanOrEqual(80);
    }
  });

  it("stays commander's English without a locale", () => {
    delete process.env.LOOKOUT_LOCALE;
    const top = helpOf(buildProgram());
    expect(top.startsWith("Usage: lookout [options] [command]\n\nLookout watches this Linux host")).toBe(true);
    expect(top).toMatch(/\n {2}-h, --help +display help for command\n/);
    expect(top).toMatch(/\n {2}help \[command\] +display help for command\n/);
    expect(top).toContain("\nExamples:\n  lookout init && lookout run\n");
  });
});
