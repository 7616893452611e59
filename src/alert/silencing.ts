/**
 * Silences applied to what the lifecycle wants to say. Pure. A silenced alert
 * is still tracked; what it would have said is held back:
 * - firing, escalated and reminders are not sent while a silence matches; a
 *   firing that was held back is sent once the silence is over, if the alert
 *   still fires;
 * - a resolved message is sent only for an alert whose firing was sent (it
 *   closes what was opened), never for one nobody heard of.
 */

import type { AlertSnapshot } from "../model/notification.js";
import type { AlertEvent, AlertRecord } from "./state.js";
import { snapshot } from "./state.js";

export interface SilencingResult {
  alerts: AlertRecord[];
  events: AlertEvent[];
  /** Events held back, with the silence that held them (for the log). */
  held: Array<{ event: AlertEvent; by: string }>;
}

/** `silencedBy(alert)` returns the id of the silence (or the cause, alert/inhibition.ts) that holds it back, if any. */
export function applySilences(
  alerts: readonly AlertRecord[],
  events: readonly AlertEvent[],
  resolved: readonly AlertRecord[],
  silencedBy: (alert: AlertSnapshot) => string | undefined,
  now: number,
): SilencingResult {
  const byFingerprint = new Map(alerts.map((a) => [a.fingerprint, { ...a }]));
  const unannounced = new Set(resolved.filter((r) => r.suppressed).map((r) => r.fingerprint));
  const out: AlertEvent[] = [];
  const held: SilencingResult["held"] = [];
  const eventFor = new Set<string>();

  for (const event of events) {
    const fp = event.alert.fingerprint;
    eventFor.add(fp);
    if (event.kind === "resolved") {
      if (unannounced.has(fp)) held.push({ event, by: "never announced" });
      else out.push(event);
      continue;
    }
    const by = silencedBy(event.alert);
    const rec = byFingerprint.get(fp);
    if (by === undefined) {
      if (rec) rec.suppressed = false;
      out.push(event);
      continue;
    }
    held.push({ event, by });
    if (rec && (event.kind === "firing" || event.kind === "escalated")) rec.suppressed = true;
  }

  // Held-back alerts whose silence is over and that still fire: announce them now.
  for (const rec of byFingerprint.values()) {
    if (!rec.suppressed || rec.state !== "firing" || eventFor.has(rec.fingerprint)) continue;
    const snap = snapshot(rec);
    if (silencedBy(snap) !== undefined) continue;
    rec.suppressed = false;
    rec.lastNotifiedAt = now;
    out.push({ kind: "firing", alert: snapshot(rec) });
  }
  return { alerts: alerts.map((a) => byFingerprint.get(a.fingerprint)!), events: out, held };
}
