/**
 * Re-sends (after the late receivers): a receiver that keeps the state of each alert
 * (Alertmanager: `ReceiverInfo.resendEveryMs`) gets every firing alert it was
 * told of again every `resendEveryMs`, as Prometheus re-sends its firing
 * alerts every `resend_delay`, so that the receiver does not expire it (its
 * `endsAt`) and has it again after a restart. A re-send is the alert's
 * current state (`Notification.resend`): it goes to that receiver only, is
 * neither printed nor counted nor recorded in the history, and in the outbox
 * it replaces the alert's older state still waiting (commit: `keepsState`),
 * so an unreachable receiver never has more than one waiting per alert.
 *
 * Each alert remembers when its state was last queued for each such receiver
 * (`AlertRecord.sentAt`): a notification of this cycle that tells of the
 * firing (fired, escalated, reminder, flapping, late) counts as one. The
 * cadence is that of the cycles: at most once per `interval` (the receiver
 * then makes each post hold 4 × max(resend_every, interval)).
 */
import type { AlertEvent, AlertRecord } from "../alert/state.js";
import { snapshot } from "../alert/state.js";
import type { NotificationKind } from "../model/notification.js";
import { type Route, receiversFor } from "../notify/routing.js";
import type { Addressed, ReceiverInfo } from "./cycle-data.js";
import type { Enricher } from "./enrich.js";

/** Notifications that hand a receiver the firing state of an alert. */
const STATES_FIRING: ReadonlySet<NotificationKind> = new Set(["firing", "escalated", "reminder", "flapping"]);

/** The receivers that keep alert state, by name. */
export function stateKeepers(receivers: readonly ReceiverInfo[]): ReadonlySet<string> {
  return new Set(receivers.filter((r) => r.resendEveryMs !== undefined).map((r) => r.name));
}

export async function resendFiring(
  alerts: readonly AlertRecord[],
  queued: readonly Addressed[],
  routes: readonly Route[],
  receivers: readonly ReceiverInfo[],
  enricher: Enricher,
  now: number,
): Promise<{ addressed: Addressed[]; alerts: AlertRecord[] }> {
  const keepers = receivers.filter((r) => r.resendEveryMs !== undefined);
  if (keepers.length === 0) return { addressed: [], alerts: [...alerts] };
  // What this cycle already queued of each alert's firing state, by receiver.
  const queuedNow = new Map<string, Set<string>>();
  for (const { notification: n, receivers: to } of queued) {
    if (!STATES_FIRING.has(n.kind)) continue;
    const set = queuedNow.get(n.alert.fingerprint) ?? new Set<string>();
    for (const r of to) set.add(r);
    queuedNow.set(n.alert.fingerprint, set);
  }
  const addressed: Addressed[] = [];
  const next: AlertRecord[] = [];
  for (const rec of alerts) {
    if (rec.state !== "firing") {
      next.push(rec.sentAt ? dropSentAt(rec) : rec);
      continue;
    }
    const event: AlertEvent = { kind: "firing", alert: snapshot(rec) };
    const eligible = new Set(receiversFor(event, routes, receivers));
    const sentAt: Record<string, number> = {};
    const due: string[] = [];
    for (const r of keepers) {
      if (queuedNow.get(rec.fingerprint)?.has(r.name)) {
        sentAt[r.name] = now;
        continue;
      }
      // Only what it was told of, and still takes: an alert it never had, or no longer takes, expires there by itself.
      if (!rec.told?.includes(r.name) || !eligible.has(r.name)) continue;
      const last = rec.sentAt?.[r.name];
      if (last !== undefined && now - last < r.resendEveryMs! && last <= now) {
        sentAt[r.name] = last;
        continue;
      }
      sentAt[r.name] = now;
      due.push(r.name);
    }
    if (due.length > 0) {
      const details = await enricher.details(event, []);
      addressed.push({ notification: { ...enricher.notification(event, details, now), resend: true }, receivers: due });
    }
    next.push(Object.keys(sentAt).length > 0 ? { ...rec, sentAt } : rec.sentAt ? dropSentAt(rec) : rec);
  }
  return { addressed, alerts: next };
}

function dropSentAt(rec: AlertRecord): AlertRecord {
  const { sentAt: _sentAt, ...rest } = rec;
  return rest;
}
