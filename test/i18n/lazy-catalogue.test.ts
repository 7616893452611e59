/**
 * The English catalogue as the bundled CLI holds it (src/i18n/lazy-catalogue.ts):
 * one string, read when asked. It must answer as en.ts does, key by key and
 * listed; test/bin/bundle.test.ts checks that the bundle holds it so.
 */
import { describe, expect, it } from "vitest";
import { en } from "../../src/i18n/en.js";
import { catalogueText, lazyCatalogue } from "../../src/i18n/lazy-catalogue.js";

describe("lazyCatalogue", () => {
  const lazy = lazyCatalogue<typeof en>(catalogueText(en));

  it("answers every key of en.ts with its text, by lookup, `in` and Object.hasOwn", () => {
    for (const [key, text] of Object.entries(en)) {
      expect(lazy[key as keyof typeof en], key).toBe(text);
      expect(key in lazy, key).toBe(true);
      expect(Object.hasOwn(lazy, key), key).toBe(true);
    }
  });

  it("lists the same entries in the same order (Object.keys, Object.entries, a spread)", () => {
    expect(Object.keys(lazy)).toEqual(Object.keys(en));
    expect(Object.entries(lazy)).toEqual(Object.entries(en));
    expect({ ...lazy }).toEqual({ ...en });
  });

  it("has nothing else: no other key, no prefix or part of a key, no symbol", () => {
    const anyLazy = lazy as Record<string | symbol, unknown>;
    for (const key of ["nope", "title", "title.line.", "itle.line", "", "\u0001", "list.sep\u0001, "]) {
      expect(anyLazy[key], JSON.stringify(key)).toBeUndefined();
      expect(key in lazy, JSON.stringify(key)).toBe(false);
      expect(Object.hasOwn(lazy, key), JSON.stringify(key)).toBe(false);
    }
    expect(anyLazy[Symbol.iterator]).toBeUndefined();
  });

  it("cannot be changed", () => {
    const anyLazy = lazy as Record<string, unknown>;
    expect(() => {
      anyLazy["list.sep"] = "changed";
    }).toThrow(TypeError);
    expect(() => delete anyLazy["list.sep"]).toThrow(TypeError);
    expect(lazy["list.sep"]).toBe(en["list.sep"]);
  });

  it("reads the first and last entries, and texts that are empty", () => {
    const t = lazyCatalogue<Record<string, string>>(catalogueText({ a: "1", empty: "", "a.b": "{x} y", z: "last" }));
    expect([t.a, t.empty, t["a.b"], t.z]).toEqual(["1", "", "{x} y", "last"]);
    expect(Object.hasOwn(t, "empty")).toBe(true);
    expect(Object.keys(t)).toEqual(["a", "empty", "a.b", "z"]);
  });

  it("holds en.ts's texts one byte a character, those past U+00FF included (…, →, Korean), and gives them back as written", () => {
    const text = catalogueText(en);
    expect(/[^\u0000-\u00ff]/.test(text)).toBe(false);
    expect(Object.values(en).some((v) => /[^\u0000-\u00ff]/.test(v))).toBe(true); // there are some to write so
    const t = lazyCatalogue<Record<string, string>>(catalogueText({ a: "x … y → z", b: "\u00e9t\u00e9 \uc2ec\uac01 \u{1F600}", c: "\\u0002 as typed" }));
    expect([t.a, t.b, t.c]).toEqual(["x … y → z", "\u00e9t\u00e9 \uc2ec\uac01 \u{1F600}", "\\u0002 as typed"]);
    expect(Object.values(t)).toEqual([t.a, t.b, t.c]);
  });

  it("refuses, at build, a key or text holding the characters that separate them, and a key past Latin-1", () => {
    expect(() => catalogueText({ "a\u0000b": "x" })).toThrow(/NUL, SOH or STX/);
    expect(() => catalogueText({ a: "x\u0001y" })).toThrow(/NUL, SOH or STX/);
    expect(() => catalogueText({ a: "x\u0002y" })).toThrow(/NUL, SOH or STX/);
    expect(() => catalogueText({ "caf\u00e9\u2026": "x" })).toThrow(/not Latin-1/);
  });
});
