/**
 * The dashboard's words: the agent's language's catalogue (src/i18n/en.ts,
 * ko.ts, the `dash.*` texts), which the server sends as /catalogue.js, so a
 * third language is one catalogue file for the agent and the page alike.
 * `t("key", { n: 3 })` fills `{n}`; a key missing shows as itself (easy to
 * spot; the catalogue test keeps every language complete).
 */
import catalogue from "./catalogue.js";

/**
 * The agent's language (its config's `locale`): the server writes it into
 * `<html lang>` (http/dashboard.ts) and sends that language's catalogue;
 * /api/v1/status says it too.
 */
export const locale = typeof document === "undefined" ? "en" : document.documentElement.lang || "en";

export function t(key, params = {}) {
  const text = catalogue[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}
