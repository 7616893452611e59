/**
 * Plain text for a terminal: tables and lines. Every cell is machine text
 * (mount points, container names, errors), so every cell goes through
 * `oneLine` here: no table can carry a raw control character.
 */
import { oneLine } from "../escape.js";

/** What `check` and `status` fit into: wide enough for the facts, narrow enough for a split terminal or a mail from cron. */
export const SCREEN_WIDTH = 100;

/** Characters as a terminal counts them (code points, so a cut never splits a surrogate pair). */
export function textWidth(text: string): number {
  return [...text].length;
}

/** `text` cut to `width` characters, the cut marked with `…`. */
export function cut(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 0) return "";
  return chars.slice(0, width - 1).join("") + "…";
}

/**
 * `text` cut to `width` characters in the middle, marked with `…`: a table
 * cell keeps its start and its end, so `mount=/srv/…/volume-1` and
 * `mount=/srv/…/volume-2` stay apart.
 */
export function cutMiddle(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return cut(text, width);
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return chars.slice(0, head).join("") + "…" + (tail > 0 ? chars.slice(-tail).join("") : "");
}

/**
 * `text` (escaped to one line) wrapped at spaces into lines of at most `width`
 * characters, each after `indent`; a word longer than a line is cut into pieces.
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
      lines.push(chars.slice(0, room).join(""));
      w = chars.slice(room).join("");
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
