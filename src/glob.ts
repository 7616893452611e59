/**
 * The one glob Lookout's matchers use (silences, routes, maintenance windows,
 * `containers.include`/`exclude`/`overrides`): `*` is any run of characters
 * (none included, newlines too), `?` exactly one character, everything else
 * literal, and the glob must match the whole text.
 */
export function globToRegExp(glob: string): RegExp {
  let body = "";
  for (const ch of glob) {
    if (ch === "*") body += ".*";
    else if (ch === "?") body += ".";
    else body += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${body}$`, "su");
}
