/**
 * A hostile configuration through the real CLI: a device where a file should
 * be (the config itself, webhook_url_file, header_files) and a file of 300,000
 * unknown keys are refused with exit 2 and a reason, never a crash or minutes
 * of CPU. Each run is bounded by a child-process timeout, not by a timed
 * assertion: a busy machine slows it down, it never makes it fail.
 */

import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli, workspace } from "../support/cli.js";

const LIMIT_MS = 20_000;

/** `count` distinct keys of 4 characters after a prefix, as one flow mapping. */
function manyKeys(count: number, prefix: string): string {
  const A = "abcdefghijklmnopqrstuvwxyz0123456789";
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    let k = prefix;
    for (let x = i, j = 0; j < 4; j++, x = Math.floor(x / 36)) k += A[x % 36];
    keys.push(k);
  }
  return `{${keys.join(", ")}}\n`;
}

const problemLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("  "));

describe("a hostile config through the CLI", () => {
  it(
    "refuses /dev/zero as the config file, as webhook_url_file and as a header file, by key",
    async () => {
      const asConfig = await runCli(["check", "--config", "/dev/zero"], { timeoutMs: LIMIT_MS });
      expect(asConfig.code).toBe(2);
      expect(asConfig.stderr).toContain(
        "lookout: /dev/zero: invalid configuration\n  cannot read the file: it is a character device, not a regular file; give the path of a regular file",
      );

      const ws = workspace(
        "notify:\n  slack:\n    - webhook_url_file: /dev/zero\n  webhooks:\n    - url: https://example.com/hook\n      header_files:\n        X-Api-Key: /dev/zero\n",
      );
      const r = await runCli(["check", "--config", ws.config, "--data-dir", ws.data], { timeoutMs: LIMIT_MS });
      expect(r.code).toBe(2);
      expect(problemLines(r.stderr)).toEqual([
        "  notify.slack[0].webhook_url_file: cannot read /dev/zero (it is a character device, not a regular file); give the path of a regular file",
        "  notify.webhooks[0].header_files.X-Api-Key: cannot read /dev/zero (it is a character device, not a regular file); give the path of a regular file",
      ]);
    },
    2 * LIMIT_MS,
  );

  it(
    "refuses a file of 300,000 unknown keys at once (over the size cap)",
    async () => {
      const ws = workspace(manyKeys(300_000, "k"));
      const r = await runCli(["check", "--config", ws.config, "--data-dir", ws.data], { timeoutMs: LIMIT_MS });
      expect(r.code).toBe(2);
      expect(problemLines(r.stderr)).toEqual([expect.stringMatching(/^ {2}cannot read the file: it is larger than 256 KiB \(\d+ bytes\); check that it is the right file$/)]);
    },
    2 * LIMIT_MS,
  );

  it(
    "refuses as many unknown keys as fit under the cap in linear time, listing 20 and counting the rest",
    async () => {
      const ws = workspace();
      writeFileSync(ws.config, manyKeys(35_000, "k"));
      const r = await runCli(["check", "--config", ws.config, "--data-dir", ws.data], { timeoutMs: LIMIT_MS });
      expect(r.code).toBe(2);
      const lines = problemLines(r.stderr);
      expect(lines).toHaveLength(21);
      expect(lines[0]).toBe("  kaaaa: unknown key; remove it or fix its name");
      expect(lines[20]).toBe("  (top level): and 34980 more unknown keys; remove them or fix their names");
    },
    2 * LIMIT_MS,
  );
});
