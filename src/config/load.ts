/**
 * Finding, reading and validating the configuration. Everything that can be
 * wrong with it is reported at once, one line per problem, naming the key,
 * what was expected and what was found; nothing runs on a bad config.
 */
import { isDeepStrictEqual } from "node:util";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from "yaml";
import type { z } from "zod";
import { BUILT_IN, ConfigError } from "../errors.js";
import { isLocale, type Messages, messages } from "../i18n/messages.js";
import { type CacheMaterial, pathKey, type ScalarSource } from "./cache.js";
import { expandEnv, formatPath } from "./env.js";
import { configError, findConfigPath, finishLoad, type LoadedConfig, type LoadOptions, localeFromEnv, readConfigText } from "./loaded.js";
import { issueText } from "./problems.js";
import { configSchema, SCHEMA_FILE } from "./schema.js";
import { closest } from "./suggest.js";

export { formatPath } from "./env.js";
// What moved out of this file (it loads zod and yaml; they do not), for whoever imports it from here.
export { cannotReadProblem, type FileRead, MAX_SECRET_FILE_BYTES, readSecretFile, readSmallFile } from "./files.js";
export { configError, DEFAULT_CONFIG_PATHS, findConfigPath, type LoadedConfig, type LoadOptions, MAX_CONFIG_BYTES, MAX_PROBLEMS, resolveDataDir } from "./loaded.js";
export { closest } from "./suggest.js";

/** Unknown keys listed at most per mapping; the rest are counted in one line. */
const MAX_UNKNOWN_LISTED = 20;
/** Unknown keys given a "did you mean" at most (each costs a comparison with every known key at its level). */
const MAX_SUGGESTIONS = 100;

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  return loadWithMaterial(opts).loaded;
}

/**
 * The config loaded, with what the validated-config cache (config/cache.ts) needs to keep it: the file's text, its
 * YAML as read, the validated config as zod gave it (before finishLoad changes it) and what each string came from.
 */
export function loadWithMaterial(opts: LoadOptions = {}, file?: { path: string | null; text: string }): { loaded: LoadedConfig; material: CacheMaterial } {
  const env = opts.env ?? process.env;
  // `file`: the file already found and read (by config/cached-load.ts, which looked for it in the cache first).
  const path = file ? file.path : findConfigPath(opts);
  const text = file ? file.text : readConfigText(path, env);
  const read = path ? parseYaml(text, path, messages(localeFromEnv(env))) : { value: {}, scalars: new Map<string, ScalarSource>() };
  const raw = read.value;
  const source = path ?? BUILT_IN;
  const m = messages(localeFromEnv(env, raw));
  const problems: string[] = [];
  const expanded = expandEnv(raw, [], env, problems, m);
  if (problems.length > 0) throw configError(problems, source, m);

  // jitless: zod would otherwise compile a fast path for each object schema with `new Function`, which costs more
  // (~10 ms of a `lookout check`) than it saves on the one parse a process makes of its config.
  const parsed = configSchema.safeParse(expanded, { jitless: true });
  if (!parsed.success) throw configError(formatIssues(parsed.error.issues, expanded, m), source, m);
  const literalWebhook = path !== null && text !== "" && rawHoldsLiteralWebhook(raw);
  const json = JSON.stringify(parsed.data);
  const fileLocale = (raw as { locale?: unknown }).locale;
  const material: CacheMaterial = {
    path,
    text,
    raw,
    scalars: read.scalars,
    // Only plain data is kept: what JSON would change (an Infinity, an undefined in a list) is not cached.
    validatedJson: isDeepStrictEqual(JSON.parse(json), parsed.data) ? json : null,
    fileLocale: isLocale(fileLocale) ? fileLocale : undefined,
    literalWebhook,
    plainString: plainStringAt,
    schemaFile: SCHEMA_FILE,
  };
  const loaded = finishLoad(parsed.data, { opts, env, path, m, literalWebhook });
  return { loaded, material };
}

/** Whether the file itself (not the environment) holds a webhook URL. */
function rawHoldsLiteralWebhook(raw: unknown): boolean {
  const entries = (raw as { notify?: { slack?: unknown } })?.notify?.slack;
  if (!Array.isArray(entries)) return false;
  return entries.some((e) => typeof (e as { webhook_url?: unknown })?.webhook_url === "string" && !(e as { webhook_url: string }).webhook_url.includes("${"));
}

function parseYaml(text: string, path: string, m: Messages): { value: object; scalars: Map<string, ScalarSource> } {
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
  if (value === null || value === undefined) return { value: {}, scalars: new Map() };
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError([m.t("config.yaml.notMapping", { value: describe(value, m) })], path, m.locale);
  }
  return { value, scalars: scalarSources(doc.contents) };
}

/**
 * Where each string scalar of the document is in the file, by its key path (pathKey): what the validated-config
 * cache reads a secret back from instead of keeping it (config/cache.ts). Nothing under an alias (its values are
 * copies made by toJS) or a key that is not a scalar.
 */
function scalarSources(root: unknown): Map<string, ScalarSource> {
  const out = new Map<string, ScalarSource>();
  const walk = (node: unknown, path: Array<string | number>): void => {
    if (isMap(node)) {
      for (const pair of node.items) if (isScalar(pair.key)) walk(pair.value, [...path, String(pair.key.value)]);
    } else if (isSeq(node)) {
      for (const [i, item] of node.items.entries()) walk(item, [...path, i]);
    } else if (isScalar(node) && typeof node.value === "string" && node.range) {
      out.set(pathKey(path), { start: node.range[0], end: node.range[1], style: node.type ?? "", value: node.value });
    }
  };
  walk(root, []);
  return out;
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

/**
 * Whether the schema takes any non-empty text at `path` as it is: a string whose only check, if any, is that it is not
 * empty (config/cache.ts; the cache never puts back an empty value).
 */
function plainStringAt(path: ReadonlyArray<string | number>): boolean {
  let schema: unknown = configSchema;
  for (const p of path) {
    const s = unwrap(schema) as { def?: { type?: string; element?: unknown; shape?: Record<string, unknown>; valueType?: unknown } } | undefined;
    if (s?.def?.type === "array" && typeof p === "number") schema = s.def.element;
    else if (s?.def?.type === "record") schema = s.def.valueType;
    else if (s?.def?.type === "object") schema = s.def.shape?.[String(p)];
    else return false;
  }
  const leaf = unwrap(schema) as { def?: { type?: string; checks?: Array<{ _zod?: { def?: { check?: string; minimum?: number } } }> } } | undefined;
  if (leaf?.def?.type !== "string") return false;
  return (leaf.def.checks ?? []).every((c) => c._zod?.def?.check === "min_length" && (c._zod.def.minimum ?? 0) <= 1);
}
