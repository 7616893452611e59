/**
 * Config errors in Korean: LOOKOUT_LOCALE=ko, or `locale: ko` in the file itself
 * (read before validation), gives Korean problems that still name each key as
 * written; English stays English (load.test.ts and others hold its exact words).
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "../../src/config/load.js";
import { issueText } from "../../src/config/problems.js";
import { ConfigError } from "../../src/errors.js";
import { messages } from "../../src/i18n/messages.js";
import { thrown } from "../support/thrown.js";

function configAt(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-errors-ko-"));
  const path = join(dir, "lookout.yaml");
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  return path;
}

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  const err = thrown(() => loadConfig({ configPath: configAt(text), env }));
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

/** English words of the schema's and the loader's messages that must not be left in a Korean problem. */
const ENGLISH = /\b(expected|got|unknown key|did you mean|must be|needs|not both|remove it|environment variable|invalid configuration)\b/;

describe("config errors in Korean", () => {
  it("speaks Korean when the file says locale: ko, naming each key as written", () => {
    const err = problemsOf(
      [
        "locale: ko",
        "interval: 3 days",
        "host:",
        "  cpu:",
        "    warning: 150",
        "    critical: 50",
        "  disk:",
        "    mounts: /var",
        "notify:",
        "  slack:",
        "    - webhook_url: https://hooks.slack.com/services/T/B/x",
        "      webhook_url_file: /run/secrets/slack",
        "  retry: 3",
        "  webhooks:",
        "    - {}",
        "http:",
        "  listen: example.com:80",
        "maintenance:",
        "  - cron: '0 3 * * SUN'",
        "    duration: 1h",
        "    match: container",
      ].join("\n"),
    );
    expect(err.locale).toBe("ko");
    expect(err.problems).toEqual(
      expect.arrayContaining([
        'interval: 500ms, 10s, 2m, 1h, 1d 같은 기간이어야 합니다 (100ms~1h) (입력값: "3 days")',
        "host.cpu.warning: 0~100 사이 숫자여야 합니다 (입력값: 150)",
        'host.disk.mounts: 마운트 지점 목록이어야 합니다 (전체는 []) (입력값: "/var")',
        "notify.slack[0]: webhook_url, webhook_url_file 중 하나만 설정하세요 (입력값: 매핑)",
        "notify.retry: 알 수 없는 키입니다. 삭제하거나 이름을 고치세요",
        "notify.webhooks[0].url: https://example.com/alerts 형식의 URL이어야 합니다",
        'maintenance[0].match: container=db-1, alertname=host_* 같은 label=value 형식이어야 합니다 (입력값: "container")',
        'http.listen: 포트 앞에는 IP 주소, localhost 또는 빈 값만 쓸 수 있습니다 (127.0.0.1:9817, [::1]:9817, 0.0.0.0:9817, :9817). 호스트 이름은 해석하지 않습니다 (입력값: "example.com:80")',
      ]),
    );
    for (const p of err.problems) expect(p, p).not.toMatch(ENGLISH);
    expect(err.head()).toMatch(/: 설정 오류$/);
  });

  it("speaks Korean under LOOKOUT_LOCALE=ko whatever the file says, with a did-you-mean in Korean", () => {
    const err = problemsOf("locale: en\nintervall: 10s\nhost:\n  cpu:\n    for: soon\n", { LOOKOUT_LOCALE: "ko" });
    expect([...err.problems].sort()).toEqual([
      'host.cpu.for: 500ms, 10s, 2m, 1h, 1d 같은 기간이어야 합니다 (0s~7d) (입력값: "soon")',
      'intervall: 알 수 없는 키입니다 ("interval"의 오타인가요?). 삭제하거나 이름을 고치세요',
    ]);
  });

  it("says zod's own checks in Korean by issue code", () => {
    const m = messages("ko");
    const issues = (schema: z.ZodType, value: unknown) => (schema.safeParse(value).error?.issues ?? []).map((i) => issueText(i, m));
    expect(issues(z.string().min(3), "ab")).toEqual(["3자 이상이어야 합니다"]);
    expect(issues(z.number().max(10), 11)).toEqual(["10 이하여야 합니다"]);
    expect(issues(z.number().int(), 1.5)).toEqual(["정수여야 합니다"]);
    expect(issues(z.array(z.string()).min(1), [])).toEqual(["항목이 1개 이상이어야 합니다"]);
    expect(issues(z.enum(["a", "b"]), "c")).toEqual(['"a", "b" 중 하나여야 합니다']);
    // In English, zod's own words, as before.
    expect(
      z
        .string()
        .min(3)
        .safeParse("ab")
        .error!.issues.map((i) => issueText(i, messages("en"))),
    ).toEqual([z.string().min(3).safeParse("ab").error!.issues[0]!.message]);
  });

  it("says the schema's messages in Korean, and keeps secrets out", () => {
    const err = problemsOf(
      "locale: ko\nnotify:\n  email:\n    - smtp: { host: mail, port: 0 }\n      from: a@example.com\n      to: [b@example.com]\n      subject_prefix: 5\n  ntfy:\n    - topic: 'no spaces allowed'\n",
    );
    expect(err.problems).toContain("notify.email[0].smtp.port: 587 같은 포트 번호여야 합니다 (입력값: 0)");
    expect(err.problems).toContain("notify.email[0].subject_prefix: 텍스트여야 합니다 (입력값: 5)");
    // ntfy's topic is a secret: its problem never quotes it.
    expect(err.problems).toContain("notify.ntfy[0].topic: 영문자, 숫자, -, _로 된 1~64자 토픽 이름이어야 합니다");
    expect(err.problems.join("\n")).not.toContain("no spaces");
    for (const p of err.problems) expect(p, p).not.toMatch(ENGLISH);
  });

  it("says routes, names, unset variables and YAML mistakes in Korean", () => {
    const routes = problemsOf(
      "locale: ko\nnotify:\n  webhooks:\n    - { name: ops, url: https://a.example }\n    - { name: ops, url: https://b.example }\n  routes:\n    - receiver: oncall\n",
    );
    expect(routes.problems).toEqual([
      'notify.webhooks[1].name: "ops" 이름을 이미 notify.webhooks[0]에서 쓰고 있습니다. 수신자마다 다른 이름을 지정하세요',
      expect.stringMatching(/^notify\.routes\[0\]\.receiver: "oncall" 수신자가 없습니다 \(수신자: ops\)\. notify\.slack, .*notify\.email 중 하나에서 수신자 이름을 지정하거나/),
    ]);
    const unset = problemsOf("locale: ko\nhostname: ${KOERR_UNSET_VARIABLE}\n", {});
    expect(unset.problems).toEqual(["hostname: 환경 변수 KOERR_UNSET_VARIABLE 없음. Lookout 시작 전에 export KOERR_UNSET_VARIABLE=… 하거나 여기에 값을 직접 쓰세요"]);
    // A file that is not YAML cannot say its own language: LOOKOUT_LOCALE can.
    const yaml = problemsOf("a: [1\n", { LOOKOUT_LOCALE: "ko" });
    expect(yaml.problems[0]).toMatch(/^\d+행 \d+열: YAML 문법 오류 \(/);
    const notFound = thrown(() => loadConfig({ configPath: "/nonexistent/koerr.yaml", env: { LOOKOUT_LOCALE: "ko" } })) as ConfigError;
    expect(notFound.problems).toEqual(["설정 파일 없음: /nonexistent/koerr.yaml (만들려면: lookout init /nonexistent/koerr.yaml)"]);
  });

  it("keeps English words when nothing asks for Korean", () => {
    const err = problemsOf("host:\n  cpu:\n    warning: 150\n");
    expect(err.locale).toBe("en");
    expect(err.problems).toContain("host.cpu.warning: expected a number from 0 to 100, got 150");
    expect(err.head()).toMatch(/: invalid configuration$/);
  });
});
