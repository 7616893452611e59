import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { StorageError, UsageError } from "../../src/errors.js";
import { type Silence, silencing } from "../../src/silence/silence.js";
import { DB_FILE, type Db, openDatabase } from "../../src/store/database.js";
import { insertSilence, SilenceStore } from "../../src/store/silences.js";
import { thrown } from "../support/thrown.js";

const dataDir = () => join(mkdtempSync(join(tmpdir(), "lookout-silences-")), "data");
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

/** The built modules (npm test builds before vitest), so that other processes can write to the same database. */
const DIST = resolve(import.meta.dirname, "../../dist");

function inChild(script: string, dir: string): Promise<{ code: number | null; stderr: string }> {
  if (!existsSync(join(DIST, "store/silences.js"))) throw new Error(`${DIST} is missing: run npm run build first`);
  const code =
    `import { SilenceStore } from ${JSON.stringify(join(DIST, "store/silences.js"))};\n` +
    `import { openDatabase } from ${JSON.stringify(join(DIST, "store/database.js"))};\n` +
    `const db = openDatabase(${JSON.stringify(dir)});\nconst store = new SilenceStore(db);\n${script}\ndb.close();`;
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", rej);
    child.on("close", (c) => res({ code: c, stderr }));
  });
}

function open(dir = dataDir()): { dir: string; db: Db; store: SilenceStore } {
  const db = openDatabase(dir);
  return { dir, db, store: new SilenceStore(db) };
}

const rows = (db: Db) => db.prepare("SELECT id FROM silences ORDER BY id").pluck().all() as string[];

describe("SilenceStore", () => {
  it("has no silences in a new data directory", () => {
    const { store } = open();
    expect(store.list()).toEqual([]);
    expect(store.active()).toEqual([]);
    expect(store.remove("abcd")).toBeUndefined();
  });

  it("adds a silence with a short id and who made it, in the database (mode 600), seen by another connection", () => {
    const { dir, db, store } = open();
    const s = store.add({ matchers: ["container=db-1"], durationMs: 2 * H, comment: "migration", createdBy: "alice", now: T0 });
    expect(s).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}$/),
      matchers: ["container=db-1"],
      startsAt: T0,
      endsAt: T0 + 2 * H,
      comment: "migration",
      createdBy: "alice",
      createdAt: T0,
    });
    expect(statSync(join(dir, DB_FILE)).mode & 0o777).toBe(0o600);
    expect(store.list(T0 + H)).toEqual([s]);
    db.close();
    const again = open(dir);
    expect(again.store.active(T0 + H)).toEqual([s]);
    again.db.close();
  });

  it("defaults createdBy to the OS user and comment to empty", () => {
    const { store } = open();
    const s = store.add({ matchers: ["alertname=host_*"], durationMs: H });
    expect(s.createdBy).not.toBe("");
    expect(s.comment).toBe("");
    expect(s.startsAt).toBeLessThanOrEqual(Date.now());
  });

  it("checks every matcher, and the duration, before writing anything", () => {
    const { db, store } = open();
    const err = thrown(() => store.add({ matchers: ["container=db-1", "db-2"], durationMs: H }));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).userMessage).toBe('--match: expected label=value like container=db-1 or alertname=host_*, got "db-2"');
    expect(thrown(() => store.add({ matchers: [], durationMs: H }))).toBeInstanceOf(UsageError);
    expect(thrown(() => store.add({ matchers: ["container=db-1"], durationMs: 0 }))).toBeInstanceOf(UsageError);
    expect(thrown(() => store.add({ matchers: ["container=db-1"], durationMs: NaN }))).toBeInstanceOf(UsageError);
    expect(rows(db)).toEqual([]);
  });

  it("lists soonest-ending first, hides expired ones, and prunes those a week over at the next add", () => {
    const { db, store } = open();
    const long = store.add({ matchers: ["container=a"], durationMs: 3 * H, now: T0 });
    const short = store.add({ matchers: ["container=b"], durationMs: 1 * H, now: T0 });
    const mid = store.add({ matchers: ["container=c"], durationMs: 2 * H, now: T0 });
    expect(store.list(T0).map((s) => s.id)).toEqual([short.id, mid.id, long.id]);
    expect(store.active(T0).map((s) => s.id)).toEqual([short.id, mid.id, long.id]);
    // At its end a silence is over.
    expect(store.list(T0 + H).map((s) => s.id)).toEqual([mid.id, long.id]);
    expect(store.active(T0 + H).map((s) => s.id)).toEqual([mid.id, long.id]);
    const later = store.add({ matchers: ["container=d"], durationMs: H, now: T0 + 2.5 * H });
    expect(rows(db)).toHaveLength(4); // expired, not yet pruned
    const muchLater = store.add({ matchers: ["container=e"], durationMs: H, now: T0 + 2.5 * H + 7 * 24 * H });
    // Those that ended a week before: gone; the others stay.
    expect(rows(db)).toEqual([long.id, later.id, muchLater.id].sort());
  });

  it("active() leaves out a silence that has not started yet", () => {
    const { db, store } = open();
    const future: Silence = { id: "0000beef", matchers: ["container=x"], startsAt: T0 + H, endsAt: T0 + 2 * H, comment: "", createdBy: "t", createdAt: T0 };
    insertSilence(db, future);
    expect(store.list(T0)).toEqual([future]);
    expect(store.active(T0)).toEqual([]);
    expect(store.active(T0 + H)).toEqual([future]);
  });

  it("removes (ends now) by id or by a unique prefix of it; refuses an ambiguous prefix; undefined for none", () => {
    const { db, store } = open();
    const mk = (id: string): Silence => ({ id, matchers: ["container=x"], startsAt: T0, endsAt: T0 + H, comment: "", createdBy: "t", createdAt: T0 });
    for (const id of ["ab12cd34", "ab98ef76", "c0ffee00"]) insertSilence(db, mk(id));
    const err = thrown(() => store.remove("ab", T0));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).userMessage).toMatch(/"ab" is the start of 2 silences' ids \(ab12cd34, ab98ef76\); give more of the id/);
    expect(store.remove("AB9", T0)?.id).toBe("ab98ef76");
    expect(store.remove("c0ffee00", T0)?.id).toBe("c0ffee00");
    expect(store.remove("c0ffee00", T0)).toBeUndefined();
    expect(store.remove("zz", T0)).toBeUndefined();
    expect(store.list(T0).map((s) => s.id)).toEqual(["ab12cd34"]);
    expect(store.active(T0).map((s) => s.id)).toEqual(["ab12cd34"]);
  });

  it("sees at once what another process adds and removes", async () => {
    const { dir, store } = open();
    const first = store.add({ matchers: ["container=db-1"], durationMs: H });
    expect(store.active().map((s) => s.id)).toEqual([first.id]);
    const r = await inChild(`store.add({ matchers: ["alertname=host_disk", "mount=/data"], durationMs: 2 * 3600000, createdBy: "bob" });`, dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const b = store.active();
    expect(b).toHaveLength(2);
    expect(b[1]).toMatchObject({ matchers: ["alertname=host_disk", "mount=/data"], createdBy: "bob" });
    const r2 = await inChild(`store.remove(${JSON.stringify(first.id)});`, dir);
    expect(r2.code).toBe(0);
    expect(store.active().map((s) => s.createdBy)).toEqual(["bob"]);
  });

  it("loses no silence when two processes add at the same time", async () => {
    const { dir, db } = open();
    db.close();
    const each = 25;
    const startAt = Date.now() + 400;
    const script = `while (Date.now() < ${startAt}) {}\nfor (let i = 0; i < ${each}; i++) store.add({ matchers: ["container=c-" + process.pid + "-" + i], durationMs: 3600000 });`;
    const [r1, r2] = await Promise.all([inChild(script, dir), inChild(script, dir)]);
    expect(r1.stderr + r2.stderr).toBe("");
    expect([r1.code, r2.code]).toEqual([0, 0]);
    const again = open(dir);
    const all = again.store.list();
    expect(all).toHaveLength(2 * each);
    expect(new Set(all.map((s) => s.id)).size).toBe(2 * each);
    again.db.close();
    expect(readdirSync(dir).filter((f) => !f.startsWith(DB_FILE))).toEqual([]);
  });

  it("says which file is damaged and how to get going again", () => {
    const dir = dataDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, DB_FILE), "this is not a database, it is a text file that someone wrote here by mistake".repeat(20));
    const err = thrown(() => openDatabase(dir));
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).userMessage).toBe(
      `${join(dir, DB_FILE)} is damaged or not a Lookout database (SQLITE_NOTADB); move it aside (this forgets alert state, queued notifications and silences) and start again`,
    );
  });
});

describe("silencing", () => {
  const mk = (id: string, matchers: string[], startsAt = T0, endsAt = T0 + H): Silence => ({ id, matchers, startsAt, endsAt, comment: "", createdBy: "t", createdAt: T0 });
  const disk = { alertname: "host_disk", mount: "/data", hostname: "web-1", severity: "warning" };

  it("returns the first silence in force whose matchers all hold", () => {
    const silences = [mk("a", ["alertname=host_disk", "mount=/var"]), mk("b", ["alertname=host_*", "mount=/data"]), mk("c", ["hostname=web-1"])];
    expect(silencing(disk, silences, T0)?.id).toBe("b");
    expect(silencing({ alertname: "container_crashed", container: "db-1", hostname: "web-2" }, silences, T0)).toBeUndefined();
  });

  it("ignores silences not yet started or over", () => {
    const silences = [mk("late", ["alertname=host_disk"], T0 + 10, T0 + H), mk("over", ["alertname=host_disk"], T0 - H, T0)];
    expect(silencing(disk, silences, T0)).toBeUndefined();
    expect(silencing(disk, silences, T0 + 10)?.id).toBe("late");
  });

  it("a silence without matchers silences everything", () => {
    expect(silencing(disk, [mk("all", [])], T0)?.id).toBe("all");
  });
});
