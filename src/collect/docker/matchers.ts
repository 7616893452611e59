/**
 * Container matchers, as written in `containers.include`, `exclude` and
 * `overrides[].match`: a name glob (`web-*`), `name=<glob>`, or a label matcher
 * `<label>=<glob>` (`com.docker.compose.project=shop`).
 */
import { globToRegExp } from "../../glob.js";

export interface ContainerIdentity {
  name: string;
  labels: Record<string, string>;
}

export type ContainerMatcher = (c: ContainerIdentity) => boolean;

/** A container matcher's text (`web-*`, `name=web-*`, `com.docker.compose.project=shop`) as a test. */
export function parseContainerMatcher(text: string): ContainerMatcher {
  const eq = text.indexOf("=");
  if (eq < 0) {
    const re = globToRegExp(text);
    return (c) => re.test(c.name);
  }
  const key = text.slice(0, eq).trim();
  const re = globToRegExp(text.slice(eq + 1).trim());
  if (key === "name") return (c) => re.test(c.name);
  return (c) => c.labels[key] !== undefined && re.test(c.labels[key]!);
}

/** All containers unless `include` is set; minus `exclude` and those labelled lookout.ignore=true. */
export function selector(include: readonly string[], exclude: readonly string[]): ContainerMatcher {
  const inc = include.map(parseContainerMatcher);
  const exc = exclude.map(parseContainerMatcher);
  return (c) => {
    if (c.labels["lookout.ignore"] === "true") return false;
    if (inc.length > 0 && !inc.some((m) => m(c))) return false;
    return !exc.some((m) => m(c));
  };
}
