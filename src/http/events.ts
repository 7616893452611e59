/** `GET /api/v1/events`: the events journal in [from, to), filtered by container and kind (docs/api.md). */
import { said } from "../errors.js";
import type { HistoryEvent } from "../model/history.js";
import type { ApiAnswer, ApiRequest } from "./api.js";
import { intParam, quoted, rangeParams, single } from "./params.js";
import { badRequest, HttpError } from "./respond.js";

const DAY_MS = 24 * 3600_000;
const KIND = /^(alert|notification|container)(\.[a-z_]+)?\.?$/;

export const HISTORY_OFF = (): HttpError => new HttpError(409, said("api.historyOff"));

export function eventJson(e: HistoryEvent) {
  return { at: e.at, kind: e.kind, subject: e.subject, labels: e.labels, data: e.data };
}

export function listEvents(req: ApiRequest): ApiAnswer {
  const q = req.url.searchParams;
  const { from, to } = rangeParams(q, req.now, DAY_MS);
  const limit = intParam(q, "limit", 1, 1000, 200);
  const container = single(q, "container");
  if (container !== undefined && (container === "" || container.length > 255)) throw badRequest(said("api.containerNameShort", { got: quoted(container) }));
  const kinds = q.getAll("kind");
  for (const k of kinds) if (!KIND.test(k)) throw badRequest(said("api.kind", { got: quoted(k) }));
  if (kinds.length > 20) throw badRequest(said("api.kindMax"));
  const history = req.source.history();
  if (!history) throw HISTORY_OFF();
  const events = history.events(from, to, { kinds, limit, ...(container !== undefined ? { labels: { container } } : {}) });
  return { body: { events: events.map(eventJson) } };
}
