/**
 * `lookout export alertmanager` and `lookout export grafana` through the
 * built CLI: Debian's amtool (prometheus-alertmanager, scripts/install-test-deps.sh)
 * accepts the Alertmanager config once the files it names exist; the
 * dashboard parses and queries only the metrics of Lookout's /metrics; no
 * export, nor what it prints, holds a secret of the config (webhook URLs,
 * their tokens, header values, the contents of secret files).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const SLACK_TOKEN = "xQ7pLm2Zr9TkWv4Hs8Nb3Yd1";
const FILE_TOKEN = "Fz8Kq1Wm5Rt3Yp7Lc2Hv9Xn4";
const ENV_TOKEN = "Ev6Tn2Qa8Wm4Lk1Rz7Hp3Yc5";
const HOOK_TOKEN = "hk_51f0c9ab77e34d2a";
const BEARER = "bt_9d8c7b6a5f4e3d2c1b0a";
const API_KEY = "ak_0f1e2d3c4b5a6978";
const HEADER_FILE_VALUE = "hf_77aa88bb99cc00dd";
const SECRETS = [SLACK_TOKEN, FILE_TOKEN, ENV_TOKEN, HOOK_TOKEN, BEARER, API_KEY, HEADER_FILE_VALUE, "alerts.example.net/in/"];

const CONFIG = `hostname: edge-7
notify:
  slack:
    - name: oncall
      webhook_url: https://hooks.slack.com/services/T0001/B0001/${SLACK_TOKEN}
      min_severity: critical
    - name: team
      webhook_url_file: team-slack.url
  webhooks:
    - name: pager
      url: https://alerts.example.net/in/${HOOK_TOKEN}?key=${HOOK_TOKEN}
      headers:
        Authorization: Bearer ${BEARER}
        X-Api-Key: ${API_KEY}
      header_files:
        X-Extra: extra-header.txt
  routes:
    - receiver: oncall
      min_severity: critical
      match: ["container=db-*"]
      continue: true
    - receiver: team
      repeat_interval: 1h
    - receiver: pager
      repeat_interval: 0
  daily_summary: "09:00"
containers:
  overrides:
    - match: "name=db-*"
      memory: { warning: 95 }
`;

function setup(): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-export-am-"));
  writeFileSync(join(dir, "lookout.yaml"), CONFIG, { mode: 0o600 });
  writeFileSync(join(dir, "team-slack.url"), `https://hooks.slack.com/services/T0002/B0002/${FILE_TOKEN}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "extra-header.txt"), `${HEADER_FILE_VALUE}\n`, { mode: 0o600 });
  return dir;
}

const amtool = (args: string[], cwd: string) => spawnSync("amtool", args, { cwd, encoding: "utf8", timeout: 60_000 });

function expectNoSecret(text: string): void {
  for (const s of SECRETS) expect(text).not.toContain(s);
}

describe("lookout export alertmanager", () => {
  it("writes a config amtool check-config accepts, with the files it reads created, and no secret", async () => {
    const dir = setup();
    const secrets = join(dir, "secrets");
    const r = await runCli(["-c", join(dir, "lookout.yaml"), "export", "alertmanager", "--secrets-dir", secrets, "-o", join(dir, "alertmanager.yml")], { cwd: dir });
    expect(r.stderr).not.toContain("internal error");
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, "alertmanager.yml"), "utf8");
    expectNoSecret(text + r.stdout + r.stderr);
    // The files to create are said on stderr, one per line.
    const files = [...r.stderr.matchAll(/^lookout export: create (\S+): /gm)].map((m) => m[1]!);
    expect(files).toEqual([join(secrets, "oncall.slack-url"), join(dir, "team-slack.url"), join(secrets, "pager.credentials")]);
    expect(r.stderr).toContain("X-Api-Key cannot be set");
    expect(r.stderr).toContain("replace https://replace-me.invalid/pager");
    expect(r.stderr).toContain("daily_summary");
    for (const f of files) {
      mkdirSync(dirname(f), { recursive: true });
      if (f.startsWith(secrets)) writeFileSync(f, "placeholder\n");
    }
    expect(text).toContain("api_url_file: " + join(secrets, "oncall.slack-url"));
    expect(text).toContain('- severity=~"critical"');
    expect(text).toContain('- container=~"db-.*"');
    expect(text).toContain("repeat_interval: 8760h");
    expect(text).toContain('alertname="docker_unreachable"');
    const check = amtool(["check-config", "alertmanager.yml"], dir);
    expect(check.stdout + check.stderr).toContain("SUCCESS");
    expect(check.status).toBe(0);
  }, 60_000);

  it("names the environment variable a Slack URL came from, never the URL", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-export-env-"));
    const url = `https://hooks.slack.com/services/T0003/B0003/${ENV_TOKEN}`;
    const r = await runCli(["export", "alertmanager", "--secrets-dir", join(dir, "s")], { cwd: dir, env: { LOOKOUT_SLACK_WEBHOOK_URL: url } });
    expect(r.code).toBe(0);
    expectNoSecret(r.stdout + r.stderr);
    expect(r.stderr).toContain(`create ${join(dir, "s", "slack.slack-url")}: the Slack webhook URL of slack (Lookout's LOOKOUT_SLACK_WEBHOOK_URL)`);
  });

  it("the rules and the dashboard of that config hold no secret either", async () => {
    const dir = setup();
    for (const what of ["prometheus-rules", "grafana"]) {
      const r = await runCli(["-c", join(dir, "lookout.yaml"), "export", what], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(1000);
      expectNoSecret(r.stdout + r.stderr);
    }
  });
});

/** The metrics of Lookout's /metrics (node_exporter's, cAdvisor's and Lookout's names), and Prometheus' ALERTS. */
const KNOWN = new Set([
  "node_cpu_seconds_total",
  "node_memory_MemTotal_bytes",
  "node_memory_MemAvailable_bytes",
  "node_memory_SwapTotal_bytes",
  "node_memory_SwapFree_bytes",
  "node_filesystem_size_bytes",
  "node_filesystem_avail_bytes",
  "node_filesystem_files",
  "node_filesystem_files_free",
  "node_load1",
  "node_load5",
  "node_load15",
  "node_boot_time_seconds",
  "node_vmstat_oom_kill",
  "node_network_receive_bytes_total",
  "node_network_transmit_bytes_total",
  "node_disk_read_bytes_total",
  "node_disk_written_bytes_total",
  "container_cpu_usage_seconds_total",
  "container_memory_working_set_bytes",
  "container_memory_usage_bytes",
  "container_spec_memory_limit_bytes",
  "container_last_seen",
  "container_start_time_seconds",
  "container_oom_events_total",
  "lookout_container_exit_code",
  "lookout_container_restarts_total",
  "lookout_container_health_status",
  "lookout_alerts",
  "lookout_notifications_total",
  "lookout_outbox_pending",
  "lookout_cycle_duration_seconds",
  "lookout_build_info",
  "ALERTS",
]);

const KEYWORDS = new Set([
  "sum",
  "min",
  "max",
  "avg",
  "count",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "quantile",
  "count_values",
  "group",
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
]);

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords, label names or numbers. */
function metricsIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, "{}") // label matchers
    .replace(/\[[^\]]*\]/g, "[]") // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "$1()");
  const out: string[] = [];
  for (const m of bare.matchAll(/(?<![\w$:.])([A-Za-z_:][\w:]*)(?!\w)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1]!)) continue;
    out.push(m[1]!);
  }
  return out;
}

describe("lookout export grafana", () => {
  it("writes a dashboard that parses, has no data source UID, a hostname variable, the alerts as annotations, and reads only known metrics", async () => {
    const dir = setup();
    const r = await runCli(["-c", join(dir, "lookout.yaml"), "export", "grafana", "-o", join(dir, "dashboard.json")], { cwd: dir });
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, "dashboard.json"), "utf8");
    const d = JSON.parse(text);
    expect(d.schemaVersion).toBe(39);
    expect(d.__inputs.map((i: { name: string }) => i.name)).toEqual(["DS_PROMETHEUS"]);
    const uids = [...text.matchAll(/"uid": "([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(uids)).toEqual(new Set(["${DS_PROMETHEUS}", "lookout-hosts"]));
    expect(d.templating.list.map((v: { name: string }) => v.name)).toEqual(["hostname", "instance"]);
    expect(d.annotations.list[0].expr).toMatch(/^ALERTS\{/);
    expect(d.description).toContain("edge-7");
    const exprs: string[] = [
      ...d.panels.flatMap((p: { targets?: Array<{ expr: string }> }) => (p.targets ?? []).map((t) => t.expr)),
      d.annotations.list[0].expr,
      ...d.templating.list.map((v: { definition: string }) => v.definition.replace(/^label_values\((.*), \w+\)$/, "$1")),
    ];
    expect(exprs.length).toBeGreaterThan(15);
    const used = new Set(exprs.flatMap(metricsIn));
    expect([...used].filter((m) => !KNOWN.has(m))).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });

  it("the rules read the same metrics, and besides only up, node_filesystem_free_bytes (with a fallback) and their own records", async () => {
    const r = await runCli(["export", "prometheus-rules"]);
    expect(r.code).toBe(0);
    const exprs = [...r.stdout.matchAll(/expr: \|-\n((?: {10}.*\n)+)/g)].map((m) => m[1]!);
    expect(exprs.length).toBeGreaterThan(20);
    const used = new Set(exprs.flatMap(metricsIn));
    expect([...used].filter((m) => !KNOWN.has(m) && !m.startsWith("lookout:") && m !== "up" && m !== "node_filesystem_free_bytes")).toEqual([]);
  });
});
