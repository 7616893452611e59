/**
 * `lookout export prometheus-rules`, checked by Prometheus' own promtool
 * (Debian's `prometheus` package, scripts/install-test-deps.sh): the rules
 * load for the default config and for one with overrides, and on synthetic
 * series they fire exactly when Lookout's own lifecycle (alert/state.ts
 * `step`, with each container's settings from collect/docker/policy.ts)
 * fires, at the same severity, and not below the threshold: the test runs
 * Lookout's rule on the same values and writes promtool's expectations from it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type AlertRecord, step } from "../../src/alert/state.js";
import { containerPolicy, loadPolicyChecks } from "../../src/collect/docker/policy.js";
import { configSchema, type LookoutConfig } from "../../src/config/schema.js";
import type { Observation } from "../../src/model/observation.js";
import { runCli } from "../support/cli.js";

// Labels and overrides are checked by code loaded on demand (collect/docker/policy.ts): loaded here as a report would.
beforeAll(loadPolicyChecks);

const promtool = (args: string[], cwd: string) => spawnSync("promtool", args, { cwd, encoding: "utf8", timeout: 60_000 });

const CONFIG = `hostname: web-1
host:
  memory: { warning: 90, critical: 95, for: 1m, hysteresis: 5 }
containers:
  memory: { warning: 85 }
  exclude: ["name=ignored-*"]
  overrides:
    - match: "web-*"
      memory: { warning: 60 }
    - match: "name=db-*"
      memory: { warning: 95 }
    - match: "com.docker.compose.project=shop"
      cpu: { warning: 50 }
`;

async function exportRules(dir: string, config?: string): Promise<string> {
  const args = ["export", "prometheus-rules", "-o", join(dir, "rules.yml")];
  if (config !== undefined) {
    writeFileSync(join(dir, "lookout.yaml"), config);
    args.unshift("-c", join(dir, "lookout.yaml"));
  }
  const r = await runCli(args, { cwd: dir });
  expect(r.stderr).toContain("not reproduced:");
  expect(r.code).toBe(0);
  return readFileSync(join(dir, "rules.yml"), "utf8");
}

const STEP_S = 10;
const INSTANCE = { instance: "web-1:9817", job: "lookout" };

/** What Lookout's lifecycle says at each step of these values: the severity firing, or none. */
function lookoutSays(values: number[], o: Omit<Observation, "value" | "fingerprint" | "alertname" | "labels" | "display" | "unit">): Array<"warning" | "critical" | null> {
  let alerts: AlertRecord[] = [];
  return values.map((value, i) => {
    const obs: Observation = { fingerprint: "x", alertname: "x", labels: { alertname: "x" }, display: "x", unit: "%", value, ...o };
    alerts = step(alerts, [obs], i * STEP_S * 1000, { repeatIntervalMs: 0, sendResolved: true, evaluated: new Set(["x"]) }).alerts;
    const a = alerts.find((r) => r.state === "firing");
    return a ? a.severity : null;
  });
}

const series = (values: number[]) => values.join(" ");

interface Expected {
  eval_time: string;
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }>;
}

describe("lookout export prometheus-rules", () => {
  it("promtool check rules accepts the rules of the default config and of one with overrides", async () => {
    for (const config of [undefined, CONFIG]) {
      const dir = mkdtempSync(join(tmpdir(), "lookout-export-rules-"));
      await exportRules(dir, config);
      const r = promtool(["check", "rules", "rules.yml"], dir);
      expect(r.stdout + r.stderr).toContain("SUCCESS");
      expect(r.status).toBe(0);
    }
  }, 60_000);

  it("host_memory and container_memory fire as Lookout's own rules do (threshold, for, severity, hysteresis, overrides and labels)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-export-unit-"));
    const rules = await exportRules(dir, CONFIG);
    const config: LookoutConfig = configSchema.parse(parse(CONFIG));

    // Host memory, used %: below, warning, critical (escalated after for), held by hysteresis, down, below.
    const hostUsed = [50, 50, 50, 92, 92, 92, 92, 92, 92, 92, 97, 97, 97, 97, 97, 97, 97, 97, 92, 87, 87, 80, 80, 80];
    const n = hostUsed.length;
    const m = config.host.memory;
    const hostSays = lookoutSays(hostUsed, { warning: m.warning, critical: m.critical, forMs: m.for, hysteresis: m.hysteresis });
    expect(hostSays).toContain("critical"); // the scenario reaches each level
    expect(hostSays.filter((s) => s === "warning").length).toBeGreaterThan(0);

    // Containers: memory % of the limit (limit 0: of the host's 1000 bytes); thresholds from labels, overrides, defaults.
    const up = (v: number) => [...Array(12).fill(v), v - 3, v - 3, v - 3, v - 20, v - 20, v - 20, ...Array(n - 18).fill(v - 20)];
    const containers: Array<{ name: string; labels: Record<string, string>; limit: number; used: number[] }> = [
      { name: "web-1", labels: { "com.docker.compose.project": "shop", "com.docker.compose.service": "web" }, limit: 1000, used: up(65) },
      { name: "db-1", labels: { "lookout.memory.warning": "70" }, limit: 1000, used: up(75) },
      { name: "cache-1", labels: {}, limit: 1000, used: up(80) },
      { name: "api-1", labels: { "lookout.memory.warning": "92.5", "lookout.memory.critical": "97" }, limit: 1000, used: up(95) },
      { name: "batch-1", labels: {}, limit: 0, used: up(90) },
      { name: "quiet-1", labels: { "lookout.memory.enabled": "false" }, limit: 1000, used: up(99) },
      { name: "ignored-1", labels: {}, limit: 1000, used: up(99) },
    ];
    const input: Array<{ series: string; values: string }> = [
      { series: `lookout_build_info{instance="web-1:9817", job="lookout", hostname="web-1", version="0.1.0", node_version="v20.0.0"}`, values: `1x${n}` },
      { series: `node_memory_MemTotal_bytes{instance="web-1:9817", job="lookout"}`, values: `1000x${n}` },
      { series: `node_memory_MemAvailable_bytes{instance="web-1:9817", job="lookout"}`, values: series(hostUsed.map((u) => (100 - u) * 10)) },
    ];
    const says = new Map<string, Array<"warning" | "critical" | null>>();
    for (const c of containers) {
      const labels = [
        `name="${c.name}"`,
        `image="example/${c.name}:1"`,
        `id="/docker/${c.name}"`,
        ...Object.entries(c.labels).map(([k, v]) => `container_label_${k.replace(/[^A-Za-z0-9_]/g, "_")}="${v}"`),
        `instance="web-1:9817"`,
        `job="lookout"`,
      ].join(", ");
      input.push(
        { series: `container_last_seen{${labels}}`, values: `1700000000+10x${n}` },
        { series: `container_spec_memory_limit_bytes{${labels}}`, values: `${c.limit}x${n}` },
        { series: `container_memory_working_set_bytes{${labels}}`, values: series(c.used.map((u) => u * 10)) },
      );
      const r = containerPolicy(config, { name: c.name, labels: c.labels }).rules.memory;
      const watched = !c.name.startsWith("ignored-");
      says.set(c.name, r.enabled && watched ? lookoutSays(c.used, { warning: r.warning, critical: r.critical, forMs: r.for, hysteresis: r.hysteresis }) : c.used.map(() => null));
    }
    // What Lookout says, as promtool's expectations: a critical alert is also a warning one in Prometheus (Alertmanager inhibits it).
    const tests: Expected[] = [];
    for (let i = 0; i < n; i++) {
      const at = `${i * STEP_S}s`;
      const sev = hostSays[i];
      tests.push({
        eval_time: at,
        alertname: "host_memory",
        exp_alerts: (sev === null ? [] : sev === "critical" ? (["warning", "critical"] as const) : (["warning"] as const)).map((s) => ({
          exp_labels: { severity: s, hostname: "web-1", ...INSTANCE },
          exp_annotations: { summary: `Memory ${hostUsed[i]!.toFixed(1)}% (threshold ${s === "critical" ? m.critical : m.warning}%)` },
        })),
      });
      const exp: Expected["exp_alerts"] = [];
      for (const c of containers) {
        const s = says.get(c.name)![i];
        if (s === null || s === undefined) continue;
        const r = containerPolicy(config, { name: c.name, labels: c.labels }).rules.memory;
        for (const level of s === "critical" ? (["warning", "critical"] as const) : (["warning"] as const)) {
          const compose: Record<string, string> = c.labels["com.docker.compose.project"]
            ? { compose_project: c.labels["com.docker.compose.project"], compose_service: c.labels["com.docker.compose.service"]! }
            : {};
          exp.push({
            exp_labels: { severity: level, hostname: "web-1", ...INSTANCE, container: c.name, image: `example/${c.name}:1`, ...compose },
            exp_annotations: {
              summary: `Container ${c.name} memory ${c.used[i]!.toFixed(1)}% (threshold ${level === "critical" ? r.critical : r.warning}%)`,
            },
          });
        }
      }
      tests.push({ eval_time: at, alertname: "container_memory", exp_alerts: exp });
    }
    // The scenario has what it is about: an override (web-1), a label beating an override (db-1), a container below (cache-1), no limit (batch-1), a label's critical (api-1).
    expect([...says].filter(([, s]) => s.includes("warning")).map(([name]) => name)).toEqual(["web-1", "db-1", "api-1", "batch-1"]);
    expect(says.get("api-1")).toContain(null);
    expect(says.get("cache-1")!.every((s) => s === null)).toBe(true);

    writeFileSync(join(dir, "rules.yml"), rules);
    writeFileSync(
      join(dir, "test.yml"),
      JSON.stringify({ rule_files: ["rules.yml"], evaluation_interval: `${STEP_S}s`, tests: [{ interval: `${STEP_S}s`, input_series: input, alert_rule_test: tests }] }, null, 1),
    );
    const r = promtool(["test", "rules", "test.yml"], dir);
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.status).toBe(0);
  }, 60_000);
});
