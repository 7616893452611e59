/**
 * SIGHUP on the real `lookout run`: the configuration is read again; a valid
 * one is applied between checks (the log says what changed), a broken one is
 * refused (the log says why) and the one in use stays. Either way the agent
 * keeps running, with its lock.
 */

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli, workspace } from "../support/cli.js";
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

/** Disk "/" with the warning threshold given: 99.99 never fires on a test machine, 1 always does. */
const config = (diskWarning: number | string) => `
interval: 500ms
${hostRulesOnly({ disk: `{ warning: ${diskWarning}, critical: null, mounts: ["/"] }` })}
notify:
  slack:
    - webhook_url: \${HOOK}
`;

describe("SIGHUP", () => {
  it("applies a changed configuration, refuses a broken one and keeps running with the lock held", async () => {
    const ws = workspace(config(99.99));
    const agent = startCli(["run", "--config", ws.config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
    try {
      await agent.firstCheck();
      expect(fake.requests).toHaveLength(0);

      // A lower threshold: the disk alert fires and reaches Slack; the log names what changed.
      writeFileSync(ws.config, config(1));
      agent.child.kill("SIGHUP");
      await until(
        () => agent.out.stderr.includes("configuration reloaded"),
        10_000,
        "the reload",
        () => agent.out.stderr,
      );
      expect(agent.out.stderr).toMatch(/configuration reloaded .*changed="[^"]*host\.disk\.warning: 99\.99 → 1/);
      await fake.waitFor(1, 15_000);
      expect(JSON.stringify(fake.requests[0]!.body)).toMatch(/disk/i);
      expect(agent.out.stdout).toMatch(/disk/i);

      // A broken configuration: refused with why; the one in use stays (no resolved message), the agent runs on.
      writeFileSync(ws.config, config('"1%"'));
      agent.child.kill("SIGHUP");
      await until(
        () => agent.out.stderr.includes("configuration not reloaded"),
        10_000,
        "the refusal",
        () => agent.out.stderr,
      );
      expect(agent.out.stderr).toMatch(/configuration not reloaded: the one in use stays; fix it and send SIGHUP again config=\S+ problems=.*host\.disk\.warning/);
      await new Promise((r) => setTimeout(r, 2000)); // several checks with the old configuration
      expect(agent.child.exitCode).toBeNull();
      expect(fake.requests).toHaveLength(1); // still firing: nothing resolved
      expect(agent.out.stderr).not.toMatch(/\n\s+at /);

      // The lock is still this agent's.
      expect(JSON.parse(readFileSync(join(ws.data, "agent.lock"), "utf8"))).toMatchObject({ pid: agent.child.pid, command: "run" });
      const cron = await runCli(["check", "--config", workspace(config(99.99)).config, "--data-dir", ws.data], { env: { HOOK: fake.url } });
      expect(cron.code).toBe(3);
      expect(cron.stderr).toMatch(new RegExp(`another Lookout agent \\(pid ${agent.child.pid},`));
      expect(await agent.stop()).toBe(0);
    } finally {
      await agent.stop("SIGKILL");
    }
  }, 60_000);
});
