/**
 * `lookout silence add | list | remove` as real processes (the built CLI), on a
 * data directory of their own, also while `lookout run` holds its agent.lock.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, startCli, workspace } from "../support/cli.js";
import { HOST_RULES_OFF } from "../support/configs.js";

const ID_RE = /Silence ([0-9a-f]{8}) added/;

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("lookout silence", () => {
  it("add → list shows it → remove → list is empty", async () => {
    const ws = workspace("interval: 10s\n");
    const g = ["--config", ws.config, "--data-dir", ws.data];
    const add = await runCli(["silence", "add", ...g, "--match", "container=db-1", "--match", "alertname=container_*", "--for", "2h", "--comment", "migration"]);
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    const id = ID_RE.exec(add.stdout)?.[1];
    expect(id, add.stdout).toBeDefined();
    expect(add.stdout).toMatch(/container=db-1 alertname=container_\* until \d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d \(in (2h|1h 59m)\)/);
    expect(add.stdout).toContain(`lookout silence remove ${id}`);

    const list = await runCli(["silence", "list", ...g]);
    expect(list.code).toBe(0);
    const [header, row, ...rest] = list.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID\s+MATCHERS\s+UNTIL\s+COMMENT\s+BY$/);
    expect(row).toMatch(
      new RegExp(`^${id}\\s+container=db-1 alertname=container_\\*\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d [+-]\\d\\d:\\d\\d \\(in (2h|1h 59m)\\)\\s+migration\\s+\\S+$`),
    );
    expect(rest).toEqual([]);

    const json = await runCli(["silence", "list", "--json", ...g]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { silences: Array<Record<string, unknown>> };
    expect(parsed.silences).toEqual([
      expect.objectContaining({ id, source: "cli", matchers: ["container=db-1", "alertname=container_*"], comment: "migration", ends_at: expect.any(String) }),
    ]);
    expect(Date.parse(parsed.silences[0]!.ends_at as string) - Date.parse(parsed.silences[0]!.starts_at as string)).toBe(2 * 3600_000);

    const remove = await runCli(["silence", "remove", ...g, id!.slice(0, 4)]);
    expect(remove.stderr).toBe("");
    expect(remove.code).toBe(0);
    expect(remove.stdout).toMatch(new RegExp(`^Silence ${id} removed \\(container=db-1 alertname=container_\\*\\)`));

    const empty = await runCli(["silence", "list", ...g]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^no silence is in force/);
    const emptyJson = await runCli(["silence", "list", "--json", ...g]);
    expect(JSON.parse(emptyJson.stdout)).toEqual({ silences: [] });

    const again = await runCli(["silence", "remove", ...g, id!]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(new RegExp(`^lookout: no silence with id "${id}"`));
  });

  it("refuses a bad --match with exit 2 and says what a matcher looks like", async () => {
    const ws = workspace();
    const r = await runCli(["silence", "add", "--data-dir", ws.data, "--match", "db-1", "--for", "2h"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('lookout: --match: expected label=value like container=db-1 or alertname=host_*, got "db-1"\n');
    expect(r.stdout).toBe("");
    expect(existsSync(ws.data)).toBe(false); // refused before anything was opened
  });

  it("refuses a missing, bad or zero --for, and a missing --match, with exit 2", async () => {
    const ws = workspace();
    const base = ["silence", "add", "--data-dir", ws.data];
    const missing = await runCli([...base, "--match", "container=db-1"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^lookout: silence add: --for is required: how long the silence lasts, like --for 2h/);
    const bad = await runCli([...base, "--match", "container=db-1", "--for", "2 hours"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^lookout: --for: expected a duration like 30m, 2h, 1d or 1h30m, got "2 hours"/);
    const zero = await runCli([...base, "--match", "container=db-1", "--for", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/^lookout: --for: expected a duration above 0/);
    const noMatch = await runCli([...base, "--for", "1h"]);
    expect(noMatch.code).toBe(2);
    expect(noMatch.stderr).toMatch(/^lookout: silence add: --match is required/);
    expect(existsSync(ws.data)).toBe(false);
  });

  it.each(["add", "list", "remove"])("silence %s --help shows the global options and an example", async (sub) => {
    const r = await runCli(["silence", sub, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Example/);
    expect(r.stdout).toMatch(new RegExp(`lookout silence ${sub}`));
    expect(r.stdout).toMatch(/--config <path>/);
    expect(r.stdout).toMatch(/--data-dir <dir>/);
  });

  it("lists the maintenance windows active now, marked as such, and the others with their next start", async () => {
    const ws = workspace(
      [
        "maintenance:",
        '  - cron: "* * * * *"', // every minute, for a day: always active
        "    duration: 1d",
        '    match: "container=db-*"',
        "    comment: backups",
        '  - cron: "0 0 29 2 *"',
        "    duration: 1m",
      ].join("\n") + "\n",
    );
    const g = ["--config", ws.config, "--data-dir", ws.data];
    const list = await runCli(["silence", "list", ...g]);
    expect(list.stderr).toBe("");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^maintenance\[0\]\s+container=db-\*\s+.*\(in (1d|23h 59m)\)\s+maintenance window "\* \* \* \* \*": backups\s+config$/m);
    expect(list.stdout).toMatch(/maintenance\[1\] "0 0 29 2 \*" for 1m: \(every alert\), next from \d{4}-02-29 00:00/);
    const json = JSON.parse((await runCli(["silence", "list", "--json", ...g])).stdout) as { silences: Array<Record<string, unknown>> };
    expect(json.silences).toEqual([expect.objectContaining({ id: "maintenance[0]", source: "maintenance", cron: "* * * * *", matchers: ["container=db-*"] })]);
    const remove = await runCli(["silence", "remove", ...g, "maintenance[0]"]);
    expect(remove.code).toBe(2);
    expect(remove.stderr).toMatch(/maintenance\[0\] is a maintenance window from the config/);
  });

  it("works while lookout run holds the data directory's agent.lock", async () => {
    const ws = workspace(`interval: 500ms\n${HOST_RULES_OFF}\n`);
    const g = ["--config", ws.config, "--data-dir", ws.data];
    const agent = startCli(["run", ...g]);
    try {
      await until(() => existsSync(join(ws.data, "agent.lock")), 15_000, "the agent to take agent.lock");
      const add = await runCli(["silence", "add", ...g, "--match", "alertname=host_disk", "--match", "mount=/data", "--for", "30m"]);
      expect(add.stderr).toBe("");
      expect(add.code).toBe(0);
      const id = ID_RE.exec(add.stdout)![1]!;
      expect((await runCli(["silence", "list", ...g])).stdout).toContain(id);
      expect((await runCli(["silence", "remove", ...g, id])).code).toBe(0);
      expect(existsSync(join(ws.data, "agent.lock"))).toBe(true);
      expect(agent.child.exitCode).toBeNull();
    } finally {
      expect(await agent.stop()).toBe(0);
    }
  });

  it("refuses with exit 3 (the data directory cannot be used) and the way out when the database is damaged", async () => {
    const ws = workspace();
    mkdirSync(ws.data, { recursive: true });
    const garbage = "{ oops, this is not a database }".repeat(40);
    writeFileSync(join(ws.data, "lookout.db"), garbage);
    const r = await runCli(["silence", "list", "--data-dir", ws.data]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^lookout: .*lookout\.db is damaged or not a Lookout database \(SQLITE_NOTADB\); move it aside/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(readFileSync(join(ws.data, "lookout.db"), "utf8")).toBe(garbage);
  });
});
