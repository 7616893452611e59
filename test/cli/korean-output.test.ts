/**
 * `LOOKOUT_LOCALE=ko`: the built CLI speaks Korean on the built-in defaults
 * (issue 14). One test, two commands: `check`'s table, then `status` on the
 * data directory it left. The renderings themselves are tested in process
 * (test/i18n/cli-output.test.ts); this checks the language reaches them.
 */
import { describe, expect, it } from "vitest";
import { runCli, workspace } from "../support/cli.js";

/** English fixed words of check's and status's text (the machine text — rule names, labels, errors of other layers — is left out first). */
const ENGLISH = /\b(RULE|LABELS|VALUE|WARN|CRIT|STATE|ALERT|THRESHOLD|SINCE|status|FIRING|PENDING|ok|last check|ago|no alert|container checks?)\b/;

describe("LOOKOUT_LOCALE=ko", () => {
  it("check and status print Korean, times in the host's zone, named", async () => {
    const ws = workspace(); // no lookout.yaml: the built-in defaults
    const env = { LOOKOUT_LOCALE: "ko", TZ: "Asia/Seoul" };
    const check = await runCli(["check", "--data-dir", ws.data], { env, cwd: ws.dir });
    expect(check.stdout, check.stderr).toMatch(/^\S+ {2}\d{4}-\d\d-\d\d \d\d:\d\d KST {2}상태: (정상|경고|심각|알 수 없음)\n\n규칙 +라벨 +값 +경고 +심각 +상태\n/);
    expect(check.stdout).toMatch(/^host_cpu .*(정상|발생|대기)$/m);
    const words = check.stdout
      .split("\n")
      // An error (another layer's words, after a Korean prefix) and its continuation lines are left out.
      .filter((l) => !/^(오류: | {6})/.test(l))
      .join("\n")
      .replace(/\b(host|container)_\w+|mount=\S+|lookout check --all/g, "");
    expect(words).not.toMatch(ENGLISH);

    const status = await runCli(["status", "--data-dir", ws.data], { env, cwd: ws.dir });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^\S+: 마지막 점검 \d+(초|분|ms) 전 \(\d{4}-\d\d-\d\d \d\d:\d\d KST\)\n/);
    expect(status.stdout.replace(/\b(host|container)_\w+|mount=\S+/g, "")).not.toMatch(ENGLISH);
  });
});
