/**
 * The language this process speaks to its user: the CLI's output and errors,
 * and the log. One process answers one user, so it is one value, set once the
 * config is loaded (`setProcessLocale(config.locale)`, which already holds
 * LOOKOUT_LOCALE when that is set); before that (a config that cannot be read,
 * a usage error) it is LOOKOUT_LOCALE, else English. Messages sent to receivers
 * do not use this: each notification carries its own locale.
 */
import { DEFAULT_LOCALE, isLocale, type Locale, type Messages, messages } from "./messages.js";

let chosen: Locale | undefined;

/** LOOKOUT_LOCALE when it names a language, else English. */
export function envLocale(env: NodeJS.ProcessEnv = process.env): Locale {
  const v = env.LOOKOUT_LOCALE?.trim();
  return isLocale(v) ? v : DEFAULT_LOCALE;
}

/** From now on this process speaks `locale` (the loaded config's). */
export function setProcessLocale(locale: Locale | undefined): void {
  chosen = locale;
}

/** The language of this process's output: the config's once loaded, else LOOKOUT_LOCALE, else English. */
export function processLocale(): Locale {
  return chosen ?? envLocale();
}

/** The messages of `processLocale()`. */
export function processMessages(): Messages {
  return messages(processLocale());
}
