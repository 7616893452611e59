/**
 * README.ko.md is README.md in Korean, kept in step: the same sections, i.e.
 * the same number of headings, at the same levels, in the same order (headings
 * inside fenced code blocks do not count).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

/** `##`, `###`…: the level of each heading of a Markdown file, in order, with its text. */
function headings(markdown: string): Array<{ level: number; text: string }> {
  const out: Array<{ level: number; text: string }> = [];
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const f = /^(```+|~~~+)/.exec(line.trim());
    if (f) {
      if (fence === null) fence = f[1]![0]!;
      else if (line.trim().startsWith(fence)) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) out.push({ level: h[1]!.length, text: h[2]!.trim() });
  }
  return out;
}

describe("README.ko.md", () => {
  const en = headings(readFileSync(join(ROOT, "README.md"), "utf8"));
  const ko = headings(readFileSync(join(ROOT, "README.ko.md"), "utf8"));

  it("has the README's sections: as many headings, at the same levels, in the same order", () => {
    expect(en.length).toBeGreaterThan(10);
    expect(ko.map((h) => h.level)).toEqual(en.map((h) => h.level));
  });

  it("translates its headings (only names and commands stay as they are)", () => {
    const same = ko.filter((h, i) => h.text === en[i]?.text).map((h) => h.text);
    expect(same).toEqual(["Lookout", "`check`", "`check --json`", "Alertmanager"]);
  });

  it("says which parts are not translated yet, in Korean, instead of leaving English paragraphs", () => {
    const text = readFileSync(join(ROOT, "README.ko.md"), "utf8");
    expect(text).toContain("아직 번역되지 않았습니다");
  });

  it("ignores headings inside code blocks", () => {
    expect(headings("# A\n```sh\n# comment\n```\n## B").map((h) => h.level)).toEqual([1, 2]);
  });
});
