/**
 * `lookout export alertmanager`: an Alertmanager configuration with the
 * receivers and routes of `notify`, Lookout's inhibition (alert/inhibition.ts)
 * as inhibit_rules, and Slack messages laid out like Lookout's own
 * (notify/slack/message.ts: `[host] CRITICAL: …`, Host, Severity, Since).
 *
 * No secret is written: a Slack webhook comes from `api_url_file` (the
 * config's webhook_url_file, else a file to create, named in `files`), an
 * Authorization header from `credentials_file`; a webhook's URL is a
 * placeholder (Alertmanager 0.25 has no url_file), other headers cannot be
 * carried (both said in `notes`).
 */
import { resolve } from "node:path";
import { stringify } from "yaml";
import { receiverName, SEVERITIES, type Severity } from "../config/names.js";
import type { LookoutConfig } from "../config/schema.js";
import { CONTAINER_DEATH_METRICS, DOCKER_UNREACHABLE, HOST_REBOOTED, PER_CONTAINER_METRICS } from "../model/metrics.js";
import { LOOKOUT_DOWN } from "./prometheus-rules.js";
import { alertMatcher, promDuration, quote } from "./promql.js";

export interface AlertmanagerOptions {
  /** Where the files that hold the secrets are to be, on the Alertmanager host. */
  secretsDir: string;
  /** The config file's folder: a relative webhook_url_file is relative to it. */
  baseDir: string;
  /** Receiver entries whose URL came from an environment variable (the variable). */
  fromEnvironment?: ReadonlyMap<object, string>;
}

export interface SecretFile {
  path: string;
  /** What to put in it, and where it comes from. */
  holds: string;
}

export interface AlertmanagerExport {
  text: string;
  /** Files the configuration reads that must exist before Alertmanager starts. */
  files: SecretFile[];
  notes: string[];
}

/** Slack's colours of notify/slack/message.ts (SLACK_COLORS), by status and severity. */
const COLOR = '{{ if eq .Status "firing" }}{{ if eq .CommonLabels.severity "critical" }}#d50200{{ else }}#f2a900{{ end }}{{ else }}#2eb67d{{ end }}';

/** Lookout's title: `[web-1] CRITICAL: CPU 97.2% (threshold 95%)`, `[web-1] RESOLVED: …`. */
const TITLE =
  '[{{ .CommonLabels.hostname }}] {{ if eq .Status "firing" }}{{ .CommonLabels.severity | toUpper }}{{ else }}RESOLVED{{ end }}: ' +
  "{{ with index .Alerts 0 }}{{ .Annotations.summary }}{{ end }}" +
  "{{ if gt (len .Alerts) 1 }} (and {{ len .Alerts }} alerts in all){{ end }}";

/** Lookout's fields: Host, Severity, the container or mount, Since (in the reader's time zone), Lasted when resolved. */
const TEXT = [
  "{{ range .Alerts }}",
  '*Host:* {{ .Labels.hostname }}    *Severity:* {{ if eq .Status "firing" }}{{ .Labels.severity | title }}{{ else }}Resolved (was {{ .Labels.severity }}){{ end }}',
  "{{ if .Labels.container }}*Container:* {{ .Labels.container }}{{ if .Labels.image }} ({{ .Labels.image }}){{ end }}{{ if .Labels.compose_project }}    *Compose:* {{ .Labels.compose_project }} / {{ .Labels.compose_service }}{{ end }}\n{{ end }}" +
    "{{ if .Labels.mount }}*Mount:* {{ .Labels.mount }}\n{{ end }}" +
    '*Since:* <!date^{{ .StartsAt.Unix }}^{date_short_pretty} {time}|{{ .StartsAt.UTC.Format "2006-01-02 15:04 UTC" }}>' +
    '{{ if eq .Status "resolved" }}    *Ended:* <!date^{{ .EndsAt.Unix }}^{date_short_pretty} {time}|{{ .EndsAt.UTC.Format "2006-01-02 15:04 UTC" }}>{{ end }}',
  "{{ end }}",
  "_Alertmanager · alert {{ .CommonLabels.alertname }}_",
].join("\n");

/** The severities at least `min`, as a matcher. */
function severityMatcher(min: Severity): string {
  return `severity=~${quote(SEVERITIES.filter((s) => SEVERITIES.indexOf(s) >= SEVERITIES.indexOf(min)).join("|"))}`;
}

const higher = (a: Severity, b: Severity): Severity => (SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b);

/** Lookout's "never" (0) has no Alertmanager form: a year. */
const repeat = (ms: number) => (ms > 0 ? promDuration(ms) : "8760h");

function fileName(name: string, what: string): string {
  return `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.${what}`;
}

export function alertmanagerConfig(config: LookoutConfig, opts: AlertmanagerOptions): AlertmanagerExport {
  const n = config.notify;
  const files: SecretFile[] = [];
  const notes: string[] = [];
  const minOf = new Map<string, Severity>();
  const receivers: object[] = [{ name: "lookout-none" }];

  n.slack.forEach((r, i) => {
    const name = receiverName("slack", r, i);
    minOf.set(name, r.min_severity);
    let path: string;
    if (r.webhook_url_file !== undefined) {
      path = resolve(opts.baseDir, r.webhook_url_file);
      files.push({ path, holds: `the Slack webhook URL of ${name}: copy ${path} from the Lookout host (notify.slack[${i}].webhook_url_file)` });
    } else {
      path = `${opts.secretsDir}/${fileName(name, "slack-url")}`;
      const from = opts.fromEnvironment?.get(r) ?? `notify.slack[${i}].webhook_url`;
      files.push({ path, holds: `the Slack webhook URL of ${name} (Lookout's ${from}), alone on one line` });
    }
    receivers.push({
      name,
      slack_configs: [{ api_url_file: path, send_resolved: n.send_resolved, color: COLOR, title: TITLE, text: TEXT }],
    });
  });

  n.webhooks.forEach((r, i) => {
    const name = receiverName("webhook", r, i);
    minOf.set(name, r.min_severity);
    // Alertmanager 0.25 (Debian 12's) has no url_file for webhooks: a placeholder to replace by hand, in a file kept private.
    const placeholder = `https://replace-me.invalid/${encodeURIComponent(name)}`;
    notes.push(
      `webhook ${name}: Alertmanager 0.25's webhook_configs cannot read the URL from a file: replace ${placeholder} by notify.webhooks[${i}].url in the written file, and keep that file private (chmod 600).`,
    );
    const http_config: Record<string, unknown> = {};
    const headerNames = [...Object.keys(r.headers), ...Object.keys(r.header_files)];
    for (const h of headerNames) {
      if (h.toLowerCase() === "authorization") {
        const credentials = `${opts.secretsDir}/${fileName(name, "credentials")}`;
        const file = r.header_files[h];
        files.push({
          path: credentials,
          holds: `the credentials of webhook ${name}'s Authorization header, without its scheme${file !== undefined ? `: from ${resolve(opts.baseDir, file)}` : ""}`,
        });
        // The scheme (Bearer, Basic…) is no secret; the credentials after it are, and go to the file.
        const scheme = /^([A-Za-z][A-Za-z0-9-]*) /.exec(r.headers[h] ?? "")?.[1] ?? "Bearer";
        http_config.authorization = { type: scheme, credentials_file: credentials };
      } else {
        notes.push(`webhook ${name}: header ${h} cannot be set by Alertmanager 0.25's webhook_configs (only Authorization); put it in a proxy or drop it.`);
      }
    }
    receivers.push({
      name,
      webhook_configs: [{ url: placeholder, send_resolved: n.send_resolved, ...(Object.keys(http_config).length > 0 ? { http_config } : {}) }],
    });
  });

  // Each route is matched by severity (the route's and its receiver's min_severity, as Lookout's dispatcher does) and its matchers.
  const routes =
    n.routes.length > 0
      ? n.routes.map((r) => ({
          receiver: r.receiver,
          matchers: [severityMatcher(higher(r.min_severity, minOf.get(r.receiver) ?? "info")), ...r.match.map(alertMatcher)],
          ...(r.repeat_interval !== undefined ? { repeat_interval: repeat(r.repeat_interval) } : {}),
          continue: r.continue,
        }))
      : [...minOf].map(([receiver, min]) => ({ receiver, matchers: [severityMatcher(min)], continue: true }));

  const perContainer = PER_CONTAINER_METRICS.join("|");
  const config_ = {
    route: {
      receiver: "lookout-none",
      // One message per alert, as Lookout sends (a warning and its critical are one group: the critical inhibits the warning).
      group_by: ["alertname", "hostname", "instance", "mount", "container"],
      group_wait: promDuration(n.group_wait),
      group_interval: "30s",
      repeat_interval: repeat(n.repeat_interval),
      routes,
    },
    inhibit_rules: [
      // alert/inhibition.ts: without Docker, every container alert is a symptom.
      { source_matchers: [`alertname=${quote(DOCKER_UNREACHABLE)}`], target_matchers: [`alertname=~${quote(perContainer)}`], equal: ["hostname"] },
      // A reboot explains the containers that died with it.
      { source_matchers: [`alertname=${quote(HOST_REBOOTED)}`], target_matchers: [`alertname=~${quote(CONTAINER_DEATH_METRICS.join("|"))}`], equal: ["hostname"] },
      // A Lookout that cannot be scraped explains whatever else of that host.
      { source_matchers: [`alertname=${quote(LOOKOUT_DOWN)}`], target_matchers: [`alertname!=${quote(LOOKOUT_DOWN)}`], equal: ["instance"] },
      // One alert at its highest level: the critical holds its warning back.
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ["alertname", "hostname", "instance", "mount", "container"] },
    ],
    receivers,
  };
  notes.push(
    "Inhibition: Lookout holds back a container alert that happened while Docker was unreachable (or before a reboot) even after the cause ended; Alertmanager only while the cause fires.",
    "group_interval 30s: an escalation or resolution of an alert already told waits up to 30s (Lookout sends it at its next cycle).",
  );
  if (n.repeat_interval === 0 || n.routes.some((r) => r.repeat_interval === 0)) notes.push("repeat_interval 0 (never remind) is written as 8760h: Alertmanager always reminds.");
  if (n.daily_summary) notes.push("notify.daily_summary: Alertmanager has no daily summary.");
  if (n.heartbeat) notes.push("notify.heartbeat: not an Alertmanager setting; alert on lookout_down, or route an always-firing rule to your dead man's switch.");
  if (config.maintenance.length > 0) notes.push("maintenance windows: write them as Alertmanager time_intervals and mute_time_intervals on the routes.");
  if (n.slack.length === 0 && n.webhooks.length === 0) notes.push("notify has no receiver: every alert goes to lookout-none, which sends nothing.");

  const header = [
    "# Alertmanager configuration made by lookout export alertmanager: Lookout's receivers, routes and inhibition.",
    "# No secret is in this file: each is read from a file, to create before Alertmanager starts:",
    ...files.map((f) => `#   ${f.path}: ${f.holds}`),
    "# Check: amtool check-config FILE (docs/fleet.md).",
    ...(notes.length > 0 ? ["#", "# Not reproduced here:", ...notes.map((x) => `# - ${x}`)] : []),
    "",
  ].join("\n");
  return { text: header + stringify(config_, { lineWidth: 0 }), files, notes };
}
