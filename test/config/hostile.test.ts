/**
 * A configuration written to hurt: an alias bomb, a huge file, a device or a
 * file of someone else's secrets where a secret file should be, and durations
 * outside what the agent can keep. Each is refused (ConfigError, exit 2) with
 * the key and a reason, and nothing of a file's content is echoed.
 */

import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { containerPolicy, loadPolicyChecks } from "../../src/collect/docker/policy.js";
import { loadConfig, MAX_CONFIG_BYTES } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { ConfigError } from "../../src/errors.js";
import { buildReceivers } from "../../src/notify/registry.js";
import { clearSecrets, redact } from "../../src/secrets.js";

// Labels and overrides are checked by code loaded on demand (collect/docker/policy.ts): loaded here as a report would.
beforeAll(loadPolicyChecks);

function writeConfig(text: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-hostile-"));
  const path = join(dir, "lookout.yaml");
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return path;
}

function problemsOf(text: string, files: Record<string, string> = {}): string[] {
  try {
    buildReceivers(loadConfig({ configPath: writeConfig(text, files), env: {} }));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    return (err as ConfigError).problems;
  }
  throw new Error("expected the config to be refused");
}

const SHADOW = "root:$6$Zq9s3cr3tSalt$hashedPasswordValue0123456789:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n";

beforeEach(() => clearSecrets());

describe("a hostile config file", () => {
  it("refuses a YAML alias bomb with a reason, not an internal error", () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [name, prev] of [
      ["b", "a"],
      ["c", "b"],
      ["d", "c"],
      ["e", "d"],
      ["f", "e"],
      ["g", "f"],
    ] as const) {
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    expect(problemsOf(bomb.join("\n") + "\n")).toEqual([
      "the file repeats YAML aliases (*name) too many times (a document that expands to a huge size); write the values out instead of nesting aliases",
    ]);
  });

  it("still takes a few aliases, and still refuses a key written twice, with its line", () => {
    const loaded = loadConfig({ configPath: writeConfig("host:\n  cpu: &r { warning: 70 }\n  memory: *r\n"), env: {} });
    expect(loaded.config.host.memory.warning).toBe(70);
    expect(problemsOf("interval: 10s\nhost: {}\ninterval: 20s\n")).toEqual(["line 3, column 1: not valid YAML: Map keys must be unique"]);
    expect(problemsOf("host:\n  cpu: { warning: 70, warning: 80 }\n")).toEqual(["line 2, column 23: not valid YAML: Map keys must be unique"]);
  });

  it("refuses a config file over the size cap without parsing it", () => {
    const big = "# padding\n".repeat(Math.ceil(MAX_CONFIG_BYTES / 10) + 1);
    const problems = problemsOf(big);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^cannot read the file: it is larger than 256 KiB \(\d+ bytes\); check that it is the right file$/);
  });

  it("lists at most 20 unknown keys of a mapping, counts the rest, and suggests for the first ones", () => {
    const keys = ["cpuu", ...Array.from({ length: 999 }, (_, i) => `zz${i}`)];
    const problems = problemsOf(`host:\n${keys.map((k) => `  ${k}: 1`).join("\n")}\n`);
    expect(problems[0]).toBe('host.cpuu: unknown key (did you mean "cpu"?); remove it or fix its name');
    expect(problems).toHaveLength(21);
    expect(problems[20]).toBe("host: and 980 more unknown keys; remove them or fix their names");
  });

  it("lists at most 50 problems and counts the rest", () => {
    const routes = Array.from({ length: 200 }, (_, i) => `    - { receiver: r${i}, min_severity: loud }`).join("\n");
    const problems = problemsOf(`notify:\n  routes:\n${routes}\n`);
    expect(problems).toHaveLength(51);
    expect(problems[50]).toBe("… and 150 more problems: fix these and run lookout check again");
  });
});

describe("a file where a secret file should be", () => {
  it("webhook_url_file: never echoes the file (someone else's /etc/shadow), and registers it as a secret", () => {
    const problems = problemsOf("notify:\n  slack:\n    - webhook_url_file: shadow\n", { shadow: SHADOW });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^notify\.slack\[0\]\.webhook_url_file: .*shadow holds more than one line; put only the webhook URL in it, on one line$/);
    const oneLine = problemsOf("notify:\n  slack:\n    - webhook_url_file: shadow\n", { shadow: "root:x:0:0:r00tS3cretField:/root:/bin/bash\n" });
    expect(oneLine).toEqual([expect.stringMatching(/^notify\.slack\[0\]\.webhook_url_file: the file does not hold an https:\/\/ URL; put only the webhook URL in it/)]);
    for (const p of [...problems, ...oneLine]) {
      expect(p).not.toContain("root");
      expect(p).not.toContain("r00tS3cretField");
      expect(p).not.toMatch(/\d+ characters/);
    }
    expect(redact("echo: root:x:0:0:r00tS3cretField:/root:/bin/bash")).toBe("echo: ****");
  });

  it("webhook_url_file and header_files: refuses a directory and a file over 16 KiB, by key", () => {
    const huge = "https://hooks.slack.com/services/T1/B1/" + "x".repeat(20_000);
    expect(problemsOf("notify:\n  slack:\n    - webhook_url_file: big\n", { big: huge })).toEqual([
      expect.stringMatching(/^notify\.slack\[0\]\.webhook_url_file: cannot read .*big \(it is larger than 16 KiB \(\d+ bytes\)\); check that it is the right file$/),
    ]);
    expect(problemsOf("notify:\n  webhooks:\n    - url: https://example.com/hook\n      header_files:\n        X-Api-Key: /tmp\n")).toEqual([
      "notify.webhooks[0].header_files.X-Api-Key: cannot read /tmp (it is a directory, not a regular file); give the path of a regular file",
    ]);
    expect(problemsOf("notify:\n  webhooks:\n    - url: https://example.com/hook\n      header_files:\n        X-Api-Key: shadow\n", { shadow: SHADOW })).toEqual([
      expect.stringMatching(/^notify\.webhooks\[0\]\.header_files\.X-Api-Key: .*shadow holds more than one line; put only the header's value in it, on one line$/),
    ]);
  });
});

/** Every duration key, with a value above its maximum. */
const TOO_LONG: Array<[string, string]> = [
  ["interval", "interval: 30d"],
  ["host.cpu.for", "host: { cpu: { for: 8d } }"],
  ["host.disk.for", "host: { disk: { for: 8d } }"],
  ["docker.unreachable_for", "docker: { unreachable_for: 2d }"],
  ["docker.timeout", "docker: { timeout: 1h }"],
  ["containers.crashed.resolve_after", "containers: { crashed: { resolve_after: 2d } }"],
  ["containers.oom_killed.resolve_after", "containers: { oom_killed: { resolve_after: 2d } }"],
  ["containers.unhealthy.for", "containers: { unhealthy: { for: 8d } }"],
  ["containers.restart_loop.within", "containers: { restart_loop: { within: 2d } }"],
  ["containers.not_running.for", "containers: { not_running: { for: 8d } }"],
  ["containers.cpu.for", "containers: { cpu: { for: 8d } }"],
  ["containers.memory.for", "containers: { memory: { for: 8d } }"],
  ["notify.repeat_interval", "notify: { repeat_interval: 31d }"],
  ["notify.group_wait", "notify: { group_wait: 11m }"],
  ["notify.give_up_after", "notify: { give_up_after: 8d }"],
  ["notify.max_retry_after", "notify: { max_retry_after: 2d }"],
  ["notify.timeout", "notify: { timeout: 11m }"],
  ["notify.heartbeat.every", "notify: { heartbeat: { url: https://hc-ping.com/x, every: 2d } }"],
  ["notify.routes[0].repeat_interval", "notify:\n  webhooks: [{ url: https://example.com/h }]\n  routes:\n    - receiver: webhook[0]\n      repeat_interval: 31d"],
  ["flap.within", "flap: { within: 8d }"],
  ["maintenance[0].duration", 'maintenance: [{ cron: "0 3 * * *", duration: 32d }]'],
];

describe("durations", () => {
  it.each(TOO_LONG)("%s: refuses a value above its maximum, naming the key and the range", (key, yaml) => {
    const problems = problemsOf(yaml + "\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${key.replace(/[.[\]]/g, "\\$&")}: expected a duration from \\S+ to \\S+(, or 0 for never)?, got `));
  });

  it("refuses docker.timeout: 0 and an interval of 30d, with their bounds", () => {
    expect(problemsOf("docker: { timeout: 0 }\n")).toEqual(["docker.timeout: expected a duration from 1s to 10m, got 0"]);
    expect(problemsOf("interval: 30d\n")).toEqual(['interval: expected a duration from 100ms to 1h, got "30d"']);
    expect(problemsOf("interval: 50ms\n")).toEqual(['interval: expected a duration from 100ms to 1h, got "50ms"']);
  });

  it("takes 0 where it means never or at once, and the bounds themselves", () => {
    const loaded = loadConfig({
      configPath: writeConfig("interval: 1h\nnotify: { repeat_interval: 0, group_wait: 0 }\nhost: { cpu: { for: 0s } }\ndocker: { timeout: 1s }\n"),
      env: {},
    });
    expect(loaded.config.interval).toBe(3_600_000);
    expect(loaded.config.notify.repeat_interval).toBe(0);
    expect(loaded.config.notify.group_wait).toBe(0);
    expect(loaded.config.host.cpu.for).toBe(0);
    expect(loaded.config.docker.timeout).toBe(1000);
    expect(problemsOf("notify: { repeat_interval: 30s }\n")).toEqual(['notify.repeat_interval: expected a duration from 1m to 30d, or 0 for never, got "30s"']);
  });

  it("the defaults are within the bounds", () => {
    expect(() => configSchema.parse({})).not.toThrow();
  });

  it("applies the same bounds to container labels and overrides", () => {
    const config = configSchema.parse({ containers: { overrides: [{ match: "name=db-*", not_running: { for: "30d" } }] } });
    const p = containerPolicy(config, { name: "db-1", labels: { "lookout.restart_loop.within": "0", "lookout.crashed.resolve_after": "2d" } });
    expect(p.problems).toEqual([
      'containers.overrides[0].not_running.for="30d": expected a duration from 0s to 7d',
      'label lookout.crashed.resolve_after="2d": expected a duration from 0s to 24h',
      "label lookout.restart_loop.within=0: expected a duration from 10s to 24h",
    ]);
    expect(p.rules.not_running.for).toBe(30_000);
    expect(p.rules.restart_loop.within).toBe(600_000);
  });
});
