/**
 * The alert lifecycle, pure: previous alerts + this cycle's observations + the
 * time → next alerts + what to tell people. inactive → pending → firing →
 * resolved. One event when an alert fires or escalates to critical, one when it
 * resolves, reminders every repeat interval, nothing else.
 */
import type { AlertSnapshot, NotificationKind } from "../model/notification.js";
import type { Observation } from "../model/observation.js";

export type Level = "none" | "warning" | "critical";
type Sev = "warning" | "critical";

/** What is remembered of an active alert between cycles (and across restarts). */
export interface AlertRecord {
  fingerprint: string;
  alertname: string;
  labels: Record<string, string>;
  display: string;
  unit: string;
  state: "pending" | "firing";
  severity: Sev;
  maxSeverity: Sev;
  activeSince: number;
  firingSince: number | null;
  /** Since when the value has been at the critical level (for escalation after `for`). */
  criticalSince: number | null;
  value: number;
  threshold: number;
  peak: number;
  lastNotifiedAt: number | null;
  updatedAt: number;
  summary?: string;
  goneText?: string;
  /** Ends without a resolved message. */
  quietResolve?: boolean;
  /** When what it reports happened: its first observation's causedAt, else when it became active. */
  causedAt?: number;
  /** Set on the last record of an alert whose series disappeared: why it is over. */
  gone?: string;
  /** Firing, but not announced yet: it was silenced when it fired (sent when the silence ends). */
  suppressed?: boolean;
  /** When each route was last told of it (notify/routing.ts), for per-route reminders. */
  toldAt?: Record<string, number>;
  /**
   * The receivers its firing was queued for. A receiver added later (or newly
   * routed to it) is told once, as firing. Undefined on records from before
   * Lookout kept it: taken as every receiver that takes it now.
   */
  told?: string[];
  /** When its firing state was last queued for each receiver that keeps alert state (Alertmanager), for re-sends (pipeline/resend.ts). */
  sentAt?: Record<string, number>;
}

export interface AlertEvent {
  kind: NotificationKind;
  alert: AlertSnapshot;
}

export interface StepOptions {
  repeatIntervalMs: number;
  sendResolved: boolean;
  /**
   * Alert names whose rules were evaluated this cycle. An active alert of one of
   * these names that got no observation (its disk was unmounted, its rule turned
   * off) resolves; alerts of other names are left alone (their collector failed).
   */
  evaluated: ReadonlySet<string>;
}

export interface StepResult {
  alerts: AlertRecord[];
  events: AlertEvent[];
  /** Alerts that resolved this cycle (shown by `check` even when not sent). */
  resolved: AlertRecord[];
}

/** The level of a value, with hysteresis: an active alert holds until the value falls below threshold − hysteresis. */
export function levelOf(obs: Observation, current: AlertRecord | undefined): Level {
  const firing = current?.state === "firing";
  if (obs.critical !== null) {
    if (obs.value >= obs.critical) return "critical";
    if (firing && current.severity === "critical" && obs.value >= obs.critical - obs.hysteresis) return "critical";
  }
  if (obs.value >= obs.warning) return "warning";
  if (firing && obs.value >= obs.warning - obs.hysteresis) return "warning";
  return "none";
}

function thresholdOf(obs: Observation, sev: Sev): number {
  return sev === "critical" && obs.critical !== null ? obs.critical : obs.warning;
}

export function snapshot(rec: AlertRecord): AlertSnapshot {
  return {
    fingerprint: rec.fingerprint,
    alertname: rec.alertname,
    labels: { ...rec.labels, severity: rec.severity },
    severity: rec.severity,
    display: rec.display,
    value: rec.value,
    threshold: rec.threshold,
    unit: rec.unit,
    activeSince: rec.activeSince,
    firingSince: rec.firingSince ?? rec.activeSince,
    peak: rec.peak,
    maxSeverity: rec.maxSeverity,
    ...(rec.summary !== undefined ? { summary: rec.summary } : {}),
    ...(rec.gone !== undefined ? { gone: rec.gone } : {}),
    causedAt: rec.causedAt ?? rec.activeSince,
  };
}

export function step(previous: readonly AlertRecord[], observations: readonly Observation[], now: number, opts: StepOptions): StepResult {
  const prev = new Map(previous.map((a) => [a.fingerprint, a]));
  const seen = new Set<string>();
  const alerts: AlertRecord[] = [];
  const events: AlertEvent[] = [];
  const resolved: AlertRecord[] = [];

  const resolve = (rec: AlertRecord) => {
    if (rec.state !== "firing") return; // a pending alert that clears was never news
    resolved.push(rec);
    if (opts.sendResolved && !rec.quietResolve) events.push({ kind: "resolved", alert: snapshot(rec) });
  };

  for (const obs of observations) {
    if (seen.has(obs.fingerprint)) continue; // first observation of an identity wins
    seen.add(obs.fingerprint);
    const cur = prev.get(obs.fingerprint);
    const level = levelOf(obs, cur);

    if (level === "none") {
      // The resolved message quotes the threshold of the highest severity it reached (the one that paged), not the one it left by.
      if (cur)
        resolve({
          ...cur,
          value: obs.value,
          threshold: thresholdOf(obs, cur.maxSeverity),
          display: obs.display,
          ...(obs.summary !== undefined ? { summary: obs.summary } : {}),
          updatedAt: now,
        });
      continue;
    }

    const criticalSince = level === "critical" ? (cur?.criticalSince ?? now) : null;
    const criticalHeld = criticalSince !== null && now - criticalSince >= obs.forMs;

    if (!cur || cur.state === "pending") {
      const activeSince = cur?.activeSince ?? now;
      const base: AlertRecord = {
        fingerprint: obs.fingerprint,
        alertname: obs.alertname,
        labels: obs.labels,
        display: obs.display,
        unit: obs.unit,
        state: "pending",
        severity: level,
        maxSeverity: level,
        activeSince,
        firingSince: null,
        criticalSince,
        value: obs.value,
        threshold: thresholdOf(obs, level),
        peak: Math.max(cur?.peak ?? obs.value, obs.value),
        causedAt: cur?.causedAt ?? obs.causedAt ?? now,
        lastNotifiedAt: null,
        updatedAt: now,
        ...(obs.summary !== undefined ? { summary: obs.summary } : {}),
        ...(obs.goneText !== undefined ? { goneText: obs.goneText } : {}),
        ...(obs.quietResolve ? { quietResolve: true } : {}),
      };
      if (now - activeSince >= obs.forMs) {
        const sev: Sev = criticalHeld ? "critical" : "warning";
        const rec: AlertRecord = { ...base, state: "firing", severity: sev, maxSeverity: sev, threshold: thresholdOf(obs, sev), firingSince: now, lastNotifiedAt: now, told: [] };
        alerts.push(rec);
        events.push({ kind: "firing", alert: snapshot(rec) });
      } else {
        alerts.push(base);
      }
      continue;
    }

    // Firing: escalate, de-escalate quietly, or remind.
    const rec: AlertRecord = {
      ...cur,
      labels: obs.labels,
      display: obs.display,
      value: obs.value,
      peak: Math.max(cur.peak, obs.value),
      criticalSince,
      updatedAt: now,
      ...(obs.summary !== undefined ? { summary: obs.summary } : {}),
    };
    if (cur.severity === "warning" && level === "critical" && criticalHeld) {
      rec.severity = "critical";
      rec.maxSeverity = "critical";
      rec.threshold = thresholdOf(obs, "critical");
      rec.lastNotifiedAt = now;
      events.push({ kind: "escalated", alert: snapshot(rec) });
    } else {
      if (cur.severity === "critical" && level === "warning") rec.severity = "warning";
      rec.threshold = thresholdOf(obs, rec.severity);
      if (opts.repeatIntervalMs > 0 && rec.lastNotifiedAt !== null && now - rec.lastNotifiedAt >= opts.repeatIntervalMs) {
        rec.lastNotifiedAt = now;
        events.push({ kind: "reminder", alert: snapshot(rec) });
      }
    }
    alerts.push(rec);
  }

  for (const cur of previous) {
    if (seen.has(cur.fingerprint)) continue;
    if (opts.evaluated.has(cur.alertname)) resolve({ ...cur, gone: cur.goneText ?? "no longer measured", updatedAt: now });
    else alerts.push(cur);
  }
  return { alerts, events, resolved };
}
