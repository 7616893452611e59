/**
 * What a loaded config is, where it comes from, and what is done with it
 * once validated (the environment's overrides, the receivers' names, the data
 * directory, the host's root and name). Without zod or yaml: the loader
 * (config/load.ts) and the validated-config cache (config/cache.ts) both end
 * here, so a config from either is finished the same way.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { dirname, resolve } from "node:path";
import { BUILT_IN, ConfigError } from "../errors.js";
import { DEFAULT_LOCALE, isLocale, LOCALES, type Locale, type Messages, messages } from "../i18n/messages.js";
import { registerSecret } from "../secrets.js";
import { readSmallFile } from "./files.js";
import { parseListen } from "./listen.js";
import { RECEIVER_LISTS, receiverName } from "./names.js";
import type { LookoutConfig } from "./schema.js";

export const DEFAULT_CONFIG_PATHS = ["./lookout.yaml", "/etc/lookout/lookout.yaml"];

/**
 * The largest config file read: a real one is a few KiB (`lookout init` writes about 10). YAML parses at
 * about 2–3 s per MiB here, so this also bounds how long a hostile file can keep Lookout busy.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Problems listed at most; the rest are counted in one line. */
export const MAX_PROBLEMS = 50;
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
export function localeFromEnv(env: NodeJS.ProcessEnv, raw?: unknown): Locale {
  const fromEnv = env.LOOKOUT_LOCALE?.trim();
  if (isLocale(fromEnv)) return fromEnv;
  const fromFile = raw !== null && typeof raw === "object" ? (raw as { locale?: unknown }).locale : undefined;
  return isLocale(fromFile) ? fromFile : DEFAULT_LOCALE;
}

/** The config file's text (empty for none), or the ConfigError that says why it cannot be read. */
export function readConfigText(path: string | null, env: NodeJS.ProcessEnv): string {
  if (!path) return "";
  const m = messages(localeFromEnv(env));
  const read = readSmallFile(path, MAX_CONFIG_BYTES, m);
  if (!read.ok) throw new ConfigError([m.t("config.cannotRead", { problem: read.problem, fix: read.fix ?? m.t("file.fix.permissions") })], path, m.locale);
  return read.text;
}

/** What finishLoad needs besides the validated config. */
export interface FinishContext {
  opts: LoadOptions;
  env: NodeJS.ProcessEnv;
  /** The file read, or null for built-in defaults. */
  path: string | null;
  /** The language of the config's problems (localeFromEnv with the file's own `locale:`). */
  m: Messages;
  /** Whether the file itself (not the environment) holds a Slack webhook URL: it should not be readable by others. */
  literalWebhook: boolean;
}

/**
 * A validated config made ready to run: LOOKOUT_HTTP_LISTEN, LOOKOUT_LOCALE and LOOKOUT_SLACK_WEBHOOK_URL applied,
 * receivers' names and routes checked, warnings said, the data directory, host root and host name found.
 */
export function finishLoad(config: LookoutConfig, ctx: FinishContext): LoadedConfig {
  const { env, path, m, opts } = ctx;
  const source = path ?? BUILT_IN;
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
  const problems = receiverProblems(config, m);
  if (problems.length > 0) throw configError(problems, source, m);

  if (path && ctx.literalWebhook) {
    try {
      const mode = statSync(path).mode;
      if (mode & 0o044) {
        warnings.push(m.t("config.warn.readableWebhook", { path, mode: (mode & 0o777).toString(8) }));
      }
    } catch {
      /* stat failed after a successful read: nothing to warn about */
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

/** The ConfigError of `problems` (written in `m`'s language), at most MAX_PROBLEMS of them listed and the rest counted. */
export function configError(problems: string[], source: string, m: Messages = messages(DEFAULT_LOCALE)): ConfigError {
  if (problems.length <= MAX_PROBLEMS) return new ConfigError(problems, source, m.locale);
  const more = problems.length - MAX_PROBLEMS;
  return new ConfigError([...problems.slice(0, MAX_PROBLEMS), m.plural("config.more", more)], source, m.locale);
}
