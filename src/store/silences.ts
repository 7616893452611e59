/**
 * Silences, in the `silences` table of the data directory's database, so the
 * CLI can add and remove them while `lookout run` holds `agent.lock` (the CLI
 * never takes that lock): SQLite's WAL lets them write while the agent reads
 * and writes, and a writer waits for another's short transaction. The agent
 * asks for the active silences every cycle: one indexed query.
 */

import { userInfo } from "node:os";
import type Database from "better-sqlite3";
import { said, UsageError } from "../errors.js";
import { randomHex } from "../hash.js";
import { MATCHER_EXAMPLES, parseMatcher } from "../label-matchers.js";
import type { Silence } from "../silence/silence.js";
import { statement } from "./statements.js";
import { inTransaction, reading } from "./transactions.js";

export interface AddSilenceOptions {
  matchers: string[];
  durationMs: number;
  comment?: string;
  createdBy?: string;
  now?: number;
}

/** Who is adding a silence: the user behind sudo, else this process's user. */
export function currentUser(): string {
  const sudo = process.env.SUDO_USER;
  if (sudo) return sudo;
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? `uid ${process.getuid?.() ?? "?"}`;
  }
}

function byEnd(a: Silence, b: Silence): number {
  return a.endsAt - b.endsAt || a.createdAt - b.createdAt || a.id.localeCompare(b.id);
}

interface SilenceRow {
  id: string;
  matchers: string;
  starts_at: number;
  ends_at: number;
  comment: string;
  created_by: string;
  created_at: number;
}

function fromRow(r: SilenceRow): Silence {
  return {
    id: r.id,
    matchers: JSON.parse(r.matchers) as string[],
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    comment: r.comment,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

/** Expired silences are kept this long (then pruned at the next add). */
const EXPIRED_KEPT_MS = 7 * 24 * 3600_000;

export function insertSilence(db: Database.Database, s: Silence): void {
  db.prepare("INSERT INTO silences (id, matchers, starts_at, ends_at, comment, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
    s.id,
    JSON.stringify(s.matchers),
    s.startsAt,
    s.endsAt,
    s.comment,
    s.createdBy,
    s.createdAt,
  );
}

export class SilenceStore {
  constructor(readonly db: Database.Database) {}

  /** Every silence not yet expired (including any that starts later), soonest-ending first. */
  list(now = Date.now()): Silence[] {
    return reading(this.db, () => (this.db.prepare("SELECT * FROM silences WHERE ends_at > ?").all(now) as SilenceRow[]).map(fromRow).sort(byEnd));
  }

  /** The silences in force at `now`, soonest-ending first (one indexed query, prepared once per connection: the agent asks every cycle). */
  active(now = Date.now()): Silence[] {
    return reading(this.db, () => (statement(this.db, "SELECT * FROM silences WHERE ends_at > ? AND starts_at <= ?").all(now, now) as SilenceRow[]).map(fromRow).sort(byEnd));
  }

  /** Adds a silence from `now` for `durationMs`; every matcher is checked first. Prunes long-expired silences. */
  add(opts: AddSilenceOptions): Silence {
    if (opts.matchers.length === 0) {
      throw new UsageError(said("cmd.silence.matchNone", MATCHER_EXAMPLES));
    }
    const matchers = opts.matchers.map((m) => {
      const parsed = parseMatcher(m);
      return `${parsed.name}=${parsed.pattern}`;
    });
    if (!Number.isFinite(opts.durationMs) || opts.durationMs <= 0) {
      throw new UsageError(said("cmd.silence.forZero.ms", { value: String(opts.durationMs) }));
    }
    const now = opts.now ?? Date.now();
    return inTransaction(this.db, () => {
      this.db.prepare("DELETE FROM silences WHERE ends_at <= ?").run(now - EXPIRED_KEPT_MS);
      const taken = this.db.prepare("SELECT 1 FROM silences WHERE id = ?").pluck();
      let id = randomHex(4);
      while (taken.get(id) !== undefined) id = randomHex(4);
      const silence: Silence = {
        id,
        matchers,
        startsAt: now,
        endsAt: now + opts.durationMs,
        comment: opts.comment ?? "",
        createdBy: opts.createdBy ?? currentUser(),
        createdAt: now,
      };
      insertSilence(this.db, silence);
      return silence;
    });
  }

  /**
   * Ends the silence with this id, or the only one whose id starts with it, now
   * (it stays in the list of expired ones for a while). Undefined when none
   * matches; a UsageError when the prefix is ambiguous.
   */
  remove(id: string, now = Date.now()): Silence | undefined {
    const wanted = id.trim().toLowerCase();
    if (wanted === "") throw new UsageError(said("cmd.silence.noId"));
    return inTransaction(this.db, () => {
      const current = (this.db.prepare("SELECT * FROM silences WHERE ends_at > ?").all(now) as SilenceRow[]).map(fromRow);
      const exact = current.find((s) => s.id === wanted);
      const found = exact ? [exact] : current.filter((s) => s.id.startsWith(wanted));
      if (found.length > 1) {
        throw new UsageError(said("cmd.silence.ambiguous", { id, count: found.length, ids: found.map((s) => s.id).join(", ") }));
      }
      const target = found[0];
      if (!target) return undefined;
      this.db.prepare("UPDATE silences SET ends_at = ? WHERE id = ?").run(now, target.id);
      return target;
    });
  }
}
