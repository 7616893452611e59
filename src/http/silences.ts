/**
 * `/api/v1/silences`: the list, add and end; the same store as `lookout
 * silence` (store/silences.ts), so the CLI and the dashboard see each
 * other's silences. Every field of a new silence is checked here, so the
 * answer names the JSON field, not a command-line flag (docs/api.md).
 */
import { said, sayIn, UsageError } from "../errors.js";
import { isKnownLabel, matcherSaid } from "../label-matchers.js";
import { activeMaintenance } from "../silence/maintenance.js";
import type { Silence } from "../silence/silence.js";
import { isoTime } from "../units.js";
import type { ApiAnswer, ApiRequest } from "./api.js";
import { parseDurationParam, parseTime, quoted } from "./params.js";
import { badRequest, notFound } from "./respond.js";

const MAX_MATCHERS = 20;
const MAX_SILENCE_MS = 365 * 24 * 3600_000;
const SILENCE_ID = /^[0-9a-f]{8}$/;

function silenceJson(s: Silence) {
  return { id: s.id, matchers: s.matchers, starts_at: s.startsAt, ends_at: s.endsAt, comment: s.comment, created_by: s.createdBy, created_at: s.createdAt };
}

export function listSilences(req: ApiRequest): ApiAnswer {
  const silences = req.source.silences().list(req.now).map(silenceJson);
  const maintenance = activeMaintenance(req.source.loaded().config.maintenance, req.now).map((s) => ({
    id: s.id,
    matchers: s.matchers,
    starts_at: s.startsAt,
    ends_at: s.endsAt,
    comment: s.comment,
  }));
  return { body: { silences, maintenance } };
}

interface NewSilence {
  matchers: string[];
  durationMs: number;
  comment: string;
  createdBy: string;
}

/** The body of a POST, checked field by field. */
function newSilence(body: unknown, now: number): NewSilence {
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw badRequest(said("api.silenceBody"));
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b)) {
    if (!["matchers", "duration", "ends_at", "comment", "created_by"].includes(key)) throw badRequest(said("api.unknownField", { field: quoted(key) }));
  }
  const m = b.matchers;
  if (!Array.isArray(m) || m.length === 0 || m.length > MAX_MATCHERS || !m.every((x) => typeof x === "string")) {
    throw badRequest(said("api.matchersList", { max: MAX_MATCHERS }));
  }
  const matchers = (m as string[]).map((text, i) => {
    const problem = text.length > 500 ? said("api.matcherTooLong") : matcherSaid(text);
    if (problem !== undefined) throw badRequest((m) => m.t("api.matcherProblem", { index: i, problem: sayIn(problem, m), got: quoted(text) }));
    return text.trim();
  });
  if ((b.duration === undefined) === (b.ends_at === undefined)) throw badRequest(said("api.durationOrEnd"));
  let durationMs: number;
  if (b.duration !== undefined) {
    const ms = typeof b.duration === "string" || typeof b.duration === "number" ? parseDurationParam(b.duration) : undefined;
    if (ms === undefined || ms <= 0) throw badRequest(said("api.duration", { got: quoted(String(JSON.stringify(b.duration))) }));
    durationMs = ms;
  } else {
    const end = typeof b.ends_at === "number" ? (Number.isInteger(b.ends_at) ? b.ends_at : undefined) : typeof b.ends_at === "string" ? parseTime(b.ends_at, now) : undefined;
    if (end === undefined) throw badRequest(said("api.endsAt", { got: quoted(String(JSON.stringify(b.ends_at))) }));
    if (end <= now) throw badRequest(said("api.endsAtPast", { at: isoTime(end) }));
    durationMs = end - now;
  }
  if (durationMs > MAX_SILENCE_MS) throw badRequest(said("api.silenceMax"));
  const text = (key: string, max: number, fallback: string): string => {
    const v = b[key];
    if (v === undefined) return fallback;
    if (typeof v !== "string" || v.length > max) throw badRequest(said("api.textMax", { key, max }));
    return v;
  };
  return { matchers, durationMs, comment: text("comment", 500, ""), createdBy: text("created_by", 100, "api") || "api" };
}

export function addSilence(req: ApiRequest): ApiAnswer {
  const s = newSilence(req.body, req.now);
  let silence: Silence;
  try {
    silence = req.source.silences().add({ matchers: s.matchers, durationMs: s.durationMs, comment: s.comment, createdBy: s.createdBy, now: req.now });
  } catch (err) {
    // Checked above already; the store's own check speaks of --match, so its words are not passed on.
    if (err instanceof UsageError) throw badRequest(said("api.matchersTexts"));
    throw err;
  }
  const warnings = silence.matchers
    .map((m) => m.slice(0, m.indexOf("=")))
    .filter((name) => !isKnownLabel(name))
    .map((name) => `no alert has a label "${name}": this matcher compares the empty value; end the silence if that is not what you meant`);
  return { status: 201, body: { silence: silenceJson(silence), warnings } };
}

export function endSilence(req: ApiRequest): ApiAnswer {
  const id = req.params[0]!;
  if (!SILENCE_ID.test(id)) throw badRequest(said("api.silenceId", { got: quoted(id) }));
  const ended = req.source.silences().remove(id, req.now);
  if (!ended || ended.id !== id) throw notFound(said("api.noSilence", { id }));
  return { body: { silence: silenceJson({ ...ended, endsAt: req.now }) } };
}
