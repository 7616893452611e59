/**
 * The data a cycle's stages hand to each other (pipeline/cycle.ts), and what
 * a cycle returns to `run` and `check`.
 */
import type { FlapMemory } from "../alert/flapping.js";
import type { InhibitorMemory } from "../alert/inhibition.js";
import type { AlertEvent, AlertRecord } from "../alert/state.js";
import type { LoadedConfig } from "../config/loaded.js";
import type { Severity } from "../config/schema.js";
import type { Evaluation } from "../evaluate/evaluate.js";
import type { Notification } from "../model/notification.js";
import type { Sample } from "../model/sample.js";
import type { SummaryCounts } from "../notify/daily-summary.js";
import type { Route } from "../notify/routing.js";

/**
 * What the agent remembers between cycles, besides the outbox
 * (notify/outbox.ts owns that). Each cycle makes a new one from the last
 * (pipeline/cycle.ts); the store keeps it (store/agent-store.ts).
 */
export interface AgentState {
  alerts: AlertRecord[];
  collectors: Record<string, { savedAt: number; data: unknown }>;
  lastCycleAt: number | null;
  /** Alerts' recent firings, for flap detection (alert/flapping.ts). */
  flap: FlapMemory;
  /** Each inhibiting alert's active spell: since when, and when it was seen to be over (alert/inhibition.ts). */
  inhibitors: InhibitorMemory;
  /** What the next daily summary counts (notify/daily-summary.ts); null until the first cycle. */
  summary: SummaryCounts | null;
}

export type CheckStatus = "ok" | "warning" | "critical" | "unknown";

export interface CycleResult {
  checkedAt: number;
  samples: Sample[];
  evaluation: Evaluation;
  active: AlertRecord[];
  resolved: AlertRecord[];
  /** What this cycle made to be said (each queued for its receivers; printed by `run`). */
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

/** A receiver as the stages see it: who it is and what it takes. */
export interface ReceiverInfo {
  readonly name: string;
  readonly minSeverity: Severity;
  /** Gets the daily summary when notify.daily_summary.receiver is not set. */
  readonly summaryByDefault?: boolean;
  /** Keeps the state of each alert (Alertmanager): firing alerts are sent to it again this often, and only the newest state of an alert waits for it (`Notifier.resendEveryMs`). */
  readonly resendEveryMs?: number;
}

/** What a cycle works with: the configuration in force, its routes and receivers. */
export interface CycleSettings {
  readonly loaded: LoadedConfig;
  readonly routes: readonly Route[];
  readonly receivers: readonly ReceiverInfo[];
}

/** A notification and the receivers it is queued for (after routes and each receiver's min_severity). */
export interface Addressed {
  notification: Notification;
  receivers: string[];
}

/** What the lifecycle stage decided: the alerts as they now are and what is to be said. */
export interface Lifecycle {
  alerts: AlertRecord[];
  /** What is to be said, after silences, inhibition and flap detection. */
  events: AlertEvent[];
  /** What the state machine said, before anything was held back (the daily summary counts these). */
  stepEvents: AlertEvent[];
  resolved: AlertRecord[];
  /** Events held back, with what held them. */
  held: Array<{ event: AlertEvent; by: string }>;
}
