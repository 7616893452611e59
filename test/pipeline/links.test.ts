/**
 * From a measurement to the Slack stand-in with `http.public_url`: a cycle
 * (pipeline/cycle.ts, fake collector and clock, as in cycle.test.ts) raises
 * an alert and queues it; the dispatcher sends it with the receiver the
 * configuration builds (notify/registry.ts); the message's buttons lead to
 * the dashboard, the alert's labels in the silence form.
 */
import { describe, expect, it } from "vitest";
import type { LoadedConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { HOST_CPU } from "../../src/model/metrics.js";
import { sampleOf } from "../../src/model/sample.js";
import { Dispatcher } from "../../src/notify/dispatcher.js";
import { Outbox, type OutboxJournal } from "../../src/notify/outbox.js";
import { buildReceivers } from "../../src/notify/registry.js";
import { routesFrom } from "../../src/notify/routing.js";
import type { SlackActionsBlock, SlackPayload } from "../../src/notify/slack/message.js";
import { CollectStage } from "../../src/pipeline/collect.js";
import { type CycleParts, runCycle } from "../../src/pipeline/cycle.js";
import type { AgentState } from "../../src/pipeline/cycle-data.js";
import { standInReceivers } from "../support/receivers.js";

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);
const MIN = 60_000;
const HOST_OFF = {
  memory: { enabled: false },
  swap: { enabled: false },
  load: { enabled: false },
  disk: { enabled: false },
  inodes: { enabled: false },
  reboot: { enabled: false },
};

describe("a cycle's alert reaches Slack with links to the dashboard", () => {
  const { slack } = standInReceivers();

  it("Open in Lookout and Silence 1 h, the silence naming the alert's labels", async () => {
    const loaded: LoadedConfig = {
      config: configSchema.parse({
        host: { cpu: { warning: 80, critical: 95, for: "1m" }, ...HOST_OFF },
        notify: { slack: [{ name: "team", webhook_url: slack.url }] },
        http: { public_url: "https://lookout.example.com" },
      }),
      path: null,
      warnings: [],
      dataDir: "/nonexistent",
      hostname: "web-1",
      hostRoot: "/nonexistent",
    };
    const { notifiers } = buildReceivers(loaded);
    const journal: OutboxJournal = { delivered: () => {}, attempted: () => {}, gaveUp: () => {}, markReported: () => {}, forgetReceiversExcept: () => {} };
    const outbox = new Outbox({ outbox: [], failed: [] }, () => journal);
    let clock = T0;
    const cpu = sampleOf(HOST_CPU, 97, { user: 97, system: 0, iowait: 0, steal: 0, windowMs: 1000 });
    const parts: CycleParts = {
      settings: { loaded, routes: routesFrom(loaded.config, ["team"]), receivers: notifiers },
      collect: new CollectStage([{ name: "host", collect: async () => [cpu] }]),
      outbox,
      silences: () => [],
      topProcesses: async () => [],
      persist: () => undefined,
      clock: () => clock,
    };
    let state: AgentState = { alerts: [], collectors: {}, lastCycleAt: null, flap: {}, inhibitors: {}, summary: null };
    for (const at of [T0, T0 + MIN, T0 + 2 * MIN]) {
      clock = at;
      state = (await runCycle(parts, state, at, {})).state;
    }
    expect(outbox.pendingCount()).toBe(1);

    const dispatcher = new Dispatcher({ notifiers, outbox, clock: { now: () => clock, sleep: async () => {} } });
    await dispatcher.drain(clock + MIN);
    const [req] = await slack.waitFor(1);
    expect(req!.problem).toBeNull();
    const actions = (req!.body as SlackPayload).attachments[0]!.blocks.filter((b): b is SlackActionsBlock => b.type === "actions");
    const [open, silence] = actions[0]!.elements;
    expect(open!.text.text).toBe("Open in Lookout");
    // The host overview, 30 minutes each side of when the condition began (the alert's causedAt).
    expect(open!.url).toBe(`https://lookout.example.com/?from=${T0 - 30 * MIN}&to=${T0 + 30 * MIN}#/`);
    expect(silence!.text.text).toBe("Silence 1 h");
    expect(silence!.url).toBe("https://lookout.example.com/#/silence?matchers=alertname%3Dhost_cpu&matchers=hostname%3Dweb-1&duration=1h");
    expect(outbox.pendingCount()).toBe(0);
  });
});
