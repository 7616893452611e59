/**
 * Opens a SQLite file with better-sqlite3, the one place that does: the
 * agent's database (database.ts) and its lock (lock.ts).
 *
 * better-sqlite3 finds its compiled addon with the `bindings` package, which
 * reads a stack trace to learn where it was called from and then tries ~10
 * paths. Where npm installs it, under Lookout's own node_modules, the addon's
 * path is known, and given as `nativeBinding` it spares that search: ~1–3 ms of
 * a short command such as `lookout check` (docs/benchmarks.md). Anywhere else
 * (a hoisted install), better-sqlite3 finds it itself, as before. Node resolves
 * `better-sqlite3` to that same folder first, so the addon is the one built
 * for the JavaScript that loads it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { PACKAGE_DIR } from "../version.js";

/** better-sqlite3's addon under `packageDir`'s node_modules, or null when it is not there. */
export function sqliteAddon(packageDir: string | undefined): string | null {
  if (packageDir === undefined) return null;
  const path = join(packageDir, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node");
  return existsSync(path) ? path : null;
}

const ADDON = sqliteAddon(PACKAGE_DIR);

/** `new Database(path, options)`, with the addon's path when it is known. */
export function openSqlite(path: string, options: Database.Options = {}): Database.Database {
  return new Database(path, ADDON === null ? options : { ...options, nativeBinding: ADDON });
}
