/**
 * Silences, kept in the data directory as `silences.json` so that the CLI can
 * add and remove them while `lookout run` holds `agent.lock`: the CLI never
 * takes that lock. Writers (`add`, `remove`) serialise on a short exclusive
 * lock file, `silences.lock`, then read, change and replace the file atomically
 * (temporary file, fsync, rename); readers never lock: they see the old file or
 * the new one, never half of one. The agent calls `active()` every cycle, which
 * costs one stat() unless the file changed.
 */
import {
  closeSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  accessSync,
  constants,
  type Stats,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { userInfo } from "node:os";
import { StorageError, UsageError } from "../errors.js";
import { MATCHER_EXAMPLE, matchesAll, matcherProblem, parseMatcher, type LabelMatcher } from "./matchers.js";

export interface Silence {
  /** Short and readable: 8 hex characters (`maintenance[i]` for a maintenance window). */
  id: string;
  /** `label=glob`, every one must hold. */
  matchers: string[];
  /** ms since epoch. */
  startsAt: number;
  /** ms since epoch; the silence is over from then on. */
  endsAt: number;
  comment: string;
  createdBy: string;
  createdAt: number;
}

export const SILENCES_FILE = "silences.json";
export const SILENCES_LOCK = "silences.lock";
/** How long `add`/`remove` wait for another writer's lock. */
export const LOCK_WAIT_MS = 2_000;
/** A lock older than this was left by a writer that died: it is taken over. */
export const LOCK_STALE_MS = 10_000;

interface SilencesFile {
  version: 1;
  silences: Silence[];
}

interface Cached {
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  silences: readonly Silence[];
}

export interface AddSilenceOptions {
  matchers: string[];
  durationMs: number;
  comment?: string;
  createdBy?: string;
  now?: number;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? "error";
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

export class SilenceStore {
  readonly path: string;
  readonly lockPath: string;
  private cache: Cached | undefined;

  constructor(readonly dataDir: string) {
    this.path = join(dataDir, SILENCES_FILE);
    this.lockPath = join(dataDir, SILENCES_LOCK);
  }

  /** Every silence not yet expired (including any that starts later), soonest-ending first. */
  list(now = Date.now()): Silence[] {
    return this.read()
      .filter((s) => s.endsAt > now)
      .sort(byEnd);
  }

  /** The silences in force at `now`, soonest-ending first. Cheap: re-reads the file only when it changed. */
  active(now = Date.now()): Silence[] {
    return this.read()
      .filter((s) => s.startsAt <= now && s.endsAt > now)
      .sort(byEnd);
  }

  /** Adds a silence from `now` for `durationMs`; every matcher is checked first. Prunes expired silences. */
  add(opts: AddSilenceOptions): Silence {
    if (opts.matchers.length === 0) {
      throw new UsageError(`--match: give at least one ${MATCHER_EXAMPLE}; to hold back every alert of this host use --match 'alertname=*'`);
    }
    const matchers = opts.matchers.map((m) => {
      const parsed = parseMatcher(m);
      return `${parsed.name}=${parsed.pattern}`;
    });
    if (!Number.isFinite(opts.durationMs) || opts.durationMs <= 0) {
      throw new UsageError(`--for: expected a duration above 0 like 30m, 2h or 1d, got ${String(opts.durationMs)} ms`);
    }
    const now = opts.now ?? Date.now();
    return this.withLock(() => {
      const current = this.readFresh().filter((s) => s.endsAt > now);
      const taken = new Set(current.map((s) => s.id));
      let id = randomBytes(4).toString("hex");
      while (taken.has(id)) id = randomBytes(4).toString("hex");
      const silence: Silence = {
        id,
        matchers,
        startsAt: now,
        endsAt: now + opts.durationMs,
        comment: opts.comment ?? "",
        createdBy: opts.createdBy ?? currentUser(),
        createdAt: now,
      };
      this.write([...current, silence]);
      return silence;
    });
  }

  /**
   * Removes the silence with this id, or the only one whose id starts with it.
   * Undefined when none matches; a UsageError when the prefix is ambiguous.
   */
  remove(id: string, now = Date.now()): Silence | undefined {
    const wanted = id.trim().toLowerCase();
    if (wanted === "") throw new UsageError("silence remove: expected the id of a silence (lookout silence list shows them)");
    return this.withLock(() => {
      const current = this.readFresh().filter((s) => s.endsAt > now);
      const exact = current.find((s) => s.id === wanted);
      const found = exact ? [exact] : current.filter((s) => s.id.startsWith(wanted));
      if (found.length > 1) {
        throw new UsageError(`"${id}" is the start of ${found.length} silences' ids (${found.map((s) => s.id).join(", ")}); give more of the id`);
      }
      const target = found[0];
      if (!target) return undefined;
      this.write(current.filter((s) => s !== target));
      return target;
    });
  }

  /** Creates the data directory if missing and checks it is writable. */
  ensureDir(): void {
    try {
      mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
      accessSync(this.dataDir, constants.W_OK);
    } catch (err) {
      throw new StorageError(
        `cannot use data directory ${this.dataDir} (${codeOf(err)}): run this as the user that runs Lookout (e.g. with sudo), or pass the agent's --data-dir DIR`,
        { cause: err },
      );
    }
  }

  /** The file's silences, from the cache when the file has not changed since it was read. */
  private read(): readonly Silence[] {
    let big;
    try {
      big = statSync(this.path, { bigint: true });
    } catch (err) {
      if (codeOf(err) === "ENOENT") {
        this.cache = undefined;
        return [];
      }
      throw new StorageError(`cannot read ${this.path} (${codeOf(err)}): check its permissions and those of ${this.dataDir}`, { cause: err });
    }
    const c = this.cache;
    if (c && c.ino === big.ino && c.size === big.size && c.mtimeNs === big.mtimeNs) return c.silences;
    return this.readFresh();
  }

  /** Reads and parses the file now, and caches what it read with the stat of the very file read. */
  private readFresh(): readonly Silence[] {
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch (err) {
      if (codeOf(err) === "ENOENT") {
        this.cache = undefined;
        return [];
      }
      throw new StorageError(`cannot read ${this.path} (${codeOf(err)}): check its permissions and those of ${this.dataDir}`, { cause: err });
    }
    let text: string;
    let st;
    try {
      st = fstatSync(fd, { bigint: true });
      text = readFileSync(fd, "utf8");
    } catch (err) {
      throw new StorageError(`cannot read ${this.path} (${codeOf(err)}): check its permissions`, { cause: err });
    } finally {
      closeSync(fd);
    }
    const silences = Object.freeze(this.parse(text).map((s) => Object.freeze(s)));
    this.cache = { ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, silences };
    return silences;
  }

  private parse(text: string): Silence[] {
    try {
      const data = JSON.parse(text) as Partial<SilencesFile>;
      if (data === null || typeof data !== "object") throw new Error("not a JSON object");
      if (data.version !== 1) throw new Error(`version ${String(data.version)}`);
      if (!Array.isArray(data.silences)) throw new Error(`"silences" is not a list`);
      return data.silences.map((s, i) => checkSilence(s, i));
    } catch (err) {
      // Writes are atomic: only an edit by hand (or a disk fault) gets here.
      throw new StorageError(
        `${this.path} is not a silences file this version understands (${(err as Error).message}); ` +
          `fix it by hand, or move it aside (this drops every silence) and add them again with lookout silence add`,
        { cause: err },
      );
    }
  }

  private write(silences: Silence[]): void {
    const data: SilencesFile = { version: 1, silences: [...silences].sort(byEnd) };
    const tmp = `${this.path}.${process.pid}.${randomBytes(3).toString("hex")}.tmp`;
    try {
      const fd = openSync(tmp, "wx", 0o600);
      try {
        this.chownToDataDir(fd);
        writeSync(fd, JSON.stringify(data, null, 2) + "\n");
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        /* never created */
      }
      throw new StorageError(`cannot write ${this.path} (${codeOf(err)}): is the disk full or read-only?`, { cause: err });
    }
    try {
      const dirFd = openSync(this.dataDir, "r");
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch {
      /* the rename is done; syncing the directory is best effort */
    }
  }

  /**
   * Run as root (`sudo lookout silence add`) for an agent that runs as another
   * user: leave the file owned by the data directory's owner, so the agent can
   * still read it (mode 600).
   */
  private chownToDataDir(fd: number): void {
    if (process.geteuid?.() !== 0) return;
    try {
      const dir = statSync(this.dataDir);
      if (dir.uid !== 0) fchownSync(fd, dir.uid, dir.gid);
    } catch {
      /* best effort */
    }
  }

  /** Runs `fn` holding `silences.lock` (waiting up to LOCK_WAIT_MS for another writer). */
  private withLock<T>(fn: () => T): T {
    this.ensureDir();
    const token = `${process.pid}-${randomBytes(4).toString("hex")}`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      let fd: number | undefined;
      try {
        fd = openSync(this.lockPath, "wx", 0o600);
      } catch (err) {
        if (codeOf(err) !== "EEXIST") {
          throw new StorageError(`cannot create ${this.lockPath} (${codeOf(err)}): is the data directory writable by this user?`, { cause: err });
        }
      }
      if (fd !== undefined) {
        try {
          writeSync(fd, JSON.stringify({ pid: process.pid, token, since: new Date().toISOString() }));
        } finally {
          closeSync(fd);
        }
        break;
      }
      let held: Stats;
      try {
        held = statSync(this.lockPath);
      } catch {
        continue; // released in between: try again at once
      }
      if (Date.now() - held.mtimeMs > LOCK_STALE_MS) {
        try {
          unlinkSync(this.lockPath); // left by a writer that died
        } catch {
          /* someone else took it over first */
        }
        continue;
      }
      if (Date.now() >= deadline) {
        const owner = this.lockOwner();
        throw new StorageError(
          `another lookout command is changing the silences (${this.lockPath} held${owner ? ` by pid ${owner.pid} since ${owner.since}` : ""}); ` +
            `try again. If no lookout command is running, delete ${this.lockPath}`,
        );
      }
      sleepSync(5 + Math.random() * 20);
    }
    try {
      return fn();
    } finally {
      if (this.lockOwner()?.token === token) {
        try {
          unlinkSync(this.lockPath);
        } catch {
          /* already gone */
        }
      }
    }
  }

  private lockOwner(): { pid: number; token: string; since: string } | undefined {
    try {
      return JSON.parse(readFileSync(this.lockPath, "utf8")) as { pid: number; token: string; since: string };
    } catch {
      return undefined;
    }
  }
}

function checkSilence(raw: unknown, i: number): Silence {
  const s = raw as Partial<Silence> | null;
  const bad = (what: string) => new Error(`silences[${i}]: ${what}`);
  if (s === null || typeof s !== "object") throw bad("not an object");
  if (typeof s.id !== "string" || s.id === "") throw bad("no id");
  if (!Array.isArray(s.matchers) || !s.matchers.every((m) => typeof m === "string")) throw bad("matchers is not a list of label=value");
  for (const m of s.matchers) {
    const problem = matcherProblem(m);
    if (problem) throw bad(`matcher ${JSON.stringify(m)}: ${problem}`);
  }
  for (const k of ["startsAt", "endsAt", "createdAt"] as const) {
    if (typeof s[k] !== "number" || !Number.isFinite(s[k])) throw bad(`${k} is not a time in ms`);
  }
  return {
    id: s.id,
    matchers: [...s.matchers],
    startsAt: s.startsAt!,
    endsAt: s.endsAt!,
    comment: typeof s.comment === "string" ? s.comment : "",
    createdBy: typeof s.createdBy === "string" ? s.createdBy : "",
    createdAt: s.createdAt!,
  };
}

const parsedMatchers = new Map<string, LabelMatcher | null>();

/** Parsed once per distinct text (silences are checked for every alert, every cycle). Null when invalid. */
function matcherFor(text: string): LabelMatcher | null {
  let m = parsedMatchers.get(text);
  if (m === undefined) {
    try {
      m = parseMatcher(text);
    } catch {
      m = null;
    }
    if (parsedMatchers.size >= 10_000) parsedMatchers.clear();
    parsedMatchers.set(text, m);
  }
  return m;
}

/** The first silence in force at `now` whose matchers all hold for these labels. */
export function silencing(labels: Record<string, string>, silences: readonly Silence[], now: number): Silence | undefined {
  for (const s of silences) {
    if (s.startsAt > now || s.endsAt <= now) continue;
    const matchers = s.matchers.map(matcherFor);
    if (matchers.some((m) => m === null)) continue; // cannot happen for a checked file or config
    if (matchesAll(matchers as LabelMatcher[], labels)) return s;
  }
  return undefined;
}
