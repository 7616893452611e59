/**
 * `${VAR}` and `${VAR:-default}` in a config's string values, and the
 * dotted path of a key as problems name it.
 */
import type { Messages } from "../i18n/messages.js";

export const ENV_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${VAR}` and `${VAR:-default}` in string values, expanded after parsing (so a value can never inject YAML). */
export function expandEnv(value: unknown, path: Array<string | number>, env: NodeJS.ProcessEnv, problems: string[], m: Messages): unknown {
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
