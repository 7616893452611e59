/**
 * The database file and its migrations, on real SQLite in temporary data
 * directories: a new directory, an older schema upgraded, a newer one refused,
 * and Lookout 0.1's JSON files imported once.
 */

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../src/config/schema.js";
import { StorageError } from "../../src/errors.js";
import { HistoryPoints } from "../../src/pipeline/record.js";
import { readState } from "../../src/store/agent-store.js";
import { DB_FILE, openDatabase, PAGE_CACHE_KIB } from "../../src/store/database.js";
import { HistoryStore, retentionOf } from "../../src/store/history.js";
import { unpackIds, unpackValues } from "../../src/store/history-packing.js";
import { MIGRATIONS, type Migration, migrate, schemaVersion } from "../../src/store/migrations.js";
import { SilenceStore } from "../../src/store/silences.js";
import { sampleNotification } from "../support/sample-notification.js";
import { thrown } from "../support/thrown.js";

const dataDir = () => join(mkdtempSync(join(tmpdir(), "lookout-db-")), "data");
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));
const tables = (db: Database.Database) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();

describe("openDatabase", () => {
  it("creates the data directory and a WAL database at the latest schema, readable by its owner only", () => {
    const dir = dataDir();
    const db = openDatabase(dir);
    expect(schemaVersion(db)).toBe(LATEST);
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(2); // FULL
    // A page cache of SQLite's default size, not better-sqlite3's 16 MiB, which the roll-up filled for good.
    expect(db.pragma("cache_size", { simple: true })).toBe(-PAGE_CACHE_KIB);
    expect(PAGE_CACHE_KIB).toBeLessThanOrEqual(4096);
    expect(tables(db)).toEqual([
      "alerts",
      "collector_state",
      "deliveries",
      "failed_deliveries",
      "flap",
      "history_chunks",
      "history_events",
      "history_head",
      "history_rollup",
      "history_series",
      "meta",
      "notifications",
      "silences",
    ]);
    db.close();
    expect(statSync(join(dir, DB_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("upgrades a database of an older schema, keeping what it holds", () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    const old = new Database(join(dir, DB_FILE));
    migrate(old, MIGRATIONS.slice(0, 1), { dataDir: dir });
    expect(schemaVersion(old)).toBe(1);
    old
      .prepare("INSERT INTO silences (id, matchers, starts_at, ends_at, comment, created_by, created_at) VALUES ('0000beef', '[\"container=db-1\"]', 0, 9e15, 'kept', 'alice', 0)")
      .run();
    old.close();
    const db = openDatabase(dir);
    expect(schemaVersion(db)).toBe(LATEST);
    expect(new SilenceStore(db).list().map((s) => [s.id, s.comment])).toEqual([["0000beef", "kept"]]);
    db.close();
  });

  it("adds the history's tables to a database of version 3, keeping its state and outbox, and records into them", () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    const old = new Database(join(dir, DB_FILE));
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version <= 3),
      { dataDir: dir },
    );
    expect(schemaVersion(old)).toBe(3);
    old.prepare("INSERT INTO alerts (fingerprint, record) VALUES ('host_cpu{}', '{\"fingerprint\":\"host_cpu{}\"}')").run();
    old.prepare("INSERT INTO notifications (id, created_at, body) VALUES ('n-1', 1, '{}')").run();
    expect(tables(old)).not.toContain("history_head");
    old.close();
    const db = openDatabase(dir);
    expect(schemaVersion(db)).toBe(4);
    expect(db.prepare("SELECT fingerprint FROM alerts").pluck().all()).toEqual(["host_cpu{}"]);
    expect(db.prepare("SELECT id FROM notifications").pluck().all()).toEqual(["n-1"]);
    const history = new HistoryStore(db, retentionOf(configSchema.parse({}).history));
    history.record(1_000, HistoryPoints.of([{ metric: "host_cpu", labels: {}, value: 5 }]), [{ at: 1_000, kind: "container.start", subject: "web-1", labels: {}, data: {} }]);
    history.flush();
    // A cycle is one head row: the ids of its series and their values, packed.
    const row = db.prepare("SELECT t, ids, vals FROM history_head").get() as { t: number; ids: Buffer; vals: Buffer };
    expect([row.t, Array.from(unpackIds(row.ids)), Array.from(unpackValues(row.vals))]).toEqual([1_000, [1], [5]]);
    db.close();
  });

  it("refuses a database written by a newer Lookout, saying what to do", () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    const newer = new Database(join(dir, DB_FILE));
    newer.pragma(`user_version = ${LATEST + 5}`);
    newer.close();
    const err = thrown(() => openDatabase(dir));
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).userMessage).toBe(
      `${join(dir, DB_FILE)} was written by a newer version of Lookout (schema ${LATEST + 5}; this one knows up to ${LATEST}): upgrade Lookout, or give this one another --data-dir`,
    );
  });

  it("says what to do when the data directory cannot be created (and does not hang on a path under /proc)", () => {
    const file = join(mkdtempSync(join(tmpdir(), "lookout-db-")), "a-file");
    writeFileSync(file, "");
    for (const [dir, code] of [
      [join(file, "data"), "ENOTDIR"],
      ["/proc/lookout-cannot-be-here/data", "ENOENT"],
    ] as const) {
      const err = thrown(() => openDatabase(dir));
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).userMessage).toMatch(new RegExp(`^cannot use data directory ${dir} \\(${code}\\): create it and make it writable`));
    }
  });

  it("migrates once when two processes open a new data directory at the same moment", async () => {
    const dir = dataDir();
    const dist = resolve(import.meta.dirname, "../../dist/store/database.js");
    const startAt = Date.now() + 400;
    const code = `import { openDatabase } from ${JSON.stringify(dist)};\nwhile (Date.now() < ${startAt}) {}\nopenDatabase(${JSON.stringify(dir)}).close();`;
    const run = () =>
      new Promise<{ code: number | null; stderr: string }>((res, rej) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", rej);
        child.on("close", (c) => res({ code: c, stderr }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.stderr + b.stderr).toBe("");
    expect([a.code, b.code]).toEqual([0, 0]);
    const db = openDatabase(dir);
    expect(schemaVersion(db)).toBe(LATEST);
    db.close();
  });
});

describe("migrate", () => {
  const log: string[] = [];
  const m = (version: number, fail = false): Migration => ({
    version,
    name: `m${version}`,
    up: (db) => {
      log.push(`up ${version}`);
      db.exec(`CREATE TABLE t${version} (x INTEGER)`);
      if (fail) throw new Error(`m${version} failed`);
    },
    after: () => log.push(`after ${version}`),
  });

  it("applies each pending migration once, in order, and a failed one not at all", () => {
    const db = new Database(":memory:");
    log.length = 0;
    expect(migrate(db, [m(2), m(1)], { dataDir: "/nowhere" })).toEqual({ from: 0, to: 2 });
    expect(log).toEqual(["up 1", "after 1", "up 2", "after 2"]);
    log.length = 0;
    expect(migrate(db, [m(1), m(2)], { dataDir: "/nowhere" })).toEqual({ from: 2, to: 2 });
    expect(log).toEqual([]);
    expect(() => migrate(db, [m(1), m(2), m(3, true)], { dataDir: "/nowhere" })).toThrow(/m3 failed/);
    expect(schemaVersion(db)).toBe(2);
    expect(tables(db)).toEqual(["t1", "t2"]); // t3 rolled back with its version
    expect(log).toEqual(["up 3"]);
  });
});

describe("import of Lookout 0.1's state.json and silences.json", () => {
  it("brings alerts, counters, queued and failed notifications, flap memory and silences over, once, and renames the files", () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    const alert = { fingerprint: 'host_disk{mount="/"}', alertname: "host_disk", labels: { alertname: "host_disk", mount: "/" }, state: "firing", severity: "warning" };
    const queued = sampleNotification({ id: "queued-1" });
    const legacy = {
      version: 1,
      alerts: [alert],
      collectors: { host: { savedAt: 5, data: { cpu: [1, 2, 3] } } },
      outbox: [
        { notification: queued, pending: [{ receiver: "slack[0]", attempts: 3, nextAttemptAt: 77, firstAttemptAt: 10, lastError: "Slack answered 500" }] },
        { notification: sampleNotification({ id: "done" }), pending: [] },
      ],
      failed: [{ notificationId: "old", title: "firing x", receiver: "slack[0]", error: "no_service", at: 3 }],
      lastCycleAt: 1234,
      flap: { [alert.fingerprint]: { fires: [1, 2], lastChange: 2, flappingSince: null, held: null } },
    };
    writeFileSync(join(dir, "state.json"), JSON.stringify(legacy));
    const silence = { id: "ab12cd34", matchers: ["container=db-1"], startsAt: 0, endsAt: 9e15, comment: "migration", createdBy: "alice", createdAt: 0 };
    writeFileSync(join(dir, "silences.json"), JSON.stringify({ version: 1, silences: [silence] }));

    const db = openDatabase(dir);
    const state = readState(db);
    expect(state.alerts).toEqual([alert]);
    expect(state.collectors).toEqual(legacy.collectors);
    expect(state.lastCycleAt).toBe(1234);
    expect(state.flap).toEqual(legacy.flap);
    expect(state.outbox.map((e) => [e.notification, e.pending])).toEqual([[queued, legacy.outbox[0]!.pending]]);
    expect(state.failed).toMatchObject([{ notificationId: "old", error: "no_service", reportedAt: null }]);
    expect(new SilenceStore(db).list()).toEqual([silence]);
    db.close();

    expect(existsSync(join(dir, "state.json"))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, "state.json.imported"), "utf8"))).toEqual(legacy);
    expect(existsSync(join(dir, "silences.json.imported"))).toBe(true);
    // Opening again imports nothing twice.
    writeFileSync(join(dir, "state.json"), JSON.stringify(legacy));
    const again = openDatabase(dir);
    expect(readState(again).outbox).toHaveLength(1);
    again.close();
  });

  it("refuses a state.json it cannot read, names it, and leaves the database unmigrated", () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "state.json"), "{ half a file");
    const err = thrown(() => openDatabase(dir));
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).userMessage).toBe(`${join(dir, "state.json")} is not valid JSON, so it cannot be imported: fix it, or move it aside (this forgets what it holds)`);
    const db = new Database(join(dir, DB_FILE));
    expect(schemaVersion(db)).toBe(1);
    db.close();
  });
});
