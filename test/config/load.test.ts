import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { type LoadedConfig, loadConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { ConfigError } from "../../src/errors.js";
import { buildReceivers } from "../../src/notify/registry.js";
import { clearSecrets, redact } from "../../src/secrets.js";

const SLACK = "https://hooks.slack.com/services/T0001/B0002/abcdefghijklmnop";

function writeConfig(text: string, mode = 0o600): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-config-"));
  const path = join(dir, "lookout.yaml");
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

/** The Slack receivers' targets, their whole URL registered as a secret (each receiver reads its own URL). */
function slackTargets(loaded: LoadedConfig): string[] {
  const slack = buildReceivers(loaded).notifiers.filter((n) => n.kind === "slack");
  expect(redact(`posting to ${SLACK}`)).toBe("posting to https://hooks.slack.com/services/T…/B…/****");
  return slack.map((n) => n.target);
}
const SLACK_TARGET = "https://hooks.slack.com/services/T…/B…/****";

/** The problems of a config, as the CLI finds them: loaded, then its receivers built (they read their own secrets). */
function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    buildReceivers(loadConfig({ configPath: writeConfig(text), env }));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as ConfigError).problems;
  }
  throw new Error("expected the config to be refused");
}

describe("loadConfig", () => {
  beforeEach(() => clearSecrets());

  it("uses the blog's thresholds when there is no file", () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-empty-"));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const loaded = loadConfig({ env: {} });
      expect(loaded.path).toBeNull();
      expect(loaded.config.host.cpu).toMatchObject({ enabled: true, warning: 80, critical: 95, for: 60_000, hysteresis: 5 });
      expect(loaded.config.host.memory.warning).toBe(90);
      expect(loaded.config.host.disk).toMatchObject({ warning: 90, for: 0, mounts: [] });
      expect(loaded.config.host.load).toMatchObject({ warning: 2, for: 300_000 });
      expect(loaded.config.interval).toBe(10_000);
      expect(loaded.config.notify.repeat_interval).toBe(4 * 3600_000);
      expect(loaded.config.notify.slack).toEqual([]);
      expect(loaded.dataDir).toBe(join(process.cwd(), "data"));
    } finally {
      process.chdir(cwd);
    }
  });

  it("names the key, the expectation and the value for each problem, unknown keys included", () => {
    const problems = problemsOf(["host:", '  cpu: { warning: "80%" }', "  cpuu: 3", "  disk: { for: 5x }", "interval: 10q", "notify:", "  send_resolved: maybe"].join("\n"));
    expect(problems).toContain('host.cpu.warning: expected a number from 0 to 100, got "80%"');
    expect(problems).toContain('host.cpuu: unknown key (did you mean "cpu"?); remove it or fix its name');
    expect(problems.some((p) => p.startsWith("host.disk.for: expected a duration") && p.endsWith('got "5x"'))).toBe(true);
    expect(problems.some((p) => p.startsWith("interval: expected a duration") && p.endsWith('got "10q"'))).toBe(true);
    expect(problems).toContain('notify.send_resolved: expected true or false, got "maybe"');
    expect(problems).toHaveLength(5);
  });

  it("history: each tier's retention within its bounds, and kept at least as long as the tier before it", () => {
    expect(configSchema.parse({}).history).toEqual({ enabled: true, raw: 86_400_000, per_minute: 7 * 86_400_000, per_10_minutes: 30 * 86_400_000, per_hour: 365 * 86_400_000 });
    expect(problemsOf("history:\n  raw: 30m\n  per_hour: 10y\n")).toEqual([
      'history.raw: expected a duration from 1h to 7d, got "30m"',
      'history.per_hour: expected a duration like 500ms, 10s, 2m, 1h or 1d (from 30d to 1825d), got "10y"',
    ]);
    expect(problemsOf("history:\n  raw: 3d\n  per_minute: 2d\n")).toEqual([
      'history.per_minute: must be at least history.raw (3d): a coarser tier is kept longer; raise it or lower history.raw, got "2d"',
    ]);
    expect(configSchema.parse({ history: { enabled: false } }).history.enabled).toBe(false);
  });

  it("refuses a critical level below the warning level", () => {
    expect(problemsOf("host:\n  cpu: { warning: 90, critical: 85 }\n")).toEqual(["host.cpu.critical: must be above warning (90); use null to have no critical level, got 85"]);
  });

  it("reports invalid YAML with its line", () => {
    const problems = problemsOf("host:\n  cpu: {warning: 80\n");
    expect(problems[0]).toMatch(/^line \d+, column \d+: not valid YAML/);
  });

  it("expands ${VAR} from the environment and reports a missing one by key", () => {
    const loaded = loadConfig({ configPath: writeConfig("notify:\n  slack:\n    - webhook_url: ${HOOK}\n"), env: { HOOK: SLACK } });
    expect(slackTargets(loaded)).toEqual([SLACK_TARGET]);
    expect(loaded.warnings).toEqual([]);
    expect(problemsOf("notify:\n  slack:\n    - webhook_url: ${HOOK}\n")).toEqual([
      "notify.slack[0].webhook_url: environment variable HOOK is not set; export HOOK=… before starting Lookout, or write the value here",
    ]);
  });

  it("accepts LOOKOUT_SLACK_WEBHOOK_URL alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-envonly-"));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const loaded = loadConfig({ env: { LOOKOUT_SLACK_WEBHOOK_URL: SLACK } });
      expect(slackTargets(loaded)).toEqual([SLACK_TARGET]);
      expect(loaded.config.notify.slack).toHaveLength(1);
      expect(redact(`posting to ${SLACK}`)).toBe("posting to https://hooks.slack.com/services/T…/B…/****");
    } finally {
      process.chdir(cwd);
    }
  });

  it("reads webhook_url_file relative to the config file", () => {
    const path = writeConfig("notify:\n  slack:\n    - webhook_url_file: hook.txt\n      min_severity: critical\n");
    writeFileSync(join(path, "..", "hook.txt"), SLACK + "\n");
    const loaded = loadConfig({ configPath: path, env: {} });
    expect(slackTargets(loaded)).toEqual([SLACK_TARGET]);
    expect(loaded.config.notify.slack[0]!.min_severity).toBe("critical");
  });

  it("warns about a non-Slack URL, refuses one that does not parse, and never prints it", () => {
    const loaded = loadConfig({ configPath: writeConfig("notify:\n  slack:\n    - webhook_url: https://chat.example.org/hooks/secret123\n"), env: {} });
    const { warnings } = buildReceivers(loaded);
    expect(warnings.join("\n")).toMatch(/notify.slack\[0\].webhook_url: not a https:\/\/hooks.slack.com/);
    expect(warnings.join("\n")).not.toContain("secret123");
    const problems = problemsOf("notify:\n  slack:\n    - webhook_url: hooks.slack.com/services/T/B/secretsecret\n");
    expect(problems[0]).toMatch(/^notify.slack\[0\].webhook_url: expected a URL/);
    expect(problems.join("\n")).not.toContain("secretsecret");
  });

  it("warns when a readable config file holds a webhook URL", () => {
    const loaded = loadConfig({ configPath: writeConfig(`notify:\n  slack:\n    - webhook_url: ${SLACK}\n`, 0o644), env: {} });
    expect(loaded.warnings.some((w) => w.includes("chmod 600"))).toBe(true);
    expect(loaded.warnings.join("\n")).not.toContain("abcdefghijklmnop");
    const viaEnv = loadConfig({ configPath: writeConfig("notify:\n  slack:\n    - webhook_url: ${H}\n", 0o644), env: { H: SLACK } });
    expect(viaEnv.warnings).toEqual([]);
    const envOnly = loadConfig({ configPath: writeConfig("host: {}\n", 0o644), env: { LOOKOUT_SLACK_WEBHOOK_URL: SLACK } });
    expect(envOnly.warnings).toEqual([]);
  });

  it("lets any rule be turned off and a critical level be removed", () => {
    const loaded = loadConfig({ configPath: writeConfig("host:\n  swap: { enabled: false }\n  cpu: { critical: null }\n"), env: {} });
    expect(loaded.config.host.swap.enabled).toBe(false);
    expect(loaded.config.host.cpu.critical).toBeNull();
  });

  it("resolves data_dir: flag, then config (relative to the file), then ./data", () => {
    const path = writeConfig("data_dir: state\n");
    expect(loadConfig({ configPath: path, env: {} }).dataDir).toBe(join(path, "..", "state"));
    expect(loadConfig({ configPath: path, dataDir: "/tmp/x", env: {} }).dataDir).toBe("/tmp/x");
    expect(loadConfig({ configPath: path, env: { LOOKOUT_CONFIG: "ignored" } }).dataDir).toBe(join(path, "..", "state"));
  });

  it("says where a missing --config file should come from", () => {
    expect(() => loadConfig({ configPath: "/nonexistent/lookout.yaml", env: {} })).toThrow(/config file not found.*lookout init/);
  });
});

describe("notify.routes", () => {
  beforeEach(() => clearSecrets());
  const receivers = `
notify:
  slack:
    - name: oncall
      webhook_url: ${SLACK}
    - webhook_url: ${SLACK}
  webhooks:
    - url: https://pager.example.com/hook
`;

  it("takes routes to receivers by name (slack[1] and webhook[0] for unnamed ones), with defaults", () => {
    const loaded = loadConfig({
      configPath: writeConfig(`${receivers}  routes:
    - receiver: oncall
      min_severity: critical
      match: alertname=container_*
      repeat_interval: 1h
      continue: true
    - receiver: slack[1]
      match: [container=db-*, severity=warning]
    - receiver: webhook[0]
`),
      env: {},
    });
    expect(loaded.config.notify.routes).toEqual([
      { receiver: "oncall", min_severity: "critical", match: ["alertname=container_*"], repeat_interval: 3_600_000, continue: true },
      { receiver: "slack[1]", min_severity: "warning", match: ["container=db-*", "severity=warning"], continue: false },
      { receiver: "webhook[0]", min_severity: "warning", match: [], continue: false },
    ]);
  });

  it("refuses a route to a receiver that does not exist, a bad matcher, an unknown key, and two receivers with one name", () => {
    expect(
      problemsOf(`${receivers}    - name: oncall
      url: https://other.example.com/hook
  routes:
    - receiver: on-call
    - receiver: oncall
      match: "db-1"
      contine: true
`),
    ).toEqual([
      'notify.routes[1].match: expected label=value like container=db-1 or alertname=host_*, got "db-1"',
      'notify.routes[1].contine: unknown key (did you mean "continue"?); remove it or fix its name',
    ]);
    expect(
      problemsOf(`${receivers}    - name: oncall
      url: https://other.example.com/hook
  routes:
    - receiver: on-call
`),
    ).toEqual([
      'notify.webhooks[1].name: "oncall" is also the name of notify.slack[0]; give each receiver its own name',
      'notify.routes[0].receiver: no receiver is named "on-call" (the receivers are oncall, slack[1], webhook[0]); give the receiver a name: in notify.slack, notify.webhooks, notify.alertmanager, notify.discord, notify.telegram, notify.teams, notify.ntfy, notify.gotify, notify.pushover, notify.pagerduty or notify.email, or use one of those',
    ]);
  });
});
