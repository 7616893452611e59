/** Text for a terminal: tables escape every cell and fit a width; long text wraps. */
import { describe, expect, it } from "vitest";
import { cut, cutMiddle, renderTable, textWidth, wrap, wrapAfter } from "../../src/cli/table.js";

const widths = (text: string) => text.split("\n").map((l) => [...l].length);

describe("renderTable", () => {
  it("pads columns, escapes every cell to one line", () => {
    expect(
      renderTable(
        ["A", "B"],
        [
          ["x\ny", "1"],
          ["\x1b[2J", "22"],
        ],
      ),
    ).toBe(["A        B", "x\\ny     1", "\\x1b[2J  22"].join("\n"));
  });

  it("narrows the widest columns to fit maxWidth, cutting cells in the middle, never a header", () => {
    const rows = [
      ["host_disk", `mount=/srv/${"a".repeat(80)}/volume-1`, "21.8%"],
      ["host_disk", `mount=/srv/${"a".repeat(80)}/volume-2`, "21.8%"],
    ];
    const out = renderTable(["RULE", "LABELS", "VALUE"], rows, { maxWidth: 60 });
    expect(Math.max(...widths(out))).toBeLessThanOrEqual(60);
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^RULE\s+LABELS\s+VALUE$/);
    expect(lines[1]).toMatch(/^host_disk {2}mount=\/srv\/a+…a+\/volume-1 {2}21\.8%$/);
    expect(lines[2]).toMatch(/volume-2 {2}21\.8%$/);
  });
});

describe("cut, cutMiddle, wrap", () => {
  it("cut keeps the start, cutMiddle both ends; neither splits a character", () => {
    expect(cut("abcdef", 4)).toBe("abc…");
    expect(cut("abc", 4)).toBe("abc");
    expect(cutMiddle("abcdefghij", 5)).toBe("ab…ij");
    expect(cutMiddle("😀😀😀😀😀😀", 3)).toBe("😀…😀");
  });

  it("wrap keeps every word, escaped, within the width after the indent", () => {
    const text = "Slack had a problem on its side (HTTP 500).\nLookout will try again. " + "word ".repeat(40) + "x".repeat(150);
    const lines = wrap(text, 50, "    ");
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(50);
    expect(lines.every((l) => l.startsWith("    "))).toBe(true);
    expect(
      lines
        .map((l) => l.trim())
        .join(" ")
        .replace(/x /g, "x"),
    ).toContain("(HTTP 500).\\nLookout");
    expect(lines.join("").replace(/[^x]/g, "")).toHaveLength(150);
  });

  it("wrapAfter puts the prefix on the first line and indents the rest", () => {
    const lines = wrapAfter("error: ", "docker: " + "cannot connect ".repeat(10), 40);
    expect(lines[0]).toMatch(/^error: docker: cannot connect/);
    expect(lines.slice(1).every((l) => /^ {7}\S/.test(l))).toBe(true);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(40);
  });
});

describe("Korean and other wide characters", () => {
  it("count two columns each, as a terminal shows them; emoji and Latin one", () => {
    expect(textWidth("상태")).toBe(4);
    expect(textWidth("CPU 경고")).toBe(8);
    expect(textWidth("漢字かなＡ")).toBe(10);
    expect(textWidth("😀a")).toBe(2);
  });

  it("pad table columns to the same terminal column", () => {
    const out = renderTable(
      ["규칙", "상태"],
      [
        ["host_cpu", "심각 발생"],
        ["디스크", "정상"],
      ],
    );
    expect(out).toBe(["규칙      상태", "host_cpu  심각 발생", "디스크    정상"].join("\n"));
  });

  it("cut and wrap by columns, never half a syllable", () => {
    expect(cut("가나다라마", 6)).toBe("가나…");
    expect(textWidth(cut("가나다라마", 6))).toBeLessThanOrEqual(6);
    expect(cutMiddle("가나다라마바사", 8)).toBe("가나…사"); // 4 + 1 + 2: a syllable that would pass 8 is left out
    expect(cutMiddle("가나다라마바사", 9)).toBe("가나…바사");
    const lines = wrap("데이터 디렉터리에서 아직 점검을 한 번도 실행하지 않았습니다 " + "가".repeat(30), 20, "  ");
    expect(Math.max(...lines.map(textWidth))).toBeLessThanOrEqual(20);
    expect(lines.join("").replace(/[^가]/g, "").length).toBeGreaterThanOrEqual(30);
  });

  it("narrow a table with Korean cells to maxWidth", () => {
    const out = renderTable(["알림", "라벨"], [["host_disk", `mount=/srv/${"가".repeat(40)}`]], { maxWidth: 40 });
    expect(Math.max(...out.split("\n").map(textWidth))).toBeLessThanOrEqual(40);
  });
});
