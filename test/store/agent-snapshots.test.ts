/**
 * What `run` stores of its collectors' memory: not every cycle (copying and
 * writing every container's record each cycle would grow with containers that
 * did not change), but now and then and when it stops; `check` every cycle,
 * since the next check is another process that starts from it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Agent } from "../../src/agent.js";
import type { Collector } from "../../src/collect/collector.js";
import { loadConfig } from "../../src/config/load.js";
import { HOST_MEMORY } from "../../src/model/metrics.js";
import { sampleOf } from "../../src/model/sample.js";
import { readState } from "../../src/store/agent-store.js";
import { withDatabase } from "../../src/store/database.js";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "lookout-snapshots-"));
  const config = join(dir, "lookout.yaml");
  writeFileSync(config, "host:\n  memory: { enabled: false }\n", { mode: 0o600 });
  const loaded = loadConfig({ configPath: config, dataDir: join(dir, "data"), env: {} });
  let counter = 0;
  const memory: Collector = {
    name: "host",
    collect: async () => {
      counter++;
      return [sampleOf(HOST_MEMORY, 50, { totalBytes: 8 << 30, availableBytes: 4 << 30, usedBytes: 4 << 30 })];
    },
    snapshot: () => ({ counter }),
  };
  const stored = () => withDatabase(loaded.dataDir, readState).collectors.host;
  return { loaded, memory, stored };
}

describe("the collectors' memory in the data directory", () => {
  it("run: stored with the first cycle, not with the next ones, and when it stops", async () => {
    const { loaded, memory, stored } = setup();
    const agent = new Agent(loaded, { command: "run", collectors: [memory], notifiers: [] });
    const t0 = Date.now();
    await agent.cycle(t0);
    await agent.cycle(t0 + 2000);
    await agent.cycle(t0 + 4000);
    expect(agent.state.collectors.host).toEqual({ savedAt: t0, data: { counter: 1 } });
    await agent.close();
    expect(stored()).toMatchObject({ data: { counter: 3 } });
  });

  it("check: stored with every cycle", async () => {
    const { loaded, memory, stored } = setup();
    const agent = new Agent(loaded, { command: "check", collectors: [memory], notifiers: [] });
    const t0 = Date.now();
    await agent.cycle(t0);
    await agent.cycle(t0 + 2000);
    expect(stored()).toEqual({ savedAt: t0 + 2000, data: { counter: 2 } });
    await agent.close();
    expect(stored()).toEqual({ savedAt: t0 + 2000, data: { counter: 2 } });
  });
});
