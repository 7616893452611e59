/**
 * Which receivers were told that a notification could not be delivered: kept
 * per receiver in failed_deliveries (migration 3), across restarts, and added
 * to a data directory of an older schema without losing what it holds.
 */

import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { AgentStore, readState } from "../../src/store/agent-store.js";
import { DB_FILE, openDatabase } from "../../src/store/database.js";
import { MIGRATIONS, migrate } from "../../src/store/migrations.js";

const dataDir = () => join(mkdtempSync(join(tmpdir(), "lookout-reported-")), "data");

describe("failed deliveries: reported per receiver", () => {
  it("an older database gains reported_to; an unreported failure stays unreported, a reported one reported", () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    const old = new Database(join(dir, DB_FILE));
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version <= 2),
      { dataDir: dir },
    );
    const insert = old.prepare("INSERT INTO failed_deliveries (notification_id, receiver, title, error, at, reported_at) VALUES (?, 'team', 't', 'gone', 1, ?)");
    insert.run("unreported", null);
    insert.run("reported", 5);
    old.close();
    const db = openDatabase(dir);
    expect(readState(db).failed).toMatchObject([
      { notificationId: "unreported", reportedAt: null },
      { notificationId: "reported", reportedAt: 5 },
    ]);
    expect(readState(db).failed[0]!.reportedTo).toBeUndefined();
    db.close();
  });

  it("keeps which receivers were told, and when every one was, across a restart", () => {
    const dir = dataDir();
    const db = openDatabase(dir);
    const store = new AgentStore(db);
    const state = store.load();
    const failures = [{ notificationId: "n1", title: "t", receiver: "team", error: "gone", at: 9, reportedAt: null }];
    store.gaveUp([], failures);
    state.failed = failures;
    const f = state.failed[0]!;
    f.reportedTo = { ops: 20 };
    store.markReported([f], 20, "ops");
    expect(readState(db).failed[0]).toMatchObject({ reportedTo: { ops: 20 }, reportedAt: null });
    f.reportedTo = { ops: 20, team: 30 };
    f.reportedAt = 30;
    store.markReported([f], 30, "team");
    db.close();
    const again = openDatabase(dir);
    expect(readState(again).failed[0]).toMatchObject({ notificationId: "n1", reportedTo: { ops: 20, team: 30 }, reportedAt: 30 });
    again.close();
  });
});
