import { describe, expect, it } from "vitest";
import { hasControl, oneLine, textBlock } from "../src/escape.js";

/** Hostile machine text as it was seen (a mount point, a container name, a process name…). */
const HOSTILE = {
  forgedLine: "/mnt/x\nINJECTED CRITICAL: fake",
  ansi: "\x1b]0;PWNED\x07\x1b[2J",
  carriageReturn: "a\rb",
  c1Csi: "\u009b31m",
  bidiOverride: "\u202eevil",
  tab: "a\tb",
  crlfLog: "line one\r\nline two\r\n",
} as const;

/** Every character `oneLine` must never leave raw. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const RAW_CONTROL_BUT_NEWLINE_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("oneLine", () => {
  it("shows a newline as \\n, so a mount point cannot forge a line", () => {
    expect(oneLine(HOSTILE.forgedLine)).toBe("/mnt/x\\nINJECTED CRITICAL: fake");
  });

  it("shows ESC and BEL as \\x1b and \\x07, so an OSC title or a screen clear is shown, not obeyed", () => {
    expect(oneLine(HOSTILE.ansi)).toBe("\\x1b]0;PWNED\\x07\\x1b[2J");
  });

  it("shows CR, tab, C1 CSI and a bidi override escaped", () => {
    expect(oneLine(HOSTILE.carriageReturn)).toBe("a\\rb");
    expect(oneLine(HOSTILE.tab)).toBe("a\\tb");
    expect(oneLine(HOSTILE.c1Csi)).toBe("\\u009b31m");
    expect(oneLine(HOSTILE.bidiOverride)).toBe("\\u202eevil");
    expect(oneLine("\x7f\u2028\u2029\u2066x\u2069")).toBe("\\x7f\\u2028\\u2029\\u2066x\\u2069");
    expect(oneLine("\x00")).toBe("\\x00");
  });

  it("leaves no raw control character in any hostile string", () => {
    for (const s of Object.values(HOSTILE)) {
      expect(RAW_CONTROL.test(oneLine(s))).toBe(false);
      expect(oneLine(s)).not.toContain("\n");
    }
  });

  it("leaves ordinary text, Unicode and emoji alone", () => {
    for (const s of ["/var/lib/docker", "web-1", "shop/api:1.4", "Ünïcødé ✓ 🔴", "a\\nb (already a backslash)"]) {
      expect(oneLine(s)).toBe(s);
    }
  });

  it("is stateless across calls (no global-regex lastIndex leak)", () => {
    expect(oneLine("\n")).toBe("\\n");
    expect(oneLine("\n")).toBe("\\n");
    expect(hasControl("\x1b")).toBe(true);
    expect(hasControl("\x1b")).toBe(true);
  });
});

describe("textBlock", () => {
  it("keeps a log's own newlines and tabs, drops the CR of CRLF", () => {
    expect(textBlock(HOSTILE.crlfLog)).toBe("line one\nline two\n");
    expect(textBlock("col1\tcol2\nnext")).toBe("col1\tcol2\nnext");
  });

  it("shows every other control character escaped", () => {
    expect(textBlock(`boot\n${HOSTILE.ansi}\ndone`)).toBe("boot\n\\x1b]0;PWNED\\x07\\x1b[2J\ndone");
    expect(textBlock(HOSTILE.carriageReturn)).toBe("a\\rb");
    expect(textBlock(HOSTILE.c1Csi)).toBe("\\u009b31m");
    expect(textBlock(HOSTILE.bidiOverride)).toBe("\\u202eevil");
  });

  it("leaves no raw control character but newline and tab in any hostile string", () => {
    for (const s of Object.values(HOSTILE)) expect(RAW_CONTROL_BUT_NEWLINE_TAB.test(textBlock(s))).toBe(false);
  });
});

describe("hasControl", () => {
  it("is true exactly when oneLine would change the text", () => {
    for (const s of [...Object.values(HOSTILE), "plain", "Ünïcødé ✓", ""]) expect(hasControl(s)).toBe(oneLine(s) !== s);
  });
});
