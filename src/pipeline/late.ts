/**
 * Stage 6, late receivers: firing alerts that a receiver should know of and
 * was never told: it was added to the config after the alert fired (a `check`
 * without a webhook, then `run` with one), or a route or min_severity changed
 * so that it now takes the alert. Each such receiver gets one firing message,
 * marked "Sent late". Silenced, inhibited and flapping alerts wait for their
 * own announcement.
 */

import type { FlapMemory } from "../alert/flapping.js";
import { type AlertEvent, type AlertRecord, snapshot } from "../alert/state.js";
import { processMessages } from "../i18n/current.js";
import { log } from "../log.js";
import type { Notification } from "../model/notification.js";
import { matchingRoutes, type Route, receiversFor } from "../notify/routing.js";
import type { Addressed, ReceiverInfo } from "./cycle-data.js";
import type { Enricher } from "./enrich.js";

export async function lateNotifications(
  alerts: readonly AlertRecord[],
  flap: FlapMemory,
  routes: readonly Route[],
  receivers: readonly ReceiverInfo[],
  enricher: Enricher,
  now: number,
): Promise<{ addressed: Addressed[]; alerts: AlertRecord[] }> {
  const addressed: Addressed[] = [];
  const next: AlertRecord[] = [];
  for (const rec of alerts) {
    if (rec.state !== "firing" || rec.suppressed || flap[rec.fingerprint]?.flappingSince) {
      next.push(rec);
      continue;
    }
    const event: AlertEvent = { kind: "firing", alert: snapshot(rec) };
    const eligible = receiversFor(event, routes, receivers);
    if (rec.told === undefined) {
      next.push({ ...rec, told: eligible }); // a record from before Lookout kept this: take it that they were told
      continue;
    }
    const missing = eligible.filter((r) => !rec.told!.includes(r));
    if (missing.length === 0) {
      next.push(rec);
      continue;
    }
    const details = await enricher.details(event, []);
    details.facts.push({ label: enricher.messages.t("late.label"), value: enricher.messages.t("late.value") });
    const n: Notification = enricher.notification(event, details, now);
    addressed.push({ notification: n, receivers: missing });
    const toldAt =
      routes.length > 0
        ? {
            ...rec.toldAt,
            ...Object.fromEntries(
              matchingRoutes(n, routes)
                .filter((r) => missing.includes(r.receiver))
                .map((r) => [r.key, now]),
            ),
          }
        : rec.toldAt;
    next.push({ ...rec, told: [...rec.told, ...missing], ...(toldAt ? { toldAt } : {}) });
    log.info(processMessages().t("log.late"), { alert: rec.fingerprint, receivers: missing.join(",") });
  }
  return { addressed, alerts: next };
}
