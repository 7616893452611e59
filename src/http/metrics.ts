/**
 * `GET /metrics`: what the last cycle found, for Prometheus (docs/api.md
 * "Metrics"). The host's figures under node_exporter's names and labels, the
 * containers' under cAdvisor's, and Lookout's own (`lookout_*`). A scrape
 * never collects: it writes what the host collector read at its last collect
 * (`HostReadings`) and what the Docker collector holds of each container;
 * those parts are rendered once per cycle and format (the cache is keyed by
 * the cycle's result), Lookout's own (alerts, deliveries, the outbox, which
 * change between cycles) at each scrape.
 *
 * Where the figures differ from the exporters':
 * - node_network_* leave out loopback and Docker's bridges and veths, and
 *   node_disk_* partitions, loop and ram devices (collect/host/io.ts);
 *   node_filesystem_* covers the filesystems the host collector watches.
 * - container_network_*_total are the sum over the container's interfaces
 *   (no `interface` label), container_fs_*_bytes_total the sum over its block
 *   devices (no `device` label): the collector keeps only the sums.
 * - container_* series are those of running containers (cAdvisor sees only
 *   those); lookout_container_* cover every watched container.
 */
import { machine, hostname as osHostname, type as osType, version as osVersion, release } from "node:os";
import type { CycleResult } from "../agent.js";
import type { ContainerFiguresView } from "../collect/docker/docker.js";
import type { ContainerView } from "../collect/docker/tracker.js";
import type { HostReadings } from "../collect/host/host.js";
import { CPU_FIELDS, MEMINFO_KEPT, USER_HZ } from "../collect/host/procfs.js";
import { redact } from "../secrets.js";
import { VERSION } from "../version.js";
import { CONTENT_TYPES, Exposition, type ExpositionFormat, finish, formatFor, type LabelPairs, sanitizeLabelName } from "./exposition.js";
import type { ApiSource } from "./source.js";

/** node_cpu_seconds_total's `mode`s, from /proc/stat's columns (guest time is in user and nice already: node_cpu_guest_seconds_total). */
const CPU_MODES: Record<(typeof CPU_FIELDS)[number], string | null> = {
  user: "user",
  nice: "nice",
  system: "system",
  idle: "idle",
  iowait: "iowait",
  irq: "irq",
  softirq: "softirq",
  steal: "steal",
  guest: null,
  guestNice: null,
};

/** lookout_container_health_status' `status`es: Docker's three, and `none` for a container without a health check. */
export const HEALTH_STATUSES = ["starting", "healthy", "unhealthy", "none"] as const;

const UNAME = (() => {
  const safe = (f: () => string) => {
    try {
      return f();
    } catch {
      return "";
    }
  };
  return { sysname: safe(osType), release: safe(release), version: safe(osVersion), machine: safe(machine), nodename: safe(osHostname) };
})();

/** The rendered host and container parts of one cycle, per format. */
const cache = new WeakMap<object, Partial<Record<ExpositionFormat, string>>>();

/** The answer to a scrape: the format its Accept header asks for (the text format for anything else), and its text. */
export function metricsAnswer(source: ApiSource, accept: string | undefined, now: number): { contentType: string; text: string } {
  const format = formatFor(accept);
  return { contentType: CONTENT_TYPES[format], text: metricsText(source, format, now) };
}

/** The whole text of a scrape at `now`, in `format` (secrets masked). */
export function metricsText(source: ApiSource, format: ExpositionFormat, now: number): string {
  const result = source.lastResult();
  let collected: string;
  if (result === null) collected = collectedBody(source, format);
  else {
    const cached = cache.get(result) ?? {};
    collected = cached[format] ?? collectedBody(source, format);
    cached[format] = collected;
    cache.set(result, cached);
  }
  return finish(collected + lookoutBody(source, result, format, now), format);
}

/** What the collectors hold: host, then containers. Masked here, once per cycle. */
function collectedBody(source: ApiSource, format: ExpositionFormat): string {
  const e = new Exposition();
  const host = source.host?.()?.readings() ?? null;
  if (host) hostFamilies(e, host);
  const docker = source.docker();
  const figures = docker?.metricFigures?.() ?? docker?.containers().map(viewOnly) ?? [];
  containerFamilies(e, figures);
  return redact(e.body(format));
}

function viewOnly(view: ContainerView): ContainerFiguresView {
  return { view, figures: null, workingSet: null, oomEvents: 0, seenAt: null };
}

function hostFamilies(e: Exposition, r: HostReadings): void {
  if (r.perCpu) {
    const cpu = e.family("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
    const guest = e.family("node_cpu_guest_seconds_total", "counter", "Seconds the CPUs spent in guests (VMs) for each mode.");
    for (const { cpu: n, counters } of r.perCpu) {
      for (const field of CPU_FIELDS) {
        const mode = CPU_MODES[field];
        if (mode !== null)
          cpu.add(
            [
              ["cpu", n],
              ["mode", mode],
            ],
            counters[field] / USER_HZ,
          );
      }
      guest
        .add(
          [
            ["cpu", n],
            ["mode", "user"],
          ],
          counters.guest / USER_HZ,
        )
        .add(
          [
            ["cpu", n],
            ["mode", "nice"],
          ],
          counters.guestNice / USER_HZ,
        );
    }
  }
  if (r.meminfo) {
    // The fields the host collector keeps (MEMINFO_KEPT), each as node_memory_<Field>_bytes.
    for (const field of MEMINFO_KEPT) {
      const v = r.meminfo.get(field);
      if (v !== undefined) e.family(`node_memory_${field}_bytes`, "gauge", `Memory information field ${field}_bytes.`).add([], v);
    }
  }
  if (r.filesystems) {
    const size = e.family("node_filesystem_size_bytes", "gauge", "Filesystem size in bytes.");
    const avail = e.family("node_filesystem_avail_bytes", "gauge", "Filesystem space available to non-root users in bytes.");
    const free = e.family("node_filesystem_free_bytes", "gauge", "Filesystem free space in bytes.");
    const files = e.family("node_filesystem_files", "gauge", "Filesystem total file nodes.");
    const filesFree = e.family("node_filesystem_files_free", "gauge", "Filesystem total free file nodes.");
    for (const fs of r.filesystems) {
      const labels: LabelPairs = [
        ["device", fs.device],
        ["fstype", fs.fstype],
        ["mountpoint", fs.mountPoint],
      ];
      size.add(labels, fs.sizeBytes);
      avail.add(labels, fs.freeBytes);
      free.add(labels, fs.rootFreeBytes);
      files.add(labels, fs.inodes);
      filesFree.add(labels, fs.inodesFree);
    }
  }
  if (r.load) {
    e.family("node_load1", "gauge", "1m load average.").add([], r.load.load1);
    e.family("node_load5", "gauge", "5m load average.").add([], r.load.load5);
    e.family("node_load15", "gauge", "15m load average.").add([], r.load.load15);
  }
  if (r.btime !== null) e.family("node_boot_time_seconds", "gauge", "Node boot time, in unixtime.").add([], r.btime);
  if (r.oomKill !== null) e.family("node_vmstat_oom_kill", "untyped", "/proc/vmstat information field oom_kill.").add([], r.oomKill);
  if (r.io) {
    const net = Object.entries(r.io.net);
    const counter = (name: string, help: string, rows: [string, number][]) => {
      const f = e.family(name, "counter", help);
      for (const [device, v] of rows) f.add([["device", device]], v);
    };
    counter(
      "node_network_receive_bytes_total",
      "Network device statistic receive_bytes.",
      net.map(([d, c]) => [d, c.rxBytes]),
    );
    counter(
      "node_network_receive_packets_total",
      "Network device statistic receive_packets.",
      net.map(([d, c]) => [d, c.rxPackets]),
    );
    counter(
      "node_network_receive_errs_total",
      "Network device statistic receive_errs.",
      net.map(([d, c]) => [d, c.rxErrors]),
    );
    counter(
      "node_network_receive_drop_total",
      "Network device statistic receive_drop.",
      net.map(([d, c]) => [d, c.rxDrops]),
    );
    counter(
      "node_network_transmit_bytes_total",
      "Network device statistic transmit_bytes.",
      net.map(([d, c]) => [d, c.txBytes]),
    );
    counter(
      "node_network_transmit_packets_total",
      "Network device statistic transmit_packets.",
      net.map(([d, c]) => [d, c.txPackets]),
    );
    counter(
      "node_network_transmit_errs_total",
      "Network device statistic transmit_errs.",
      net.map(([d, c]) => [d, c.txErrors]),
    );
    counter(
      "node_network_transmit_drop_total",
      "Network device statistic transmit_drop.",
      net.map(([d, c]) => [d, c.txDrops]),
    );
    const disks = Object.entries(r.io.disks);
    counter(
      "node_disk_read_bytes_total",
      "The total number of bytes read successfully.",
      disks.map(([d, c]) => [d, c.readBytes]),
    );
    counter(
      "node_disk_written_bytes_total",
      "The total number of bytes written successfully.",
      disks.map(([d, c]) => [d, c.writtenBytes]),
    );
    counter(
      "node_disk_reads_completed_total",
      "The total number of reads completed successfully.",
      disks.map(([d, c]) => [d, c.reads]),
    );
    counter(
      "node_disk_writes_completed_total",
      "The total number of writes completed successfully.",
      disks.map(([d, c]) => [d, c.writes]),
    );
    counter(
      "node_disk_io_time_seconds_total",
      "Total seconds spent doing I/Os.",
      disks.map(([d, c]) => [d, c.ioMs / 1000]),
    );
  }
  e.family("node_uname_info", "info", "Labeled system information as provided by the uname system call.").add(
    [
      ["machine", UNAME.machine],
      ["nodename", UNAME.nodename],
      ["release", UNAME.release],
      ["sysname", UNAME.sysname],
      ["version", UNAME.version],
    ],
    1,
  );
}

/** cAdvisor's labels for a Docker container: `container_label_<key>` for each of its labels (sorted by key; a clash after sanitizing keeps the first), `id`, `image`, `name`. */
export function cadvisorLabels(v: ContainerView): LabelPairs {
  const out: [string, string][] = [];
  for (const key of Object.keys(v.labels).sort()) out.push([`container_label_${sanitizeLabelName(key)}`, String(v.labels[key])]);
  out.push(["id", `/docker/${v.id}`], ["image", v.image], ["name", v.name]);
  return out;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function containerFamilies(e: Exposition, containers: readonly ContainerFiguresView[]): void {
  const cpu = e.family("container_cpu_usage_seconds_total", "counter", "Cumulative cpu time consumed in seconds.");
  const usage = e.family("container_memory_usage_bytes", "gauge", "Current memory usage in bytes, including all memory regardless of when it was accessed");
  const workingSet = e.family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.");
  const limit = e.family("container_spec_memory_limit_bytes", "gauge", "Memory limit for the container.");
  const lastSeen = e.family("container_last_seen", "gauge", "Last time a container was seen by the exporter");
  const start = e.family("container_start_time_seconds", "gauge", "Start time of the container since unix epoch in seconds.");
  const ooms = e.family("container_oom_events_total", "counter", "Count of out of memory events observed for the container");
  const rx = e.family("container_network_receive_bytes_total", "counter", "Cumulative count of bytes received");
  const tx = e.family("container_network_transmit_bytes_total", "counter", "Cumulative count of bytes transmitted");
  const reads = e.family("container_fs_reads_bytes_total", "counter", "Cumulative count of bytes read");
  const writes = e.family("container_fs_writes_bytes_total", "counter", "Cumulative count of bytes written");
  const threads = e.family("container_threads", "gauge", "Number of threads running inside the container");
  const exitCode = e.family("lookout_container_exit_code", "gauge", "The exit code of the container's last exit (0 when it never exited), as Docker reports it.");
  const restarts = e.family("lookout_container_restarts_total", "counter", "Times Docker restarted the container (its RestartCount).");
  const health = e.family("lookout_container_health_status", "gauge", "The container's health check status: 1 for the current one (none: no health check), 0 for the others.");
  const running = e.family("lookout_container_running", "gauge", "Whether the container is running (1) or not (0).");

  for (const c of containers) {
    const v = c.view;
    // cAdvisor's labels on Lookout's own series too: a stopped container has no container_* series to join with,
    // and the exported rules need its Compose project and its lookout.* labels (lookout export prometheus-rules).
    const own = cadvisorLabels(v);
    exitCode.add(own, finite(v.exitCode) ? v.exitCode : 0);
    restarts.add(own, finite(v.restartCount) ? v.restartCount : 0);
    const status = v.health === null || v.health === "" ? "none" : v.health;
    for (const s of HEALTH_STATUSES) health.add([...own, ["status", s]], s === status ? 1 : 0);
    if (!(HEALTH_STATUSES as readonly string[]).includes(status)) health.add([...own, ["status", status]], 1);
    running.add(own, v.status === "running" ? 1 : 0);
    if (v.status !== "running") continue;

    const labels = own;
    limit.add(labels, finite(v.memoryLimit) ? v.memoryLimit : 0);
    if (c.seenAt !== null) lastSeen.add(labels, Math.floor(c.seenAt / 1000));
    if (v.startedAt !== null) start.add(labels, v.startedAt / 1000);
    ooms.add(labels, finite(c.oomEvents) ? c.oomEvents : 0);
    if (c.workingSet !== null) workingSet.add(labels, c.workingSet);
    const f = c.figures;
    if (!f) continue;
    cpu.add([...labels, ["cpu", "total"]], f.cpuNs / 1e9);
    usage.add(labels, f.memoryUsage);
    if (f.network) {
      rx.add(labels, f.network.rxBytes);
      tx.add(labels, f.network.txBytes);
    }
    if (f.blockIo) {
      reads.add(labels, f.blockIo.readBytes);
      writes.add(labels, f.blockIo.writeBytes);
    }
    if (f.pids !== null) threads.add(labels, f.pids);
  }
}

/** Lookout's own state: alerts, deliveries, the outbox, cycles, the build; and the time. Built at each scrape. */
function lookoutBody(source: ApiSource, result: Readonly<CycleResult> | null, format: ExpositionFormat, now: number): string {
  const e = new Exposition();
  const alerts = e.family("lookout_alerts", "gauge", "Active alerts, by alert name, severity and state (pending or firing).");
  const counts = new Map<string, { labels: LabelPairs; n: number }>();
  for (const a of source.alerts()) {
    const key = `${a.alertname}\u0000${a.severity}\u0000${a.state}`;
    const c = counts.get(key);
    if (c) c.n++;
    else
      counts.set(key, {
        labels: [
          ["alertname", a.alertname],
          ["severity", a.severity],
          ["state", a.state],
        ],
        n: 1,
      });
  }
  for (const { labels, n } of counts.values()) alerts.add(labels, n);

  const outbox = source.outbox();
  const notifications = e.family(
    "lookout_notifications_total",
    "counter",
    "Deliveries of notifications to receivers since Lookout started, by what became of each attempt: delivered, retried (not accepted, tried again later), given_up.",
  );
  for (const [receiver, byOutcome] of outbox.outcomes()) {
    for (const [result, n] of byOutcome)
      notifications.add(
        [
          ["receiver", receiver],
          ["result", result],
        ],
        n,
      );
  }
  e.family("lookout_outbox_pending", "gauge", "Deliveries waiting in the outbox (one per notification and receiver).").add([], outbox.pendingCount());

  const durations = source.cycleDurations?.();
  if (durations) {
    e.family("lookout_cycle_duration_seconds", "histogram", "How long Lookout's cycles took (collect, evaluate, notify, save), since it started.").histogram(
      [],
      durations.bounds,
      durations.buckets,
      durations.sumSeconds,
      durations.count,
    );
  }
  if (result) e.family("lookout_last_cycle_timestamp_seconds", "gauge", "When the last cycle checked, in unixtime.").add([], result.checkedAt / 1000);
  e.family("lookout_build_info", "info", "Lookout's version, the configured hostname (join other series on instance to get it) and Node.js' version; always 1.").add(
    [
      ["hostname", source.loaded().hostname],
      ["node_version", process.version],
      ["version", VERSION],
    ],
    1,
  );
  e.family("node_time_seconds", "gauge", "System time in seconds since epoch (1970).").add([], now / 1000);
  return redact(e.body(format));
}
