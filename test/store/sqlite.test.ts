import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqlite, sqliteAddon } from "../../src/store/sqlite.js";
import { PACKAGE_DIR } from "../../src/version.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "lookout-sqlite-"));
  dirs.push(d);
  return d;
}

describe("better-sqlite3's addon", () => {
  it("is found under the package's node_modules, where npm installs it", () => {
    const pkg = tempDir();
    const release = join(pkg, "node_modules", "better-sqlite3", "build", "Release");
    mkdirSync(release, { recursive: true });
    writeFileSync(join(release, "better_sqlite3.node"), "");
    expect(sqliteAddon(pkg)).toBe(join(release, "better_sqlite3.node"));
  });

  it("is left to better-sqlite3 to find when it is not there (a hoisted install) or the package is not found", () => {
    expect(sqliteAddon(tempDir())).toBeNull();
    expect(sqliteAddon(undefined)).toBeNull();
  });

  it("is found in this checkout, and a database opens with it", () => {
    expect(sqliteAddon(PACKAGE_DIR)).toMatch(/better_sqlite3\.node$/);
    const db = openSqlite(join(tempDir(), "t.db"));
    try {
      expect(db.prepare("SELECT 6 * 7 AS n").get()).toEqual({ n: 42 });
    } finally {
      db.close();
    }
  });
});
