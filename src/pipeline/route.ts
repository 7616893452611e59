/**
 * Stage 5, route: which receivers get each notification (notify/routing.ts:
 * routes, then each receiver's min_severity), and each alert's memory of who
 * was told: `toldAt` per route (for reminders) and `told` (for receivers
 * added later, pipeline/late.ts). A reminder no route is due for is dropped.
 * Pure: alerts come back as new records.
 */
import type { AlertRecord } from "../alert/state.js";
import type { Notification, NotificationKind } from "../model/notification.js";
import { meetsSeverity, type Route, route } from "../notify/routing.js";
import type { Addressed, ReceiverInfo } from "./cycle-data.js";

/** Notifications that tell of a firing alert (not its resolution or a summary). */
const TELLS_FIRING: ReadonlySet<NotificationKind> = new Set(["firing", "escalated", "reminder", "flapping"]);

export function routeNotifications(
  notifications: readonly Notification[],
  alerts: readonly AlertRecord[],
  routes: readonly Route[],
  receivers: readonly ReceiverInfo[],
  now: number,
): { addressed: Addressed[]; alerts: AlertRecord[] } {
  const byFingerprint = new Map(alerts.map((a) => [a.fingerprint, a]));
  const addressed: Addressed[] = [];
  for (const n of notifications) {
    const rec = byFingerprint.get(n.alert.fingerprint);
    let routed = receivers.map((r) => r.name);
    if (routes.length > 0) {
      const r = route(n, routes, rec?.toldAt, now);
      if (rec) byFingerprint.set(rec.fingerprint, { ...rec, toldAt: r.toldAt });
      routed = r.receivers;
      if (n.kind === "reminder" && routed.length === 0) continue;
    }
    addressed.push({ notification: n, receivers: takers(n, routed, receivers) });
  }
  return {
    addressed,
    alerts: told(
      alerts.map((a) => byFingerprint.get(a.fingerprint)!),
      addressed,
    ),
  };
}

/** Of `routed`, the receivers whose min_severity `n` meets. */
export function takers(n: Notification, routed: readonly string[], receivers: readonly ReceiverInfo[]): string[] {
  return receivers.filter((r) => routed.includes(r.name) && meetsSeverity(n, r.minSeverity)).map((r) => r.name);
}

/** Each alert remembers the receivers its firing was queued for (AlertRecord.told). */
export function told(alerts: readonly AlertRecord[], addressed: readonly Addressed[]): AlertRecord[] {
  const add = new Map<string, Set<string>>();
  for (const { notification: n, receivers } of addressed) {
    if (!TELLS_FIRING.has(n.kind) || receivers.length === 0) continue;
    const set = add.get(n.alert.fingerprint) ?? new Set();
    for (const r of receivers) set.add(r);
    add.set(n.alert.fingerprint, set);
  }
  return alerts.map((a) => {
    const more = add.get(a.fingerprint);
    return more ? { ...a, told: [...new Set([...(a.told ?? []), ...more])] } : a;
  });
}
