/**
 * Versioned schema migrations, applied in order at open. The database's
 * `PRAGMA user_version` is the number of the last one applied; each migration
 * runs in its own immediate transaction that also sets that number, so a crash
 * leaves the database at one version or the next, and two processes opening a
 * new database at once migrate it once. A database written by a newer Lookout
 * (a higher version than this one knows) is refused rather than guessed at.
 */
import type Database from "better-sqlite3";
import { StorageError, said } from "../errors.js";
import { importLegacyFiles, retireLegacyFiles } from "./legacy-files.js";

export interface MigrationContext {
  dataDir: string;
}

export interface Migration {
  version: number;
  /** What it does, for the log. */
  name: string;
  up(db: Database.Database, ctx: MigrationContext): void;
  /** Runs after the migration's transaction committed (renaming files it imported). */
  after?(ctx: MigrationContext): void;
}

const V1_SCHEMA = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

-- Active alerts (pending or firing), one JSON AlertRecord each.
CREATE TABLE alerts (
  fingerprint TEXT PRIMARY KEY,
  record      TEXT NOT NULL
) STRICT;

-- Collectors' last counters (CPU ticks, containers seen), to carry deltas across runs.
CREATE TABLE collector_state (
  collector TEXT PRIMARY KEY,
  saved_at  INTEGER NOT NULL,
  data      TEXT NOT NULL
) STRICT;

-- Recent firings per alert, for flap detection.
CREATE TABLE flap (
  fingerprint TEXT PRIMARY KEY,
  data        TEXT NOT NULL
) STRICT;

-- The outbox: a notification stays until every receiver it is for accepted it.
-- seq gives the order notifications were made in, which is the order they are sent in.
CREATE TABLE notifications (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  body       TEXT NOT NULL
) STRICT;

CREATE TABLE deliveries (
  notification_seq INTEGER NOT NULL REFERENCES notifications(seq) ON DELETE CASCADE,
  receiver         TEXT NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  first_attempt_at INTEGER,
  last_error       TEXT,
  PRIMARY KEY (notification_seq, receiver)
) STRICT;
CREATE INDEX deliveries_by_receiver ON deliveries (receiver, notification_seq);

-- Notifications given up on (a 4xx, or give_up_after passed), until reported and aged out.
CREATE TABLE failed_deliveries (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  notification_id TEXT NOT NULL,
  receiver        TEXT NOT NULL,
  title           TEXT NOT NULL,
  error           TEXT NOT NULL,
  at              INTEGER NOT NULL,
  reported_at     INTEGER
) STRICT;

CREATE TABLE silences (
  id         TEXT PRIMARY KEY,
  matchers   TEXT NOT NULL,
  starts_at  INTEGER NOT NULL,
  ends_at    INTEGER NOT NULL,
  comment    TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX silences_by_end ON silences (ends_at);
`;

/**
 * History (store/history.ts, packed as store/history-packing.ts says): series,
 * the head (the last hour or so of raw points: one row per cycle holding every
 * series' value), chunks (one row per series, tier and chunk span, its points
 * packed), the events journal and the roll-up's progress. Times in ms since
 * epoch; a chunk's start is a multiple of its tier's span.
 */
const V4_HISTORY = `
CREATE TABLE history_series (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  metric TEXT NOT NULL,
  labels TEXT NOT NULL,
  UNIQUE (metric, labels)
) STRICT;

-- One cycle: ids (uint32, ascending) and values (float64) of the series it recorded.
CREATE TABLE history_head (
  t      INTEGER PRIMARY KEY,
  ids    BLOB NOT NULL,
  vals   BLOB NOT NULL
) STRICT;

-- One series' points of one tier from start to start + the tier's chunk span.
CREATE TABLE history_chunks (
  tier   TEXT NOT NULL,
  series INTEGER NOT NULL,
  start  INTEGER NOT NULL,
  data   BLOB NOT NULL,
  PRIMARY KEY (tier, series, start)
) STRICT;
CREATE INDEX history_chunks_by_start ON history_chunks (tier, start);

CREATE TABLE history_events (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  subject TEXT NOT NULL,
  labels  TEXT NOT NULL,
  data    TEXT NOT NULL
) STRICT;
CREATE INDEX history_events_by_time ON history_events (at);

-- Each rolled-up tier: every chunk span before done_until is written; next_series is where the span at done_until goes on.
CREATE TABLE history_rollup (
  tier        TEXT PRIMARY KEY,
  done_until  INTEGER NOT NULL,
  next_series INTEGER NOT NULL
) STRICT;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "alert state, outbox, failed deliveries, silences", up: (db) => db.exec(V1_SCHEMA) },
  {
    version: 2,
    name: "import state.json and silences.json of Lookout 0.1",
    up: (db, ctx) => importLegacyFiles(db, ctx.dataDir),
    after: (ctx) => retireLegacyFiles(ctx.dataDir),
  },
  {
    version: 3,
    name: "failed deliveries: which receivers were told",
    // reported_to: {"receiver": ms} for each receiver that accepted a message saying it could not be delivered.
    up: (db) => db.exec("ALTER TABLE failed_deliveries ADD COLUMN reported_to TEXT NOT NULL DEFAULT '{}'"),
  },
  { version: 4, name: "history: series, points in tiers, events", up: (db) => db.exec(V4_HISTORY) },
];

export function schemaVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** Applies the migrations the database has not had yet. Returns the versions before and after. */
export function migrate(db: Database.Database, migrations: readonly Migration[], ctx: MigrationContext): { from: number; to: number } {
  const latest = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  const from = schemaVersion(db);
  if (from > latest) {
    throw new StorageError(said("storage.newerSchema", { path: db.name, schema: from, latest }));
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= from) continue;
    let applied = false;
    db.transaction(() => {
      // Checked again inside the lock: another process may have migrated meanwhile.
      if (schemaVersion(db) >= m.version) return;
      m.up(db, ctx);
      db.pragma(`user_version = ${m.version}`);
      applied = true;
    }).immediate();
    if (applied) m.after?.(ctx);
  }
  return { from, to: Math.max(from, latest) };
}
