/**
 * The agent: the wiring of one Lookout. It holds the data directory
 * (store/agent-db.ts: lock, database, saving), the collectors, receivers,
 * routes, the outbox and its dispatcher, and the memory between cycles; one
 * cycle is the list of stages in pipeline/cycle.ts. `lookout check` runs one
 * cycle, `lookout run` one every interval (runner.ts).
 */

import { monotonicMs } from "./clock.js";
import type { Collector } from "./collect/collector.js";
import { topProcesses } from "./collect/host/processes.js";
import { createCollectors } from "./collect/registry.js";
import type { LoadedConfig } from "./config/loaded.js";
import { RECEIVER_LISTS } from "./config/names.js";
import { describeError } from "./errors.js";
import { processMessages } from "./i18n/current.js";
import { log } from "./log.js";
import type { Notification } from "./model/notification.js";
import { Dispatcher } from "./notify/dispatcher.js";
import type { Notifier } from "./notify/notifier.js";
import { Outbox } from "./notify/outbox.js";
import { createNotifiers } from "./notify/registry.js";
import { routesFrom } from "./notify/routing.js";
import { type CollectOptions, CollectStage } from "./pipeline/collect.js";
import { runCycle } from "./pipeline/cycle.js";
import type { AgentState, CycleResult, CycleSettings } from "./pipeline/cycle-data.js";
import { historyRecorder, type RecordHistory } from "./pipeline/record.js";
import { activeMaintenance } from "./silence/maintenance.js";
import { AgentDatabase } from "./store/agent-db.js";
import type { AgentStore } from "./store/agent-store.js";
import type { Db } from "./store/database.js";
import { HistoryMaintainer, HistoryStore, recordingDeliveries, retentionOf } from "./store/history.js";

export type { CheckStatus, CycleResult } from "./pipeline/cycle-data.js";

export interface AgentOptions {
  collectors?: Collector[];
  notifiers?: Notifier[];
  /** Called for each notification made (the console stream of `run`). */
  onNotification?: (n: Notification) => void;
  /** The command taking the data directory's lock (`run`, `check`), shown to another agent that finds it taken. */
  command?: string;
}

/** The upper bounds (s) of `lookout_cycle_duration_seconds`' buckets: an event cycle takes ms, a regular one waits for its CPU window and Docker. */
export const CYCLE_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** Durations of this process' cycles, as a Prometheus histogram: count per bucket (cumulative when shown), sum, count. */
export class CycleDurations {
  readonly bounds: readonly number[] = CYCLE_BUCKETS_S;
  readonly buckets: number[] = CYCLE_BUCKETS_S.map(() => 0);
  sumSeconds = 0;
  count = 0;

  observe(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    this.count++;
    this.sumSeconds += seconds;
    const i = CYCLE_BUCKETS_S.findIndex((le) => seconds <= le);
    if (i !== -1) this.buckets[i]!++;
  }
}

export class Agent {
  private readonly data: AgentDatabase;
  /** How long this process' cycles took (`/metrics`). */
  readonly cycleDurations = new CycleDurations();
  /** The memory of the last cycle (replaced by each cycle). */
  private _state: AgentState;
  readonly outbox: Outbox;
  private collect: CollectStage;
  notifiers: Notifier[];
  dispatcher: Dispatcher;
  private settings: CycleSettings;
  /** The history on the open database, and its maintainer (made again when the database or the retention changes). */
  private historyParts: { store: HistoryStore; maintainer: HistoryMaintainer; key: string } | null = null;
  private readonly recordHistory: RecordHistory = historyRecorder(() => this.history()!);
  /** Why the last history step failed (logged once, until one works). */
  private maintenanceFailing: string | null = null;
  /** Until when a history step is not tried: the last found nothing to do (HISTORY_IDLE_MS). */
  private historyIdleUntil = Number.NEGATIVE_INFINITY;
  /** What the last cycle of this process found (the HTTP API answers from it: a request never collects). */
  private _lastResult: CycleResult | null = null;

  constructor(
    public loaded: LoadedConfig,
    private readonly opts: AgentOptions = {},
  ) {
    this.data = new AgentDatabase(loaded.dataDir, opts.command ?? "run");
    try {
      const { outbox, failed, ...state } = this.data.load();
      this._state = state;
      const journal = recordingDeliveries(this.data.journal, () => this.history());
      this.outbox = new Outbox({ outbox, failed }, () => journal);
      this.collect = new CollectStage(opts.collectors ?? createCollectors(loaded), snapshotEveryMs(opts.command));
      this.notifiers = opts.notifiers ?? createNotifiers(loaded);
    } catch (err) {
      this.data.close();
      throw err;
    }
    this.settings = settingsOf(loaded, this.notifiers);
    this.dispatcher = this.makeDispatcher(loaded, this.notifiers);
    this.collect.restore(this._state.collectors);
    this.dropUnknownReceivers();
  }

  get state(): Readonly<AgentState> {
    return this._state;
  }

  /** What the last cycle of this process found; null before the first. Read-only: the HTTP API's source. */
  get lastResult(): Readonly<CycleResult> | null {
    return this._lastResult;
  }

  get collectors(): readonly Collector[] {
    return this.collect.collectors;
  }

  /** The open database (it changes when lookout.db was deleted or replaced and is opened again). */
  get db(): Db {
    return this.data.db;
  }

  get store(): AgentStore {
    return this.data.store;
  }

  /** The history on the open database; null when `history.enabled` is false. */
  history(): HistoryStore | null {
    const h = this.loaded.config.history;
    if (!h.enabled) {
      // Turned off by a reload: what the old store holds in memory is still written.
      this.historyParts?.store.close();
      this.historyParts = null;
      return null;
    }
    const retention = retentionOf(h);
    const key = JSON.stringify(retention);
    const db = this.data.db;
    if (!this.historyParts || this.historyParts.store.db !== db || this.historyParts.key !== key) {
      this.historyParts?.store.close();
      // Each cycle's points are written at the end of the cycle: one head row, ~1–2 ms for 50 containers (docs/benchmarks.md section 11); a minute of them at once took 20–40 ms.
      const store = new HistoryStore(db, retention, { flushEveryMs: 0 });
      this.historyParts = { store, maintainer: new HistoryMaintainer(store), key };
    }
    return this.historyParts.store;
  }

  /**
   * One small step of the history's roll-up and deletion (store/history.ts),
   * for at most `budgetMs`: the runner calls it between cycles, `check` after
   * its cycle. Never throws (a failure is logged once, until a step works).
   * Returns whether work was left.
   */
  maintainHistory(now: number, budgetMs: number): boolean {
    if (!this.history()) return false;
    // A clock set back steps at once.
    if (now < this.historyIdleUntil && now >= this.historyIdleUntil - HISTORY_IDLE_MS) return false;
    try {
      const step = this.historyParts!.maintainer.step(now, budgetMs);
      this.historyIdleUntil = step.rolled === 0 && step.deleted === 0 && !step.more ? now + HISTORY_IDLE_MS : Number.NEGATIVE_INFINITY;
      this.maintenanceFailing = null;
      return step.more;
    } catch (err) {
      const why = describeError(err);
      if (why !== this.maintenanceFailing) log.error(processMessages().t("log.history.maintainFailed"), { error: why });
      this.maintenanceFailing = why;
      return false;
    }
  }

  private makeDispatcher(loaded: LoadedConfig, notifiers: Notifier[]): Dispatcher {
    return new Dispatcher({
      notifiers,
      outbox: this.outbox,
      groupWaitMs: loaded.config.notify.group_wait,
      giveUpAfterMs: loaded.config.notify.give_up_after,
      maxRetryAfterMs: loaded.config.notify.max_retry_after,
    });
  }

  /** Receivers no longer configured cannot receive what waits for them. */
  private dropUnknownReceivers(): void {
    const dropped = this.outbox.dropReceiversExcept(new Set(this.notifiers.map((n) => n.name)));
    if (dropped > 0) log.warn(processMessages().t("log.droppedQueued"), { count: dropped });
  }

  /** Closes collectors' connections and streams. */
  async stopCollectors(): Promise<void> {
    await this.collect.stop();
  }

  /**
   * Stops collecting, stores what the collectors know (`run` stores it only
   * now and then) and the history's points still in memory, closes the
   * database and lets another agent use the data directory.
   */
  async close(): Promise<void> {
    await this.stopCollectors();
    if (this.data.db.open) this.historyParts?.store.close(); // never throws
    this.historyParts = null;
    if (snapshotEveryMs(this.opts.command) > 0 && this.data.db.open && this._state.lastCycleAt !== null) {
      this._state = { ...this._state, collectors: { ...this._state.collectors, ...this.collect.snapshots(Date.now()) } };
      this.data.save(this._state, [], () => this.outbox.contents());
    }
    this.data.close();
  }

  /**
   * A new configuration (SIGHUP): new receivers, routes and settings, and new
   * collectors when their settings changed (they start from what the old ones
   * knew); alert state and the outbox are kept. Everything is built before
   * anything is swapped, so a configuration that cannot be applied (throws)
   * leaves the running one whole. Call it between cycles. Returns what
   * changed, as `key: old → new` (receivers' settings by key only: they hold
   * secrets).
   */
  async reload(next: LoadedConfig): Promise<string[]> {
    const prev = this.loaded;
    if (next.dataDir !== prev.dataDir) {
      log.warn(processMessages().t("log.dataDirChanged"), { running_with: prev.dataDir, configured: next.dataDir });
      next = { ...next, dataDir: prev.dataDir };
    }
    const notifiers = this.opts.notifiers ?? createNotifiers(next);
    const settings = settingsOf(next, notifiers);
    const sameCollectors =
      this.opts.collectors !== undefined ||
      (next.hostRoot === prev.hostRoot && JSON.stringify([next.config.docker, next.config.containers]) === JSON.stringify([prev.config.docker, prev.config.containers]));
    const changes = configChanges(prev, next);
    // Deliveries under way finish with the old receivers (joining them brings their deadline to now).
    await this.dispatcher.drain(Date.now());
    this.loaded = next;
    this.notifiers = notifiers;
    this.settings = settings;
    this.dispatcher = this.makeDispatcher(next, notifiers);
    if (!sameCollectors) {
      this._state = { ...this._state, collectors: { ...this._state.collectors, ...this.collect.snapshots(Date.now()) } };
      await this.collect.stop();
      this.collect = new CollectStage(createCollectors(next), snapshotEveryMs(this.opts.command));
      this.collect.restore(this._state.collectors);
    }
    this.dropUnknownReceivers();
    return changes;
  }

  /**
   * One pass. `only` runs just those collectors (an early cycle after a Docker
   * event) and reuses the others' last results, so reacting to an event does
   * not wait for a CPU window.
   */
  async cycle(now = Date.now(), opts: CollectOptions = {}): Promise<CycleResult> {
    const started = monotonicMs();
    const { result, state } = await runCycle(
      {
        settings: this.settings,
        collect: this.collect,
        skipQuiet: (this.opts.command ?? "run") === "run",
        outbox: this.outbox,
        silences: (at) => [...this.data.activeSilences(at), ...activeMaintenance(this.loaded.config.maintenance, at)],
        topProcesses: (by, limit) => topProcesses({ hostRoot: this.loaded.hostRoot, by, limit }),
        persist: (s, added) => this.data.save(s, added, () => this.outbox.contents()),
        clock: () => Date.now(),
        history: this.loaded.config.history.enabled ? this.recordHistory : null,
      },
      this._state,
      now,
      opts,
    );
    this._state = state;
    this._lastResult = result;
    this.cycleDurations.observe((monotonicMs() - started) / 1000);
    for (const n of result.notifications) this.opts.onNotification?.(n);
    return result;
  }
}

/**
 * After a history step that found nothing to roll up or delete, the next is
 * tried this much later, not after every cycle: work comes due when an hour
 * closes or a chunk or event passes its retention, and a step that finds none
 * still costs a transaction and a dozen queries (a minute late is nothing
 * to a roll-up that waits two minutes after its hour anyway).
 */
export const HISTORY_IDLE_MS = 60_000;

/** How often `run` stores its collectors' memory (`check` stores it every cycle: the next check starts from it). */
const RUN_SNAPSHOT_EVERY_MS = 60_000;

function snapshotEveryMs(command: string | undefined): number {
  return (command ?? "run") === "run" ? RUN_SNAPSHOT_EVERY_MS : 0;
}

/** What the stages need to know of a configuration and its receivers. */
function settingsOf(loaded: LoadedConfig, notifiers: readonly Notifier[]): CycleSettings {
  return {
    loaded,
    routes: routesFrom(
      loaded.config,
      notifiers.map((n) => n.name),
    ),
    receivers: notifiers.map((n) => ({
      name: n.name,
      minSeverity: n.minSeverity,
      summaryByDefault: n.summaryByDefault === true,
      ...(n.resendEveryMs !== undefined ? { resendEveryMs: n.resendEveryMs } : {}),
    })),
  };
}

/** Config keys whose values the log does not show (receivers' URLs, headers, files; the HTTP token and its file): only that they changed. */
const SECRET_KEYS = new RegExp(`^(notify\\.(${[...Object.values(RECEIVER_LISTS), "heartbeat"].join("|")})\\b|http\\.auth_token)`);

/** What differs between two configurations, one `key: old → new` each (secrets by key only); at most 20, then a count. */
export function configChanges(prev: LoadedConfig, next: LoadedConfig): string[] {
  const flat = (v: unknown, prefix: string, out: Map<string, string>): Map<string, string> => {
    if (v !== null && typeof v === "object") {
      const entries = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x] as const) : Object.entries(v).map(([k, x]) => [prefix ? `.${k}` : k, x] as const);
      if (entries.length === 0) out.set(prefix, Array.isArray(v) ? "[]" : "{}");
      for (const [k, x] of entries) flat(x, `${prefix}${k}`, out);
    } else out.set(prefix, JSON.stringify(v) ?? "undefined");
    return out;
  };
  const a = flat({ ...prev.config, host_root: prev.hostRoot, hostname: prev.hostname }, "", new Map());
  const b = flat({ ...next.config, host_root: next.hostRoot, hostname: next.hostname }, "", new Map());
  const out: string[] = [];
  if (next.path !== prev.path) out.push(`config file: ${prev.path ?? "built-in defaults"} → ${next.path ?? "built-in defaults"}`);
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (x === y) continue;
    if (SECRET_KEYS.test(key)) out.push(`${key}: ${x === undefined ? "added" : y === undefined ? "removed" : "changed"}`);
    else out.push(`${key}: ${x ?? "(none)"} → ${y ?? "(none)"}`);
  }
  return out.length > 20 ? [...out.slice(0, 20), `and ${out.length - 20} more`] : out;
}
