/**
 * The validated-config cache: a `lookout check` from cron reads the same file
 * every minute, and building the schema (zod) and reading YAML cost more CPU
 * than the whole cycle. When the file, the environment it reads and Lookout's
 * schema are those of the last load, the config is taken from here, and
 * neither zod nor yaml is loaded (config/cached-load.ts).
 *
 * No secret is written. Every secret (`http.auth_token`, and under `notify`
 * every token, password, key, URL, topic and header value) is kept as where
 * it is in the config file (a byte range of the scalar) and
 * read back from the file's text, which must be the same (its fingerprint); a `${VAR}` in it
 * is expanded again from the environment, and of such a variable only whether
 * it is set is kept. A variable used elsewhere (an interval, a hostname) is
 * kept with its value: those values are not secrets, and Lookout shows them.
 * A config whose secret cannot be kept that way (behind a YAML alias, in a
 * scalar with escapes, a `${VAR}` in a value the schema checks beyond being
 * text, a variable used in both kinds of place) is simply not cached.
 *
 * Where: $XDG_CACHE_HOME/lookout/config, else ~/.cache/lookout/config (mode
 * 0700, files 0600, read only when they are this user's and no one else can
 * write to them), one file per config path; LOOKOUT_CONFIG_CACHE=off turns it
 * off. Every failure to read or write it means a full load, never an error.
 */
import { closeSync, constants as fsConstants, fstatSync, mkdirSync, openSync, readSync, renameSync, type Stats, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fingerprint } from "../hash.js";
import type { Messages } from "../i18n/messages.js";
import { isLocale, type Locale } from "../i18n/messages.js";
import { VERSION } from "../version.js";
import { ENV_RE, expandEnv } from "./env.js";
import type { LookoutConfig } from "./schema.js";

/** What the loader hands over after a full load (config/load.ts loadWithMaterial). */
export interface CacheMaterial {
  /** The file read, or null for built-in defaults. */
  path: string | null;
  text: string;
  /** The YAML as read, before `${VAR}`s are expanded. */
  raw: unknown;
  /** Where each string scalar is in the file, by pathKey. */
  scalars: ReadonlyMap<string, ScalarSource>;
  /** The validated config as zod gave it, as JSON (null when it is not plain data JSON keeps as is). */
  validatedJson: string | null;
  /** The file's own `locale:`, when it names one (the language of problems before validation). */
  fileLocale: Locale | undefined;
  literalWebhook: boolean;
  /** Whether the schema takes any non-empty text at this path as is (no other check, no change): a `${VAR}` there can be expanded anew. */
  plainString(path: ReadonlyArray<string | number>): boolean;
  /** The file the schema's code was loaded from: a new Lookout, or a changed schema, is another file or another time. */
  schemaFile: string;
}

/** A string scalar's place in the config file: bytes [start, end) of its source, its YAML style and value. */
export interface ScalarSource {
  start: number;
  end: number;
  style: string;
  value: string;
}

/** A secret put back on a hit: the scalar at [start, end) of the file, at `path` of the config. */
interface Recipe {
  path: Array<string | number>;
  start: number;
  end: number;
  style: string;
}

interface Entry {
  v: 1;
  version: string;
  schema: { file: string; mtimeMs: number; size: number };
  configPath: string | null;
  /** The config file's text, fingerprinted (hash.ts). */
  fingerprint: string;
  /** Variables used outside secrets: their values (null: unset). */
  envValues: Record<string, string | null>;
  /** Variables used in secrets: whether each is set (not empty). */
  envSet: Record<string, boolean>;
  fileLocale: Locale | null;
  literalWebhook: boolean;
  config: unknown;
  recipes: Recipe[];
}

/** expandEnv's messages, for a check that needs only the values (a problem was said by the full load already). */
const NO_MESSAGES = { t: () => "" } as unknown as Messages;

export const pathKey = (path: ReadonlyArray<string | number>): string => JSON.stringify(path);

/** The directory of the cache, or null (no home, or LOOKOUT_CONFIG_CACHE=off). */
export function configCacheDir(env: NodeJS.ProcessEnv): string | null {
  if (env.LOOKOUT_CONFIG_CACHE === "off") return null;
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : env.HOME ? join(env.HOME, ".cache") : null;
  return base ? join(base, "lookout", "config") : null;
}

function entryFile(dir: string, configPath: string | null): string {
  return join(dir, `${fingerprint(configPath ?? "(built-in defaults)")}.json`);
}

/** A receiver's key that holds a secret, whatever the kind: token, bot_token, password, user_key, routing_key, url, webhook_url, topic. */
const SECRET_KEY = /(^|_)(token|password|key|url|topic)$/;

/** Whether a string at `path` is a secret: the HTTP token, a receiver's secret key, or a header's value. */
export function isSecret(path: ReadonlyArray<string | number>): boolean {
  if (path[0] === "http") return path.length === 2 && path[1] === "auth_token";
  if (path[0] !== "notify" || path.length < 3) return false;
  return path.at(-2) === "headers" || SECRET_KEY.test(String(path.at(-1)));
}

/** The shortest secret looked for in the kept config as a last check (a shorter one would match ordinary words). */
const MIN_SECRET_SEARCHED = 8;

/** The variables a string uses. */
function variablesIn(text: string): string[] {
  return Array.from(text.matchAll(ENV_RE), (m) => m[1]!);
}

/**
 * The scalar's value read from its source text, when that is plain enough to read without a YAML parser: a plain
 * scalar on one line, or a quoted one without escapes or line breaks. undefined otherwise.
 */
function decode(source: string, style: string): string | undefined {
  if (/[\r\n]/.test(source)) return undefined;
  if (style === "PLAIN") return source;
  if (style === "QUOTE_SINGLE" && source.length >= 2 && source.startsWith("'") && source.endsWith("'")) return source.slice(1, -1).replaceAll("''", "'");
  if (style === "QUOTE_DOUBLE" && source.length >= 2 && source.startsWith('"') && source.endsWith('"') && !source.includes("\\")) return source.slice(1, -1);
  return undefined;
}

/** Every string leaf of `value`, with its path. */
function* stringLeaves(value: unknown, path: Array<string | number> = []): Generator<[Array<string | number>, string]> {
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* stringLeaves(v, [...path, i]);
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) yield* stringLeaves(v, [...path, k]);
}

function valueAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function setAt(root: unknown, path: ReadonlyArray<string | number>, value: unknown): boolean {
  let cur = root;
  for (const p of path.slice(0, -1)) {
    if (cur === null || typeof cur !== "object") return false;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  if (cur === null || typeof cur !== "object") return false;
  (cur as Record<string | number, unknown>)[path.at(-1)!] = value;
  return true;
}

/**
 * The entry to keep for a full load, or null when this config cannot be kept without a secret (the module's comment
 * says when). Pure: `env` is the environment of the load.
 */
export function cacheEntry(material: CacheMaterial, env: NodeJS.ProcessEnv, schema: Entry["schema"]): Entry | null {
  if (material.validatedJson === null) return null;
  const config: unknown = JSON.parse(material.validatedJson);
  const envValues: Record<string, string | null> = {};
  const envSet: Record<string, boolean> = {};
  const recipes: Recipe[] = [];
  // Variables outside secrets: kept with their values.
  for (const [path, raw] of stringLeaves(material.raw)) {
    if (isSecret(path)) continue;
    for (const name of variablesIn(raw)) envValues[name] = env[name] ?? null;
  }
  for (const [path, raw] of stringLeaves(material.raw)) {
    if (!isSecret(path)) continue;
    const validated = valueAt(config, path);
    if (validated === undefined) continue; // not in the config (a key zod dropped): nothing to put back
    if (typeof validated !== "string") return null; // the schema made something else of a secret: not kept at all
    const source = material.scalars.get(pathKey(path));
    if (!source || source.value !== raw) return null;
    if (decode(material.text.slice(source.start, source.end), source.style) !== raw) return null;
    const names = variablesIn(raw);
    if (names.length > 0 && !material.plainString(path)) return null;
    if (names.length === 0 && validated !== raw) return null; // the schema changed it: reading it back would not
    for (const name of names) {
      if (name in envValues) return null; // used in a secret and elsewhere: its value would be kept
      envSet[name] = env[name] !== undefined && env[name] !== "";
    }
    setAt(config, path, "");
    recipes.push({ path, start: source.start, end: source.end, style: source.style });
  }
  // Every secret is now a recipe: none is left with a value, and no secret's text is anywhere in what is kept.
  // (A secret key's default, like ntfy's url, is the schema's text, not the user's: it is not in the file.)
  for (const [path, value] of stringLeaves(config)) if (isSecret(path) && value !== "" && valueAt(material.raw, path) !== undefined) return null;
  const kept = JSON.stringify({ config, envValues });
  for (const [path, raw] of stringLeaves(material.raw)) {
    if (!isSecret(path)) continue;
    const value = expandEnv(raw, path, env, [], NO_MESSAGES);
    if (typeof value === "string" && value.length >= MIN_SECRET_SEARCHED && kept.includes(JSON.stringify(value).slice(1, -1))) return null;
  }
  return {
    v: 1,
    version: VERSION,
    schema,
    configPath: material.path,
    fingerprint: fingerprint(material.text),
    envValues,
    envSet,
    fileLocale: material.fileLocale ?? null,
    literalWebhook: material.literalWebhook,
    config,
    recipes,
  };
}

/** Writes the cache after a full load; says nothing when it cannot (no home, a read-only disk). */
export function writeConfigCache(dir: string | null, material: CacheMaterial, env: NodeJS.ProcessEnv): void {
  if (!dir) return;
  try {
    const st = statSync(material.schemaFile);
    const entry = cacheEntry(material, env, { file: material.schemaFile, mtimeMs: st.mtimeMs, size: st.size });
    if (!entry) return;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!trusted(statSync(dir))) return;
    const file = entryFile(dir, material.path);
    const aside = `${file}.${process.pid}.tmp`;
    writeFileSync(aside, JSON.stringify(entry), { mode: 0o600 });
    renameSync(aside, file);
  } catch {
    // no cache this time
  }
}

/** What a hit gives: the validated config (a fresh object) and what finishing it needs. */
export interface CachedConfig {
  config: LookoutConfig;
  fileLocale: Locale | undefined;
  literalWebhook: boolean;
}

/**
 * The validated config of `text` (the file at `path`, just read) from the cache, when the file, the environment and
 * the schema are those it was kept for; else null.
 */
export function readConfigCache(dir: string | null, path: string | null, text: string, env: NodeJS.ProcessEnv, m: Messages): CachedConfig | null {
  if (!dir) return null;
  try {
    return fromEntry(dir, path, text, env, m);
  } catch {
    return null; // a damaged entry (edited by hand, cut short): loaded in full, and kept anew
  }
}

function fromEntry(dir: string, path: string | null, text: string, env: NodeJS.ProcessEnv, m: Messages): CachedConfig | null {
  const json = readTrusted(entryFile(dir, path));
  if (json === null) return null;
  let entry: Entry;
  try {
    entry = JSON.parse(json) as Entry;
  } catch {
    return null;
  }
  if (entry.v !== 1 || entry.version !== VERSION || entry.configPath !== path) return null;
  try {
    const st = statSync(entry.schema.file);
    if (st.mtimeMs !== entry.schema.mtimeMs || st.size !== entry.schema.size) return null;
  } catch {
    return null;
  }
  if (entry.fingerprint !== fingerprint(text)) return null;
  for (const [name, value] of Object.entries(entry.envValues)) if ((env[name] ?? null) !== value) return null;
  for (const [name, set] of Object.entries(entry.envSet)) if ((env[name] !== undefined && env[name] !== "") !== set) return null;
  const config = entry.config;
  for (const r of entry.recipes) {
    const raw = decode(text.slice(r.start, r.end), r.style);
    if (raw === undefined) return null;
    const problems: string[] = [];
    const value = expandEnv(raw, r.path, env, problems, m);
    // Empty is what a non-empty check refuses: the full load says so.
    if (problems.length > 0 || value === "" || !setAt(config, r.path, value)) return null;
  }
  const fileLocale = isLocale(entry.fileLocale ?? undefined) ? (entry.fileLocale as Locale) : undefined;
  return { config: config as LookoutConfig, fileLocale, literalWebhook: entry.literalWebhook === true };
}

function trusted(st: Stats): boolean {
  return st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
}

/** The file's text when it is a regular file of this user's that no one else may write to; else null. */
function readTrusted(file: string): string | null {
  let fd: number;
  try {
    fd = openSync(file, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || !trusted(st) || st.size > 4 * 1024 * 1024) return null;
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < st.size) {
      const n = readSync(fd, buf, at, st.size - at, at);
      if (n === 0) return null;
      at += n;
    }
    return buf.toString("utf8");
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
