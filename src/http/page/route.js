/**
 * Where the page is: the view in the URL's hash (`#/containers/web-1`), its
 * parameters after a `?` in the hash (`#/containers/web-1?at=1764583200000`),
 * and the query string (`/?from=…&to=…#/`) for links that put them there.
 * Links from Slack land on the right view:
 *   #/containers/<name>?at=<ms>                  that container, around that time
 *   #/silence?matchers=a=b,c=d&duration=1h       the silence form, filled in
 *   ?from=<ms|ISO|-30m>&to=<ms|ISO> or ?range=6h the charts' range
 */
export const RANGES = { "1h": 3_600_000, "6h": 21_600_000, "24h": 86_400_000, "7d": 604_800_000, "30d": 2_592_000_000 };
/** The range shown around `at` (a link at the time of an alert). */
const AROUND_AT_MS = 3_600_000;

function parseTime(v) {
  if (v === null || v === undefined || v === "") return null;
  if (/^\d+$/.test(v)) return Number(v);
  const back = /^-(\d+)(m|h|d)$/.exec(v);
  if (back) return Date.now() - Number(back[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[back[2]];
  const d = Date.parse(v);
  return Number.isNaN(d) ? null : d;
}

export function current() {
  const raw = location.hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = (q < 0 ? raw : raw.slice(0, q)) || "/";
  // The hash's parameters win over the query string's; repeated keys (matchers=…&matchers=…) are kept whole.
  const hashParams = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const params = new URLSearchParams(location.search);
  for (const k of new Set(hashParams.keys())) {
    params.delete(k);
    for (const v of hashParams.getAll(k)) params.append(k, v);
  }
  const segments = path
    .split("/")
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { path, segments, params, hashParams };
}

/** The charts' range: from/to, else around `at`, else a named range (default 1 h). */
export function range(params, now = Date.now()) {
  const from = parseTime(params.get("from"));
  const to = parseTime(params.get("to")) ?? (from !== null ? now : null);
  if (from !== null && to !== null && to > from) return { from, to, key: null };
  const at = parseTime(params.get("at"));
  if (at !== null) return { from: at - AROUND_AT_MS / 2, to: Math.min(now, at + AROUND_AT_MS / 2), key: null, at };
  const key = params.get("range") in RANGES ? params.get("range") : "1h";
  return { from: now - RANGES[key], to: now, key };
}

/** A hash link: path segments (each encoded) and parameters. */
export function link(segments, params = {}) {
  const path = `#/${segments.map((p) => encodeURIComponent(p)).join("/")}`;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  const qs = q.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The same view with a named range (from/to/at dropped). */
export function withRange(key) {
  const { segments, hashParams } = current();
  const params = {};
  for (const [k, v] of hashParams) if (!["from", "to", "at", "range"].includes(k)) params[k] = v;
  params.range = key;
  return link(segments, params);
}

/** Matchers given as `matchers=a=b,c=d` or repeated `matchers=a=b&matchers=c=d`. */
export function matchersOf(params) {
  const all = params.getAll("matchers");
  const list = all.length > 1 ? all : (all[0] ?? "").split(",");
  return list.map((m) => m.trim()).filter(Boolean);
}
