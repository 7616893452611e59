/**
 * What the charts mark: alert transitions and container events (crash, OOM,
 * restart, redeploy, unhealthy) from the events journal, each with what
 * became of its notification: delivered (to which receiver), failed (why),
 * queued (next attempt) or held back. A container event's notification is
 * that of the alert it set off (an alert with its container label firing
 * within a few minutes of it).
 */
import { ago, when } from "./format.js";
import { t } from "./i18n.js";

const CONTAINER_KINDS = new Set(["container.die", "container.oom", "container.restart", "container.redeploy", "container.health"]);
/** An alert that fires this soon after a container event is taken as its consequence. */
const CAUSED_WITHIN_MS = 5 * 60_000;

function describe(e) {
  const d = e.data ?? {};
  const l = e.labels ?? {};
  const name = d.summary ?? d.alertname ?? l.alertname ?? e.subject;
  switch (e.kind) {
    case "alert.firing":
      return t("marker.firing", { name });
    case "alert.escalated":
      return t("marker.escalated", { name });
    case "alert.resolved":
      return t("marker.resolved", { name });
    case "alert.flapping":
      return t("marker.flapping", { name });
    case "container.die":
      return t("marker.container.die", { container: e.subject, cause: d.cause ?? "?", code: d.exitCode ?? "?" });
    case "container.redeploy":
      return t("marker.container.redeploy", { container: e.subject, previous: d.previousImage ?? "?", image: l.image ?? "?" });
    case "container.health":
      return t("marker.container.health", { container: e.subject, health: d.health ?? "?" });
    default:
      return t(`marker.${e.kind}`, { container: e.subject });
  }
}

function cls(e) {
  const d = e.data ?? {};
  if (e.kind === "alert.resolved") return "m-resolved";
  if (e.kind.startsWith("alert.")) return `m-alert sev-${d.severity ?? "warning"}`;
  if (e.kind === "container.oom" || d.cause === "oom") return "m-container m-oom";
  if (e.kind === "container.die") return "m-container m-crash";
  return "m-container";
}

/** Whether an event is marked on the charts. */
function marked(e) {
  if (e.kind.startsWith("alert.")) return true;
  if (!CONTAINER_KINDS.has(e.kind)) return false;
  const d = e.data ?? {};
  if (e.kind === "container.die") return d.cause === "crash" || d.cause === "oom";
  if (e.kind === "container.health") return d.health === "unhealthy";
  return true;
}

/** What became of the notifications of an alert's transition. */
function deliveries(subject, kind, at, events, queued) {
  const out = [];
  const seen = new Set();
  for (const n of events) {
    if (n.subject !== subject || n.at < at - 1000) continue;
    const d = n.data ?? {};
    if (kind && d.kind && d.kind !== kind) continue;
    const key = `${d.receiver}|${d.notification ?? n.at}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (n.kind === "notification.sent") out.push({ state: "delivered", text: t("delivery.delivered", { receiver: d.receiver ?? "?" }) });
    else if (n.kind === "notification.given_up") out.push({ state: "failed", text: t("delivery.failed", { receiver: d.receiver ?? "?", why: d.error ?? "?" }) });
    else if (n.kind === "notification.held") out.push({ state: "held", text: t("delivery.held", { by: d.by ?? "?" }) });
  }
  for (const q of queued) {
    if (q.alert !== subject || (kind && q.kind && q.kind !== kind)) continue;
    out.push({ state: "queued", text: t("delivery.queued", { receiver: q.receiver ?? "?", when: ago(q.next_attempt_at) }) });
  }
  return out;
}

/**
 * Markers from `events` (the journal, oldest first) and `notifications`
 * (GET /api/v1/notifications: the queued ones are used).
 */
export function buildMarkers(events, notifications = []) {
  const sends = events.filter((e) => e.kind.startsWith("notification."));
  const queued = notifications.filter((n) => n.state === "queued");
  const alerts = events.filter((e) => e.kind === "alert.firing" || e.kind === "alert.escalated");
  return events.filter(marked).map((e, i) => {
    let sent;
    if (e.kind.startsWith("alert.")) sent = deliveries(e.subject, e.kind.slice("alert.".length), e.at, sends, queued);
    else {
      const caused = alerts.find((a) => a.labels?.container === e.subject && a.at >= e.at - 5000 && a.at <= e.at + CAUSED_WITHIN_MS);
      sent = caused ? deliveries(caused.subject, caused.kind.slice("alert.".length), caused.at, sends, queued) : [];
    }
    if (sent.length === 0) sent = [{ state: "none", text: t("delivery.none") }];
    return {
      id: `m${i}-${e.at}`,
      at: e.at,
      cls: cls(e),
      kind: e.kind,
      text: `${when(e.at)} · ${describe(e)} · ${sent.map((s) => s.text).join("; ")}`,
      title: describe(e),
      sent,
      event: e,
    };
  });
}
