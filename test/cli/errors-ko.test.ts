/**
 * A Korean config with mistakes, through the real CLI: `lookout check` says
 * every problem in Korean under a Korean frame, naming each key as written,
 * exit code 2, no stack; and a receiver's problem with its own entry under
 * LOOKOUT_LOCALE=ko. (The rest of the Korean errors are tested in process:
 * test/config/errors-ko.test.ts, test/i18n/errors-ko.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { runCli, workspace } from "../support/cli.js";

describe("config errors through the CLI in Korean", () => {
  it("answers a locale: ko config with mistakes in Korean, exit 2", async () => {
    const ws = workspace("locale: ko\ninterval: 3 days\nhost:\n  cpu:\n    warnin: 80\nnotify:\n  routes:\n    - receiver: oncall\n");
    const r = await runCli(["check", "--config", ws.config, "--data-dir", ws.data]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        `lookout: ${ws.config}: 설정 오류`,
        '  interval: 500ms, 10s, 2m, 1h, 1d 같은 기간이어야 합니다 (100ms~1h) (입력값: "3 days")',
        '  host.cpu.warnin: 알 수 없는 키입니다 ("warning"의 오타인가요?). 삭제하거나 이름을 고치세요',
        "",
      ].join("\n"),
    );
    expect(r.stderr).not.toMatch(/invalid configuration|expected|unknown key|at \S+\.js/);
  });

  it("says a receiver's problem with its own entry in Korean, exit 2", async () => {
    const ws = workspace('notify:\n  ntfy:\n    - topic: lookout-9f3k2abcdef\n      url: "nope"\n');
    const r = await runCli(["check", "--config", ws.config, "--data-dir", ws.data], { env: { LOOKOUT_LOCALE: "ko" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe([`lookout: ${ws.config}: 설정 오류`, "  notify.ntfy[0].url: https://ntfy.sh 같은 URL이어야 합니다 (입력값은 URL이 아님, 4자)", ""].join("\n"));
  });
});
