/**
 * `lookout export grafana`: a dashboard of the hosts running Lookout and
 * their containers, on the metrics of Lookout's `/metrics`, for Grafana's
 * import (schemaVersion 39). The data source is an input (`${DS_PROMETHEUS}`),
 * never a UID; a `hostname` variable (from lookout_build_info) picks the
 * hosts, and the alerts (`ALERTS`, from `lookout export prometheus-rules`)
 * show as annotations.
 */
import type { LookoutConfig } from "../config/schema.js";
import { VERSION } from "../version.js";
import { BUILD_INFO } from "./promql.js";

const DS = { type: "prometheus", uid: "${DS_PROMETHEUS}" };

/** The instances of the chosen hosts, as a matcher: every query of a panel is filtered by it. */
const HOSTS = 'instance=~"$instance"';

interface Target {
  expr: string;
  legend: string;
}

let nextId = 1;

function timeseries(title: string, targets: Target[], unit: string, x: number, y: number, opts: { max?: number; w?: number; thresholds?: number[] } = {}): object {
  const steps: Array<{ color: string; value: number | null }> = [{ color: "green", value: null }];
  const [warning, critical] = opts.thresholds ?? [];
  if (warning !== undefined) steps.push({ color: "orange", value: warning });
  if (critical !== undefined && critical !== null) steps.push({ color: "red", value: critical });
  return {
    id: nextId++,
    type: "timeseries",
    title,
    datasource: DS,
    gridPos: { x, y, w: opts.w ?? 12, h: 8 },
    fieldConfig: {
      defaults: {
        unit,
        min: 0,
        ...(opts.max !== undefined ? { max: opts.max } : {}),
        thresholds: { mode: "absolute", steps },
        custom: { thresholdsStyle: { mode: opts.thresholds ? "line" : "off" } },
      },
      overrides: [],
    },
    options: { legend: { displayMode: "list", placement: "bottom", showLegend: true }, tooltip: { mode: "multi", sort: "desc" } },
    targets: targets.map((t, i) => ({ datasource: DS, refId: String.fromCharCode(65 + i), expr: t.expr, legendFormat: t.legend })),
  };
}

function row(title: string, y: number): object {
  return { id: nextId++, type: "row", title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] };
}

/** The dashboard's JSON for this configuration (its thresholds drawn as lines). */
export function grafanaDashboard(config: LookoutConfig, hostname: string): object {
  nextId = 1;
  const h = config.host;
  const c = config.containers;
  const th = (r: { enabled: boolean; warning: number; critical: number | null }) => (r.enabled ? [r.warning, ...(r.critical !== null ? [r.critical] : [])] : undefined);
  const cores = `count by(instance) (node_cpu_seconds_total{${HOSTS}, mode="idle"})`;
  const busy = 'mode=~"user|nice|system|irq|softirq|steal"';
  const all = 'mode=~"user|nice|system|irq|softirq|steal|idle|iowait"';
  const panels: object[] = [
    row("Host", 0),
    timeseries(
      "CPU busy",
      [
        {
          expr: `100 * sum by(instance) (rate(node_cpu_seconds_total{${HOSTS}, ${busy}}[$__rate_interval])) / sum by(instance) (rate(node_cpu_seconds_total{${HOSTS}, ${all}}[$__rate_interval]))`,
          legend: "{{instance}}",
        },
      ],
      "percent",
      0,
      1,
      { max: 100, ...(th(h.cpu) ? { thresholds: th(h.cpu) } : {}) },
    ),
    timeseries(
      "Memory used (of total, MemAvailable free)",
      [{ expr: `100 * (1 - node_memory_MemAvailable_bytes{${HOSTS}} / node_memory_MemTotal_bytes{${HOSTS}})`, legend: "{{instance}}" }],
      "percent",
      12,
      1,
      { max: 100, ...(th(h.memory) ? { thresholds: th(h.memory) } : {}) },
    ),
    timeseries(
      "Disk used",
      [{ expr: `100 * (1 - node_filesystem_avail_bytes{${HOSTS}} / node_filesystem_size_bytes{${HOSTS}})`, legend: "{{instance}} {{mountpoint}}" }],
      "percent",
      0,
      9,
      { max: 100, ...(th(h.disk) ? { thresholds: th(h.disk) } : {}) },
    ),
    timeseries(
      "Inodes used",
      [{ expr: `100 * (1 - node_filesystem_files_free{${HOSTS}} / node_filesystem_files{${HOSTS}})`, legend: "{{instance}} {{mountpoint}}" }],
      "percent",
      12,
      9,
      { max: 100, ...(th(h.inodes) ? { thresholds: th(h.inodes) } : {}) },
    ),
    timeseries(
      "Load (5m) per core",
      [{ expr: `node_load5{${HOSTS}} / on(instance) ${cores}`, legend: "{{instance}}" }],
      "none",
      0,
      17,
      th(h.load) ? { thresholds: th(h.load)! } : {},
    ),
    timeseries("Swap used", [{ expr: `100 * (1 - node_memory_SwapFree_bytes{${HOSTS}} / node_memory_SwapTotal_bytes{${HOSTS}})`, legend: "{{instance}}" }], "percent", 12, 17, {
      max: 100,
      ...(th(h.swap) ? { thresholds: th(h.swap) } : {}),
    }),
    timeseries(
      "Network",
      [
        { expr: `rate(node_network_receive_bytes_total{${HOSTS}}[$__rate_interval])`, legend: "{{instance}} {{device}} received" },
        { expr: `-rate(node_network_transmit_bytes_total{${HOSTS}}[$__rate_interval])`, legend: "{{instance}} {{device}} sent" },
      ],
      "Bps",
      0,
      25,
    ),
    timeseries(
      "Disk I/O",
      [
        { expr: `rate(node_disk_read_bytes_total{${HOSTS}}[$__rate_interval])`, legend: "{{instance}} {{device}} read" },
        { expr: `-rate(node_disk_written_bytes_total{${HOSTS}}[$__rate_interval])`, legend: "{{instance}} {{device}} written" },
      ],
      "Bps",
      12,
      25,
    ),
    row("Containers", 33),
    timeseries(
      "Container CPU (of all host cores)",
      [
        {
          expr: `100 * sum by(instance, name) (rate(container_cpu_usage_seconds_total{${HOSTS}, name!=""}[$__rate_interval])) / on(instance) group_left() ${cores}`,
          legend: "{{name}}",
        },
      ],
      "percent",
      0,
      34,
      th(c.cpu) ? { thresholds: th(c.cpu)! } : {},
    ),
    timeseries(
      "Container memory (of its limit, else of the host's)",
      [
        {
          expr:
            `100 * container_memory_working_set_bytes{${HOSTS}, name!=""} / (container_spec_memory_limit_bytes{${HOSTS}, name!=""} > 0)` +
            ` or 100 * container_memory_working_set_bytes{${HOSTS}, name!=""} / on(instance) group_left() node_memory_MemTotal_bytes{${HOSTS}}`,
          legend: "{{name}}",
        },
      ],
      "percent",
      12,
      34,
      { max: 100, ...(th(c.memory) ? { thresholds: th(c.memory) } : {}) },
    ),
    timeseries("Container memory working set", [{ expr: `container_memory_working_set_bytes{${HOSTS}, name!=""}`, legend: "{{name}}" }], "bytes", 0, 42),
    timeseries("Container restarts (in the window)", [{ expr: `increase(lookout_container_restarts_total{${HOSTS}}[$__range])`, legend: "{{name}}" }], "none", 12, 42),
    timeseries(
      "Unhealthy containers, OOM kills",
      [
        { expr: `lookout_container_health_status{${HOSTS}, status="unhealthy"} == 1`, legend: "{{name}} unhealthy" },
        { expr: `increase(container_oom_events_total{${HOSTS}}[$__rate_interval]) > 0`, legend: "{{name}} OOM kill" },
      ],
      "none",
      0,
      50,
    ),
    timeseries(
      "Lookout's alerts",
      [
        { expr: `sum by(severity) (lookout_alerts{${HOSTS}, state="firing"})`, legend: "firing {{severity}}" },
        { expr: `lookout_outbox_pending{${HOSTS}}`, legend: "notifications waiting" },
        { expr: `lookout_cycle_duration_seconds{${HOSTS}}`, legend: "cycle duration (s)" },
      ],
      "none",
      12,
      50,
    ),
  ];
  return {
    __inputs: [
      { name: "DS_PROMETHEUS", label: "Prometheus", description: "The Prometheus that scrapes the Lookouts", type: "datasource", pluginId: "prometheus", pluginName: "Prometheus" },
    ],
    __requires: [
      { type: "grafana", id: "grafana", name: "Grafana", version: "10.0.0" },
      { type: "datasource", id: "prometheus", name: "Prometheus", version: "1.0.0" },
      { type: "panel", id: "timeseries", name: "Time series", version: "" },
    ],
    title: "Lookout hosts",
    description: `Made by lookout export grafana (Lookout ${VERSION}, from the configuration of ${hostname}). Hosts are told apart by Lookout's hostname: key.`,
    uid: "lookout-hosts",
    tags: ["lookout"],
    timezone: "browser",
    schemaVersion: 39,
    version: 1,
    editable: true,
    graphTooltip: 1,
    time: { from: "now-6h", to: "now" },
    refresh: "1m",
    templating: {
      list: [
        {
          name: "hostname",
          label: "Host",
          type: "query",
          datasource: DS,
          query: { query: `label_values(${BUILD_INFO}, hostname)`, refId: "hostname" },
          definition: `label_values(${BUILD_INFO}, hostname)`,
          refresh: 2,
          multi: true,
          includeAll: true,
          current: {},
          sort: 1,
        },
        {
          name: "instance",
          label: "Instance",
          type: "query",
          hide: 2,
          datasource: DS,
          query: { query: `label_values(${BUILD_INFO}{hostname=~"$hostname"}, instance)`, refId: "instance" },
          definition: `label_values(${BUILD_INFO}{hostname=~"$hostname"}, instance)`,
          refresh: 2,
          multi: true,
          includeAll: true,
          current: {},
        },
      ],
    },
    annotations: {
      list: [
        {
          name: "Alerts",
          datasource: DS,
          enable: true,
          iconColor: "red",
          expr: 'ALERTS{alertstate="firing", hostname=~"$hostname"}',
          step: "1m",
          titleFormat: "{{alertname}} {{severity}}",
          textFormat: "{{hostname}} {{container}}{{mount}}",
          useValueForTime: false,
        },
      ],
    },
    panels,
  };
}
