/**
 * A closed stdout (`lookout run | head -1`, `lookout status | head -1`, `check`): the
 * reader goes away, the next write fails with EPIPE. The agent drops what it
 * would print, says so once on stderr, and goes on sending; a one-shot command
 * ends quietly. The test is `head -1`: it reads the first line and closes its
 * end of the pipe.
 */

import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cleanEnv, NODE_FLAGS, startCli, workspace } from "../support/cli.js";
import { hostRulesOnly } from "../support/configs.js";
import { FakeSlack } from "../support/fake-slack.js";
import { until } from "../support/wait.js";

const fake = new FakeSlack();
beforeAll(async () => {
  await fake.start();
});
afterAll(async () => {
  await fake.close();
});

const NO_STACK = /\n\s+at |\.js:\d+|Unhandled 'error' event/;

describe("a closed standard output", () => {
  it("lookout run | head -1: the next alert is still sent, the agent goes on and says it once", async () => {
    // Disk "/" fires on the first check; memory (always over 1 %) 3 s later, once stdout is closed.
    const ws = workspace(`
interval: 500ms
${hostRulesOnly({ disk: '{ warning: 1, critical: null, mounts: ["/"] }', memory: "{ warning: 1, critical: null, for: 3s }" })}
notify:
  slack:
    - webhook_url: \${HOOK}
`);
    const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
    try {
      await until(
        () => agent.out.stdout.includes("\n"),
        15_000,
        "the first alert line on stdout",
        () => agent.out.stderr,
      );
      expect(agent.out.stdout).toMatch(/disk/i);
      agent.child.stdout!.destroy(); // head -1 has its line and exits
      await until(
        () => fake.requests.some((r) => /memory/i.test(JSON.stringify(r.body))),
        20_000,
        "the memory alert at Slack",
        () => agent.out.stderr,
      );
      await until(
        () => agent.out.stderr.includes("standard output is closed"),
        5_000,
        "the agent to say stdout is closed",
        () => agent.out.stderr,
      );
      await new Promise((r) => setTimeout(r, 1500)); // more cycles: still alive, said once
      expect(agent.child.exitCode, agent.out.stderr).toBeNull();
      expect(agent.out.stderr.match(/standard output is closed \(EPIPE\)/g)).toHaveLength(1);
      expect(agent.out.stderr).not.toMatch(NO_STACK);
      expect(await agent.stop()).toBe(0);
    } finally {
      await agent.stop("SIGKILL");
    }
  }, 60_000);

  // check writes its report with write(2) at once (cli/output.ts writeAllNow), status through Node's stream.
  for (const command of ["status", "check"]) {
    it(`lookout ${command} | head -1 ends quietly`, async () => {
      const ws = workspace(`${hostRulesOnly()}\n`);
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [...NODE_FLAGS, CLI, command, "--config", ws.config, "--data-dir", ws.data], { env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.destroy(); // the reader is gone before it writes
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stderr }));
      });
      expect(r.stderr).not.toMatch(NO_STACK);
      expect(r.stderr).toBe("");
      // status: 0; check: its status's code (0 OK, 1 WARNING, 2 CRITICAL: this machine's load is not the test's), never a failure's
      expect(command === "status" ? [0] : [0, 1, 2]).toContain(r.code);
    }, 30_000);
  }
});
