/**
 * Lookout's version, read once from its package.json (the nearest one named
 * "lookout" above this file: src/ and dist/ are one level below it, the
 * bundled CLI's chunks three), and the User-Agent every HTTP receiver sends.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function readVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    dir = dirname(dir);
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "lookout" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // not here: one level up
    }
  }
  return "unknown";
}

export const VERSION = readVersion();
export const USER_AGENT = `Lookout/${VERSION}`;
