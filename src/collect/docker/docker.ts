/**
 * The Docker collector: every container (running or not), from the Engine API
 * over its socket, read-only. It follows `/events` for immediate reaction
 * (`lookout run`), lists and inspects all containers every cycle to reconcile
 * what the stream missed, and on regular cycles reads the figures of running
 * containers (CPU, memory, pids, network, block I/O) from their cgroup files
 * (cgroup-reader.ts), falling back, container by container, to the Engine
 * API's one-shot stats where those files cannot be read. Turns what it knows
 * into samples for the rules in evaluate/container-rules.ts.
 */

import type { LookoutConfig } from "../../config/schema.js";
import { describeError } from "../../errors.js";
import { processMessages } from "../../i18n/current.js";
import { log } from "../../log.js";
import type { ContainerEvent, ContainerEventKind } from "../../model/history.js";
import {
  CONTAINER_BLOCK_READ,
  CONTAINER_BLOCK_WRITE,
  CONTAINER_CPU,
  CONTAINER_CPU_USAGE,
  CONTAINER_CRASHED,
  CONTAINER_MEMORY,
  CONTAINER_MEMORY_USAGE,
  CONTAINER_MEMORY_WORKING_SET,
  CONTAINER_NETWORK_RECEIVE,
  CONTAINER_NETWORK_TRANSMIT,
  CONTAINER_NOT_RUNNING,
  CONTAINER_OOM_KILLED,
  CONTAINER_PIDS,
  CONTAINER_RESTART_LOOP,
  CONTAINER_UNHEALTHY,
  CONTAINERS_DOWN_AT_START,
  DOCKER_UNREACHABLE,
  type DownAtStart,
  type MetricName,
  PER_CONTAINER_METRICS,
} from "../../model/metrics.js";
import { type Sample, type SampleOf, sampleOf } from "../../model/sample.js";
import type { CollectContext, Collector, CollectResult } from "../collector.js";
import type { ContainerInspect, ContainerStats, ContainerSummary, DockerEvent } from "./api-types.js";
import { CgroupReader, type HostFacts, type KernelFigures } from "./cgroup-reader.js";
import { DockerEngine, DockerError } from "./engine.js";
import { EventWatcher } from "./events.js";
import { type ContainerMatcher, selector } from "./matchers.js";
import { containerPolicy, preparePolicies } from "./policy.js";
import { DOCKER_COLLECTOR, type DockerSnapshot, type StatsSource, savedProblems, savedStatsSource } from "./saved.js";
import { type ContainerFigures, type ContainerRecord, ContainerTracker, type ContainerView, newView, OOM_DIE_WAIT_MS, type StatsView } from "./tracker.js";

/** Every metric this collector produces about containers: all of them are complete whenever the container list was read. */
export const CONTAINER_METRICS: readonly MetricName[] = [...PER_CONTAINER_METRICS, CONTAINERS_DOWN_AT_START];

/** The exit code of a process killed by SIGKILL (128 + 9): the OOM killer's, or a forced stop's. */
const SIGKILL_EXIT = 137;

/** How long the notice of containers found down at start stays up (then it ends quietly). */
const DOWN_AT_START_NOTICE_MS = 10 * 60_000;
/** At most this many containers are named in that notice; the rest are counted. */
const DOWN_AT_START_LISTED = 20;

export type { DownAtStart };

/** Events that change what Lookout reports about a container. */
const RELEVANT_ACTIONS = new Set(["create", "start", "restart", "kill", "stop", "die", "oom", "health_status", "destroy", "pause", "unpause", "rename", "update"]);

/** Container events kept between two collects at most (a burst of churn while collecting is slow): the oldest go first. */
const EVENTS_KEPT = 1000;

/** Re-inspect a container at least this often even when nothing seems to change (no event stream: `check`, or the stream lost). */
export const REINSPECT_MS = 60_000;
/**
 * The same while the event stream is up: every change Docker makes to a container comes as an event (die, start,
 * restart, oom, health_status, update, rename…), and the list every LIST_EVERY_MS catches a state the events missed,
 * so this is a safety net only. Re-inspecting 20 containers every minute was most of what Lookout cost dockerd.
 */
export const REINSPECT_STREAM_MS = 10 * 60_000;
/**
 * While the event stream is up, containers are listed again at most this
 * often. Every change to a container comes as an event (which marks its record
 * for inspection, and makes one born since the last cycle known at once), so a
 * list on every cycle would only confirm what the events said; listing all
 * containers is the one request of a cycle, and what dockerd does for it was
 * most of what Lookout cost Docker (docs/benchmarks.md). The list still comes
 * every LIST_EVERY_MS, on every cycle run by an event, and on the first cycle
 * after the stream comes back, to reconcile.
 */
export const LIST_EVERY_MS = 30_000;

function ms(iso: string | undefined): number | null {
  if (!iso || iso.startsWith("0001-")) return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
}

export function toView(c: ContainerInspect): ContainerView {
  const hc = c.HostConfig ?? {};
  const st = c.State ?? ({} as ContainerInspect["State"]);
  let cpuLimit: number | null = null;
  if (hc.NanoCpus && hc.NanoCpus > 0) cpuLimit = hc.NanoCpus / 1e9;
  else if (hc.CpuQuota && hc.CpuQuota > 0 && hc.CpuPeriod && hc.CpuPeriod > 0) cpuLimit = hc.CpuQuota / hc.CpuPeriod;
  else if (hc.CpusetCpus) cpuLimit = countCpuset(hc.CpusetCpus);
  const healthLog = st.Health?.Log ?? [];
  const last = healthLog[healthLog.length - 1];
  return {
    id: c.Id,
    name: (c.Name ?? "").replace(/^\//, ""),
    image: c.Config?.Image ?? "",
    labels: c.Config?.Labels ?? {},
    status: st.Status ?? "unknown",
    exitCode: st.ExitCode ?? 0,
    oomKilled: st.OOMKilled ?? false,
    error: st.Error ?? "",
    startedAt: ms(st.StartedAt),
    finishedAt: ms(st.FinishedAt),
    restartCount: c.RestartCount ?? 0,
    restartPolicy: hc.RestartPolicy?.Name || "no",
    health: st.Health?.Status && st.Health.Status !== "none" ? st.Health.Status : null,
    healthOutput: last ? last.Output.trim() : null,
    failingStreak: st.Health?.FailingStreak ?? 0,
    memoryLimit: hc.Memory ?? 0,
    cpuLimit,
    tty: c.Config?.Tty ?? false,
    mounts: (c.Mounts ?? []).filter((m) => (m.Type === "bind" || m.Type === "volume") && typeof m.Source === "string" && m.Source !== "").map((m) => m.Source!),
    pid: typeof st.Pid === "number" && st.Pid > 0 ? st.Pid : 0,
    hostNetwork: hc.NetworkMode === "host",
  };
}

/** What an event says of a container (Docker puts its labels, name and image in the attributes). */
function viewFromEvent(id: string, attributes: Record<string, string>): ContainerView {
  const { name = id.slice(0, 12), image = "", exitCode: _e, signal: _s, ...labels } = attributes;
  return newView(id, { name, image, labels });
}

function countCpuset(set: string): number | null {
  let n = 0;
  for (const part of set.split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (a === undefined || !Number.isFinite(a)) return null;
    n += b !== undefined && Number.isFinite(b) ? b - a + 1 : 1;
  }
  return n > 0 ? n : null;
}

export function toStatsView(s: ContainerStats): StatsView | null {
  const cpu = s.cpu_stats;
  const mem = s.memory_stats;
  if (!cpu?.cpu_usage || cpu.system_cpu_usage === undefined || !mem || mem.usage === undefined) return null;
  const extra = mem.stats ?? {};
  // As `docker stats`: cgroup v1 subtracts total_inactive_file, v2 inactive_file.
  const cache = extra.total_inactive_file ?? extra.inactive_file ?? 0;
  let network: StatsView["network"] = null;
  for (const n of Object.values(s.networks ?? {})) {
    network ??= { rxBytes: 0, txBytes: 0 };
    network.rxBytes += n.rx_bytes ?? 0;
    network.txBytes += n.tx_bytes ?? 0;
  }
  let blockIo: StatsView["blockIo"] = null;
  if (s.blkio_stats) {
    blockIo = { readBytes: 0, writeBytes: 0 };
    for (const e of s.blkio_stats.io_service_bytes_recursive ?? []) {
      const op = e.op?.toLowerCase();
      if (op === "read") blockIo.readBytes += e.value ?? 0;
      else if (op === "write") blockIo.writeBytes += e.value ?? 0;
    }
  }
  return {
    cpuTotal: cpu.cpu_usage.total_usage,
    systemTotal: cpu.system_cpu_usage,
    onlineCpus: cpu.online_cpus || cpu.cpu_usage.percpu_usage?.length || 1,
    memoryUsage: mem.usage,
    memoryCache: cache,
    memoryLimit: mem.limit ?? 0,
    pids: typeof s.pids_stats?.current === "number" ? s.pids_stats.current : null,
    network,
    blockIo,
  };
}

/**
 * A cgroup reading as the tracker takes it: CPU against wall-clock time, and,
 * as dockerd does, the host's memory as the limit of a container without one
 * (or with one above it).
 */
export function kernelStatsView(f: KernelFigures, host: HostFacts): StatsView {
  return {
    cpuTotal: f.cpuNs,
    systemTotal: f.atNs,
    clock: "wall",
    onlineCpus: host.onlineCpus,
    memoryUsage: f.memoryUsage,
    memoryCache: f.inactiveFile,
    memoryLimit: f.memoryLimit === null ? host.memTotalBytes : Math.min(f.memoryLimit, host.memTotalBytes),
    pids: f.pids,
    network: f.network,
    blockIo: f.blockIo,
  };
}

export interface DockerCollectorOptions {
  config: LookoutConfig;
  /** Built from config/env when not given. */
  engine?: DockerEngine;
  /** Where the host's / is (`host_root`, when Lookout runs in a container); "" for /. */
  hostRoot?: string;
  /**
   * `auto` (the default): running containers' figures from their cgroup files,
   * the Engine API for those whose files cannot be read. `api`: the Engine API
   * only (for comparison in benchmarks and tests).
   */
  statsSource?: "auto" | "api";
}

export class DockerCollector implements Collector {
  readonly name = DOCKER_COLLECTOR;
  readonly tracker = new ContainerTracker();
  private readonly engine: DockerEngine;
  private readonly host: string;
  private watcher: EventWatcher | null = null;
  /** The event stream is connected and no event has been missed since the last list (see LIST_EVERY_MS). */
  private streamUp = false;
  /** When containers were last listed; null: list on the next cycle. */
  private listedAt: number | null = null;
  private negotiated = false;
  private unreachableSince: number | null = null;
  /** Docker answered at least once (in this process or an earlier `check`): its absence is then news. */
  private seen = false;
  private readonly select: ContainerMatcher;
  /** Reads running containers' cgroup files; null where they cannot be this machine's (a remote Docker). */
  readonly cgroups: CgroupReader | null;
  /** Why every container's stats come from the Engine API, when `cgroups` is null. */
  private readonly noCgroups: string | null;

  constructor(private readonly opts: DockerCollectorOptions) {
    const c = opts.config;
    this.host = DockerEngine.resolveHost(c.docker.socket);
    this.engine = opts.engine ?? new DockerEngine({ host: this.host, timeoutMs: c.docker.timeout });
    this.select = selector(c.containers.include, c.containers.exclude);
    if (opts.statsSource === "api") this.noCgroups = "cgroup files not used (stats source: api)";
    else if (this.host.startsWith("tcp://")) this.noCgroups = `Docker is remote (${this.host}): its containers' cgroup files are on that machine`;
    else this.noCgroups = null;
    this.cgroups = this.noCgroups === null ? new CgroupReader({ hostRoot: opts.hostRoot ?? "" }) : null;
  }

  private get enabled(): boolean {
    return this.opts.config.docker.enabled !== false;
  }

  watch(onChange: () => void): void {
    if (!this.enabled || this.watcher) return;
    this.watcher = new EventWatcher({
      engine: this.engine,
      onEvent: (ev) => this.onEvent(ev, onChange),
      onStatus: (s) => {
        this.streamUp = s.connected;
        this.listedAt = null; // what happened while it was down (or before it came up) is found by listing
        if (s.connected) {
          log.info(processMessages().t("log.docker.following"), { host: this.host });
          onChange(); // reconcile what happened while the stream was down
        } else if (s.error) {
          // Where Docker was never seen (docker.enabled: auto on a host without it), this is not news.
          if (this.seen) log.warn(processMessages().t("log.docker.streamLost"), { error: describeError(s.error) });
          onChange();
        }
      },
    });
    this.watcher.start();
  }

  async stop(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = null;
    await this.eventChain;
    await this.sweeping;
    this.cgroups?.close();
    await this.engine.close();
  }

  /** Events are handled one at a time, in order (a container's create, start and die come together). */
  private eventChain: Promise<void> = Promise.resolve();

  private onEvent(ev: DockerEvent, onChange: () => void): void {
    const id = ev.Actor?.ID ?? ev.id;
    const action = ev.Action ?? ev.status ?? "";
    // Every health check run is an exec_create/exec_start/exec_die: not news.
    if (!id || !RELEVANT_ACTIONS.has(action.split(":")[0]!.trim())) return;
    const time = ev.timeNano ? Math.floor(ev.timeNano / 1e6) : (ev.time ?? Math.floor(Date.now() / 1000)) * 1000;
    const next = this.eventChain.then(() => this.handleEvent(id, action, time, ev.Actor?.Attributes ?? {}, onChange));
    this.eventChain = next.catch((err) => log.error(processMessages().t("log.docker.eventFailed"), { action, error: describeError(err) }));
  }

  private async handleEvent(id: string, action: string, time: number, attributes: Record<string, string>, onChange: () => void): Promise<void> {
    if (!this.tracker.get(id) && action !== "destroy") {
      // A container born since the last cycle (it may start and die within
      // milliseconds): learn it now, as it was before this event.
      const inspected = await this.engine.inspect(id).catch(() => null);
      // Already gone (--rm): the event's attributes carry its name, image and labels.
      const view = inspected ? toView(inspected) : action === "die" ? viewFromEvent(id, attributes) : null;
      if (!view) return onChange();
      if (!this.select({ name: view.name, labels: view.labels })) return;
      this.tracker.applyView(action === "die" ? { ...view, status: "running", finishedAt: null, exitCode: 0, oomKilled: false } : view, time);
    }
    if ((action === "kill" || action === "stop") && this.duringOutage(time)) {
      log.info(processMessages().t("log.docker.stoppedDuringOutage"), {
        container: this.tracker.get(id)?.view.name ?? id.slice(0, 12),
        action,
      });
      return onChange();
    }
    const before = this.tracker.get(id);
    const restartsBefore = before?.restarts.length ?? 0;
    const healthBefore = before?.view.health ?? null;
    const outcome = this.tracker.onEvent({ id, action, time, attributes });
    const rec = this.tracker.get(id);
    if (rec) {
      const verb = action.split(":")[0]!.trim();
      const exitCode = Number(attributes.exitCode ?? Number.NaN);
      const code = Number.isFinite(exitCode) ? exitCode : null;
      if (verb === "start") this.noteEvent(rec.restarts.length > restartsBefore ? "restart" : "start", rec.view, time);
      else if (verb === "oom") this.noteEvent("oom", rec.view, time, { exitCode: null });
      else if (verb === "health_status" && rec.view.health !== healthBefore && rec.view.health !== null) this.noteEvent("health", rec.view, time, { health: rec.view.health });
      else if (verb === "die" && outcome) {
        if (outcome.kind === "requested") this.noteEvent("stop", rec.view, time, { exitCode: code });
        else this.noteEvent("die", rec.view, time, { exitCode: code, cause: outcome.kind });
      }
    }
    const policy = this.tracker.get(id)?.view.restartPolicy;
    const willRestart = outcome?.kind === "clean" && (policy === "always" || policy === "unless-stopped");
    if (outcome && (outcome.kind === "crash" || outcome.kind === "oom" || willRestart)) {
      // Fetch the last log lines now, while the container still exists (--rm, compose down);
      // a clean exit that Docker restarts may be a restart loop, whose message shows them too.
      await this.fetchLogs(id);
    }
    // An OOM kill alone is reported only once the wait for its `die` is over, and a death by SIGKILL once the wait
    // for an `oom` that may follow it is (see containerSamples): a cycle then.
    if (action === "oom" || (outcome?.kind === "crash" && this.tracker.get(id)?.crash?.exitCode === SIGKILL_EXIT)) setTimeout(onChange, OOM_DIE_WAIT_MS).unref();
    onChange();
  }

  /** Container events seen since the last collect (for the history's journal); at most EVENTS_KEPT, the oldest dropped. */
  private events: ContainerEvent[] = [];
  /** The image each container name ran at the last collect: a name that comes back with another image was redeployed. */
  private images = new Map<string, string>();

  private noteEvent(kind: ContainerEventKind, view: ContainerView, at: number, extra: Partial<ContainerEvent> = {}): void {
    this.events.push({ kind, at, labels: containerLabels(view), ...extra });
    if (this.events.length > EVENTS_KEPT) this.events.splice(0, this.events.length - EVENTS_KEPT);
  }

  /** The events since the last call, and a redeploy for each container name now running another image than at the last call. */
  private takeEvents(now: number, found: readonly string[]): ContainerEvent[] {
    for (const id of found) {
      // Exits found by inspection (check from cron, the stream down): a die, reconciled.
      const rec = this.tracker.get(id);
      if (!rec) continue;
      if (rec.oom) this.noteEvent("oom", rec.view, rec.oom.at, { exitCode: rec.oom.exitCode, reconciled: true });
      else if (rec.crash) this.noteEvent("die", rec.view, rec.crash.at, { exitCode: rec.crash.exitCode, cause: "crash", reconciled: true });
    }
    const images = new Map<string, string>();
    for (const rec of this.tracker.records.values()) {
      if (rec.removedAt !== null) continue;
      const { name, image } = rec.view;
      const before = this.images.get(name);
      if (before !== undefined && image !== "" && before !== image) this.noteEvent("redeploy", rec.view, now, { previousImage: before });
      if (image !== "") images.set(name, image);
    }
    this.images = images;
    const out = this.events;
    this.events = [];
    return out;
  }

  private async fetchLogs(id: string): Promise<void> {
    const rec = this.tracker.get(id);
    if (!rec) return;
    const lines = this.opts.config.containers.crashed.log_lines;
    if (lines === 0) return this.tracker.setLogs(id, []);
    try {
      this.tracker.setLogs(id, await this.engine.logs(id, { tail: lines, tty: rec.view.tty }));
    } catch (err) {
      const why = describeError(err);
      log.info(processMessages().t("log.docker.logsFailed"), { container: rec.view.name, error: why });
      this.tracker.setLogsError(id, why);
    }
  }

  /** The containers Lookout watches, as the last collect (or event) left them; removed ones left out. Read-only: the HTTP API's list. */
  containers(): ContainerView[] {
    return [...this.tracker.records.values()].filter((r) => r.removedAt === null).map((r) => r.view);
  }

  /**
   * What `/metrics` says of each watched container (removed ones left out):
   * its view, its last figures (null when not running or not read yet), its
   * working set, its `oom` events seen, and when a
   * collect last found it (ms). Read-only, from memory: never asks Docker.
   */
  metricFigures(): ContainerFiguresView[] {
    const out: ContainerFiguresView[] = [];
    for (const r of this.tracker.records.values()) {
      if (r.removedAt !== null) continue;
      const running = r.view.status === "running";
      out.push({
        view: r.view,
        figures: running ? (r.figures ?? null) : null,
        workingSet: running ? r.memoryUsage : null,
        oomEvents: r.oomEvents ?? 0,
        seenAt: this.lastReportAt,
      });
    }
    return out;
  }

  /** The ids of the watched containers with an OOM kill Lookout still holds (the tracker's, until it resolves: `container_oom_killed`'s `resolve_after`). */
  oomKilledIds(): ReadonlySet<string> {
    const out = new Set<string>();
    for (const r of this.tracker.records.values()) if (r.removedAt === null && r.oom !== null) out.add(r.view.id);
    return out;
  }

  /**
   * The last `tail` lines of the watched container named `name`, asked of the
   * Engine API now (read-only); null when Lookout watches none of that name.
   * Throws a DockerError when Docker does not answer.
   */
  async logsOf(name: string, tail: number): Promise<string[] | null> {
    const view = this.containers().find((v) => v.name === name);
    if (!view) return null;
    return this.engine.logs(view.id, { tail, tty: view.tty });
  }

  snapshot(): DockerSnapshot {
    return {
      seen: this.seen,
      unreachableSince: this.unreachableSince,
      containers: this.tracker.snapshot(),
      problems: [...this.problems.keys()],
      ...(this.downAtStart ? { downAtStart: this.downAtStart } : {}),
      ...(this.statsSource ? { statsSource: this.statsSource } : {}),
      images: Object.fromEntries(this.images),
    };
  }

  restore(saved: unknown): void {
    const s = saved as { seen?: boolean; unreachableSince?: number | null; containers?: unknown; problems?: unknown; downAtStart?: unknown } | undefined;
    if (!s || typeof s !== "object") return;
    const d = s.downAtStart as { at?: unknown; containers?: unknown } | undefined;
    if (d && typeof d.at === "number" && Array.isArray(d.containers)) {
      // Read back from the database: keep only entries that have a name (the notice's rule trusts the rest of their shape).
      const containers = (d.containers as unknown[]).filter((c): c is DownAtStart => typeof c === "object" && c !== null && typeof (c as DownAtStart).name === "string");
      this.downAtStart = { at: d.at, containers };
    }
    for (const p of savedProblems(s)) this.problems.set(p, p);
    this.statsSource = savedStatsSource(s);
    this.seen = s.seen === true;
    this.unreachableSince = typeof s.unreachableSince === "number" ? s.unreachableSince : null;
    this.tracker.restore(s.containers);
    const images = (s as { images?: unknown }).images;
    if (images && typeof images === "object") {
      this.images = new Map(Object.entries(images as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === "string"));
    }
  }

  async collect(ctx: CollectContext): Promise<CollectResult> {
    if (!this.enabled) return { samples: [] };
    const now = ctx.now;
    if (this.streamUp && this.negotiated && ctx.reason === "interval" && this.listedAt !== null && now >= this.listedAt && now - this.listedAt < LIST_EVERY_MS) {
      const { known, found } = await this.fromEvents(now);
      return this.report(now, ctx, known, found);
    }
    let list: ContainerSummary[];
    try {
      if (!this.negotiated) {
        await this.engine.version();
        this.negotiated = true;
        // Where Docker keeps its data: a full disk there is the likely cause of crashes. Best effort (a proxy may refuse /info).
        this.dataRoot = await this.engine.info().then(
          (i) => i.DockerRootDir ?? null,
          () => null,
        );
      }
      list = await this.engine.listContainers();
      this.listedAt = now;
    } catch (err) {
      this.negotiated = false;
      this.listedAt = null;
      const e = err instanceof DockerError ? err : new DockerError(describeError(err), { kind: "unreachable" });
      if (this.unreachableSince === null) {
        this.unreachableSince = now;
        this.outage = { since: now, until: null };
        if (this.seen || this.opts.config.docker.enabled === true) log.warn(processMessages().t("log.docker.unreachable"), { error: describeError(e) });
        else log.info(processMessages().t("log.docker.notFound"), { error: describeError(e) });
      }
      if (!this.seen && this.opts.config.docker.enabled !== true) return { samples: [] };
      return { samples: [this.unreachableSample(now, e)], covers: [DOCKER_UNREACHABLE] };
    }
    if (this.unreachableSince !== null && this.seen) log.info(processMessages().t("log.docker.reachable"), { host: this.host });
    if (this.outage && this.outage.until === null) this.outage.until = Date.now();
    this.unreachableSince = null;
    // Lookout's first look at this Docker (a new data directory): what is down now stopped unwatched.
    const baseline = !this.seen;
    this.seen = true;

    const listed = new Set<string>();
    const toInspect: string[] = [];
    const reinspectMs = this.streamUp ? REINSPECT_STREAM_MS : REINSPECT_MS;
    for (const s of list) {
      const name = (s.Names?.[0] ?? s.Id).replace(/^\//, "");
      if (!this.select({ name, labels: s.Labels ?? {} })) continue;
      listed.add(s.Id);
      const rec = this.tracker.get(s.Id);
      if (!rec || rec.dirty || rec.view.status !== s.State || now - rec.inspectedAt >= reinspectMs || healthOf(s.Status) !== rec.view.health) toInspect.push(s.Id);
    }
    const found = await this.inspectAll(toInspect, listed, now, baseline);
    this.tracker.forgetMissing(listed, now);
    if (baseline) this.downAtStart = { at: now, containers: downAtStart(this.tracker, listed) };
    return this.report(now, ctx, listed, found);
  }

  /**
   * The containers as the events left them, without asking Docker for the
   * list: those whose events marked them are inspected (LIST_EVERY_MS).
   */
  private async fromEvents(now: number): Promise<{ known: Set<string>; found: string[] }> {
    const known = new Set<string>();
    const marked: string[] = [];
    for (const [id, rec] of this.tracker.records) {
      if (rec.removedAt !== null) continue;
      known.add(id);
      if (rec.dirty) marked.push(id);
    }
    const found = await this.inspectAll(marked, known, now, false);
    this.tracker.forgetMissing(known, now); // inspected and gone (its destroy event not handled yet)
    return { known, found };
  }

  /** Inspects `ids` (a container gone meanwhile leaves `listed`), then fetches the logs of those found dead; returns those. */
  private async inspectAll(ids: readonly string[], listed: Set<string>, now: number, baseline: boolean): Promise<string[]> {
    const found: string[] = [];
    await mapLimit(ids, this.opts.config.docker.stats_concurrency, async (id) => {
      try {
        const inspected = await this.engine.inspect(id);
        if (!inspected) return listed.delete(id);
        if (this.tracker.applyView(toView(inspected), now, (at) => this.duringOutage(at), baseline)) found.push(id);
      } catch (err) {
        log.debug(processMessages().t("log.docker.inspectFailed"), { id, error: describeError(err) });
      }
      return true;
    });
    await Promise.all(found.map((id) => this.fetchLogs(id)));
    return found;
  }

  /** When the last collect that reached Docker found the containers (ms); container_last_seen. */
  private lastReportAt: number | null = null;

  /** A cycle's samples from what the tracker knows now; `listed` are the containers there (stats are swept for the running ones). */
  private async report(now: number, ctx: CollectContext, listed: ReadonlySet<string>, found: readonly string[]): Promise<CollectResult> {
    this.lastReportAt = now;
    if (ctx.reason === "interval") {
      const running = [...listed].filter((id) => this.tracker.get(id)?.view.status === "running");
      // The daemon answers one-shot stats on its own ~1 s tick, so a sweep of many
      // containers takes seconds. `run` sweeps in the background (a crash must not
      // wait behind it; samples use the last finished sweep); `check` waits for it.
      const sweep = this.sweepStats(running);
      if (!this.watcher) await sweep;
    }
    const c = this.opts.config.containers;
    this.tracker.settle(now, { crashMs: c.crashed.resolve_after, oomMs: c.oom_killed.resolve_after });
    const samples: Sample[] = [this.unreachableSample(now, null)];
    const notice = this.downAtStartSample(now);
    if (notice) samples.push(notice);
    const problems = new Set<string>();
    await preparePolicies(this.opts.config, this.tracker.records.values());
    for (const rec of this.tracker.records.values()) {
      // Worked out again only when its name or labels changed (policy.ts keeps them by labels object).
      const policy = containerPolicy(this.opts.config, { name: rec.view.name, labels: rec.view.labels });
      for (const p of policy.problems) problems.add(this.reportOnce(rec.view.name, p));
      samples.push(...containerSamples(rec, now, this.tracker, policy.rules.restart_loop.within, this.dataRoot));
    }
    // What status lists is what is wrong now: a fixed label, or a container gone, leaves the list.
    for (const key of this.problems.keys()) if (!problems.has(key)) this.problems.delete(key);
    const events = this.takeEvents(now, found);
    this.tracker.sweepRemoved();
    return { samples, covers: [...CONTAINER_METRICS, DOCKER_UNREACHABLE], ...(events.length > 0 ? { events } : {}) };
  }

  /** Whether Docker was not answering at `at` (from the first cycle it failed to the moment it answered again). */
  private duringOutage(at: number): boolean {
    return this.outage !== null && at >= this.outage.since && at <= (this.outage.until ?? Infinity);
  }

  private sweeping: Promise<void> | null = null;
  /** Docker's DockerRootDir, from /info. */
  private dataRoot: string | null = null;
  /**
   * The last time Docker did not answer. A kill or stop made then was not
   * anyone's request (nobody can ask a daemon that does not answer): it is
   * Docker stopping containers while it restores after a crash, so the death
   * that follows is not "stopped on purpose".
   */
  private outage: { since: number; until: number | null } | null = null;

  /** One stats sweep at a time; a cycle that finds one still running leaves it be. */
  private sweepStats(ids: string[]): Promise<void> {
    if (this.sweeping) return this.sweeping;
    this.sweeping = this.sweep(ids)
      .catch((err) => log.debug(processMessages().t("log.docker.statsFailed"), { error: describeError(err) }))
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }

  /** Where the last sweep read figures from (saved for `lookout status`). */
  statsSource: StatsSource | null = null;
  /** Sources and fallback reasons already said in the log (a few strings: reasons do not name containers). */
  private readonly saidSources = new Set<string>();

  /**
   * Running containers' figures: from their cgroup files, and for those whose
   * files cannot be read, from the Engine API (one-shot stats, in parallel).
   */
  private async sweep(ids: string[]): Promise<void> {
    const viaApi: string[] = [];
    /** Why each container in viaApi is not read from its files. */
    const reasons = new Map<string, string>();
    const held = (reason: string, id: string) => {
      viaApi.push(id);
      reasons.set(id, reason);
    };
    let fromFiles = 0;
    let version: 1 | 2 | null = null;
    if (this.cgroups) {
      const targets = ids.map((id) => {
        const v = this.tracker.get(id)?.view;
        return { id, pid: v?.pid ?? 0, hostNetwork: v?.hostNetwork === true };
      });
      const [read, host] = await Promise.all([this.cgroups.readMany(targets, this.opts.config.docker.stats_concurrency), this.cgroups.hostFacts()]);
      for (const [id, r] of read) {
        if ("reason" in r) {
          held(r.reason, id);
          continue;
        }
        this.tracker.applyStats(id, kernelStatsView(r.figures, host));
        fromFiles++;
        version = r.figures.version;
      }
    } else {
      for (const id of ids) held(this.noCgroups ?? "cgroup files not used", id);
    }
    if (fromFiles > 0) this.sayOnce(`cgroup:${version}`, processMessages().t("log.docker.statsCgroup"), { cgroup: `v${version}`, host_root: this.cgroups?.hostRoot || "/" });
    // Counted as read through the API: the containers the API gave figures for. One that stopped during the sweep
    // (a crash a few milliseconds after its start: its process and cgroup are gone) has figures from neither.
    const fromApi = new Set<string>();
    if (viaApi.length > 0) {
      const stats = await this.engine.statsMany(viaApi, this.opts.config.docker.stats_concurrency);
      for (const [id, s] of stats) {
        const v = toStatsView(s);
        if (!v) continue;
        this.tracker.applyStats(id, v);
        fromApi.add(id);
      }
    }
    const apiReasons = new Map<string, number>();
    for (const [id, reason] of reasons) if (fromApi.has(id)) apiReasons.set(reason, (apiReasons.get(reason) ?? 0) + 1);
    for (const [reason, n] of apiReasons) this.sayOnce(`api:${reason}`, processMessages().t("log.docker.statsApi"), { reason, containers: n });
    this.statsSource = {
      cgroup: fromFiles,
      cgroupVersion: version,
      api: fromApi.size,
      apiReasons: [...apiReasons].map(([reason, containers]) => ({ reason, containers })),
      at: Date.now(),
    };
  }

  private sayOnce(key: string, message: string, fields: Record<string, unknown>): void {
    if (this.saidSources.has(key) || this.saidSources.size >= 64) return;
    this.saidSources.add(key);
    log.info(message, fields);
  }

  /** Problems with the lookout.* labels or overrides of the containers there now: logged once, listed by `lookout status`. */
  readonly problems = new Map<string, string>();
  private reportOnce(container: string, problem: string): string {
    const key = `${container}: ${problem}`;
    if (this.problems.has(key)) return key;
    this.problems.set(key, key);
    log.warn(processMessages().t("log.docker.settingsIgnored"), { container, problem });
    return key;
  }

  /** The containers found down on Lookout's first look at this Docker: one notice, up for 10 minutes, then ended quietly. */
  private downAtStart: { at: number; containers: DownAtStart[] } | null = null;

  private downAtStartSample(now: number): SampleOf<typeof CONTAINERS_DOWN_AT_START> | null {
    const d = this.downAtStart;
    if (!d || d.containers.length === 0 || now - d.at >= DOWN_AT_START_NOTICE_MS) return null;
    const shown = d.containers.slice(0, DOWN_AT_START_LISTED);
    return sampleOf(CONTAINERS_DOWN_AT_START, 1, { count: d.containers.length, startedAt: d.at, containers: shown, more: d.containers.length - shown.length });
  }

  private unreachableSample(now: number, err: DockerError | null): SampleOf<typeof DOCKER_UNREACHABLE> {
    return sampleOf(DOCKER_UNREACHABLE, err ? 1 : 0, err ? { error: describeError(err), since: this.unreachableSince ?? now, host: this.host } : undefined);
  }
}

/**
 * The containers worth naming on a first look: not running, and either exited
 * with a non-zero code or expected to run (restart policy always or
 * unless-stopped, label lookout.expect=running). A job that finished with 0,
 * one labelled lookout.expect=exit and one never started are not news.
 * Most recent exit first.
 */
export function downAtStart(tracker: ContainerTracker, listed: ReadonlySet<string>): DownAtStart[] {
  const out: DownAtStart[] = [];
  for (const id of listed) {
    const v = tracker.get(id)?.view;
    if (!v || v.status === "running" || v.status === "restarting" || v.status === "paused") continue;
    const expect = v.labels["lookout.expect"];
    if (expect === "exit") continue;
    const shouldRun = expect === "running" || v.restartPolicy === "always" || v.restartPolicy === "unless-stopped";
    const failed = v.finishedAt !== null && v.exitCode !== 0;
    if (!failed && !shouldRun) continue;
    out.push({ name: v.name, status: v.status, exitCode: v.exitCode, finishedAt: v.finishedAt, oomFlag: v.oomKilled });
  }
  return out.sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0) || a.name.localeCompare(b.name));
}

/** `Up 3 minutes (unhealthy)` → unhealthy. */
function healthOf(status: string | undefined): string | null {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status ?? "");
  if (!m) return null;
  return m[1] === "health: starting" ? "starting" : m[1]!;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/** One container as `/metrics` shows it (DockerCollector.metricFigures). */
export interface ContainerFiguresView {
  view: ContainerView;
  figures: ContainerFigures | null;
  /** Usage less the inactive page cache (cAdvisor's working set); null when not measured. */
  workingSet: number | null;
  oomEvents: number;
  seenAt: number | null;
}

/**
 * Each view's labels, made once: a view is replaced, never changed, when the
 * container changes (tracker.ts), so a running container's samples carry the
 * same labels object cycle after cycle, and what is keyed by it downstream
 * (alert fingerprints, history series ids) is worked out once, not every cycle.
 */
const labelsOfView = new WeakMap<ContainerView, Record<string, string>>();

/** The metric labels of a container: name, image, and compose project/service when present. Shared: never change it. */
export function containerLabels(v: ContainerView): Record<string, string> {
  const kept = labelsOfView.get(v);
  const project = v.labels["com.docker.compose.project"];
  const service = v.labels["com.docker.compose.service"];
  // Checked against the view as it is now, should one ever be changed in place.
  if (kept && kept.container === v.name && kept.image === v.image && kept.compose_project === (project || undefined) && kept.compose_service === (service || undefined))
    return kept;
  const labels: Record<string, string> = { container: v.name, image: v.image };
  if (project) labels.compose_project = project;
  if (service) labels.compose_service = service;
  labelsOfView.set(v, labels);
  return labels;
}

export function containerSamples(rec: ContainerRecord, now: number, tracker: ContainerTracker, restartWindowMs: number, dataRoot: string | null): Sample[] {
  const v = rec.view;
  const labels = containerLabels(v);
  const meta = v.labels;
  const out: Sample[] = [];
  // Where it writes, for "disk full" as the likely cause of its death (alert/likely-cause.ts).
  const writesTo = writesToOf(v, dataRoot);
  const removed = rec.removedAt !== null;
  // A death by SIGKILL that Docker told before its `oom` (under load the `oom` can follow the `die`) waits as long
  // for it: the message then says out of memory, and no crash is paged for it.
  const crash = rec.crash && !(rec.crash.exitCode === SIGKILL_EXIT && !rec.crash.reconciled && now - rec.crash.at < OOM_DIE_WAIT_MS) ? rec.crash : null;
  // Nothing wrong (most containers, most cycles): the same 0 samples as last time (quietSamples).
  const quiet = quietSamples(labels, meta);
  out.push(
    crash
      ? sampleOf(
          CONTAINER_CRASHED,
          1,
          {
            exitCode: crash.exitCode,
            ranForMs: crash.ranForMs,
            restartCount: v.restartCount,
            restartPolicy: crash.restartPolicy,
            error: crash.error,
            at: crash.at,
            logs: crash.logs ?? [],
            ...(crash.logsError ? { logsError: crash.logsError } : {}),
            reconciled: crash.reconciled,
            dockerOomFlag: crash.dockerOomFlag === true,
            removed,
            status: v.status,
            writesTo,
          },
          labels,
          meta,
        )
      : quiet.crashed,
  );
  // The kernel's kill comes before Docker's `die` when it killed the main
  // process (seconds later under load): until the wait is over, an OOM kill
  // the container has not died of is not news yet, so that the message says
  // the container died rather than "a process in it was killed".
  const oom = rec.oom && (rec.oom.died || now - rec.oom.at >= OOM_DIE_WAIT_MS) ? rec.oom : null;
  out.push(
    oom
      ? sampleOf(
          CONTAINER_OOM_KILLED,
          1,
          {
            died: oom.died,
            exitCode: oom.exitCode,
            memoryLimit: oom.memoryLimit,
            lastMemoryUsage: oom.lastMemoryUsage,
            at: oom.at,
            logs: oom.logs ?? [],
            ...(oom.logsError ? { logsError: oom.logsError } : {}),
            removed,
            status: v.status,
            writesTo,
          },
          labels,
          meta,
        )
      : quiet.oomKilled,
  );
  if (removed) return out;
  const unhealthy = v.health === "unhealthy";
  out.push(unhealthy ? sampleOf(CONTAINER_UNHEALTHY, 1, { output: v.healthOutput ?? "", failingStreak: v.failingStreak }, labels, meta) : quiet.unhealthy);
  const last = rec.lastExit ?? null;
  out.push(
    sampleOf(
      CONTAINER_RESTART_LOOP,
      tracker.restartsWithin(rec, restartWindowMs, now),
      {
        restartPolicy: v.restartPolicy,
        restartCount: v.restartCount,
        withinMs: restartWindowMs,
        writesTo,
        lastExit: last && last.code !== null ? { code: last.code, at: last.at } : null,
        logs: last?.logs ?? rec.crash?.logs ?? [],
      },
      labels,
      meta,
    ),
  );
  const expectRunning = v.labels["lookout.expect"] === "running" || v.restartPolicy === "always" || v.restartPolicy === "unless-stopped";
  const down = v.status !== "running";
  const notRunning = expectRunning && down && !rec.stoppedByRequest && !rec.crash && !rec.oom && v.labels["lookout.expect"] !== "exit";
  out.push(
    notRunning
      ? sampleOf(CONTAINER_NOT_RUNNING, 1, { status: v.status, exitCode: v.exitCode, restartPolicy: v.restartPolicy, error: v.error, since: v.finishedAt ?? now }, labels, meta)
      : quiet.notRunning,
  );
  if (v.status === "running" && rec.cpuPercentOfCore !== null) {
    const cores = v.cpuLimit ?? rec.cpu?.onlineCpus ?? 1;
    out.push(
      sampleOf(
        CONTAINER_CPU,
        Math.round((rec.cpuPercentOfCore / cores) * 100) / 100,
        { ofOneCore: Math.round(rec.cpuPercentOfCore * 10) / 10, cores, limited: v.cpuLimit !== null },
        labels,
        meta,
      ),
    );
  }
  if (v.status === "running" && rec.memoryUsage !== null && rec.memoryLimitSeen) {
    const limited = v.memoryLimit > 0;
    const limit = limited ? v.memoryLimit : rec.memoryLimitSeen;
    out.push(sampleOf(CONTAINER_MEMORY, Math.round((rec.memoryUsage / limit) * 10000) / 100, { usageBytes: rec.memoryUsage, limitBytes: limit, limited }, labels, meta));
  }
  const f = rec.figures;
  if (v.status === "running" && f) {
    out.push(sampleOf(CONTAINER_CPU_USAGE, f.cpuNs / 1e9, undefined, labels, meta), sampleOf(CONTAINER_MEMORY_USAGE, f.memoryUsage, undefined, labels, meta));
    if (rec.memoryUsage !== null) out.push(sampleOf(CONTAINER_MEMORY_WORKING_SET, rec.memoryUsage, undefined, labels, meta));
    out.push(...slowSamples(rec, f, labels, meta));
  }
  return out;
}

/** A container's 0 samples of its failure conditions, and the Docker labels (meta) they were made with. */
interface QuietSamples {
  meta: Record<string, string>;
  crashed: SampleOf<typeof CONTAINER_CRASHED>;
  oomKilled: SampleOf<typeof CONTAINER_OOM_KILLED>;
  unhealthy: SampleOf<typeof CONTAINER_UNHEALTHY>;
  notRunning: SampleOf<typeof CONTAINER_NOT_RUNNING>;
}

/** By a container's labels object (containerLabels: one per container until its name, image or project changes). */
const quietOf = new WeakMap<Record<string, string>, QuietSamples>();

/**
 * The samples of a container's failure conditions when none holds (crashed,
 * OOM-killed, unhealthy, not running: 0, no details): made once per labels
 * and Docker labels, not four objects per container and cycle. Samples are
 * never changed once made.
 */
function quietSamples(labels: Record<string, string>, meta: Record<string, string>): QuietSamples {
  const kept = quietOf.get(labels);
  if (kept && kept.meta === meta) return kept;
  const made: QuietSamples = {
    meta,
    crashed: sampleOf(CONTAINER_CRASHED, 0, undefined, labels, meta),
    oomKilled: sampleOf(CONTAINER_OOM_KILLED, 0, undefined, labels, meta),
    unhealthy: sampleOf(CONTAINER_UNHEALTHY, 0, undefined, labels, meta),
    notRunning: sampleOf(CONTAINER_NOT_RUNNING, 0, undefined, labels, meta),
  };
  quietOf.set(labels, made);
  return made;
}

/** Where a container writes, by its view (made once per view and Docker data root). */
const writesToByView = new WeakMap<ContainerView, { dataRoot: string | null; paths: string[] }>();

/** Docker's data root and the container's mounts (none empty): shared, never change it. */
function writesToOf(v: ContainerView, dataRoot: string | null): string[] {
  const kept = writesToByView.get(v);
  if (kept && kept.dataRoot === dataRoot) return kept.paths;
  const paths = [...(dataRoot ? [dataRoot] : []), ...(v.mounts ?? [])].filter((p) => p !== "");
  writesToByView.set(v, { dataRoot, paths });
  return paths;
}

/** A running container's samples of the figures read every SLOW_FIGURES_EVERY_MS (cgroup-reader.ts), and what they were made from. */
const slowSamplesOf = new WeakMap<
  ContainerRecord,
  {
    labels: Record<string, string>;
    meta: Record<string, string>;
    pids: number | null;
    network: ContainerFigures["network"];
    blockIo: ContainerFigures["blockIo"];
    samples: Sample[];
  }
>();

/**
 * Its processes, network and block I/O samples: the same objects while they
 * come from the same reading (the cgroup reader gives the same figures
 * objects until it reads the files again), made anew from a new one.
 */
function slowSamples(rec: ContainerRecord, f: ContainerFigures, labels: Record<string, string>, meta: Record<string, string>): Sample[] {
  const kept = slowSamplesOf.get(rec);
  if (kept && kept.labels === labels && kept.meta === meta && kept.pids === f.pids && kept.network === f.network && kept.blockIo === f.blockIo) return kept.samples;
  const samples: Sample[] = [];
  if (f.pids !== null) samples.push(sampleOf(CONTAINER_PIDS, f.pids, undefined, labels, meta));
  if (f.network) {
    samples.push(sampleOf(CONTAINER_NETWORK_RECEIVE, f.network.rxBytes, undefined, labels, meta), sampleOf(CONTAINER_NETWORK_TRANSMIT, f.network.txBytes, undefined, labels, meta));
  }
  if (f.blockIo) {
    samples.push(sampleOf(CONTAINER_BLOCK_READ, f.blockIo.readBytes, undefined, labels, meta), sampleOf(CONTAINER_BLOCK_WRITE, f.blockIo.writeBytes, undefined, labels, meta));
  }
  slowSamplesOf.set(rec, { labels, meta, pids: f.pids, network: f.network, blockIo: f.blockIo, samples });
  return samples;
}
