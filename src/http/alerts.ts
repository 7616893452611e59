/** `GET /api/v1/alerts`: the active alerts (memory) and their history in [from, to) (the events journal) (docs/api.md). */
import type { ApiAnswer, ApiRequest } from "./api.js";
import { eventJson } from "./events.js";
import { intParam, rangeParams } from "./params.js";

const DAY_MS = 24 * 3600_000;

export function listAlerts(req: ApiRequest): ApiAnswer {
  const q = req.url.searchParams;
  const { from, to } = rangeParams(q, req.now, DAY_MS);
  const limit = intParam(q, "limit", 1, 1000, 500);
  const active = req.source.alerts().map((a) => ({
    fingerprint: a.fingerprint,
    alertname: a.alertname,
    labels: a.labels,
    state: a.state,
    severity: a.severity,
    value: a.value,
    threshold: a.threshold,
    unit: a.unit,
    summary: a.summary ?? a.display,
    active_since: a.activeSince,
    firing_since: a.firingSince,
    silenced: a.suppressed === true,
  }));
  const history = req.source.history()?.events(from, to, { kinds: ["alert."], limit }) ?? [];
  return { body: { active, history: history.map(eventJson) } };
}
