/**
 * Plain text for a terminal: tables and lines. Every cell is machine text
 * (mount points, container names, errors), so every cell goes through
 * `oneLine` here: no table can carry a raw control character.
 */
import { oneLine } from "../escape.js";

/** What `check` and `status` fit into: wide enough for the facts, narrow enough for a split terminal or a mail from cron. */
export const SCREEN_WIDTH = 100;

/**
 * East Asian Wide and Fullwidth code points (Unicode's EastAsianWidth.txt, W
 * and F) in the scripts Lookout writes or is likely to be handed: Hangul
 * (jamo, compatibility jamo, syllables), CJK ideographs, kana, CJK punctuation
 * and fullwidth forms. A terminal gives each two columns. Written by hand, not
 * a dependency: these ranges are fixed by Unicode, and string-width and its
 * kin bring an emoji regex and grapheme handling the CLI does not need (emoji
 * count one column here, as they always have).
 */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x20000, 0x3fffd],
];

/** The columns a terminal gives one code point: 2 for Hangul and CJK, else 1. */
export function charWidth(char: string): number {
  const cp = char.codePointAt(0) ?? 0;
  if (cp < 0x1100) return 1;
  return WIDE.some(([from, to]) => cp >= from && cp <= to) ? 2 : 1;
}

/** Columns as a terminal counts them: a Korean syllable takes two, anything else one (by code point, so a cut never splits a surrogate pair). */
export function textWidth(text: string): number {
  let width = 0;
  for (const char of text) width += charWidth(char);
  return width;
}

/** The longest start of `chars` that fits `width` columns. */
function headOf(chars: string[], width: number): string[] {
  let used = 0;
  let n = 0;
  while (n < chars.length && used + charWidth(chars[n]!) <= width) used += charWidth(chars[n++]!);
  return chars.slice(0, n);
}

/** The longest end of `chars` that fits `width` columns. */
function tailOf(chars: string[], width: number): string[] {
  let used = 0;
  let n = chars.length;
  while (n > 0 && used + charWidth(chars[n - 1]!) <= width) used += charWidth(chars[--n]!);
  return chars.slice(n);
}

/** `text` cut to `width` columns, the cut marked with `…`. */
export function cut(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  if (width <= 0) return "";
  return headOf([...text], width - 1).join("") + "…";
}

/**
 * `text` cut to `width` columns in the middle, marked with `…`: a table
 * cell keeps its start and its end, so `mount=/srv/…/volume-1` and
 * `mount=/srv/…/volume-2` stay apart.
 */
export function cutMiddle(text: string, width: number): string {
  if (textWidth(text) <= width) return text;
  if (width <= 1) return cut(text, width);
  const chars = [...text];
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return headOf(chars, head).join("") + "…" + (tail > 0 ? tailOf(chars, tail).join("") : "");
}

/**
 * `text` (escaped to one line) wrapped at spaces into lines of at most `width`
 * columns, each after `indent`; a word longer than a line is cut into pieces.
 */
export function wrap(text: string, width: number, indent = ""): string[] {
  const room = Math.max(10, width - textWidth(indent));
  const lines: string[] = [];
  let line = "";
  for (const word of oneLine(text).split(" ")) {
    let w = word;
    while (textWidth(w) > room) {
      if (line) lines.push(line);
      const chars = [...w];
      const piece = headOf(chars, room); // room is at least 10 columns: never empty
      lines.push(piece.join(""));
      w = chars.slice(piece.length).join("");
      line = "";
    }
    if (!line) line = w;
    else if (textWidth(line) + 1 + textWidth(w) <= room) line += " " + w;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines.map((l) => (indent + l).trimEnd());
}

/**
 * A plain text table: columns padded to their widest cell, cells escaped to
 * one line. With `maxWidth`, the widest columns are narrowed (never below their
 * header) until every line fits, and cells too long for their column are cut
 * in the middle with `…`.
 */
export function renderTable(header: string[], rows: string[][], opts: { maxWidth?: number } = {}): string {
  const cells = rows.map((r) => header.map((_, i) => oneLine(r[i] ?? "")));
  const widths = header.map((h, i) => Math.max(textWidth(h), ...cells.map((r) => textWidth(r[i]!))));
  if (opts.maxWidth !== undefined) {
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    while (total() > opts.maxWidth) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) {
        if (widths[i]! > textWidth(header[i]!) && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      }
      if (widest < 0) break;
      widths[widest] = widths[widest]! - 1;
    }
  }
  const line = (row: string[]) =>
    row
      .map((c, i) => {
        const fitted = cutMiddle(c, widths[i]!);
        return i === row.length - 1 ? fitted : fitted + " ".repeat(widths[i]! - textWidth(fitted));
      })
      .join("  ")
      .trimEnd();
  return [line(header), ...cells.map(line)].join("\n");
}

/** `prefix` then `text` wrapped to `width`, continuation lines indented under the text. */
export function wrapAfter(prefix: string, text: string, width: number): string[] {
  const pad = " ".repeat(Math.min(textWidth(prefix), 8));
  const [first = "", ...rest] = wrap(text, width - textWidth(prefix) + textWidth(pad), pad);
  return [prefix + first.slice(pad.length), ...rest];
}
