/**
 * `GET /api/v1/notifications`: what was said and how it went. Queued and
 * given-up deliveries come from the outbox in memory (with the receiver's last
 * answer, or why it was given up), delivered ones from the events journal
 * (`notification.sent`) (docs/api.md).
 */
import { notificationTitle } from "../alert/title.js";
import type { ApiAnswer, ApiRequest } from "./api.js";
import { intParam, rangeParams } from "./params.js";

const DAY_MS = 24 * 3600_000;

export function listNotifications(req: ApiRequest): ApiAnswer {
  const q = req.url.searchParams;
  const { from, to } = rangeParams(q, req.now, DAY_MS);
  const limit = intParam(q, "limit", 1, 1000, 200);
  const outbox = req.source.outbox();
  const queued = outbox.entries.flatMap((e) =>
    e.pending.map((d) => ({
      state: "queued",
      id: e.notification.id,
      title: notificationTitle(e.notification),
      kind: e.notification.kind,
      alert: e.notification.alert.fingerprint,
      labels: e.notification.alert.labels,
      receiver: d.receiver,
      attempts: d.attempts,
      at: e.notification.at,
      next_attempt_at: d.nextAttemptAt,
      answer: d.lastError,
    })),
  );
  const failed = outbox.failed
    .filter((f) => f.at >= from && f.at < to)
    .map((f) => ({ state: "failed", id: f.notificationId, title: f.title, receiver: f.receiver, at: f.at, answer: f.error, reported_at: f.reportedAt ?? null }))
    .reverse();
  const delivered = (req.source.history()?.events(from, to, { kinds: ["notification.sent"], limit }) ?? []).reverse().map((e) => ({
    state: "delivered",
    id: typeof e.data.notification === "string" ? e.data.notification : null,
    kind: typeof e.data.kind === "string" ? e.data.kind : null,
    alert: e.subject,
    labels: e.labels,
    receiver: typeof e.data.receiver === "string" ? e.data.receiver : null,
    attempts: typeof e.data.attempts === "number" ? e.data.attempts : null,
    at: e.at,
    // What the receiver answered (`200 ok`, `202 Accepted`); "accepted" for a sending recorded before Lookout kept it.
    answer: typeof e.data.answer === "string" ? e.data.answer : "accepted",
  }));
  // Failed and delivered together, most recent first.
  const done = [...failed, ...delivered].sort((a, b) => b.at - a.at);
  return { body: { notifications: [...queued, ...done] } };
}
