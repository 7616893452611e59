/**
 * Opens a SQLite file with better-sqlite3, the one place that does: the
 * agent's database (database.ts) and its lock (lock.ts).
 *
 * better-sqlite3's JavaScript is bundled into the CLI (scripts/bundle.mjs);
 * its native addon stays where npm built it, and is given here by its path
 * (`nativeBinding`): under Lookout's own node_modules, where npm installs it,
 * else (a hoisted install) in the folder Node resolves `better-sqlite3` to
 * from Lookout's package. So `bindings`, which better-sqlite3 uses to find
 * its addon otherwise (it reads a stack trace to learn where it was called
 * from, then tries ~10 paths), is never needed: it would look beside the
 * bundle, not beside better-sqlite3. An addon that is not there (npm did not
 * build it) fails as the database opens, naming the folder to rebuild it in
 * (store/transactions.ts).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { PACKAGE_DIR } from "../version.js";

const ADDON_FILE = join("build", "Release", "better_sqlite3.node");

/**
 * The path of better-sqlite3's addon for Lookout's package in `packageDir`: under its node_modules when there, else
 * where Node resolves `better-sqlite3` from the package (a hoisted install), else the first (not there: opening a
 * database then says to rebuild it). Null when the package's folder is not known.
 */
export function sqliteAddon(packageDir: string | undefined): string | null {
  if (packageDir === undefined) return null;
  const own = join(packageDir, "node_modules", "better-sqlite3", ADDON_FILE);
  if (existsSync(own)) return own;
  try {
    // node:module only here: loading it costs every command ~1.5 ms (bin/code-cache.cjs)
    const from = process.getBuiltinModule("node:module").createRequire(join(packageDir, "package.json"));
    return join(dirname(from.resolve("better-sqlite3/package.json")), ADDON_FILE);
  } catch {
    return own;
  }
}

const ADDON = sqliteAddon(PACKAGE_DIR);

/** `new Database(path, options)`, with the addon's path when it is known. */
export function openSqlite(path: string, options: Database.Options = {}): Database.Database {
  return new Database(path, ADDON === null ? options : { ...options, nativeBinding: ADDON });
}
