/**
 * The bundled CLI as scripts/bundle.mjs writes it (`npm test` builds it before
 * vitest): Node reads each file whole as one string as it loads it, and one
 * non-ASCII character makes that a two-byte string, slower to decode and
 * twice the memory for as long as the process runs (docs/benchmarks.md §2).
 * So every file is ASCII, its non-ASCII texts escaped, and carries no
 * comments; the Korean texts are still there, escaped.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const CLI_DIR = resolve(import.meta.dirname, "../../dist/cli");
const files = [
  ...readdirSync(CLI_DIR)
    .filter((f) => f.endsWith(".cjs"))
    .map((f) => join(CLI_DIR, f)),
  ...readdirSync(join(CLI_DIR, "chunks"))
    .filter((f) => f.endsWith(".cjs"))
    .map((f) => join(CLI_DIR, "chunks", f)),
];

describe("the bundle (dist/cli)", () => {
  it("was built", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it("is ASCII in every file", () => {
    const nonAscii = files.filter((f) => readFileSync(f).some((b) => b > 0x7f));
    expect(nonAscii).toEqual([]);
  });

  it("keeps no block comments of the sources (JSDoc), only the source map's line", () => {
    const withDocs = files.filter((f) => /\/\*\*\s/.test(readFileSync(f, "utf8")));
    expect(withDocs).toEqual([]);
  });

  it("keeps the Korean catalogue and croner in chunks of their own, required only when first used", () => {
    const text = (f: string) => readFileSync(f, "utf8");
    const named = (prefix: string) => files.filter((f) => new RegExp(`/${prefix}-[\\w-]{8}\\.cjs$`).test(f));
    const escapedHangul = /\\u[a-f0-9]{4}/i;
    const [ko] = named("ko");
    const [croner] = named("croner");
    expect(ko && text(ko)).toMatch(escapedHangul);
    expect(croner && text(croner)).toMatch(/\bCronPattern\b/);
    // Nothing else holds Korean text or croner's code, and each is required once, by its loader, synchronously.
    expect(files.filter((f) => f !== ko && /\\uc2ec\\uac01/i.test(text(f)))).toEqual([]); // "심각" (critical), escaped
    expect(files.filter((f) => f !== croner && /\bCronPattern\b/.test(text(f)))).toEqual([]);
    for (const chunk of [ko!, croner!]) {
      const name = chunk.slice(chunk.lastIndexOf("/") + 1);
      const requiring = files.filter((f) => text(f).includes(`require("./${name}")`));
      expect(requiring, name).toHaveLength(1);
      expect(text(requiring[0]!)).not.toContain(`then(() => require("./${name}")`);
    }
    expect(files.filter((f) => text(f).includes("__lookoutSync"))).toEqual([]);
  });

  it("holds better-sqlite3's JavaScript, of the exact version package.json pins and npm installed: the one its addon was built for", () => {
    const root = resolve(CLI_DIR, "../..");
    const pinned = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["better-sqlite3"];
    const installed = (JSON.parse(readFileSync(join(root, "node_modules/better-sqlite3/package.json"), "utf8")) as { version: string }).version;
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/); // no range: a newer addon under this JavaScript is not what was tested
    expect(pinned).toBe(installed);
    const holding = files.filter((f) => readFileSync(f, "utf8").includes('Misspelled option \\"readOnly\\" should be \\"readonly\\"'));
    expect(holding).toHaveLength(1);
    expect(files.filter((f) => /require\("better-sqlite3"\)/.test(readFileSync(f, "utf8")))).toEqual([]);
  });

  it("holds the English catalogue as one string read when asked (src/i18n/lazy-catalogue.ts), not as an object literal", () => {
    const text = (f: string) => readFileSync(f, "utf8");
    const holding = files.filter((f) => text(f).includes("lazyCatalogue("));
    expect(holding).toHaveLength(1);
    // en.ts's first entries, as catalogueText writes them (NUL, key, SOH, text), and no longer as properties.
    expect(text(holding[0]!)).toContain('lazyCatalogue("\\0list.sep\u0001, \\0severity.warning\u0001warning');
    expect(files.filter((f) => text(f).includes('"title.word.escalated": "{word} (escalated)"'))).toEqual([]);
  });

  it("keeps each receiver kind's plugin in a chunk of its own, required when its kind is first asked for", () => {
    const text = (f: string) => readFileSync(f, "utf8");
    const kinds = ["slack", "webhook", "alertmanager", "discord", "telegram", "teams", "ntfy", "gotify", "pushover", "pagerduty", "email"];
    const loaders = files.filter((f) => text(f).includes("slack: () => require("));
    expect(loaders).toHaveLength(1);
    for (const kind of kinds) {
      const chunk = files.find((f) => new RegExp(`/${kind}-[\\w-]{8}\\.cjs$`).test(f));
      expect(chunk, kind).toBeDefined();
      const name = chunk!.slice(chunk!.lastIndexOf("/") + 1);
      expect(text(loaders[0]!), kind).toMatch(new RegExp(`${kind}: \\(\\) => require\\("\\./${name.replace(".", "\\.")}"\\)\\.${kind}Plugin`));
    }
    expect(files.filter((f) => text(f).includes("__lookoutSync"))).toEqual([]);
  });

  it("holds the Korean texts escaped (test/cli/korean-output.test.ts runs them)", () => {
    // "심각" (critical), as the catalogue writes it and as the bundle escapes it.
    const escaped = "심각".replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    expect(files.some((f) => readFileSync(f, "utf8").toLowerCase().includes(escaped))).toBe(true);
  });
});
