/**
 * `http.*`: the address's forms, which ones are loopback, every key's
 * problems naming the key and the fix, LOOKOUT_HTTP_LISTEN, the token as a
 * secret (${ENV} and a file too), and the server's settings refusing an
 * address other machines can reach without a token (exit code 2).
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { isLoopback, parseListen } from "../../src/config/listen.js";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";
import { httpSettings } from "../../src/http/settings.js";
import { clearSecrets, redact } from "../../src/secrets.js";
import { thrown } from "../support/thrown.js";

const TOKEN = "0123456789abcdef0123";

function configAt(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-http-config-"));
  const path = join(dir, "lookout.yaml");
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  return path;
}

const load = (text: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ configPath: configAt(text), env });

function problems(fn: () => unknown): string[] {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).exitCode).toBe(2);
  return (err as ConfigError).problems;
}

beforeEach(() => clearSecrets());

describe("http.listen", () => {
  it("takes IPv4, [IPv6], localhost or nothing before the port", () => {
    expect(parseListen("127.0.0.1:9817")).toEqual({ host: "127.0.0.1", port: 9817 });
    expect(parseListen("[::1]:9817")).toEqual({ host: "::1", port: 9817 });
    expect(parseListen("0.0.0.0:80")).toEqual({ host: "0.0.0.0", port: 80 });
    expect(parseListen(":9817")).toEqual({ host: "", port: 9817 });
    expect(parseListen("localhost:9817")).toEqual({ host: "localhost", port: 9817 });
    for (const bad of ["9817", "127.0.0.1", "127.0.0.1:99999", "example.com:80", "[nope]:80", "::1:9817", "1.2.3:80", "127.0.0.1:-1"]) {
      expect(parseListen(bad), bad).toHaveProperty("problem");
    }
  });

  it("takes as an address what node:net's isIP takes, IPv4 without brackets and IPv6 within them (without loading node:net)", () => {
    const hosts = ["1.2.3.4", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "0.0.0.0", "a.b.c.d", "1..2.3", "::1", "::", "fe80::1", "2001:db8::1"];
    hosts.push("::ffff:127.0.0.1", "1::2::3", ":::", "12345::1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3", "1.2.3.4:5", "::1.2.3.4", "ABCD::ef");
    for (const h of hosts) {
      expect("host" in parseListen(`${h}:80`), `${h}:80`).toBe(isIP(h) === 4);
      expect("host" in parseListen(`[${h}]:80`), `[${h}]:80`).toBe(isIP(h) === 6);
    }
  });

  it("is loopback for 127.0.0.0/8, ::1 and localhost only", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost", "::ffff:127.0.0.1"]) expect(isLoopback(h), h).toBe(true);
    for (const h of ["", "0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "128.0.0.1"]) expect(isLoopback(h), h).toBe(false);
  });

  it("defaults to 127.0.0.1:9817, enabled; LOOKOUT_HTTP_LISTEN overrides it and is checked", () => {
    expect(load("").config.http).toEqual({ enabled: true, listen: "127.0.0.1:9817", metrics_public: false });
    expect(load("http: { listen: '[::1]:9000' }", { LOOKOUT_HTTP_LISTEN: "127.0.0.1:0" }).config.http.listen).toBe("127.0.0.1:0");
    expect(problems(() => load("", { LOOKOUT_HTTP_LISTEN: "everywhere" }))).toEqual([
      'LOOKOUT_HTTP_LISTEN (overrides http.listen): expected HOST:PORT like 127.0.0.1:9817, [::1]:9817, 0.0.0.0:9817 or :9817, got "everywhere"',
    ]);
  });
});

describe("the http keys' problems name the key and the fix", () => {
  it.each([
    ["http: { listen: 'web-1:80' }", /^http\.listen: expected an IP address, localhost or nothing before the port .*, got "web-1:80"$/],
    ["http: { listen: 9817 }", /^http\.listen: expected HOST:PORT like 127\.0\.0\.1:9817/],
    ["http: { auth_token: short }", /^http\.auth_token: expected at least 16 characters \(a short token can be guessed\); make one with: openssl rand -hex 32/],
    [`http: { auth_token: ${TOKEN}, auth_token_file: /x }`, /^http\.auth_token: set auth_token or auth_token_file, not both/],
    ["http: { public_url: 'ftp://example.com' }", /^http\.public_url: expected an http:\/\/ or https:\/\/ URL like https:\/\/lookout\.example\.com/],
    ["http: { public_url: 'lookout' }", /^http\.public_url: expected an http:\/\/ or https:\/\/ URL/],
    ["http: { enabled: yes please }", /^http\.enabled: expected true or false/],
    ["http: { port: 80 }", /^http\.port: unknown key/],
  ])("%s", (yaml, problem) => {
    const ps = problems(() => load(yaml));
    expect(ps).toHaveLength(1);
    expect(ps[0]).toMatch(problem);
  });

  it("a short token is not shown in the message", () => {
    expect(problems(() => load("http: { auth_token: sh0rt-s3cr3t }")).join("\n")).not.toContain("sh0rt-s3cr3t");
  });
});

describe("the token", () => {
  it("comes from ${ENV} and is a secret from then on", () => {
    const loaded = load("http: { auth_token: '${LOOKOUT_HTTP_TOKEN}' }", { LOOKOUT_HTTP_TOKEN: TOKEN });
    expect(loaded.config.http.auth_token).toBe(TOKEN);
    expect(redact(`token ${TOKEN}`)).toBe("token ****");
    expect(problems(() => load("http: { auth_token: '${LOOKOUT_HTTP_TOKEN}' }"))[0]).toMatch(/^http\.auth_token: environment variable LOOKOUT_HTTP_TOKEN is not set; export/);
  });

  it("comes from auth_token_file, trimmed, a secret; a missing or short file is a problem naming the key", () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-token-"));
    const file = join(dir, "token");
    writeFileSync(file, `${TOKEN}\n`);
    const s = httpSettings(load(`http: { auth_token_file: ${file}, listen: '0.0.0.0:9817' }`))!;
    expect(s.token).toBe(TOKEN);
    expect(redact(TOKEN)).toBe("****");
    writeFileSync(file, "tiny\n");
    expect(problems(() => httpSettings(load(`http: { auth_token_file: ${file} }`)))[0]).toMatch(
      /^http\.auth_token_file: .* holds a token shorter than 16 characters; put a longer one in it \(openssl rand -hex 32 > /,
    );
    expect(problems(() => httpSettings(load("http: { auth_token_file: /nonexistent/token }")))[0]).toMatch(/^http\.auth_token_file: cannot read \/nonexistent\/token \(ENOENT\)/);
  });
});

describe("the server's settings", () => {
  it("refuse an address other machines can reach without a token, and say the fix", () => {
    for (const listen of ["0.0.0.0:9817", ":9817", "192.168.1.10:9817", "[::]:9817"]) {
      const ps = problems(() => httpSettings(load(`http: { listen: '${listen}' }`)));
      expect(ps[0], listen).toMatch(
        /^http\.listen: .* which other machines can reach, and no token is set.*set http\.auth_token \(or http\.auth_token_file; openssl rand -hex 32 makes one\), or listen on 127\.0\.0\.1:9817 only$/,
      );
    }
  });

  it("allow loopback without a token, anything with one, and nothing when disabled", () => {
    expect(httpSettings(load(""))).toEqual({ listen: { host: "127.0.0.1", port: 9817 }, token: null, publicUrl: null });
    expect(httpSettings(load("http: { listen: '[::1]:9817' }"))?.token).toBeNull();
    const open = httpSettings(load(`http: { listen: ':9817', auth_token: ${TOKEN}, public_url: 'https://lookout.example.com/' }`))!;
    expect(open.token).toBe(TOKEN);
    expect(open.publicUrl?.origin).toBe("https://lookout.example.com");
    expect(httpSettings(load("http: { enabled: false, listen: '0.0.0.0:9817' }"))).toBeNull();
  });
});
