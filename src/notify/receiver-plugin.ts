/**
 * What a receiver kind brings (its plugin): where its entries are in the
 * configuration, and how one entry becomes a `Notifier`, its secrets read
 * (URL files, header files) and registered. Each receiver folder exports one;
 * `registry.ts` lists them, one line each. A plugin never throws for a bad
 * entry: it says what is wrong in `ctx.problems`, naming the key and the fix,
 * and the problems of every entry are refused together (ConfigError, exit 2).
 */
import { dirname } from "node:path";
import { configError, type LoadedConfig } from "../config/loaded.js";
import { RECEIVER_LISTS, receiverName, type Severity } from "../config/names.js";
import type { LookoutConfig } from "../config/schema.js";
import { DEFAULT_LOCALE, type Locale, type Messages, messages } from "../i18n/messages.js";
import { type DashboardLinks, dashboardLinks } from "./links.js";
import type { Notifier, ReceiverSettings } from "./notifier.js";

/** What a plugin is told about the entry it builds. */
export interface ReceiverContext {
  /** Its name in routes, logs and status: its `name`, else `slack[0]`. */
  name: string;
  /** Its entry in the configuration, for messages: `notify.slack[0]`. */
  key: string;
  /** The environment variable the entry comes from, when it is not in the file (`LOOKOUT_SLACK_WEBHOOK_URL`): messages name it. */
  fromEnv?: string;
  /** Where relative paths (URL files, header files) start: the config file's folder, else the working directory. */
  baseDir: string;
  /** `notify.timeout`. */
  timeoutMs: number;
  /** `notify.max_retry_after`. */
  maxRetryAfterMs: number;
  /** `interval`: how often a cycle runs (a receiver that keeps state is sent firing alerts again no more often). */
  intervalMs: number;
  /** Links to the dashboard (`http.public_url`) for its messages; undefined without one: messages stay as they were. */
  links?: DashboardLinks;
  /** The config's `locale`: the language of its test message (a notification carries its own). Default English. */
  locale?: Locale;
  /** What is wrong with the entry, one sentence each, naming the key and the fix, never a secret; in `locale`'s language (`entryMessages`). */
  problems: string[];
  /** Worth saying at start, not stopping. */
  warnings: string[];
}

export interface ReceiverEntry {
  name?: string | undefined;
}

/** A receiver kind. `Entry` is its config entry, as the schema (config/schema.ts) parses it. */
export interface ReceiverPlugin<Entry extends ReceiverEntry = ReceiverEntry> {
  /** Its kind, and its default names (`slack[0]`). */
  readonly kind: string;
  /** Its entries in the configuration (`config.notify.slack`), in order. */
  entries(config: LookoutConfig): readonly Entry[];
  /** Where those are, for messages: `notify.slack`. */
  readonly configKey: string;
  /** The receiver of one entry; undefined when something is wrong with it (said in `ctx.problems`). */
  create(entry: Entry, ctx: ReceiverContext): Notifier | undefined;
  /** A receiver of a bare URL (`lookout test-notify --url`), when this kind takes one. */
  fromUrl?(url: string): Notifier;
}

/** A receiver kind (`slack`), as RECEIVER_LISTS names them. */
export type ReceiverKind = keyof typeof RECEIVER_LISTS;
/** The entries of a kind, as the schema parses them (`notify.webhooks` for webhook). */
type EntryOf<K extends ReceiverKind> = LookoutConfig["notify"][(typeof RECEIVER_LISTS)[K]][number];

/** The plugin of `kind`: its entries are `notify.<its list>` (RECEIVER_LISTS), each built by `create`. */
export function receiverPlugin<K extends ReceiverKind>(
  kind: K,
  create: (entry: EntryOf<K>, ctx: ReceiverContext) => Notifier | undefined,
  more: Pick<ReceiverPlugin<EntryOf<K>>, "fromUrl"> = {},
): ReceiverPlugin<EntryOf<K>> {
  const list = RECEIVER_LISTS[kind];
  return { kind, configKey: `notify.${list}`, entries: (config) => config.notify[list] as readonly EntryOf<K>[], create, ...more };
}

/**
 * The language an entry's problems and warnings are written in: the config's
 * (`locale`, which LOOKOUT_LOCALE overrides), as the loader writes the config's
 * other problems, so the ConfigError that lists them never mixes languages.
 */
export function entryMessages(ctx: Pick<ReceiverContext, "locale">): Messages {
  return messages(ctx.locale ?? DEFAULT_LOCALE);
}

/** What every receiver of an entry is built with: its name, `min_severity`, the notify time limits, its key and the dashboard links. */
export function receiverSettings(entry: { min_severity: Severity }, ctx: ReceiverContext): ReceiverSettings {
  return {
    name: ctx.name,
    minSeverity: entry.min_severity,
    timeoutMs: ctx.timeoutMs,
    maxRetryAfterMs: ctx.maxRetryAfterMs,
    configKey: ctx.key,
    links: ctx.links,
    locale: ctx.locale,
  };
}

/** The receivers a plugin builds from a loaded configuration; their problems go to `problems`. */
export function createReceivers(plugin: ReceiverPlugin, loaded: LoadedConfig, problems: string[], warnings: string[]): Notifier[] {
  const out: Notifier[] = [];
  const links = dashboardLinks(loaded.config.http);
  plugin.entries(loaded.config).forEach((entry, i) => {
    const ctx: ReceiverContext = {
      name: receiverName(plugin.kind, entry, i),
      key: `${plugin.configKey}[${i}]`,
      baseDir: loaded.path ? dirname(loaded.path) : process.cwd(),
      timeoutMs: loaded.config.notify.timeout,
      maxRetryAfterMs: loaded.config.notify.max_retry_after,
      intervalMs: loaded.config.interval,
      locale: loaded.config.locale,
      problems,
      warnings,
    };
    if (links) ctx.links = links;
    const fromEnv = loaded.fromEnvironment?.get(entry);
    if (fromEnv !== undefined) ctx.fromEnv = fromEnv;
    const notifier = plugin.create(entry, ctx);
    if (notifier) out.push(notifier);
  });
  return out;
}

/** The receivers of `plugins`, or a ConfigError (exit 2) listing every problem of every entry. */
export function createAllReceivers(plugins: readonly ReceiverPlugin[], loaded: LoadedConfig): { notifiers: Notifier[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const notifiers = plugins.flatMap((p) => createReceivers(p, loaded, problems, warnings));
  if (problems.length > 0) throw configError(problems, loaded.path ?? "built-in defaults", messages(loaded.config.locale ?? DEFAULT_LOCALE));
  return { notifiers, warnings };
}
