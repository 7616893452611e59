import { describe, it, expect } from "vitest";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync, utimesSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawn } from "node:child_process";
import { SilenceStore, silencing, SILENCES_FILE, SILENCES_LOCK, type Silence } from "../../src/silence/store.js";
import { StorageError, UsageError } from "../../src/errors.js";

const dataDir = () => join(mkdtempSync(join(tmpdir(), "lookout-silences-")), "data");
const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

/** The built store (npm test builds before vitest), so that other processes can write to the same file. */
const DIST_STORE = resolve(import.meta.dirname, "../../dist/silence/store.js");

function inChild(script: string, dir: string): Promise<{ code: number | null; stderr: string }> {
  if (!existsSync(DIST_STORE)) throw new Error(`${DIST_STORE} is missing: run npm run build first`);
  const code = `import { SilenceStore } from ${JSON.stringify(DIST_STORE)};\nconst store = new SilenceStore(${JSON.stringify(dir)});\n${script}`;
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", rej);
    child.on("close", (c) => res({ code: c, stderr }));
  });
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected it to throw");
}

describe("SilenceStore", () => {
  it("has no silences without a file (or a data directory)", () => {
    const store = new SilenceStore(dataDir());
    expect(store.list()).toEqual([]);
    expect(store.active()).toEqual([]);
    expect(store.remove("abcd")).toBeUndefined();
  });

  it("adds a silence with a short id, who made it, and writes silences.json atomically with mode 600", () => {
    const dir = dataDir();
    const store = new SilenceStore(dir);
    const s = store.add({ matchers: ["container=db-1"], durationMs: 2 * H, comment: "migration", createdBy: "alice", now: T0 });
    expect(s).toEqual({ id: expect.stringMatching(/^[0-9a-f]{8}$/), matchers: ["container=db-1"], startsAt: T0, endsAt: T0 + 2 * H, comment: "migration", createdBy: "alice", createdAt: T0 });
    const path = join(dir, SILENCES_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ version: 1, silences: [s] });
    // No temporary file or lock left behind.
    expect(readdirSync(dir).sort()).toEqual([SILENCES_FILE]);
    expect(store.list(T0 + H)).toEqual([s]);
    expect(new SilenceStore(dir).active(T0 + H)).toEqual([s]);
  });

  it("defaults createdBy to the OS user and comment to empty", () => {
    const store = new SilenceStore(dataDir());
    const s = store.add({ matchers: ["alertname=host_*"], durationMs: H });
    expect(s.createdBy).not.toBe("");
    expect(s.comment).toBe("");
    expect(s.startsAt).toBeLessThanOrEqual(Date.now());
  });

  it("checks every matcher, and the duration, before writing anything", () => {
    const dir = dataDir();
    const store = new SilenceStore(dir);
    const err = thrown(() => store.add({ matchers: ["container=db-1", "db-2"], durationMs: H }));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).userMessage).toBe('--match: expected label=value like container=db-1 or alertname=host_*, got "db-2"');
    expect(thrown(() => store.add({ matchers: [], durationMs: H }))).toBeInstanceOf(UsageError);
    expect(thrown(() => store.add({ matchers: ["container=db-1"], durationMs: 0 }))).toBeInstanceOf(UsageError);
    expect(thrown(() => store.add({ matchers: ["container=db-1"], durationMs: NaN }))).toBeInstanceOf(UsageError);
    expect(existsSync(join(dir, SILENCES_FILE))).toBe(false);
  });

  it("lists soonest-ending first, hides expired ones and prunes them at the next write", () => {
    const dir = dataDir();
    const store = new SilenceStore(dir);
    const long = store.add({ matchers: ["container=a"], durationMs: 3 * H, now: T0 });
    const short = store.add({ matchers: ["container=b"], durationMs: 1 * H, now: T0 });
    const mid = store.add({ matchers: ["container=c"], durationMs: 2 * H, now: T0 });
    expect(store.list(T0).map((s) => s.id)).toEqual([short.id, mid.id, long.id]);
    expect(store.active(T0).map((s) => s.id)).toEqual([short.id, mid.id, long.id]);
    // At its end a silence is over.
    expect(store.list(T0 + H).map((s) => s.id)).toEqual([mid.id, long.id]);
    expect(store.active(T0 + H).map((s) => s.id)).toEqual([mid.id, long.id]);
    const file = () => (JSON.parse(readFileSync(join(dir, SILENCES_FILE), "utf8")) as { silences: Silence[] }).silences.map((s) => s.id);
    expect(file()).toHaveLength(3); // reading never writes
    const later = store.add({ matchers: ["container=d"], durationMs: H, now: T0 + 2.5 * H });
    expect(file().sort()).toEqual([long.id, later.id].sort());
  });

  it("active() leaves out a silence that has not started yet", () => {
    const dir = dataDir();
    const store = new SilenceStore(dir);
    store.ensureDir();
    const future: Silence = { id: "0000beef", matchers: ["container=x"], startsAt: T0 + H, endsAt: T0 + 2 * H, comment: "", createdBy: "t", createdAt: T0 };
    writeFileSync(join(dir, SILENCES_FILE), JSON.stringify({ version: 1, silences: [future] }));
    expect(store.list(T0)).toEqual([future]);
    expect(store.active(T0)).toEqual([]);
    expect(store.active(T0 + H)).toEqual([future]);
  });

  it("removes by id or by a unique prefix of it; refuses an ambiguous prefix; undefined for none", () => {
    const dir = dataDir();
    const store = new SilenceStore(dir);
    store.ensureDir();
    const mk = (id: string): Silence => ({ id, matchers: ["container=x"], startsAt: T0, endsAt: T0 + H, comment: "", createdBy: "t", createdAt: T0 });
    writeFileSync(join(dir, SILENCES_FILE), JSON.stringify({ version: 1, silences: [mk("ab12cd34"), mk("ab98ef76"), mk("c0ffee00")] }));
    const err = thrown(() => store.remove("ab", T0));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).userMessage).toMatch(/"ab" is the start of 2 silences' ids \(ab12cd34, ab98ef76\); give more of the id/);
    expect(store.remove("AB9", T0)?.id).toBe("ab98ef76");
    expect(store.remove("c0ffee00", T0)?.id).toBe("c0ffee00");
    expect(store.remove("c0ffee00", T0)).toBeUndefined();
    expect(store.remove("zz", T0)).toBeUndefined();
    expect(store.list(T0).map((s) => s.id)).toEqual(["ab12cd34"]);
    expect(existsSync(join(dir, SILENCES_LOCK))).toBe(false);
  });

  it("re-reads the file only when it changed, and picks up a change written by another process", async () => {
    const dir = dataDir();
    const store = new SilenceStore(dir);
    const first = store.add({ matchers: ["container=db-1"], durationMs: H });
    const a = store.active();
    expect(store.active()[0]).toBe(a[0]); // unchanged file: from the cache, not parsed again
    expect(a.map((s) => s.id)).toEqual([first.id]);
    const r = await inChild(`store.add({ matchers: ["alertname=host_disk", "mount=/data"], durationMs: 2 * 3600000, createdBy: "bob" });`, dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const b = store.active();
    expect(b).toHaveLength(2);
    expect(b[1]).toMatchObject({ matchers: ["alertname=host_disk", "mount=/data"], createdBy: "bob" });
    const r2 = await inChild(`store.remove(${JSON.stringify(first.id)});`, dir);
    expect(r2.code).toBe(0);
    expect(store.active().map((s) => s.createdBy)).toEqual(["bob"]);
    expect(store.active()[0]).not.toBe(b[1]); // changed file: read again
  });

  it("loses no silence when two processes add at the same time", async () => {
    const dir = dataDir();
    new SilenceStore(dir).ensureDir();
    const each = 25;
    const startAt = Date.now() + 400;
    const script = `while (Date.now() < ${startAt}) {}\nfor (let i = 0; i < ${each}; i++) store.add({ matchers: ["container=c-" + process.pid + "-" + i], durationMs: 3600000 });`;
    const [r1, r2] = await Promise.all([inChild(script, dir), inChild(script, dir)]);
    expect(r1.stderr + r2.stderr).toBe("");
    expect([r1.code, r2.code]).toEqual([0, 0]);
    const all = new SilenceStore(dir).list();
    expect(all).toHaveLength(2 * each);
    expect(new Set(all.map((s) => s.id)).size).toBe(2 * each);
    expect(readdirSync(dir).sort()).toEqual([SILENCES_FILE]);
  });

  it("waits for another writer's lock, gives up after about 2 s naming it, and takes over a stale one", () => {
    const dir = dataDir();
    const store = new SilenceStore(dir);
    store.ensureDir();
    const lock = join(dir, SILENCES_LOCK);
    writeFileSync(lock, JSON.stringify({ pid: 4242, token: "x", since: "2026-11-25T12:00:00.000Z" }));
    const t = Date.now();
    const err = thrown(() => store.add({ matchers: ["container=db-1"], durationMs: H }));
    const waited = Date.now() - t;
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(4000);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).userMessage).toMatch(/another lookout command is changing the silences \(.*silences\.lock held by pid 4242 since 2026-11-25T12:00:00.000Z\); try again\. If no lookout command is running, delete .*silences\.lock/);
    expect(existsSync(lock)).toBe(true); // not ours to remove
    // Left by a writer that died more than 10 s ago: taken over.
    const old = (Date.now() - 11_000) / 1000;
    utimesSync(lock, old, old);
    const s = store.add({ matchers: ["container=db-1"], durationMs: H });
    expect(store.list().map((x) => x.id)).toEqual([s.id]);
    expect(existsSync(lock)).toBe(false);
  });

  it("says which file is corrupt and how to fix it", () => {
    const dir = dataDir();
    const store = new SilenceStore(dir);
    store.ensureDir();
    const path = join(dir, SILENCES_FILE);
    for (const text of ["{ not json", JSON.stringify({ version: 9, silences: [] }), JSON.stringify({ version: 1, silences: [{ id: "x", matchers: ["db-1"], startsAt: 0, endsAt: 1, createdAt: 0 }] })]) {
      writeFileSync(path, text);
      for (const call of [() => store.active(), () => store.list(), () => store.add({ matchers: ["container=a"], durationMs: H })]) {
        const err = thrown(call);
        expect(err).toBeInstanceOf(StorageError);
        expect((err as StorageError).userMessage).toContain(`${path} is not a silences file this version understands`);
        expect((err as StorageError).userMessage).toMatch(/fix it by hand, or move it aside \(this drops every silence\) and add them again with lookout silence add/);
      }
    }
    expect(readFileSync(path, "utf8")).toContain('"db-1"'); // a refused write leaves the file as it was
    expect(existsSync(join(dir, SILENCES_LOCK))).toBe(false);
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
