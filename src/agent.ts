/**
 * The pipeline, as the job reads: collect → evaluate → alert state → notify.
 * `cycle()` is one pass (what `lookout check` does once and `lookout run` does
 * every interval); state lives in the data directory between passes.
 */
import { randomUUID } from "node:crypto";
import { existsSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { applyFlapping } from "./alert/flapping.js";
import { type InhibitorMemory, inhibitedBy, updateInhibitors } from "./alert/inhibition.js";
import { CONTAINER_DEATHS, diskFullCause } from "./alert/likely-cause.js";
import { applySilences, type SilencingResult } from "./alert/silencing.js";
import { type AlertEvent, type AlertRecord, type StepResult, snapshot, step } from "./alert/state.js";
import type { Collector, CollectResult } from "./collect/collector.js";
import { topProcesses } from "./collect/host/processes.js";
import { createCollectors } from "./collect/registry.js";
import type { LoadedConfig } from "./config/load.js";
import { describeError, LookoutError } from "./errors.js";
import { detailsFor, type Evaluation, evaluate } from "./evaluate/evaluate.js";
import { ruleRegistry } from "./evaluate/registry.js";
import { log } from "./log.js";
import type { Fact, Notification, NotificationDetails } from "./model/notification.js";
import type { Sample } from "./model/sample.js";
import { buildSummary, countEvents, emptyCounts, summaryDue } from "./notify/daily-summary.js";
import { type DeliveryJournal, Dispatcher } from "./notify/dispatcher.js";
import type { Notifier } from "./notify/notifier.js";
import type { OutboxEntry } from "./notify/outbox.js";
import { createNotifiers } from "./notify/registry.js";
import { matchingRoutes, type Route, receiversFor, reminderStepMs, route, routesFrom } from "./notify/routing.js";
import { activeMaintenance } from "./silence/maintenance.js";
import { type Silence, silencing } from "./silence/silence.js";
import { type AgentState, AgentStore, rewriteState } from "./store/agent-store.js";
import { DB_FILE, DB_FILES, type Db, databaseFileId, ensureDataDir, type FileId, openDatabase } from "./store/database.js";
import { AgentLock } from "./store/lock.js";
import { SilenceStore } from "./store/silences.js";
import { codeOf, DISK_FULL } from "./store/transactions.js";

export type CheckStatus = "ok" | "warning" | "critical" | "unknown";

export interface CycleResult {
  checkedAt: number;
  samples: Sample[];
  evaluation: Evaluation;
  active: AlertRecord[];
  resolved: AlertRecord[];
  notifications: Notification[];
  /** Collectors that failed this cycle, with why. */
  errors: string[];
  status: CheckStatus;
  /**
   * Set when this cycle could not be saved in the data directory (a full
   * disk, a database deleted and not made again): why, and what to do. Its
   * notifications were still made, printed and queued, from memory.
   */
  storageError?: string;
}

export interface AgentOptions {
  collectors?: Collector[];
  notifiers?: Notifier[];
  /** Called for each notification made (the console stream of `run`). */
  onNotification?: (n: Notification) => void;
  /** The command taking the data directory's lock (`run`, `check`), shown to another agent that finds it taken. */
  command?: string;
}

export class Agent {
  private _db: Db;
  private _store: AgentStore;
  readonly state: AgentState;
  collectors: Collector[];
  notifiers: Notifier[];
  dispatcher: Dispatcher;
  private readonly lock: AgentLock;
  private silences: SilenceStore;
  private routes: Route[];
  /** The database file the connection is on (device, inode), to see it deleted or replaced; null while none is open. */
  private dbFile: FileId | null;
  /** Silences read from a deleted database, to carry into the new one while making it fails. */
  private carriedSilences: Array<Record<string, unknown>> | null = null;
  /** Outbox entries made in cycles that could not be saved: stored with the next cycle that can be. */
  private unsaved: OutboxEntry[] = [];
  /** Why saving fails now (logged once, until it works again); null when it works. */
  private storageFailing: string | null = null;
  /** Each collector's last result, reused by cycles that do not run it. */
  private readonly lastResults = new Map<string, CollectResult>();

  constructor(
    public loaded: LoadedConfig,
    private readonly opts: AgentOptions = {},
  ) {
    ensureDataDir(loaded.dataDir);
    this.lock = new AgentLock(loaded.dataDir, opts.command ?? "run");
    this.lock.acquire();
    // Released however the process ends; the kernel drops it when the process dies (store/lock.ts).
    process.once("exit", () => this.lock.release());
    let db: Db | undefined;
    try {
      db = openDatabase(loaded.dataDir, { agent: true, lockExisted: this.lock.existedBefore });
      this._db = db;
      this.dbFile = databaseFileId(loaded.dataDir);
      this._store = new AgentStore(db);
      this.state = this._store.load();
    } catch (err) {
      db?.close();
      this.lock.release();
      throw err;
    }
    this.silences = new SilenceStore(this._db);
    this.collectors = opts.collectors ?? createCollectors(loaded);
    this.notifiers = opts.notifiers ?? createNotifiers(loaded);
    this.routes = routesFrom(
      loaded.config,
      this.notifiers.map((n) => n.name),
    );
    this.dispatcher = this.makeDispatcher(loaded, this.notifiers);
    this.restoreCollectors();
    this.dropUnknownReceivers();
  }

  /** The open database (it changes when lookout.db was deleted or replaced and is opened again). */
  get db(): Db {
    return this._db;
  }

  get store(): AgentStore {
    return this._store;
  }

  private makeDispatcher(loaded: LoadedConfig, notifiers: Notifier[]): Dispatcher {
    // The journal is whichever database is open now: lookout.db may be opened again (checkDatabaseFile).
    const journal: DeliveryJournal = {
      delivered: (items) => this._store.delivered(items),
      attempted: (items) => this._store.attempted(items),
      gaveUp: (items, failures) => this._store.gaveUp(items, failures),
      markReported: (failures, at, receiver) => this._store.markReported(failures, at, receiver),
    };
    return new Dispatcher({
      notifiers,
      state: this.state,
      journal,
      groupWaitMs: loaded.config.notify.group_wait,
      giveUpAfterMs: loaded.config.notify.give_up_after,
      maxRetryAfterMs: loaded.config.notify.max_retry_after,
    });
  }

  private restoreCollectors(): void {
    for (const c of this.collectors) {
      const saved = this.state.collectors[c.name];
      if (saved && c.restore) c.restore(saved.data, saved.savedAt);
    }
  }

  /** Receivers no longer configured cannot receive what waits for them. */
  private dropUnknownReceivers(): void {
    const names = new Set(this.notifiers.map((n) => n.name));
    const dropped = this.state.outbox.reduce((k, e) => k + e.pending.filter((d) => !names.has(d.receiver)).length, 0);
    if (dropped > 0) {
      log.warn("dropped queued notifications for receivers no longer configured", { count: dropped });
      this.store.forgetReceiversExcept(names);
      for (const entry of this.state.outbox) entry.pending = entry.pending.filter((d) => names.has(d.receiver));
      this.state.outbox = this.state.outbox.filter((e) => e.pending.length > 0);
    }
  }

  /** Closes collectors' connections and streams. */
  async stopCollectors(): Promise<void> {
    await Promise.allSettled(this.collectors.map((c) => c.stop?.()));
  }

  /** Stops collecting, closes the database and lets another agent use the data directory. */
  async close(): Promise<void> {
    await this.stopCollectors();
    if (this._db.open) this._db.close();
    this.lock.release();
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
      log.warn("the data directory cannot change while the agent runs: the new one takes effect at the next start", { running_with: prev.dataDir, configured: next.dataDir });
      next = { ...next, dataDir: prev.dataDir };
    }
    const notifiers = this.opts.notifiers ?? createNotifiers(next);
    const routes = routesFrom(
      next.config,
      notifiers.map((n) => n.name),
    );
    const sameCollectors =
      this.opts.collectors !== undefined ||
      (next.hostRoot === prev.hostRoot && JSON.stringify([next.config.docker, next.config.containers]) === JSON.stringify([prev.config.docker, prev.config.containers]));
    const changes = configChanges(prev, next);
    // Deliveries under way finish with the old receivers (joining them brings their deadline to now).
    await this.dispatcher.drain(Date.now());
    this.loaded = next;
    this.notifiers = notifiers;
    this.routes = routes;
    this.dispatcher = this.makeDispatcher(next, notifiers);
    if (!sameCollectors) {
      const now = Date.now();
      for (const c of this.collectors) if (c.snapshot) this.state.collectors[c.name] = { savedAt: now, data: c.snapshot() };
      await this.stopCollectors();
      this.collectors = createCollectors(next);
      this.lastResults.clear();
      this.restoreCollectors();
    }
    this.dropUnknownReceivers();
    return changes;
  }

  /**
   * lookout.db deleted or replaced under the agent (by hand, a cleanup job, a
   * restored backup): the connection would go on writing to a file nobody
   * reads, and `status` and `silence` would use another. Looked at before each
   * save: the agent opens the file that is there now (a new one when it was
   * deleted, given the deleted one's silences), writes what it holds in
   * memory into it, and says so loudly.
   */
  private checkDatabaseFile(): void {
    const dataDir = this.loaded.dataDir;
    const now = databaseFileId(dataDir);
    if (this.dbFile && now && now.dev === this.dbFile.dev && now.ino === this.dbFile.ino) return;
    const path = join(dataDir, DB_FILE);
    const what = now === null ? "deleted" : "replaced";
    if (this._db.open) {
      if (now === null) {
        try {
          this.carriedSilences = this._db.prepare("SELECT * FROM silences").all() as Array<Record<string, unknown>>;
        } catch {
          this.carriedSilences = null;
        }
      }
      this._db.close();
      this.dbFile = null;
      // SQLite leaves the old file's -wal and -shm at the path: the file there now must not replay them.
      for (const f of DB_FILES.slice(1)) {
        try {
          unlinkSync(join(dataDir, f));
        } catch {
          /* not there */
        }
      }
    }
    const db = openDatabase(dataDir, { agent: true, lockExisted: false });
    try {
      rewriteState(db, this.state, what === "deleted" || !existsSync(path) ? (this.carriedSilences ?? []) : []);
    } catch (err) {
      db.close();
      throw err;
    }
    this._db = db;
    this._store = new AgentStore(db);
    this.silences = new SilenceStore(db);
    this.dbFile = databaseFileId(dataDir);
    this.carriedSilences = null;
    this.unsaved = [];
    log.error(
      what === "deleted"
        ? `${path} was deleted while the agent ran: made a new one and wrote into it the alert state, queued notifications and silences the agent had; find what deletes files in ${dataDir} and stop it`
        : `${path} was replaced while the agent ran (a restored backup, another program): now using the new file, with the agent's alert state and queued notifications written into it and the new file's silences`,
    );
  }

  /** A cycle's state and notifications to the database; a failure is said once (until it works again), never thrown. */
  private save(added: OutboxEntry[]): string | undefined {
    const toStore = [...this.unsaved.filter((e) => e.pending.length > 0), ...added];
    try {
      this.checkDatabaseFile();
      this._store.commitCycle(this.state, toStore);
      this.unsaved = [];
      if (this.storageFailing !== null) log.info("the data directory can be written again: state saved", { data_dir: this.loaded.dataDir });
      this.storageFailing = null;
      return undefined;
    } catch (err) {
      this.unsaved = toStore;
      const why = storageFailure(err, this.loaded.dataDir);
      if (why !== this.storageFailing) {
        log.error(`could not save this check in the data directory: ${why}`, {
          meanwhile: "alerts are still sent and printed, from memory; a restart now would forget what changed since",
        });
      }
      this.storageFailing = why;
      return why;
    }
  }

  /**
   * One pass. `only` runs just those collectors (an early cycle after a Docker
   * event) and reuses the others' last results, so reacting to an event does
   * not wait for a CPU window.
   */
  async cycle(now = Date.now(), opts: { reason?: "interval" | "event"; only?: ReadonlySet<string> } = {}): Promise<CycleResult> {
    const { config, hostname } = this.loaded;
    const reason = opts.reason ?? "interval";
    const errors: string[] = [];
    await Promise.all(
      this.collectors.map(async (c) => {
        if (opts.only && !opts.only.has(c.name) && this.lastResults.has(c.name)) return;
        try {
          const out = await c.collect({ config, now, reason });
          this.lastResults.set(c.name, Array.isArray(out) ? { samples: out } : out);
          if (c.snapshot) this.state.collectors[c.name] = { savedAt: now, data: c.snapshot() };
        } catch (err) {
          this.lastResults.delete(c.name);
          errors.push(`${c.name}: ${describeError(err)}`);
          log.error("collector failed", { collector: c.name, error: describeError(err) });
        }
      }),
    );
    const samples: Sample[] = [];
    const covers = new Set<string>();
    for (const c of this.collectors) {
      const r = this.lastResults.get(c.name);
      if (!r) continue;
      samples.push(...r.samples);
      for (const m of r.covers ?? []) covers.add(m);
    }
    const evaluation = evaluate(samples, ruleRegistry, config, hostname, covers);
    const result = step(this.state.alerts, evaluation.observations, now, {
      repeatIntervalMs: reminderStepMs(this.routes, config.notify.repeat_interval),
      sendResolved: config.notify.send_resolved,
      evaluated: evaluation.evaluated,
    });
    // A cause that stopped this cycle still explains what was found in it (containers found dead when Docker is back).
    this.state.inhibitors = updateInhibitors(result.alerts, this.state.inhibitors, now, Date.now(), this.inhibitHoldMs());
    const silenced = this.applySilences(result, this.state.inhibitors, now);
    const alerts = silenced.alerts;
    const flapped = applyFlapping(this.state.flap, silenced.events, now, { max: config.flap.max, withinMs: config.flap.within });
    this.state.flap = flapped.memory;
    const events = flapped.events;
    const notifications: Notification[] = [];
    const processCache = new Map<"cpu" | "memory", Promise<NotificationDetails["topProcesses"]>>();
    for (const event of events) {
      const details = await this.detailsOf(event, evaluation, samples, silenced.held, processCache);
      notifications.push({ id: randomUUID(), kind: event.kind, hostname, at: now, alert: event.alert, details });
    }
    this.state.summary = countEvents(this.state.summary ?? emptyCounts(now), result.events);
    const summary = this.dailySummary(now, alerts, samples);
    // Routes: which receivers get each one; a reminder no route is due for is dropped.
    const byFingerprint = new Map(alerts.map((a) => [a.fingerprint, a]));
    const receivers = new Map<string, readonly string[]>();
    const routed = notifications.filter((n) => {
      if (this.routes.length === 0) return true;
      const rec = byFingerprint.get(n.alert.fingerprint);
      const r = route(n, this.routes, rec?.toldAt, now);
      if (rec) rec.toldAt = r.toldAt;
      receivers.set(n.id, r.receivers);
      return n.kind !== "reminder" || r.receivers.length > 0;
    });
    if (summary) {
      routed.push(summary.notification);
      receivers.set(summary.notification.id, summary.receivers);
    }
    // The state change and the notifications it caused are stored in one transaction.
    this.state.alerts = alerts;
    this.state.lastCycleAt = now;
    const added = this.dispatcher.enqueue(routed, now, (n) => receivers.get(n.id) ?? this.notifiers.map((r) => r.name));
    rememberTold(byFingerprint, added);
    // Receivers added (or newly routed to an alert) since it fired hear of it once, as firing.
    const late = await this.lateNotifications(alerts, evaluation, samples, now);
    const lateAdded = this.dispatcher.enqueue(late.notifications, now, (n) => late.receivers.get(n.id) ?? []);
    rememberTold(byFingerprint, lateAdded);
    // A cycle that cannot be saved (a full disk) still sends, and prints, what it found.
    const storageError = this.save([...added, ...lateAdded]);
    for (const n of routed) this.opts.onNotification?.(n);
    if (storageError) errors.push(`data directory: ${storageError}`);

    const firing = alerts.filter((a) => a.state === "firing");
    let status: CheckStatus = "ok";
    if (firing.some((a) => a.severity === "critical")) status = "critical";
    else if (firing.length > 0) status = "warning";
    else if (samples.length === 0) status = "unknown";
    return { checkedAt: now, samples, evaluation, active: alerts, resolved: result.resolved, notifications: routed, errors, status, ...(storageError ? { storageError } : {}) };
  }

  /** Facts, sections, top processes and likely cause for a message about this event. */
  private async detailsOf(
    event: AlertEvent,
    evaluation: Evaluation,
    samples: readonly Sample[],
    held: SilencingResult["held"],
    processCache: Map<"cpu" | "memory", Promise<NotificationDetails["topProcesses"]>>,
  ): Promise<NotificationDetails> {
    const details: NotificationDetails = detailsFor(evaluation, event.alert.fingerprint);
    if (event.alert.alertname === "host_rebooted" && event.kind === "firing") details.facts.push(...diedWithReboot(held));
    if (CONTAINER_DEATHS.has(event.alert.alertname) && event.kind !== "resolved") {
      const writesTo = String(evaluation.sources.get(event.alert.fingerprint)?.sample.info?.writes_to ?? "")
        .split("\n")
        .filter(Boolean);
      const cause = diskFullCause(writesTo, samples);
      if (cause) details.facts.unshift(cause);
    }
    const by = evaluation.sources.get(event.alert.fingerprint)?.rule.topProcesses;
    if (by && event.kind !== "resolved") {
      if (!processCache.has(by)) {
        processCache.set(
          by,
          topProcesses({ hostRoot: this.loaded.hostRoot, by, limit: 5 })
            .then((processes) => ({ by, processes }))
            .catch(() => undefined),
        );
      }
      const top = await processCache.get(by);
      if (top) details.topProcesses = top;
    }
    return details;
  }

  /**
   * Firing alerts that a receiver should know of and was never told: it was
   * added to the config after the alert fired (a `check` without a webhook,
   * then `run` with one), or a route or min_severity changed so that it now
   * takes the alert. Each such receiver gets one firing message. Silenced,
   * inhibited and flapping alerts wait for their own announcement.
   */
  private async lateNotifications(
    alerts: readonly AlertRecord[],
    evaluation: Evaluation,
    samples: readonly Sample[],
    now: number,
  ): Promise<{ notifications: Notification[]; receivers: Map<string, string[]> }> {
    const notifications: Notification[] = [];
    const receivers = new Map<string, string[]>();
    const processCache = new Map<"cpu" | "memory", Promise<NotificationDetails["topProcesses"]>>();
    for (const rec of alerts) {
      if (rec.state !== "firing" || rec.suppressed || this.state.flap[rec.fingerprint]?.flappingSince) continue;
      const event: AlertEvent = { kind: "firing", alert: snapshot(rec) };
      const probe: Notification = { id: "", kind: "firing", hostname: this.loaded.hostname, at: now, alert: event.alert, details: { facts: [] } };
      const eligible = receiversFor(probe, this.routes, this.notifiers);
      if (rec.told === undefined) {
        rec.told = eligible; // a record from before Lookout kept this: take it that they were told
        continue;
      }
      const missing = eligible.filter((r) => !rec.told!.includes(r));
      if (missing.length === 0) continue;
      const details = await this.detailsOf(event, evaluation, samples, [], processCache);
      details.facts.push({ label: "Sent late", value: "it was already firing when this receiver was added or routed to it" });
      const n: Notification = { ...probe, id: randomUUID(), details };
      notifications.push(n);
      receivers.set(n.id, missing);
      if (this.routes.length > 0)
        rec.toldAt = {
          ...rec.toldAt,
          ...Object.fromEntries(
            matchingRoutes(n, this.routes)
              .filter((r) => missing.includes(r.receiver))
              .map((r) => [r.key, now]),
          ),
        };
      log.info("telling a receiver of an alert that fired before it was there", { alert: rec.fingerprint, receivers: missing.join(",") });
    }
    return { notifications, receivers };
  }

  /** The daily summary, when one is due (notify.daily_summary), and who gets it: its receiver, else every Slack receiver. */
  private dailySummary(now: number, alerts: readonly AlertRecord[], samples: readonly Sample[]): { notification: Notification; receivers: string[] } | undefined {
    const cfg = this.loaded.config.notify.daily_summary;
    const counts = this.state.summary;
    if (!cfg || !counts || !summaryDue(cfg.at, counts, now)) return undefined;
    const failed = this.state.failed.filter((f) => f.at >= counts.since).length;
    const notification = buildSummary({ id: randomUUID(), hostname: this.loaded.hostname, now, counts, alerts, failed, samples });
    this.state.summary = { ...emptyCounts(now), lastSentAt: now };
    const slack = this.notifiers.filter((n) => n.kind === "slack").map((n) => n.name);
    return { notification, receivers: cfg.receiver !== undefined ? [cfg.receiver] : slack.length > 0 ? slack : this.notifiers.map((n) => n.name) };
  }

  /**
   * How long a cause keeps holding its symptoms back after it ended: long
   * enough for a container that came back to be over its crash
   * (containers.crashed.resolve_after), plus a few cycles (at least 10 s) for
   * Docker to restart it.
   */
  private inhibitHoldMs(): number {
    const c = this.loaded.config;
    return Math.max(c.containers.crashed.resolve_after, c.containers.oom_killed.resolve_after) + Math.max(3 * c.interval, 10_000);
  }

  /** Holds back what silences and maintenance windows cover, and what a firing cause explains (alert/silencing.ts, alert/inhibition.ts). */
  private applySilences(result: StepResult, inhibitors: InhibitorMemory, now: number): SilencingResult {
    let silences: Silence[];
    try {
      silences = [...this.silences.active(now), ...activeMaintenance(this.loaded.config.maintenance, now)];
    } catch (err) {
      // Silences that cannot be read must not stop alerts: say so and send as if there were none.
      log.error("silences ignored", { error: describeError(err) });
      silences = [];
    }
    const out = applySilences(result.alerts, result.events, result.resolved, (alert) => silencing(alert.labels, silences, now)?.id ?? inhibitedBy(alert, inhibitors), now);
    for (const h of out.held) log.info("notification held back", { alert: h.event.alert.fingerprint, kind: h.event.kind, by: h.by });
    return out;
  }
}

/** One line of the reboot message: the containers whose deaths it explains (each reported on its own only if it stays down). */
function diedWithReboot(held: SilencingResult["held"]): Fact[] {
  const names = [...new Set(held.filter((h) => h.by === "inhibited by host_rebooted" && h.event.kind === "firing").map((h) => h.event.alert.labels.container ?? "?"))].sort();
  if (names.length === 0) return [];
  return [{ label: "Containers that died with it", value: `${names.join(", ")} (each is reported on its own only if it does not come back)` }];
}

/** Notifications that tell of a firing alert (not its resolution or a summary). */
const TELLS_FIRING = new Set(["firing", "escalated", "reminder", "flapping"]);

/** Each alert remembers the receivers its firing was queued for (AlertRecord.told). */
function rememberTold(alerts: ReadonlyMap<string, AlertRecord>, added: readonly OutboxEntry[]): void {
  for (const entry of added) {
    const rec = alerts.get(entry.notification.alert.fingerprint);
    if (!rec || !TELLS_FIRING.has(entry.notification.kind)) continue;
    const told = new Set(rec.told ?? []);
    for (const d of entry.pending) told.add(d.receiver);
    rec.told = [...told];
  }
}

/** Why the data directory cannot be written now, and what to do: the disk holding it named when it is full. */
function storageFailure(err: unknown, dataDir: string): string {
  const code = codeOf(err);
  if (DISK_FULL.has(code)) return `the disk holding ${dataDir} is full (${code}); free some space there (df -h ${dataDir})`;
  if (err instanceof LookoutError) return err.userMessage;
  return `${describeError(err)}; the disk holding ${dataDir} may be full, read-only or failing (df -h ${dataDir})`;
}

/** Config keys whose values the log does not show (receivers' URLs, headers, files): only that they changed. */
const SECRET_KEYS = /^notify\.(slack|webhooks|heartbeat)/;

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
