import { describe, expect, it } from "vitest";
import { UsageError } from "../src/errors.js";
import { globToRegExp } from "../src/glob.js";
import { matchesAll, parseMatcher } from "../src/label-matchers.js";

function refused(text: string): UsageError {
  try {
    parseMatcher(text);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return err as UsageError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

describe("parseMatcher", () => {
  it("reads name=glob, trimming spaces around both", () => {
    const m = parseMatcher(" container = db-1 ");
    expect(m.name).toBe("container");
    expect(m.pattern).toBe("db-1");
    expect(m.test("db-1")).toBe(true);
    expect(m.test("db-10")).toBe(false);
    expect(m.test("xdb-1")).toBe(false);
  });

  it("matches globs anchored: * any run (none too), ? exactly one character", () => {
    const star = parseMatcher("alertname=host_*");
    expect(star.test("host_disk")).toBe(true);
    expect(star.test("host_")).toBe(true);
    expect(star.test("container_crashed")).toBe(false);
    expect(star.test("my_host_disk")).toBe(false);
    const q = parseMatcher("container=db-?");
    expect(q.test("db-1")).toBe(true);
    expect(q.test("db-")).toBe(false);
    expect(q.test("db-12")).toBe(false);
    expect(parseMatcher("container=*-db-*").test("shop-db-1")).toBe(true);
  });

  it("takes everything else literally (dots, slashes, brackets, regex characters)", () => {
    expect(parseMatcher("mount=/var/lib").test("/var/lib")).toBe(true);
    expect(parseMatcher("image=nginx:1.25").test("nginx:1x25")).toBe(false);
    expect(parseMatcher("container=a+b").test("aab")).toBe(false);
    expect(parseMatcher("container=(x)[y]{z}|^$\\").test("(x)[y]{z}|^$\\")).toBe(true);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
  });

  it("keeps '=' after the first one in the value", () => {
    const m = parseMatcher("com.example.k=a=b");
    expect(m.name).toBe("com.example.k");
    expect(m.test("a=b")).toBe(true);
  });

  it("treats an absent label as empty: it matches only a pattern that matches an empty value", () => {
    expect(parseMatcher("mount=/data").test(undefined)).toBe(false);
    expect(parseMatcher("mount=*").test(undefined)).toBe(true);
    expect(parseMatcher("mount=").test(undefined)).toBe(true);
    expect(parseMatcher("mount=").test("/")).toBe(false);
    expect(parseMatcher("mount=?*").test(undefined)).toBe(false);
  });

  it("refuses text without '=' or without a name, with what a matcher looks like", () => {
    expect(refused("db-1").userMessage).toBe('--match: expected label=value like container=db-1 or alertname=host_*, got "db-1"');
    expect(refused("=db-1").userMessage).toMatch(/^--match: expected label=value like container=db-1 or alertname=host_\* \(the label name before "=" is missing\), got "=db-1"$/);
    expect(refused("  =x").userMessage).toMatch(/label name before "=" is missing/);
    expect(refused("").userMessage).toMatch(/got ""$/);
    expect(refused("alertname!=host_cpu").userMessage).toMatch(/only "=" with a glob is supported, not "!="/);
    expect(refused("alert name=x").userMessage).toMatch(/letters, digits/);
  });
});

describe("matchesAll", () => {
  const labels = { alertname: "host_disk", mount: "/data", hostname: "web-1", severity: "warning" };

  it("holds only when every matcher holds", () => {
    expect(matchesAll([parseMatcher("alertname=host_disk"), parseMatcher("mount=/data")], labels)).toBe(true);
    expect(matchesAll([parseMatcher("alertname=host_disk"), parseMatcher("mount=/var")], labels)).toBe(false);
    expect(matchesAll([parseMatcher("alertname=host_*"), parseMatcher("container=db-1")], labels)).toBe(false);
  });

  it("holds for no matchers", () => {
    expect(matchesAll([], labels)).toBe(true);
  });

  it("does not see inherited properties as labels", () => {
    expect(matchesAll([parseMatcher("constructor=*")], {})).toBe(true);
    expect(matchesAll([parseMatcher("constructor=?*")], {})).toBe(false);
    expect(matchesAll([parseMatcher("toString=?*")], {})).toBe(false);
  });
});
