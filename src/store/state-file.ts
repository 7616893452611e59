/**
 * The agent's memory in the data directory: active alerts, collectors' last
 * counters, and the outbox of notifications not yet accepted by a receiver.
 * One JSON file, replaced atomically (write to a temporary file, fsync, rename),
 * so a crash leaves the old or the new state, never half of one.
 */
import { mkdirSync, openSync, writeSync, fsyncSync, closeSync, renameSync, readFileSync, accessSync, constants } from "node:fs";
import { join } from "node:path";
import type { AlertRecord } from "../alert/state.js";
import type { Notification } from "../alert/notification.js";
import type { FlapMemory } from "../alert/flapping.js";
import { StorageError } from "../errors.js";

export interface Delivery {
  /** Receiver name. */
  receiver: string;
  attempts: number;
  /** Not before this time (backoff or Retry-After), ms since epoch. */
  nextAttemptAt: number;
  firstAttemptAt: number | null;
  lastError: string | null;
}

export interface OutboxEntry {
  notification: Notification;
  /** Receivers that have not yet accepted it. The entry leaves the outbox when this is empty. */
  pending: Delivery[];
}

export interface FailedDelivery {
  notificationId: string;
  title: string;
  receiver: string;
  error: string;
  at: number;
}

export interface AgentState {
  version: 1;
  alerts: AlertRecord[];
  collectors: Record<string, { savedAt: number; data: unknown }>;
  outbox: OutboxEntry[];
  failed: FailedDelivery[];
  lastCycleAt: number | null;
  /** Alerts' recent firings, for flap detection (alert/flapping.ts). */
  flap: FlapMemory;
}

export const STATE_FILE = "state.json";

export function emptyState(): AgentState {
  return { version: 1, alerts: [], collectors: {}, outbox: [], failed: [], lastCycleAt: null, flap: {} };
}

export class StateFile {
  readonly path: string;
  constructor(readonly dataDir: string) {
    this.path = join(dataDir, STATE_FILE);
  }

  /** Creates the data directory if missing and checks it is writable. */
  ensureDir(): void {
    try {
      mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
      accessSync(this.dataDir, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      throw new StorageError(
        `cannot use data directory ${this.dataDir} (${code}): create it and make it writable by this user, or pass --data-dir DIR`,
        { cause: err },
      );
    }
  }

  load(): AgentState {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
      throw new StorageError(`cannot read ${this.path} (${(err as NodeJS.ErrnoException).code}): check its permissions`, { cause: err });
    }
    try {
      const parsed = JSON.parse(text) as Partial<AgentState>;
      if (parsed.version !== 1) throw new Error(`version ${String(parsed.version)}`);
      return { ...emptyState(), ...parsed, version: 1 };
    } catch (err) {
      // Only a person editing the file by hand can get here (writes are atomic).
      throw new StorageError(
        `${this.path} is not a state file this version understands (${(err as Error).message}); move it aside to start with no remembered alerts`,
        { cause: err },
      );
    }
  }

  save(state: AgentState): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, JSON.stringify(state));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      throw new StorageError(`cannot write ${this.path} (${(err as NodeJS.ErrnoException).code ?? "error"}): is the disk full or read-only?`, { cause: err });
    }
  }
}
