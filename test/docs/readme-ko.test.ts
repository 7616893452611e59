/**
 * README.ko.md is README.md in Korean, kept in step: the same sections, i.e.
 * the same number of headings, at the same levels, in the same order (headings
 * inside fenced code blocks do not count); in each section the same code
 * blocks (comments aside: those may be translated) and as many table rows; no
 * section left as a pointer to the English text; and links that lead somewhere
 * (a Korean heading has a Korean anchor, so `#install` would lead nowhere).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

interface Section {
  level: number;
  text: string;
  /** The section's lines outside code blocks, up to the next heading. */
  prose: string[];
  /** Its code blocks: the fence's info string and the lines inside. */
  code: Array<{ lang: string; lines: string[] }>;
}

/** A Markdown file cut at its headings (`#` lines inside fenced code blocks are not headings). */
function sections(markdown: string): Section[] {
  const out: Section[] = [{ level: 0, text: "", prose: [], code: [] }];
  let fence: string | null = null;
  for (const line of markdown.split("\n")) {
    const current = out[out.length - 1]!;
    const f = /^(```+|~~~+)(.*)$/.exec(line.trim());
    if (f) {
      if (fence === null) {
        fence = f[1]![0]!;
        current.code.push({ lang: f[2]!.trim(), lines: [] });
      } else if (line.trim().startsWith(fence)) fence = null;
      continue;
    }
    if (fence !== null) {
      current.code[current.code.length - 1]!.lines.push(line);
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) out.push({ level: h[1]!.length, text: h[2]!.trim(), prose: [], code: [] });
    else current.prose.push(line);
  }
  return out;
}

const headings = (markdown: string) => sections(markdown).slice(1);

/** A code line without its `#` comment: what must stay as README.md has it. */
const uncommented = (line: string) => line.replace(/(^|\s)#.*$/, "").trimEnd();

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens; Hangul kept. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
    .replace(/\s/g, "-");

describe("README.ko.md", () => {
  const enText = readFileSync(join(ROOT, "README.md"), "utf8");
  const koText = readFileSync(join(ROOT, "README.ko.md"), "utf8");
  const en = sections(enText);
  const ko = sections(koText);

  it("has the README's sections: as many headings, at the same levels, in the same order", () => {
    expect(en.length).toBeGreaterThan(10);
    expect(ko.map((h) => h.level)).toEqual(en.map((h) => h.level));
  });

  it("translates its headings (only names and commands stay as they are)", () => {
    const same = ko
      .slice(1)
      .filter((h, i) => h.text === en[i + 1]?.text)
      .map((h) => h.text);
    expect(same).toEqual(["Lookout", "`check`", "`check --json`", "Alertmanager"]);
  });

  it("translates every section: none says it is not translated yet or sends the reader to the English text", () => {
    for (const marker of ["아직 번역되지 않았", "영어 원문", "이 절의 나머지"]) {
      const where = ko.filter((s) => s.prose.some((l) => l.includes(marker))).map((s) => s.text);
      expect(where, marker).toEqual([]);
    }
  });

  it("has in each section the README's code blocks, commands and keys unchanged (only comments translated)", () => {
    ko.forEach((s, i) => {
      const e = en[i]!;
      expect(
        s.code.map((c) => c.lang),
        `${s.text}: code blocks`,
      ).toEqual(e.code.map((c) => c.lang));
      s.code.forEach((c, j) => {
        expect(c.lines.map(uncommented), `${s.text}: code block ${j + 1}`).toEqual(e.code[j]!.lines.map(uncommented));
      });
    });
  });

  it("has in each section as many table rows as the README", () => {
    const rows = (s: Section) => s.prose.filter((l) => l.startsWith("|")).length;
    expect(ko.map((s) => `${s.text}: ${rows(s)}`)).toEqual(ko.map((s, i) => `${s.text}: ${rows(en[i]!)}`));
  });

  it("links to headings that exist and to files that exist", () => {
    const anchors = new Set(headings(koText).map((h) => slug(h.text)));
    const links = [...koText.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    const internal = links.filter((l) => l.startsWith("#")).map((l) => decodeURIComponent(l.slice(1)));
    expect(internal.length).toBeGreaterThan(5);
    expect(internal.filter((a) => !anchors.has(a))).toEqual([]);
    const files = links.filter((l) => !/^(#|[a-z]+:)/.test(l)).map((l) => l.replace(/#.*$/, ""));
    expect(files.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
  });

  it("cuts at headings outside code blocks only, and makes GitHub's anchors", () => {
    expect(headings("# A\n```sh\n# comment\n```\n## B").map((h) => h.level)).toEqual([1, 2]);
    expect(slug("대시보드와 API")).toBe("대시보드와-api");
    expect(slug("전달: 잃지도, 두 번 보내지도 않음")).toBe("전달-잃지도-두-번-보내지도-않음");
    expect(uncommented("    url: http://a:9093   # its own address")).toBe("    url: http://a:9093");
  });
});
