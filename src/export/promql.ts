/**
 * Pieces of PromQL and Prometheus-style text the exports share: durations,
 * quoted strings, Lookout's globs as RE2 regexes, Docker labels as cAdvisor's
 * `container_label_*` names, and the join that gives a series its Lookout
 * `hostname` (only `lookout_build_info` carries it).
 */

/** `lookout_build_info{version,hostname,node_version} 1`: joined on `instance` to label alerts with the host's name. */
export const BUILD_INFO = "lookout_build_info";

/** `… * on(instance) group_left(hostname) lookout_build_info`: the series keeps its value and gains `hostname`. */
export function withHostname(expr: string): string {
  return `(${expr})\n* on(instance) group_left(hostname) ${BUILD_INFO}`;
}

/** A duration as Prometheus and Alertmanager write it: `1m30s`, `0s`, `250ms`. */
export function promDuration(ms: number): string {
  if (!(ms > 0)) return "0s";
  let rest = Math.round(ms);
  let out = "";
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** A PromQL (and Go template) string literal: double quotes, Go escapes (JSON's are a subset). */
export function quote(text: string): string {
  return JSON.stringify(text);
}

/** Lookout's glob (`*`, `?`, the rest literal, whole text) as an RE2 regex, which PromQL anchors itself. */
export function globToRe2(glob: string): string {
  let out = "";
  for (const ch of glob) {
    if (ch === "*") out += ".*";
    else if (ch === "?") out += ".";
    else out += ch.replace(/[.+*?^${}()|[\]\\]/g, "\\$&");
  }
  return out;
}

/** A Docker label as cAdvisor names it on container series: `lookout.cpu.warning` → `container_label_lookout_cpu_warning`. */
export function containerLabel(dockerLabel: string): string {
  return `container_label_${dockerLabel.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/**
 * A container matcher of `containers.include`/`exclude`/`overrides[].match`
 * (`web-*`, `name=web-*`, `com.docker.compose.project=shop`) as label matchers
 * of a cAdvisor series: `name=~"web-.*"`, `container_label_com_docker_compose_project=~"shop"`.
 * A label matcher needs the label set (Lookout's does), so it also says `!=""`.
 */
export function containerSelector(text: string): string {
  const eq = text.indexOf("=");
  if (eq < 0) return `name=~${quote(globToRe2(text))}`;
  const key = text.slice(0, eq).trim();
  const glob = text.slice(eq + 1).trim();
  if (key === "name") return `name=~${quote(globToRe2(glob))}`;
  const label = containerLabel(key);
  return `${label}!="", ${label}=~${quote(globToRe2(glob))}`;
}

/** A route's `label=glob` matcher as an Alertmanager matcher: `container=~"db-.*"` (a glob of plain text stays `=`). */
export function alertMatcher(text: string): string {
  const eq = text.indexOf("=");
  const name = text.slice(0, eq).trim();
  const glob = text.slice(eq + 1).trim();
  return /[*?]/.test(glob) ? `${name}=~${quote(globToRe2(glob))}` : `${name}=${quote(glob)}`;
}
