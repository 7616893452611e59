/**
 * Finding, reading and validating the configuration. Everything that can be
 * wrong with it is reported at once, one line per problem, naming the key,
 * what was expected and what was found; nothing runs on a bad config.
 */
import { closeSync, existsSync, constants as fsConstants, fstatSync, openSync, readFileSync, readSync, type Stats, statSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { dirname, resolve } from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, visit } from "yaml";
import type { z } from "zod";
import { BUILT_IN, ConfigError } from "../errors.js";
import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale, type MessageKey, type Messages, messages } from "../i18n/messages.js";
import { registerSecret } from "../secrets.js";
import { parseListen } from "./listen.js";
import { issueText } from "./problems.js";
import { configSchema, type LookoutConfig, RECEIVER_LISTS, receiverName } from "./schema.js";

export const DEFAULT_CONFIG_PATHS = ["./lookout.yaml", "/etc/lookout/lookout.yaml"];

/**
 * The largest config file read: a real one is a few KiB (`lookout init` writes about 10). YAML parses at
 * about 2–3 s per MiB here, so this also bounds how long a hostile file can keep Lookout busy.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** The largest file a secret is read from (webhook_url_file, header_files): one URL or token. */
export const MAX_SECRET_FILE_BYTES = 16 * 1024;
/** Problems listed at most; the rest are counted in one line. */
export const MAX_PROBLEMS = 50;
/** Unknown keys listed at most per mapping; the rest are counted in one line. */
const MAX_UNKNOWN_LISTED = 20;
/** Unknown keys given a "did you mean" at most (each costs a comparison with every known key at its level). */
const MAX_SUGGESTIONS = 100;

export interface LoadedConfig {
  config: LookoutConfig;
  /** The file read, or null for built-in defaults. */
  path: string | null;
  /** Problems worth saying that do not stop the agent. */
  warnings: string[];
  /** Where the data directory is, resolved. */
  dataDir: string;
  hostname: string;
  hostRoot: string;
  /**
   * Receiver entries that come from an environment variable, not the file
   * (LOOKOUT_SLACK_WEBHOOK_URL alone): the variable, for messages. Receivers
   * resolve their own URLs and secret files as they are built (notify/registry.ts).
   */
  fromEnvironment?: ReadonlyMap<object, string>;
}

export interface LoadOptions {
  /** `--config`. */
  configPath?: string;
  /** `--data-dir`. */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Which file to read: --config, else LOOKOUT_CONFIG, else ./lookout.yaml, else /etc/lookout/lookout.yaml, else none. */
export function findConfigPath(opts: LoadOptions): string | null {
  const env = opts.env ?? process.env;
  const explicit = opts.configPath ?? env.LOOKOUT_CONFIG;
  if (explicit) {
    const p = resolve(explicit);
    if (!existsSync(p)) {
      const m = messages(localeFromEnv(env));
      throw new ConfigError([m.t("config.notFound", { path: p, given: explicit })], explicit, m.locale);
    }
    return p;
  }
  for (const candidate of DEFAULT_CONFIG_PATHS) {
    const p = resolve(candidate);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * The language of the config's problems, as soon as it can be told: LOOKOUT_LOCALE, else the file's own `locale:`
 * (read before validation, so a Korean config with a mistake is told of it in Korean), else English.
 */
function localeFromEnv(env: NodeJS.ProcessEnv, raw?: unknown): Locale {
  const fromEnv = env.LOOKOUT_LOCALE?.trim();
  if (isLocale(fromEnv)) return fromEnv;
  const fromFile = raw !== null && typeof raw === "object" ? (raw as { locale?: unknown }).locale : undefined;
  return isLocale(fromFile) ? fromFile : DEFAULT_LOCALE;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const path = findConfigPath(opts);
  let raw: unknown = {};
  let text = "";
  if (path) {
    const m = messages(localeFromEnv(env));
    const read = readSmallFile(path, MAX_CONFIG_BYTES, m);
    if (!read.ok) throw new ConfigError([m.t("config.cannotRead", { problem: read.problem, fix: read.fix ?? m.t("file.fix.permissions") })], path, m.locale);
    text = read.text;
    raw = parseYaml(text, path, m);
  }
  const source = path ?? BUILT_IN;
  const m = messages(localeFromEnv(env, raw));
  const problems: string[] = [];
  const expanded = expandEnv(raw, [], env, problems, m);
  if (problems.length > 0) throw configError(problems, source, m);

  // jitless: zod would otherwise compile a fast path for each object schema with `new Function`, which costs more
  // (~10 ms of a `lookout check`) than it saves on the one parse a process makes of its config.
  const parsed = configSchema.safeParse(expanded, { jitless: true });
  if (!parsed.success) throw configError(formatIssues(parsed.error.issues, expanded, m), source, m);
  const config = parsed.data;
  // The HTTP token is a secret from here on (the log, error messages, the API's answers mask it).
  registerSecret(config.http.auth_token?.trim());
  // LOOKOUT_HTTP_LISTEN beats http.listen, as LOOKOUT_DATA_DIR beats data_dir (a container's port, a test's free port).
  const envListen = env.LOOKOUT_HTTP_LISTEN?.trim();
  if (envListen) {
    const a = parseListen(envListen);
    if ("problem" in a) throw configError([m.t("config.env.listen", { problem: m.t(a.said.key, a.said.params), value: JSON.stringify(envListen) })], source, m);
    config.http.listen = envListen;
  }

  // LOOKOUT_LOCALE beats locale (a container's language without a config file).
  const envLocale = env.LOOKOUT_LOCALE?.trim();
  if (envLocale) {
    if (!isLocale(envLocale)) {
      throw configError([m.t("config.env.locale", { first: LOCALES.slice(0, -1).join(", "), last: LOCALES.at(-1)!, value: JSON.stringify(envLocale) })], source, m);
    }
    config.locale = envLocale;
  }

  const warnings: string[] = [];
  const baseDir = path ? dirname(path) : process.cwd();
  // LOOKOUT_SLACK_WEBHOOK_URL alone is a Slack receiver; its URL is checked, like every receiver's secrets, as the receivers are
  // built (notify/registry.ts), which names the variable.
  const fromEnvironment = new Map<object, string>();
  const envUrl = env.LOOKOUT_SLACK_WEBHOOK_URL?.trim();
  if (envUrl && config.notify.slack.length === 0) {
    const entry = { name: "slack", min_severity: "warning" as const, webhook_url: envUrl };
    config.notify.slack.push(entry);
    fromEnvironment.set(entry, "LOOKOUT_SLACK_WEBHOOK_URL");
  }
  problems.push(...receiverProblems(config, m));
  if (problems.length > 0) throw configError(problems, source, m);

  if (path && text) {
    const literalUrl = rawHoldsLiteralWebhook(raw);
    if (literalUrl) {
      try {
        const mode = statSync(path).mode;
        if (mode & 0o044) {
          warnings.push(m.t("config.warn.readableWebhook", { path, mode: (mode & 0o777).toString(8) }));
        }
      } catch {
        /* stat failed after a successful read: nothing to warn about */
      }
    }
  }

  // A relative host_root is relative to the config file, like data_dir; LOOKOUT_HOST_ROOT to the working directory.
  const rootSetting = config.host_root !== undefined && config.host_root !== "" ? resolve(baseDir, config.host_root) : env.LOOKOUT_HOST_ROOT ? resolve(env.LOOKOUT_HOST_ROOT) : "";
  const hostRoot = rootSetting === "/" ? "" : rootSetting.replace(/\/+$/, "");
  const dataDir = resolveDataDir(opts.dataDir, config.data_dir, path, env);
  return { config, path, warnings, dataDir, hostname: config.hostname ?? readHostname(hostRoot), hostRoot, fromEnvironment };
}

/** Receivers must have distinct names, and every route must name one of them. */
function receiverProblems(config: LookoutConfig, m: Messages): string[] {
  const problems: string[] = [];
  const names = new Map<string, string>();
  const add = (name: string, key: string) => {
    const other = names.get(name);
    if (other !== undefined) problems.push(m.t("config.receiver.sameName", { key, name, other }));
    else names.set(name, key);
  };
  for (const [kind, list] of Object.entries(RECEIVER_LISTS)) {
    for (const [i, r] of config.notify[list].entries()) add(receiverName(kind, r, i), `notify.${list}[${i}]`);
  }
  const lists = Object.values(RECEIVER_LISTS).map((list) => `notify.${list}`);
  const words = (conjunction: "config.words.and" | "config.words.or") =>
    lists.length > 1 ? m.t(conjunction, { first: lists.slice(0, -1).join(", "), last: lists.at(-1)! }) : lists.join("");
  const mustName = (receiver: string, key: string) => {
    if (names.has(receiver)) return;
    const known = [...names.keys()];
    const lists = words("config.words.or");
    problems.push(
      known.length > 0
        ? m.t("config.route.noReceiver", { key, name: receiver, receivers: known.join(", "), lists })
        : m.t("config.route.noReceivers", { key, name: receiver, all: words("config.words.and"), lists }),
    );
  };
  for (const [i, route] of config.notify.routes.entries()) mustName(route.receiver, `notify.routes[${i}].receiver`);
  const summaryTo = config.notify.daily_summary?.receiver;
  if (summaryTo !== undefined) mustName(summaryTo, "notify.daily_summary.receiver");
  return problems;
}

/**
 * --data-dir, else $LOOKOUT_DATA_DIR, else the config's data_dir (relative to
 * the config file), else `data` next to the config file (so `--config` from
 * another directory finds the same state), except /var/lib/lookout for a config
 * in /etc/lookout/; with no config file, ./data, or /var/lib/lookout under systemd.
 */
export function resolveDataDir(flag: string | undefined, fromConfig: string | undefined, configPath: string | null, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  if (env.LOOKOUT_DATA_DIR) return resolve(env.LOOKOUT_DATA_DIR);
  if (fromConfig) return resolve(configPath ? dirname(configPath) : process.cwd(), fromConfig);
  if (configPath !== null) return configPath.startsWith("/etc/lookout/") ? "/var/lib/lookout" : resolve(dirname(configPath), "data");
  // systemd sets INVOCATION_ID for every service it starts.
  return env.INVOCATION_ID !== undefined ? "/var/lib/lookout" : resolve("./data");
}

function readHostname(hostRoot: string): string {
  if (hostRoot) {
    try {
      const name = readFileSync(`${hostRoot}/etc/hostname`, "utf8").trim();
      if (name) return name;
    } catch {
      /* fall back to our own */
    }
  }
  return osHostname();
}

export type FileRead = { ok: true; text: string } | { ok: false; problem: string; fix?: string };

/**
 * A file's text, when it is a regular file of at most `maxBytes`: never a
 * device (`/dev/zero` would never end), a FIFO (opened without waiting for a
 * writer), a directory or a huge file. Links are followed. Never throws; the
 * problem says what the file is, never what it holds.
 */
export function readSmallFile(path: string, maxBytes: number, m: Messages = messages(DEFAULT_LOCALE)): FileRead {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    return { ok: false, problem: (err as NodeJS.ErrnoException).code ?? "error" };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, problem: m.t("file.notRegular", { kind: m.t(kindOf(st)) }), fix: m.t("file.fix.regular") };
    if (st.size > maxBytes) return { ok: false, problem: m.t("file.tooLarge", { limit: sizeText(maxBytes), bytes: st.size }), fix: m.t("file.fix.rightFile") };
    // At most maxBytes + 1, whatever the size said: a file that grows meanwhile is still refused.
    const buf = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) return { ok: false, problem: m.t("file.tooLarge.grew", { limit: sizeText(maxBytes) }), fix: m.t("file.fix.rightFile") };
    }
    return { ok: true, text: buf.subarray(0, length).toString("utf8") };
  } catch (err) {
    return { ok: false, problem: (err as NodeJS.ErrnoException).code ?? "error" };
  } finally {
    closeSync(fd);
  }
}

function kindOf(st: Stats): MessageKey {
  if (st.isDirectory()) return "file.kind.directory";
  if (st.isCharacterDevice()) return "file.kind.charDevice";
  if (st.isBlockDevice()) return "file.kind.blockDevice";
  if (st.isFIFO()) return "file.kind.fifo";
  if (st.isSocket()) return "file.kind.socket";
  return "file.kind.unknown";
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB` : bytes >= 1024 ? `${Math.round((bytes / 1024) * 10) / 10} KiB` : `${bytes} bytes`;
}

/**
 * A secret kept in a file (webhook_url_file, header_files): its text, trimmed,
 * registered as a secret before anything else is done with it; or the problem,
 * which names the key and the file, never the content. One line only.
 */
export function readSecretFile(file: string, key: string, what: MessageKey, m: Messages = messages(DEFAULT_LOCALE)): string | { problem: string } {
  const read = readSmallFile(file, MAX_SECRET_FILE_BYTES, m);
  if (!read.ok) return { problem: cannotReadProblem(key, file, read, m) };
  const text = read.text.trim();
  registerSecret(text);
  if (/[\r\n]/.test(text)) return { problem: m.t("entry.moreThanOneLine", { key, file, what: m.t(what) }) };
  return text;
}

/** `KEY: cannot read FILE (why); fix`, in `m`'s language. */
export function cannotReadProblem(key: string, file: string, read: { problem: string; fix?: string }, m: Messages = messages(DEFAULT_LOCALE)): string {
  return m.t("entry.cannotRead", { key, file, problem: read.problem, fix: read.fix ?? m.t("file.fix.permissions") });
}

/** The ConfigError of `problems` (written in `m`'s language), at most MAX_PROBLEMS of them listed and the rest counted. */
export function configError(problems: string[], source: string, m: Messages = messages(DEFAULT_LOCALE)): ConfigError {
  if (problems.length <= MAX_PROBLEMS) return new ConfigError(problems, source, m.locale);
  const more = problems.length - MAX_PROBLEMS;
  return new ConfigError([...problems.slice(0, MAX_PROBLEMS), m.plural("config.more", more)], source, m.locale);
}

/** Whether the file itself (not the environment) holds a webhook URL. */
function rawHoldsLiteralWebhook(raw: unknown): boolean {
  const entries = (raw as { notify?: { slack?: unknown } })?.notify?.slack;
  if (!Array.isArray(entries)) return false;
  return entries.some((e) => typeof (e as { webhook_url?: unknown })?.webhook_url === "string" && !(e as { webhook_url: string }).webhook_url.includes("${"));
}

function parseYaml(text: string, path: string, m: Messages): unknown {
  // uniqueKeys: yaml checks each key against every other key of its mapping (quadratic: 20,000 keys took
  // seconds); keys are checked here instead, with a Set per mapping.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false, lineCounter });
  const at = (pos: { line: number; col: number } | undefined): string => (pos ? m.t("config.yaml.at", { line: pos.line, column: pos.col }) : m.t("config.yaml.somewhere"));
  const where = (offset: number | undefined): string => at(offset === undefined ? undefined : lineCounter.linePos(offset));
  // The parser's own words (`e.message`) are quoted as it wrote them, in English: what it found, at the place named.
  const problems = doc.errors.map((e) => m.t("config.yaml.invalid", { where: at(e.linePos?.[0]), message: e.message.split("\n")[0]! }));
  if (problems.length === 0) {
    visit(doc, {
      Map(_, map) {
        if (!isMap(map)) return;
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          const k = isScalar(pair.key) ? pair.key.value : pair.key;
          if (seen.has(k)) problems.push(m.t("config.yaml.duplicateKey", { where: where(isScalar(pair.key) ? pair.key.range?.[0] : undefined) }));
          seen.add(k);
        }
      },
    });
  }
  if (problems.length > 0) throw configError(problems, path, m);
  let value: unknown;
  try {
    // Aliases (*name) are expanded at most 100 times over: a "billion laughs" document would take all memory.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/alias/i.test(message)) {
      throw new ConfigError([m.t("config.yaml.aliases")], path, m.locale);
    }
    throw new ConfigError([m.t("config.yaml.invalidDocument", { message: message.split("\n")[0]! })], path, m.locale);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError([m.t("config.yaml.notMapping", { value: describe(value, m) })], path, m.locale);
  }
  return value;
}

const ENV_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${VAR}` and `${VAR:-default}` in string values, expanded after parsing (so a value can never inject YAML). */
function expandEnv(value: unknown, path: Array<string | number>, env: NodeJS.ProcessEnv, problems: string[], m: Messages): unknown {
  if (typeof value === "string") {
    return value.replace(ENV_RE, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      problems.push(m.t("config.env.unset", { key: formatPath(path), name }));
      return "";
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, [...path, i], env, problems, m));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, [...path, k], env, problems, m);
    return out;
  }
  return value;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || "(top level)";
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): { found: boolean; value: unknown } {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object" || !(p in (cur as object))) return { found: false, value: undefined };
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return { found: true, value: cur };
}

function describe(value: unknown, m: Messages): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return m.t("config.value.list");
  if (typeof value === "object") return m.t("config.value.mapping");
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  return String(value);
}

/** Keys whose value is a secret: a problem with it never quotes it (it is not registered yet when the schema refuses it). */
const SECRET_VALUE_KEYS = new Set(["http.auth_token"]);
/**
 * Receivers' secrets, whatever the kind: tokens, passwords, keys, webhook URLs (the URL is the secret) and ntfy's
 * topic (its password on an open server).
 */
const SECRET_RECEIVER_KEY = /^notify\.[a-z_]+\[\d+\](\.smtp)?\.(token|bot_token|password|user_key|routing_key|topic|webhook_url)$/;

function formatIssues(issues: z.core.$ZodIssue[], input: unknown, m: Messages): string[] {
  const lines: string[] = [];
  let suggested = 0;
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(issue.path);
      // A "did you mean" compares the key with each of the few keys known at its level, for the first
      // MAX_SUGGESTIONS unknown keys; the first MAX_UNKNOWN_LISTED of a mapping are listed: 300,000 keys stay linear.
      const listed = issue.keys.slice(0, MAX_UNKNOWN_LISTED);
      for (const key of listed) {
        const hint = suggested++ < MAX_SUGGESTIONS ? closest(key, known) : undefined;
        const at = formatPath([...issue.path, key]);
        lines.push(hint ? m.t("config.unknownKey.hint", { key: at, suggestion: hint }) : m.t("config.unknownKey", { key: at }));
      }
      const more = issue.keys.length - listed.length;
      if (more > 0) lines.push(m.plural("config.unknownKeys.more", more, { key: formatPath(issue.path) }));
      continue;
    }
    const at = valueAt(input, issue.path);
    const path = formatPath(issue.path);
    const got = at.found && !SECRET_VALUE_KEYS.has(path) && !SECRET_RECEIVER_KEY.test(path) ? m.t("config.got", { value: describe(at.value, m) }) : "";
    lines.push(`${path}: ${issueText(issue, m)}${got}`);
  }
  return [...new Set(lines)];
}

/** The keys the schema accepts at a path (for "did you mean"). */
function knownKeysAt(path: ReadonlyArray<PropertyKey>): string[] {
  // Walk the schema's JSON shape: good enough for objects and arrays of objects.
  let schema: unknown = configSchema;
  for (const p of path) {
    schema = unwrap(schema);
    if (typeof p === "number") {
      schema = (schema as { element?: unknown })?.element;
    } else {
      schema = (schema as { shape?: Record<string, unknown> })?.shape?.[String(p)];
    }
  }
  const shape = (unwrap(schema) as { shape?: Record<string, unknown> })?.shape;
  return shape ? Object.keys(shape) : [];
}

function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { innerType?: unknown; in?: unknown; schema?: unknown; type?: string } } | undefined;
  for (let i = 0; i < 10 && s?.def; i++) {
    const next = s.def.innerType ?? s.def.in ?? s.def.schema;
    if (!next) break;
    s = next as typeof s;
  }
  return s;
}

/** The candidate nearest to `word` (for "did you mean"), when one is near enough. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
