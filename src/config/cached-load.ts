/**
 * The config as the CLI loads it: from the validated-config cache when the
 * file and its environment are unchanged (config/cache.ts), else by the full
 * loader (config/load.ts: YAML, the schema, zod), loaded only then, whose
 * result is kept for next time. Both give the same LoadedConfig.
 */
import { messages } from "../i18n/messages.js";
import { configCacheDir, readConfigCache, writeConfigCache } from "./cache.js";
import { findConfigPath, finishLoad, type LoadedConfig, type LoadOptions, localeFromEnv, readConfigText } from "./loaded.js";

export async function loadConfigCached(opts: LoadOptions = {}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const dir = configCacheDir(env);
  const path = findConfigPath(opts);
  const text = readConfigText(path, env);
  const hit = readConfigCache(dir, path, text, env, messages(localeFromEnv(env)));
  if (hit) {
    const m = messages(localeFromEnv(env, { locale: hit.fileLocale }));
    return finishLoad(hit.config, { opts, env, path, m, literalWebhook: hit.literalWebhook });
  }
  // The file as read above: found and read once, and what is kept is what was validated.
  const { loadWithMaterial } = await import("./load.js");
  const { loaded, material } = loadWithMaterial(opts, { path, text });
  writeConfigCache(dir, material, env);
  return loaded;
}
