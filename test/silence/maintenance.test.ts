import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { CONFIG_TEMPLATE } from "../../src/config/template.js";
import { lastStart, nextStart } from "../../src/cron.js";
import { ConfigError } from "../../src/errors.js";
import { activeMaintenance, type MaintenanceWindow } from "../../src/silence/maintenance.js";
import { silencing } from "../../src/silence/silence.js";

const H = 3_600_000;
// Local time, as the cron expression is read: Sunday 29 November 2026.
const sunday = (h: number, m = 0) => new Date(2026, 10, 29, h, m).getTime();
const backups: MaintenanceWindow = { cron: "0 3 * * SUN", duration: H, match: ["alertname=host_*"], comment: "backups" };

describe("activeMaintenance", () => {
  it("is active from the cron time for its duration, in local time", () => {
    expect(new Date(sunday(3)).getDay()).toBe(0);
    expect(activeMaintenance([backups], sunday(3, 30))).toEqual([
      { id: "maintenance[0]", matchers: ["alertname=host_*"], startsAt: sunday(3), endsAt: sunday(4), comment: "backups", createdBy: "config", createdAt: sunday(3) },
    ]);
    expect(activeMaintenance([backups], sunday(3))).toHaveLength(1); // from its first millisecond
    expect(activeMaintenance([backups], sunday(3) - 1)).toEqual([]);
    expect(activeMaintenance([backups], sunday(4) - 1)).toHaveLength(1);
    expect(activeMaintenance([backups], sunday(4))).toEqual([]); // over at start + duration
    expect(activeMaintenance([backups], sunday(4, 1))).toEqual([]);
  });

  it("is not active on Monday at the same time", () => {
    const monday = new Date(2026, 10, 30, 3, 30).getTime();
    expect(new Date(monday).getDay()).toBe(1);
    expect(activeMaintenance([backups], monday)).toEqual([]);
  });

  it("numbers windows by their place in the config and covers everything without match", () => {
    const windows: MaintenanceWindow[] = [
      { cron: "0 1 * * *", duration: H, match: ["container=x"] },
      { cron: "0 3 * * SUN", duration: 2 * H, match: [] },
    ];
    const active = activeMaintenance(windows, sunday(4, 30));
    expect(active.map((s) => [s.id, s.startsAt, s.endsAt])).toEqual([["maintenance[1]", sunday(3), sunday(5)]]);
    expect(silencing({ alertname: "container_crashed", container: "db-1" }, active, sunday(4, 30))?.id).toBe("maintenance[1]");
  });

  it("a window longer than its period stays active across starts", () => {
    const w: MaintenanceWindow = { cron: "0 * * * *", duration: 90 * 60_000, match: [] };
    expect(activeMaintenance([w], sunday(5, 10))[0]?.startsAt).toBe(sunday(5));
  });

  it("silences only what its matchers select", () => {
    const active = activeMaintenance([backups], sunday(3, 30));
    expect(silencing({ alertname: "host_disk", mount: "/" }, active, sunday(3, 30))?.id).toBe("maintenance[0]");
    expect(silencing({ alertname: "container_crashed", container: "db-1" }, active, sunday(3, 30))).toBeUndefined();
  });

  it("knows the previous and the next start", () => {
    expect(lastStart("0 3 * * SUN", sunday(3, 30))).toBe(sunday(3));
    expect(lastStart("0 3 * * SUN", sunday(3))).toBe(sunday(3));
    expect(nextStart("0 3 * * SUN", sunday(3))).toBe(new Date(2026, 11, 6, 3, 0).getTime());
  });
});

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-maint-"));
  const path = join(dir, "lookout.yaml");
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  return path;
}

function problemsOf(text: string): string[] {
  try {
    loadConfig({ configPath: configFile(text), env: {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected the config to be refused");
}

describe("maintenance in the config", () => {
  it("defaults to none", () => {
    expect(configSchema.parse({}).maintenance).toEqual([]);
  });

  it("reads windows: duration in ms, match as a list (one matcher or several), no match = everything", () => {
    const loaded = loadConfig({
      configPath: configFile(
        [
          "maintenance:",
          '  - cron: "0 3 * * SUN"',
          "    duration: 1h",
          '    match: "container=db-*"',
          "    comment: backups",
          '  - cron: "30 1 1 * *"',
          "    duration: 2h30m",
          "    match: [alertname=host_disk, mount=/backup]",
          '  - cron: "*/15 * * * 1-5"',
          "    duration: 5m",
        ].join("\n"),
      ),
      env: {},
    });
    const windows: MaintenanceWindow[] = loaded.config.maintenance; // the schema's output is what activeMaintenance takes
    expect(windows).toEqual([
      { cron: "0 3 * * SUN", duration: H, match: ["container=db-*"], comment: "backups" },
      { cron: "30 1 1 * *", duration: 2.5 * H, match: ["alertname=host_disk", "mount=/backup"] },
      { cron: "*/15 * * * 1-5", duration: 300_000, match: [] },
    ]);
  });

  it("refuses a bad cron, duration or matcher, naming the key", () => {
    const problems = problemsOf(
      [
        "maintenance:",
        "  - cron: bad",
        "    duration: 1h",
        '  - cron: "0 3 * * SUN *"',
        "    duration: 0",
        "    match: db-1",
        '  - cron: "61 * * * *"',
        "    duration: 1q",
        "    match: [container=db-1, =x]",
        '  - cron: "0 0 30 2 *"',
        "    duration: 1h",
        "    mach: container=x",
        "  - duration: 1h",
      ].join("\n"),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'maintenance[0].cron: expected a cron expression like "0 3 * * SUN", got "bad"',
        'maintenance[1].cron: expected a cron expression like "0 3 * * SUN", got "0 3 * * SUN *"',
        "maintenance[1].duration: expected a duration from 1m to 31d, got 0",
        'maintenance[1].match: expected label=value like container=db-1 or alertname=host_*, got "db-1"',
        'maintenance[2].cron: expected a cron expression like "0 3 * * SUN", got "61 * * * *"',
        expect.stringMatching(/^maintenance\[2\]\.duration: expected a duration like .*, got "1q"$/),
        expect.stringMatching(/^maintenance\[2\]\.match\[1\]: expected label=value like container=db-1 or alertname=host_\* \(the label name before "=" is missing\), got "=x"$/),
        'maintenance[3].cron: expected a cron expression that occurs (this one names a date that never comes), got "0 0 30 2 *"',
        'maintenance[3].mach: unknown key (did you mean "match"?); remove it or fix its name',
        expect.stringMatching(/^maintenance\[4\]\.cron: expected a cron expression like "0 3 \* \* SUN"/),
      ]),
    );
    expect(problemsOf("maintenance: {cron: x}")).toEqual([
      expect.stringMatching(/^maintenance: expected a list like \[\{ cron: "0 3 \* \* SUN", duration: 1h, match: "container=db-\*" \}\], got a mapping$/),
    ]);
  });

  it("the template's commented example is a valid config", () => {
    const start = CONFIG_TEMPLATE.indexOf("# maintenance:");
    expect(start).toBeGreaterThan(0);
    const lines = CONFIG_TEMPLATE.slice(start).split("\n");
    const block: string[] = [];
    for (const line of lines) {
      if (!line.startsWith("#")) break;
      block.push(line.replace(/^# ?/, ""));
    }
    const text = block.join("\n");
    expect((parse(text) as { maintenance: unknown[] }).maintenance).toHaveLength(2);
    expect(loadConfig({ configPath: configFile(text), env: {} }).config.maintenance).toEqual([
      { cron: "0 3 * * SUN", duration: H, match: ["container=db-*"], comment: "weekly backups" },
      { cron: "30 1 1 * *", duration: 2 * H, match: ["alertname=host_disk", "mount=/backup"] },
    ]);
  });
});
