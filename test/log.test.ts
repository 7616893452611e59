import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { log, logValue, setLogLevel, setLogSink } from "../src/log.js";
import { clearSecrets, registerSecret } from "../src/secrets.js";

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

let lines: string[];

beforeEach(() => {
  lines = [];
  setLogSink((line) => lines.push(line));
  setLogLevel("debug");
});

afterEach(() => clearSecrets());

afterAll(() => {
  setLogSink((line) => process.stderr.write(line + "\n"));
  setLogLevel("info");
});

/** The part of a line after the timestamp and level. */
function rest(line: string): string {
  return line.replace(/^\S+ \S+\s+/, "");
}

describe("log field values", () => {
  it("a value holding ESC, an OSC title, CSI, C1, DEL, a line separator or a bidi override is quoted, shown escaped, and stays one line", () => {
    log.warn("cannot read mount", {
      mount: "\x1b]0;PWNED\x07\x1b[2J",
      container: "api\u009b31m",
      name: "a\u2028b\u2029c",
      image: "shop\u202eevil\x7f",
      path: "/mnt/x\nINJECTED CRITICAL: fake",
      cr: "a\rb",
    });
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(RAW_CONTROL.test(line), JSON.stringify(line)).toBe(false);
    expect(rest(line)).toBe(
      String.raw`cannot read mount mount="\x1b]0;PWNED\x07\x1b[2J" container="api\u009b31m" name="a\u2028b\u2029c"` +
        String.raw` image="shop\u202eevil\x7f" path="/mnt/x\nINJECTED CRITICAL: fake" cr="a\rb"`,
    );
  });

  it("plain words stay bare; whitespace, quotes and backslashes are quoted as before", () => {
    log.info("started", { host: "web-1", count: 3, ok: true, text: 'say "hi"\tnow', win: "C:\\data", none: undefined });
    expect(rest(lines[0]!)).toBe(String.raw`started host=web-1 count=3 ok=true text="say \"hi\"\tnow" win="C:\\data"`);
  });

  it("a non-string value that holds control characters is escaped too", () => {
    log.info("labels", { labels: { mount: "/x\u009b", name: "a\u2028b" } });
    const line = lines[0]!;
    expect(RAW_CONTROL.test(line), JSON.stringify(line)).toBe(false);
    expect(line).not.toContain("\n");
  });

  it("the message itself cannot break the line", () => {
    log.error("failed for /mnt/x\nINJECTED \x1b[2J");
    expect(rest(lines[0]!)).toBe(String.raw`failed for /mnt/x\nINJECTED \x1b[2J`);
  });

  it("redacts a secret whose quoting would change it, and a secret in the line", () => {
    registerSecret('tok"en\\123456');
    registerSecret("https://hooks.example.com/services/T1/B2/abcdef");
    log.warn("post failed", { auth: 'Bearer tok"en\\123456', url: "https://hooks.example.com/services/T1/B2/abcdef" });
    expect(lines[0]).not.toContain("123456");
    expect(lines[0]).not.toContain("abcdef");
    expect(rest(lines[0]!)).toBe('post failed auth="Bearer ****" url=https://hooks.example.com/services/T…/B…/****');
  });
});

describe("logValue", () => {
  it("quotes exactly what needs it", () => {
    expect(logValue("web-1")).toBe("web-1");
    expect(logValue("")).toBe("");
    expect(logValue("\x1b]0;PWNED")).toBe(String.raw`"\x1b]0;PWNED"`);
    expect(logValue("\u009b")).toBe(String.raw`"\u009b"`);
    expect(logValue("a\\b")).toBe(String.raw`"a\\b"`);
  });
});
