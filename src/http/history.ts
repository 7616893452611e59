/**
 * `GET /api/v1/history`: a metric's series and their points for a chart, read
 * through HistoryStore's `series` and `points` (which pick the tier) (docs/api.md).
 */
import { said } from "../errors.js";
import { HISTORY_ONLY_SERIES, isMetricName, METRICS } from "../model/metrics.js";
import type { ApiAnswer, ApiRequest } from "./api.js";
import { HISTORY_OFF } from "./events.js";
import { labelsParam, parseDurationParam, quoted, rangeParams, single } from "./params.js";
import { badRequest } from "./respond.js";

const HOUR_MS = 3600_000;
/** Series in one answer at most (every container's memory of a big host is many). */
const MAX_SERIES = 50;
/** Points per series at most: more than any screen shows. */
const MAX_POINTS = 5000;
/** Points per series when no step is given. */
const DEFAULT_POINTS = 300;

function unitOf(metric: string): string | undefined {
  if (isMetricName(metric)) return METRICS[metric].unit;
  return Object.hasOwn(HISTORY_ONLY_SERIES, metric) ? HISTORY_ONLY_SERIES[metric as keyof typeof HISTORY_ONLY_SERIES].unit : undefined;
}

export function getHistory(req: ApiRequest): ApiAnswer {
  const q = req.url.searchParams;
  const metric = single(q, "metric");
  if (metric === undefined || metric === "") throw badRequest(said("api.metricRequired"));
  const unit = unitOf(metric);
  if (unit === undefined) throw badRequest(said("api.metricUnknown", { got: quoted(metric) }));
  const labels = labelsParam(q, "labels");
  const { from, to } = rangeParams(q, req.now, HOUR_MS);
  const stepText = single(q, "step");
  let step = Math.max(1000, Math.ceil((to - from) / DEFAULT_POINTS));
  if (stepText !== undefined && stepText !== "") {
    const ms = parseDurationParam(stepText);
    if (ms === undefined || ms < 1000) throw badRequest(said("api.step", { got: quoted(stepText) }));
    step = ms;
  }
  if ((to - from) / step > MAX_POINTS) throw badRequest(said("api.tooManyPoints", { step, max: MAX_POINTS, from, to }));
  const history = req.source.history();
  if (!history) throw HISTORY_OFF();
  const all = history.series(metric, labels);
  // The tier and width of the points, as `points` chose them; null and the step asked for when no series matched.
  let tier: string | null = null;
  let stepMs = step;
  const series = all.slice(0, MAX_SERIES).map((s) => {
    const answer = history.points(s.id, from, to, step, req.now);
    tier = answer.tier;
    stepMs = answer.stepMs;
    return { labels: s.labels, points: answer.points };
  });
  return { body: { metric, unit, from, to, step_ms: stepMs, tier, series, truncated: all.length > MAX_SERIES } };
}
