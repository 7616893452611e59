/**
 * What Lookout remembers of each container between cycles, and how Docker's
 * events and the periodic inspection change it. Pure (no I/O): the collector
 * feeds it views of the Engine API and reads back per-container facts.
 *
 * Failures are latched: a crash seen in a `die` event (or found afterwards by
 * inspection, when the event stream was down) stays "crashed" until the
 * container has run again for `resolve_after`, so a crash that is followed by
 * an automatic restart is still reported, and reported once.
 */

/** A container as inspected, reduced to what the rules need. */
export interface ContainerView {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  /** running, exited, restarting, paused, created, dead, removing. */
  status: string;
  exitCode: number;
  oomKilled: boolean;
  error: string;
  startedAt: number | null;
  finishedAt: number | null;
  restartCount: number;
  restartPolicy: string;
  health: string | null;
  healthOutput: string | null;
  failingStreak: number;
  /** Memory limit in bytes, 0 when none. */
  memoryLimit: number;
  /** CPUs the container may use (NanoCpus, quota or cpuset), null when not limited. */
  cpuLimit: number | null;
  tty: boolean;
  /** Host paths the container writes to (bind mounts and volumes). */
  mounts?: string[];
  /** Its init process as Docker names it (State.Pid; 0 when not running): where its cgroup is found. */
  pid?: number;
  /** It shares the host's network (`--network host`): it has no network figures of its own. */
  hostNetwork?: boolean;
}

/** A running container of which nothing else is known yet; `o` fills in what is. */
export function newView(id: string, o: Partial<ContainerView> = {}): ContainerView {
  return {
    id,
    name: id.slice(0, 12),
    image: "",
    labels: {},
    status: "running",
    exitCode: 0,
    oomKilled: false,
    error: "",
    startedAt: null,
    finishedAt: null,
    restartCount: 0,
    restartPolicy: "no",
    health: null,
    healthOutput: null,
    failingStreak: 0,
    memoryLimit: 0,
    cpuLimit: null,
    tty: false,
    ...o,
  };
}

/** A container event, reduced. `time` in ms. */
export interface ContainerEventView {
  id: string;
  action: string;
  time: number;
  attributes: Record<string, string>;
}

/** Counters of one stats sample: from the container's cgroup files, or from the Engine API. */
export interface StatsView {
  /** CPU time the container used, ns. */
  cpuTotal: number;
  /**
   * The clock `cpuTotal` is compared with. The Engine API's: the host's CPU
   * time of all cores, ns (docker stats' formula: Δcpu / Δsystem × CPUs).
   * `clock: "wall"` (from cgroup files): wall-clock time, ns (Δcpu / Δwall).
   */
  systemTotal: number;
  clock?: "wall";
  onlineCpus: number;
  memoryUsage: number;
  /** Page cache to subtract from usage, as `docker stats` does (inactive_file / total_inactive_file). */
  memoryCache: number;
  /** The limit the kernel applies: the container's, else the host's memory. */
  memoryLimit: number;
  pids?: number | null;
  network?: { rxBytes: number; txBytes: number } | null;
  blockIo?: { readBytes: number; writeBytes: number } | null;
}

/** The last figures of a running container, for the samples that carry them (no rule alerts on these). */
export interface ContainerFigures {
  cpuNs: number;
  /** Page cache included. */
  memoryUsage: number;
  pids: number | null;
  network: { rxBytes: number; txBytes: number } | null;
  blockIo: { readBytes: number; writeBytes: number } | null;
}

export interface CrashRecord {
  at: number;
  exitCode: number | null;
  ranForMs: number | null;
  restartCount: number;
  restartPolicy: string;
  error: string;
  logs: string[] | null;
  /** Why its logs could not be read, when they could not. */
  logsError?: string;
  /** Found by inspection after the fact (the event stream was down), not seen live. */
  reconciled: boolean;
  /**
   * Docker's State.OOMKilled was set, but Lookout did not see an OOM kill cause
   * this exit (the flag can stay set from an earlier kill of a process in it):
   * said as Docker's flag, never as the cause.
   */
  dockerOomFlag?: boolean;
}

export interface OomRecord {
  at: number;
  /** The container's main process died (else a process inside it was killed and it kept running). */
  died: boolean;
  exitCode: number | null;
  memoryLimit: number;
  lastMemoryUsage: number | null;
  logs: string[] | null;
  /** Why its logs could not be read, when they could not. */
  logsError?: string;
}

export interface ContainerRecord {
  view: ContainerView;
  inspectedAt: number;
  /** Last time Lookout or a user asked this container to stop (kill/stop event). */
  stopRequestedAt: number | null;
  /** The last stop was asked for (docker stop, compose down…): not a failure. */
  stoppedByRequest: boolean;
  lastDieAt: number | null;
  /** FinishedAt already accounted for, to spot exits the event stream missed. */
  seenFinishedAt: number | null;
  seenRestartCount: number;
  oomEventAt: number | null;
  crash: CrashRecord | null;
  oom: OomRecord | null;
  restarts: number[];
  /** The last exit seen (any code), with the log lines fetched then: for a restart loop's message. */
  lastExit?: { at: number; code: number | null; logs: string[] | null } | null;
  /** The last CPU reading; `clock: "wall"` when it came from cgroup files (see StatsView). */
  cpu: { total: number; system: number; onlineCpus: number; clock?: "wall" } | null;
  /** The last figures read (absent in what an older Lookout saved). */
  figures?: ContainerFigures | null;
  /** Docker `oom` events seen for it since Lookout started watching it (cAdvisor's container_oom_events_total; kept in the snapshot). */
  oomEvents?: number;
  /** docker stats style (100 = one core), and the share of what the container may use. */
  cpuPercentOfCore: number | null;
  memoryUsage: number | null;
  memoryLimitSeen: number | null;
  /** Set when the container was destroyed while a failure was latched: reported once more, then forgotten. */
  removedAt: number | null;
  dirty: boolean;
}

/** How long a kill/stop request explains a following `die` (docker stop waits 10 s by default before SIGKILL). */
const REQUEST_WINDOW_MS = 60_000;
/** How close an `oom` event must be to a `die` to say the container died of it. */
const OOM_WINDOW_MS = 10_000;
/** After an `oom` event, how long to wait for the container's `die` before an OOM kill it survived is reported. */
export const OOM_DIE_WAIT_MS = 1000;
/**
 * A container first seen already exited (Lookout just installed, or a new data
 * directory) is reported as crashed only if it exited this recently: a job that
 * failed weeks ago is not news. (container_not_running still covers containers
 * that should be running.)
 */
const FIRST_SIGHT_MAX_AGE_MS = 24 * 3600_000;
/** Restarts remembered at most this long (the longest sensible restart_loop.within). */
const RESTART_MEMORY_MS = 24 * 3600_000;

export interface DieOutcome {
  kind: "crash" | "oom" | "requested" | "clean" | "expected";
}

export class ContainerTracker {
  readonly records = new Map<string, ContainerRecord>();

  get(id: string): ContainerRecord | undefined {
    return this.records.get(id);
  }

  private blank(view: ContainerView, now: number): ContainerRecord {
    return {
      view,
      inspectedAt: now,
      stopRequestedAt: null,
      stoppedByRequest: false,
      lastDieAt: null,
      seenFinishedAt: null,
      seenRestartCount: view.restartCount,
      oomEventAt: null,
      crash: null,
      oom: null,
      restarts: [],
      cpu: null,
      figures: null,
      cpuPercentOfCore: null,
      memoryUsage: null,
      memoryLimitSeen: null,
      removedAt: null,
      dirty: false,
    };
  }

  /**
   * Applies an event. Returns what happened for `die` (so the collector can
   * fetch logs while the container still exists), else null.
   */
  onEvent(ev: ContainerEventView): DieOutcome | null {
    const rec = this.records.get(ev.id);
    if (!rec) return null; // not yet listed: the next inspection covers it
    rec.dirty = true;
    const action = ev.action.split(":")[0]!.trim();
    switch (action) {
      case "kill":
      case "stop":
        rec.stopRequestedAt = ev.time;
        return null;
      case "oom":
        rec.oomEventAt = ev.time;
        rec.oomEvents = (rec.oomEvents ?? 0) + 1;
        // Docker sets State.OOMKilled now: the flag was seen turning true, so a later inspection does not take it for news.
        rec.view = { ...rec.view, oomKilled: true };
        if (rec.crash && !rec.crash.reconciled && ev.time >= rec.crash.at - 1000 && ev.time - rec.crash.at <= OOM_WINDOW_MS) {
          // Docker told the death first (under load its `oom` can follow the `die`): the kill that ended it was the OOM killer's.
          rec.oom = { at: rec.crash.at, died: true, exitCode: rec.crash.exitCode, memoryLimit: rec.view.memoryLimit, lastMemoryUsage: rec.memoryUsage, logs: rec.crash.logs };
          rec.crash = null;
          rec.stoppedByRequest = false;
          return null;
        }
        rec.oom = {
          at: ev.time,
          died: false,
          exitCode: null,
          memoryLimit: rec.view.memoryLimit,
          lastMemoryUsage: rec.memoryUsage,
          logs: null,
        };
        return null;
      case "die":
        return this.onDie(rec, ev.time, Number(ev.attributes.exitCode ?? NaN));
      case "start":
        if (rec.lastDieAt !== null && !rec.stoppedByRequest && ev.time - rec.lastDieAt < RESTART_MEMORY_MS) {
          rec.restarts.push(ev.time);
          rec.seenRestartCount++; // Docker counts policy restarts in RestartCount: not "missed" later
        }
        rec.stoppedByRequest = false;
        rec.view = { ...rec.view, status: "running", startedAt: ev.time };
        return null;
      case "health_status": {
        const status = ev.action.slice(ev.action.indexOf(":") + 1).trim();
        if (status) rec.view = { ...rec.view, health: status };
        return null;
      }
      case "destroy":
        this.remove(ev.id, ev.time);
        return null;
      default:
        return null;
    }
  }

  private onDie(rec: ContainerRecord, at: number, exitCode: number): DieOutcome {
    rec.lastDieAt = at;
    rec.lastExit = { at, code: Number.isFinite(exitCode) ? exitCode : null, logs: null };
    rec.seenFinishedAt = Math.max(rec.seenFinishedAt ?? 0, at);
    const ranForMs = rec.view.startedAt !== null ? Math.max(0, at - rec.view.startedAt) : null;
    rec.view = { ...rec.view, status: "exited", finishedAt: at, exitCode: Number.isFinite(exitCode) ? exitCode : rec.view.exitCode };
    const requested = rec.stopRequestedAt !== null && at - rec.stopRequestedAt <= REQUEST_WINDOW_MS && at >= rec.stopRequestedAt - 1000;
    const oom = rec.oomEventAt !== null && at - rec.oomEventAt <= OOM_WINDOW_MS && at >= rec.oomEventAt - 1000;
    rec.stoppedByRequest = requested && !oom;
    if (oom) {
      rec.oom = {
        at: rec.oom?.at ?? at,
        died: true,
        exitCode: Number.isFinite(exitCode) ? exitCode : null,
        memoryLimit: rec.view.memoryLimit,
        lastMemoryUsage: rec.memoryUsage,
        logs: rec.oom?.logs ?? null,
      };
      return { kind: "oom" };
    }
    if (requested) return { kind: "requested" };
    if (rec.view.labels["lookout.expect"] === "exit") return { kind: "expected" };
    if (!Number.isFinite(exitCode) || exitCode === 0) return { kind: "clean" };
    rec.crash = {
      at,
      exitCode,
      ranForMs,
      restartCount: rec.view.restartCount,
      restartPolicy: rec.view.restartPolicy,
      error: rec.view.error,
      logs: null,
      reconciled: false,
    };
    return { kind: "crash" };
  }

  /** Log lines for the latched failure and the last exit (fetched right after the `die`). */
  setLogs(id: string, lines: string[]): void {
    const rec = this.records.get(id);
    if (!rec) return;
    if (rec.lastExit && rec.lastExit.logs === null) rec.lastExit.logs = lines;
    if (rec.crash && rec.crash.logs === null) rec.crash.logs = lines;
    if (rec.oom && rec.oom.logs === null) rec.oom.logs = lines;
  }

  /** The last log lines could not be read (Docker refused, the container went too soon): the message says so and why. */
  setLogsError(id: string, why: string): void {
    const rec = this.records.get(id);
    if (!rec) return;
    if (rec.lastExit && rec.lastExit.logs === null) rec.lastExit.logs = [];
    if (rec.crash && rec.crash.logs === null) rec.crash = { ...rec.crash, logs: [], logsError: why };
    if (rec.oom && rec.oom.logs === null) rec.oom = { ...rec.oom, logs: [], logsError: why };
  }

  /**
   * Applies an inspection. Exits the event stream did not report (it was down,
   * or this is `lookout check` from cron) are found here: a newer FinishedAt
   * with a non-zero exit code, or a higher RestartCount. Returns true when a
   * crash was found this way (the collector then fetches logs).
   * `daemonStopped(t)` says whether an exit at `t` can only have been Docker
   * stopping the container itself (while it did not answer: restoring after
   * a crash), so that a SIGTERM exit then is not taken for a `docker stop`.
   *
   * `baseline`: Lookout's first look at this Docker (a new data directory, or
   * Docker seen for the first time). Nobody was watching when the containers
   * that are down now stopped, so their exits are recorded as seen, never
   * latched as crashes: a `docker stop` that ended in SIGKILL (137) looks
   * exactly like a crash. The collector reports them together, once.
   */
  applyView(view: ContainerView, now: number, daemonStopped: (at: number) => boolean = () => false, baseline = false): boolean {
    let rec = this.records.get(view.id);
    const firstSight = !rec;
    if (!rec) {
      rec = this.blank(view, now);
      this.records.set(view.id, rec);
    }
    const prev = rec.view;
    rec.view = view;
    rec.inspectedAt = now;
    rec.dirty = false;
    rec.removedAt = null;
    if (view.health === null && prev.health !== null && !firstSight) rec.view = { ...view, health: null };

    let found = false;
    const running = view.status === "running";
    const finished = view.finishedAt;
    const stale = firstSight && (baseline || (finished !== null && now - finished > FIRST_SIGHT_MAX_AGE_MS));
    if (!running && finished !== null && !stale && (rec.seenFinishedAt === null || finished > rec.seenFinishedAt + 1000)) {
      // An exit nobody told us about. SIGTERM (143) and SIGINT (130) are what a
      // `docker stop` leaves: without the event we cannot tell, so not a crash,
      // unless nobody could have asked (Docker was not answering then).
      rec.seenFinishedAt = finished;
      rec.lastExit = { at: finished, code: view.exitCode, logs: null };
      const stopLike = (view.exitCode === 143 || view.exitCode === 130) && !daemonStopped(finished);
      const expectedExit = view.labels["lookout.expect"] === "exit";
      // An OOM verdict needs an OOM Lookout saw: the flag turning true while it
      // watched (a container new since the last look started with it false),
      // or an `oom` event just before this exit. A flag left set by an earlier
      // kill of a process in the container is not the cause of this exit.
      const oomEventNear = rec.oomEventAt !== null && Math.abs(finished - rec.oomEventAt) <= OOM_WINDOW_MS;
      const oomSeen = view.oomKilled && (firstSight || !prev.oomKilled || oomEventNear);
      if (oomSeen && !expectedExit) {
        rec.oom = { at: finished, died: true, exitCode: view.exitCode, memoryLimit: view.memoryLimit, lastMemoryUsage: rec.memoryUsage, logs: null };
        found = true;
      } else if (view.exitCode !== 0 && !stopLike && !expectedExit) {
        rec.crash = {
          at: finished,
          exitCode: view.exitCode,
          ranForMs: view.startedAt !== null ? Math.max(0, finished - view.startedAt) : null,
          restartCount: view.restartCount,
          restartPolicy: view.restartPolicy,
          error: view.error,
          logs: null,
          reconciled: true,
          ...(view.oomKilled ? { dockerOomFlag: true } : {}),
        };
        found = true;
      }
    } else if (finished !== null && rec.seenFinishedAt === null) {
      rec.seenFinishedAt = finished;
      if (!running) rec.lastExit = { at: finished, code: view.exitCode, logs: null };
    }
    if (view.restartCount > rec.seenRestartCount) {
      // Restarts between two looks: count them now (their exact times are gone).
      const missed = Math.min(view.restartCount - rec.seenRestartCount, 100);
      for (let i = 0; i < missed; i++) rec.restarts.push(now);
    }
    rec.seenRestartCount = view.restartCount;
    if (running) rec.stoppedByRequest = false;
    return found;
  }

  applyStats(id: string, s: StatsView): void {
    const rec = this.records.get(id);
    if (!rec) return;
    const usage = Math.max(0, s.memoryUsage - (s.memoryCache < s.memoryUsage ? s.memoryCache : 0));
    rec.memoryUsage = usage;
    rec.memoryLimitSeen = s.memoryLimit;
    rec.figures = { cpuNs: s.cpuTotal, memoryUsage: s.memoryUsage, pids: s.pids ?? null, network: s.network ?? null, blockIo: s.blockIo ?? null };
    const prev = rec.cpu;
    const wall = s.clock === "wall";
    rec.cpu = { total: s.cpuTotal, system: s.systemTotal, onlineCpus: s.onlineCpus, ...(wall ? { clock: "wall" as const } : {}) };
    // Two readings of the same kind only (a container that moved between cgroup files and the API waits for a second one).
    if (prev && (prev.clock === "wall") === wall && s.systemTotal > prev.system && s.cpuTotal >= prev.total) {
      const share = (s.cpuTotal - prev.total) / (s.systemTotal - prev.system);
      // docker stats' unit either way: 100 = one core.
      rec.cpuPercentOfCore = wall ? share * 100 : share * s.onlineCpus * 100;
    }
  }

  /** Clears latches whose container has run again long enough; forgets old restarts. */
  settle(now: number, resolveAfter: { crashMs: number; oomMs: number }): void {
    for (const rec of this.records.values()) {
      if (hasExpired(rec.restarts, now)) rec.restarts = rec.restarts.filter((t) => now - t < RESTART_MEMORY_MS);
      const v = rec.view;
      const runningSince = v.status === "running" && v.startedAt !== null ? v.startedAt : null;
      if (rec.crash && runningSince !== null && runningSince >= rec.crash.at && now - runningSince >= resolveAfter.crashMs) rec.crash = null;
      if (rec.oom) {
        const calm = rec.oom.died
          ? runningSince !== null && runningSince >= rec.oom.at && now - runningSince >= resolveAfter.oomMs
          : v.status === "running" && now - rec.oom.at >= resolveAfter.oomMs;
        if (calm) rec.oom = null;
      }
    }
  }

  /** The container is gone: a latched failure is reported once more, then the record goes. */
  remove(id: string, now: number): void {
    const rec = this.records.get(id);
    if (!rec) return;
    if (rec.removedAt !== null) return; // already waiting for its last report
    if (rec.crash || rec.oom) rec.removedAt = now;
    else this.records.delete(id);
  }

  /** After a cycle reported them: forget containers removed meanwhile. */
  sweepRemoved(): void {
    for (const [id, rec] of this.records) if (rec.removedAt !== null) this.records.delete(id);
  }

  /** Containers no longer listed by Docker. */
  forgetMissing(listed: ReadonlySet<string>, now: number): void {
    for (const id of [...this.records.keys()]) if (!listed.has(id)) this.remove(id, now);
  }

  restartsWithin(rec: ContainerRecord, windowMs: number, now: number): number {
    return rec.restarts.filter((t) => now - t < windowMs).length;
  }

  snapshot(): unknown {
    return [...this.records.values()].map((r) => ({ ...r, dirty: false }));
  }

  restore(saved: unknown): void {
    if (!Array.isArray(saved)) return;
    for (const r of saved as ContainerRecord[]) {
      if (r && typeof r === "object" && r.view && typeof r.view.id === "string") this.records.set(r.view.id, r);
    }
  }
}

/** Whether a restart in `restarts` is older than RESTART_MEMORY_MS (then they are filtered; most cycles none is, and nothing is made). */
function hasExpired(restarts: readonly number[], now: number): boolean {
  for (let i = 0; i < restarts.length; i++) if (now - restarts[i]! >= RESTART_MEMORY_MS) return true;
  return false;
}
