/**
 * What a failing data directory means, in-process: each "no more space" code
 * (a full disk, a quota, a file size limit: RLIMIT_FSIZE gives EFBIG, not
 * ENOSPC, which is why the mapping is tested here and ENOSPC itself on a real
 * full tmpfs in test/cli/data-dir-storage.test.ts) names the data directory's
 * disk; and a cycle whose commit fails still hands its notifications over and
 * stores them with the next cycle that can be saved.
 */

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Agent } from "../../src/agent.js";
import type { Collector } from "../../src/collect/collector.js";
import { loadConfig } from "../../src/config/load.js";
import { setLogSink } from "../../src/log.js";
import { HOST_MEMORY } from "../../src/model/metrics.js";
import type { Notification } from "../../src/model/notification.js";
import { sampleOf } from "../../src/model/sample.js";
import { readState } from "../../src/store/agent-store.js";
import { withDatabase } from "../../src/store/database.js";
import { storageErrorFrom } from "../../src/store/transactions.js";

describe("storageErrorFrom", () => {
  it.each(["ENOSPC", "SQLITE_FULL", "EDQUOT", "EFBIG"])("%s: the disk holding the data directory is full, and what to do", (code) => {
    const err = storageErrorFrom(Object.assign(new Error("x"), { code }), "/var/lib/lookout/lookout.db");
    expect(err.exitCode).toBe(3);
    expect(err.userMessage).toBe(
      `cannot write /var/lib/lookout/lookout.db (${code}): the disk holding the data directory /var/lib/lookout is full; free some space there (df -h /var/lib/lookout), or give Lookout a --data-dir on another disk`,
    );
  });
});

describe("a cycle that cannot be saved", () => {
  it("still hands its notifications over, says why once, and stores them with the next cycle that can be saved", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-full-"));
    const config = join(dir, "lookout.yaml");
    writeFileSync(config, "host:\n  memory: { warning: 1, critical: null, for: 0s }\n", { mode: 0o600 });
    const loaded = loadConfig({ configPath: config, dataDir: join(dir, "data"), env: {} });
    const memory: Collector = { name: "host", collect: async () => [sampleOf(HOST_MEMORY, 50, { totalBytes: 8 << 30, availableBytes: 4 << 30, usedBytes: 4 << 30 })] };
    const printed: Notification[] = [];
    const lines: string[] = [];
    setLogSink((l) => lines.push(l));
    const agent = new Agent(loaded, { command: "check", collectors: [memory], notifiers: [], onNotification: (n) => printed.push(n) });
    try {
      const commit = agent.store.commitCycle.bind(agent.store);
      agent.store.commitCycle = () => {
        throw storageErrorFrom(Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }), join(loaded.dataDir, "lookout.db"));
      };
      const first = await agent.cycle(Date.now());
      expect(printed.map((n) => n.kind)).toEqual(["firing"]);
      expect(first.storageError).toMatch(/the disk holding the data directory .* is full/);
      await agent.cycle(Date.now() + 1000);
      expect(lines.filter((l) => l.includes("could not save this check")).length).toBe(1);
      agent.store.commitCycle = commit;
      const ok = await agent.cycle(Date.now() + 2000);
      expect(ok.storageError).toBeUndefined();
      expect(lines.some((l) => l.includes("the data directory can be written again"))).toBe(true);
    } finally {
      await agent.close();
      setLogSink((l) => process.stderr.write(l + "\n"));
    }
    const state = withDatabase(loaded.dataDir, readState);
    expect(state.alerts.map((a) => [a.alertname, a.state])).toEqual([["host_memory", "firing"]]);
  });
});
