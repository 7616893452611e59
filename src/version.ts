/**
 * Lookout's version, read once from its package.json (the nearest one named
 * "lookout" above this file: src/ and dist/ are one level below it, the
 * bundled CLI's chunks three), the folder that holds it, and the User-Agent
 * every HTTP receiver sends.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

function findPackage(): { dir: string; version: string } | undefined {
  // import.meta.dirname (Node 20.11): the bundle makes it __dirname, where import.meta.url would cost a URL made and parsed.
  let dir = import.meta.dirname;
  for (let up = 0; up < 4; up++) {
    dir = dirname(dir);
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue; // without the error a failed read makes, for each level below the package
    try {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "lookout" && typeof pkg.version === "string") return { dir, version: pkg.version };
    } catch {
      // not here: one level up
    }
  }
  return undefined;
}

const found = findPackage();

export const VERSION = found?.version ?? "unknown";
/** The folder of Lookout's package.json (the package's root); undefined when it cannot be found. */
export const PACKAGE_DIR = found?.dir;
export const USER_AGENT = `Lookout/${VERSION}`;
