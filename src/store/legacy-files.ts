/**
 * Lookout 0.1 kept its state in two JSON files in the data directory:
 * `state.json` (alerts, collectors' counters, outbox, failed deliveries, flap
 * memory) and `silences.json`. Migration 2 imports them into the database, so
 * an upgrade neither resends firing alerts nor loses queued notifications or
 * silences; once the import committed, the files are renamed `*.imported`.
 */

import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { StorageError, said } from "../errors.js";
import { matcherProblem } from "../label-matchers.js";
import type { Silence } from "../silence/silence.js";
import { emptyState, insertFailed, insertOutbox, type StoredState, writeAlerts, writeCollectors, writeFlap, writeMeta } from "./agent-store.js";
import { insertSilence } from "./silences.js";

export const LEGACY_STATE_FILE = "state.json";
export const LEGACY_SILENCES_FILE = "silences.json";
const IMPORTED_SUFFIX = ".imported";

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StorageError(said("legacy.cannotRead", { path, code: String((err as NodeJS.ErrnoException).code) }), { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new StorageError(said("legacy.notJson", { path }), { cause: err });
  }
}

function legacyState(path: string): StoredState | undefined {
  const raw = readJson(path) as (Partial<StoredState> & { version?: unknown }) | undefined;
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== "object" || raw.version !== 1) {
    throw new StorageError(said("legacy.notState", { path, version: String(raw?.version) }));
  }
  const state = emptyState();
  return {
    alerts: Array.isArray(raw.alerts) ? raw.alerts : state.alerts,
    collectors: raw.collectors && typeof raw.collectors === "object" ? raw.collectors : state.collectors,
    outbox: Array.isArray(raw.outbox) ? raw.outbox.filter((e) => e && Array.isArray(e.pending) && e.pending.length > 0) : state.outbox,
    failed: Array.isArray(raw.failed) ? raw.failed : state.failed,
    lastCycleAt: typeof raw.lastCycleAt === "number" ? raw.lastCycleAt : null,
    flap: raw.flap && typeof raw.flap === "object" ? raw.flap : state.flap,
    inhibitors: {},
    summary: null,
  };
}

function legacySilences(path: string): Silence[] {
  const raw = readJson(path) as { version?: unknown; silences?: unknown } | undefined;
  if (raw === undefined) return [];
  if (raw === null || typeof raw !== "object" || raw.version !== 1 || !Array.isArray(raw.silences)) {
    throw new StorageError(said("legacy.notSilences", { path }));
  }
  const out: Silence[] = [];
  for (const s of raw.silences as Array<Partial<Silence>>) {
    const ok =
      typeof s?.id === "string" &&
      Array.isArray(s.matchers) &&
      s.matchers.every((m) => typeof m === "string" && matcherProblem(m) === undefined) &&
      [s.startsAt, s.endsAt, s.createdAt].every((t) => typeof t === "number" && Number.isFinite(t));
    if (!ok) throw new StorageError(said("legacy.badSilence", { path, id: JSON.stringify(s?.id ?? null) }));
    out.push({ id: s.id!, matchers: s.matchers!, startsAt: s.startsAt!, endsAt: s.endsAt!, comment: s.comment ?? "", createdBy: s.createdBy ?? "", createdAt: s.createdAt! });
  }
  return out;
}

/** Imports the 0.1 files found in `dataDir` (inside the migration's transaction). */
export function importLegacyFiles(db: Database.Database, dataDir: string): void {
  const state = legacyState(join(dataDir, LEGACY_STATE_FILE));
  if (state) {
    writeAlerts(db, state.alerts);
    writeCollectors(db, state.collectors);
    writeFlap(db, state.flap);
    writeMeta(db, "last_cycle_at", state.lastCycleAt);
    insertOutbox(db, state.outbox);
    insertFailed(db, state.failed);
  }
  for (const s of legacySilences(join(dataDir, LEGACY_SILENCES_FILE))) insertSilence(db, s);
}

/** After the import committed: the files are renamed, so nothing reads them again. */
export function retireLegacyFiles(dataDir: string): void {
  for (const name of [LEGACY_STATE_FILE, LEGACY_SILENCES_FILE]) {
    try {
      renameSync(join(dataDir, name), join(dataDir, name + IMPORTED_SUFFIX));
    } catch {
      /* not there, or already renamed */
    }
  }
}
