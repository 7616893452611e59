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

  it("is found where Node resolves better-sqlite3 from the package when not under it (a hoisted install)", () => {
    const root = tempDir();
    const pkg = join(root, "node_modules", "lookout");
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, "package.json"), '{"name":"lookout"}');
    const hoisted = join(root, "node_modules", "better-sqlite3");
    mkdirSync(hoisted, { recursive: true });
    writeFileSync(join(hoisted, "package.json"), '{"name":"better-sqlite3","main":"lib/index.js"}');
    expect(sqliteAddon(pkg)).toBe(join(hoisted, "build", "Release", "better_sqlite3.node"));
  });

  it("is the package's own path when found nowhere (opening a database then says to rebuild it there), null without a package", () => {
    const pkg = tempDir();
    writeFileSync(join(pkg, "package.json"), '{"name":"lookout"}');
    // tmpdir() has no node_modules above it on a machine set up as the README says
    expect(sqliteAddon(pkg)).toBe(join(pkg, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"));
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
