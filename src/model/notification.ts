import type { Severity } from "../config/schema.js";
import type { Locale } from "../i18n/messages.js";

/** The alert name of the daily summary (`notify.daily_summary`): not a metric, one message a day. */
export const DAILY_SUMMARY_ALERTNAME = "lookout_daily_summary";

/** What changed about an alert, and so what a receiver is told. Nothing else is ever sent. */
export type NotificationKind = "firing" | "escalated" | "reminder" | "resolved" | "flapping" | "summary";

/** An alert as it stands when a notification is made. */
export interface AlertSnapshot {
  /** Identity: `alertname{label="…",…}` without severity. Stable across restarts. */
  fingerprint: string;
  alertname: string;
  /** Alertmanager-style labels: alertname, severity, hostname, plus mount/container… */
  labels: Record<string, string>;
  severity: Exclude<Severity, "info">;
  /** Human name of what is measured: "CPU", "Memory", "Disk /var". */
  display: string;
  value: number;
  /** Threshold of the current severity. */
  threshold: number;
  unit: string;
  /** When the condition first held (start of pending), ms since epoch. */
  activeSince: number;
  /** When it started firing, ms since epoch. */
  firingSince: number;
  /** Highest value seen while active. */
  peak: number;
  /** Highest severity reached while firing (resolved messages go where the firing went). */
  maxSeverity: Exclude<Severity, "info">;
  /** For alerts that are events (a crash): what happened, shown instead of "value (threshold …)". */
  summary?: string;
  /** When what it reports happened (a crash's exit time), else when it became active. */
  causedAt?: number;
  /** Resolved because what it measured disappeared: why ("container removed", "no longer mounted"). */
  gone?: string;
  /** For a flapping notification: how often it fired within `flapWithinMs` (flap.within). */
  flapCount?: number;
  flapWithinMs?: number;
}

/** A fact line for a message, e.g. { label: "Free", value: "9.8 GiB of 100 GiB" }. */
export interface Fact {
  label: string;
  value: string;
}

export interface ProcessUsage {
  pid: number;
  name: string;
  /** CPU over the sampling window, % of one core (as top and ps show it: 100 = one core busy). */
  cpuPercent: number;
  memoryPercent: number;
  rssBytes: number;
}

/** Context gathered for a message. All text in here is raw: the message builder escapes it. */
export interface NotificationDetails {
  facts: Fact[];
  topProcesses?: { by: "cpu" | "memory"; processes: ProcessUsage[] };
  /** Extra titled blocks of text (later: container log lines). `code` renders preformatted. */
  sections?: Array<{ title: string; text: string; code?: boolean }>;
}

export interface Notification {
  /** Stable id (receivers can dedupe on it). */
  id: string;
  kind: NotificationKind;
  hostname: string;
  /** When the notification was made, ms since epoch. */
  at: number;
  alert: AlertSnapshot;
  details: NotificationDetails;
  /**
   * A firing alert's state sent again to a receiver that keeps alert state
   * (Alertmanager: `Notifier.resendEveryMs`), so that it does not expire
   * there: not news. Only such receivers get one; it is not printed, counted
   * or recorded in the history, and a newer state of the alert replaces it
   * while it waits.
   */
  resend?: true;
  /**
   * The language its fixed words are written in (the config's `locale`), for
   * the receivers that build its title and labels; absent: English. Its
   * display, summary and facts are already in that language.
   */
  locale?: Locale;
}

/** A notification's language: English when it names none. */
export function localeOf(n: Pick<Notification, "locale">): Locale {
  return n.locale ?? "en";
}
