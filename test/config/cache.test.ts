/**
 * The validated-config cache (src/config/cache.ts, config/cached-load.ts): a
 * config loaded again from an unchanged file and environment comes from the
 * cache, equal to a full load; any change that could change it is a full
 * load; and no secret, from the file or the environment, is ever in it.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheEntry, configCacheDir, isSecret, readConfigCache, writeConfigCache } from "../../src/config/cache.js";
import { loadConfigCached } from "../../src/config/cached-load.js";
import { loadWithMaterial } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";
import { messages } from "../../src/i18n/messages.js";

const en = messages("en");

const WEBHOOK = "https://hooks.slack.com/services/T0SECRET/B0SECRET/literalsecretvalue";
const TOKEN = "env-token-0123456789-secret";
const PASSWORD = "hunter2-password-secret";

/** A config with a literal webhook, secrets from the environment (whole and in a header), and a non-secret variable. */
const CONFIG = `
interval: \${INTERVAL}
hostname: web-1
notify:
  slack:
    - name: ops
      webhook_url: ${WEBHOOK}
  webhooks:
    - name: hook
      url: 'https://example.com/hook'
      headers:
        Authorization: "Bearer \${HOOK_TOKEN}"
  email:
    - name: mail
      smtp:
        host: 127.0.0.1
        port: 25
        username: me
        password: \${SMTP_PASSWORD}
      from: a@example.com
      to: [b@example.com]
`;

function rig(text = CONFIG) {
  const dir = mkdtempSync(join(tmpdir(), "lookout-config-cache-"));
  const path = join(dir, "lookout.yaml");
  writeFileSync(path, text, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { INTERVAL: "15s", HOOK_TOKEN: TOKEN, SMTP_PASSWORD: PASSWORD, XDG_CACHE_HOME: join(dir, "cache") };
  return { dir, path, env, cacheDir: configCacheDir(env)!, opts: { configPath: path, dataDir: join(dir, "data"), env } };
}

/** The cache's hit for the rig as it is now, or null. */
function hit(r: ReturnType<typeof rig>) {
  return readConfigCache(r.cacheDir, r.path, readFileSync(r.path, "utf8"), r.env, en);
}

describe("the validated-config cache", () => {
  it("gives back what a full load gives, and keeps no secret", async () => {
    const r = rig();
    const full = await loadConfigCached(r.opts); // a miss: loaded in full, kept
    const files = readdirSync(r.cacheDir);
    expect(files).toHaveLength(1);
    const kept = readFileSync(join(r.cacheDir, files[0]!), "utf8");
    for (const secret of [WEBHOOK, "literalsecretvalue", TOKEN, PASSWORD, "https://example.com/hook"]) expect(kept).not.toContain(secret);
    expect(kept).toContain('"INTERVAL":"15s"'); // a variable used outside secrets is kept with its value
    expect(kept).toContain('"HOOK_TOKEN":true'); // of a secret's, only that it is set
    expect(hit(r)).not.toBeNull();
    const cached = await loadConfigCached(r.opts);
    expect(cached).toEqual(full);
    expect(cached.config.interval).toBe(15_000);
    expect(cached.config.notify.slack[0]!.webhook_url).toBe(WEBHOOK);
    expect(cached.config.notify.webhooks[0]!.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(cached.config.notify.email[0]!.smtp.password).toBe(PASSWORD);
  });

  it("puts a secret variable's new value in (a secret the schema takes as any text)", async () => {
    const r = rig();
    await loadConfigCached(r.opts);
    r.env.HOOK_TOKEN = "another-token-value";
    const again = hit(r);
    expect(again?.config.notify.webhooks[0]?.headers.Authorization).toBe("Bearer another-token-value");
  });

  it("is not used when the file, a variable's value, whether a secret's variable is set, or the schema changed", async () => {
    const r = rig();
    await loadConfigCached(r.opts);
    expect(hit(r)).not.toBeNull();

    r.env.INTERVAL = "20s";
    expect(hit(r)).toBeNull();
    expect((await loadConfigCached(r.opts)).config.interval).toBe(20_000);
    expect(hit(r)).not.toBeNull();

    writeFileSync(r.path, CONFIG.replace("web-1", "web-2"));
    expect(hit(r)).toBeNull();
    expect((await loadConfigCached(r.opts)).hostname).toBe("web-2");

    delete r.env.SMTP_PASSWORD;
    expect(hit(r)).toBeNull();
    // … and the full load says what is wrong, as without the cache.
    await expect(loadConfigCached(r.opts)).rejects.toThrow(ConfigError);
  });

  it("is not used when the schema's file is another", () => {
    const r = rig();
    const { material } = loadWithMaterial(r.opts);
    const schemaFile = join(r.dir, "schema.js");
    writeFileSync(schemaFile, "// the schema");
    writeConfigCache(r.cacheDir, { ...material, schemaFile }, r.env);
    expect(hit(r)).not.toBeNull();
    utimesSync(schemaFile, new Date(), new Date(Date.now() + 5000));
    expect(hit(r)).toBeNull();
  });

  it("keeps nothing for a secret it could not read back without YAML or keep without its value", () => {
    const cases: Array<[string, string]> = [
      ["an escape in a quoted secret", `notify:\n  slack:\n    - webhook_url: "https://hooks.slack.com/services/T/B/\\x41bc"\n`],
      ["a secret behind an alias", `notify:\n  slack:\n    - { name: a, webhook_url: &u https://hooks.slack.com/services/T/B/c }\n    - { name: b, webhook_url: *u }\n`],
      ["a secret folded over two lines", `notify:\n  slack:\n    - webhook_url: https://hooks.slack.com/services/T/B/\n        c\n`],
      ["a variable in a secret the schema checks (ntfy's topic)", `notify:\n  ntfy:\n    - topic: \${TOPIC}\n`],
      ["a variable used in a secret and elsewhere", `hostname: \${SHARED}\nnotify:\n  slack:\n    - webhook_url: https://hooks.slack.com/services/\${SHARED}\n`],
    ];
    for (const [what, text] of cases) {
      const r = rig(text);
      Object.assign(r.env, { TOPIC: "alerts", SHARED: "h" });
      const { material } = loadWithMaterial(r.opts);
      expect(cacheEntry(material, r.env, { file: "x", mtimeMs: 0, size: 0 }), what).toBeNull();
    }
  });

  it("keeps a config whose secret keys have the schema's defaults (ntfy's server)", () => {
    const r = rig(`notify:\n  ntfy:\n    - topic: alerts-abc\n`);
    const { material } = loadWithMaterial(r.opts);
    const entry = cacheEntry(material, r.env, { file: "x", mtimeMs: 0, size: 0 });
    expect(entry).not.toBeNull();
    expect(JSON.stringify(entry)).not.toContain("alerts-abc");
  });

  it("is not read from a file others may write to, nor kept in a directory others may write to", async () => {
    const r = rig();
    await loadConfigCached(r.opts);
    const file = join(r.cacheDir, readdirSync(r.cacheDir)[0]!);
    chmodSync(file, 0o666);
    expect(hit(r)).toBeNull();
    chmodSync(file, 0o600);
    expect(hit(r)).not.toBeNull();
  });

  it("a damaged entry is a full load, never an error", async () => {
    const r = rig();
    await loadConfigCached(r.opts);
    const file = join(r.cacheDir, readdirSync(r.cacheDir)[0]!);
    const entry = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    for (const damage of ["{", JSON.stringify({ ...entry, recipes: 7 }), JSON.stringify({ ...entry, config: null }), JSON.stringify({ ...entry, envSet: "x" })]) {
      writeFileSync(file, damage, { mode: 0o600 });
      expect(hit(r)).toBeNull();
      expect((await loadConfigCached(r.opts)).config.interval).toBe(15_000);
      expect(hit(r)).not.toBeNull(); // kept anew
    }
  });

  it("is off with LOOKOUT_CONFIG_CACHE=off or without a home", () => {
    expect(configCacheDir({ LOOKOUT_CONFIG_CACHE: "off", HOME: "/root" })).toBeNull();
    expect(configCacheDir({})).toBeNull();
    expect(configCacheDir({ HOME: "/home/a" })).toBe("/home/a/.cache/lookout/config");
    expect(configCacheDir({ HOME: "/home/a", XDG_CACHE_HOME: "/c" })).toBe("/c/lookout/config");
  });

  it("counts as secrets the HTTP token and every receiver's token, password, key, URL, topic and header", () => {
    for (const p of [
      ["http", "auth_token"],
      ["notify", "slack", 0, "webhook_url"],
      ["notify", "telegram", 0, "bot_token"],
      ["notify", "email", 0, "smtp", "password"],
      ["notify", "pushover", 0, "user_key"],
      ["notify", "pagerduty", 0, "routing_key"],
      ["notify", "ntfy", 0, "topic"],
      ["notify", "webhooks", 0, "url"],
      ["notify", "webhooks", 0, "headers", "X-Anything"],
    ])
      expect(isSecret(p), p.join(".")).toBe(true);
    for (const p of [["hostname"], ["notify", "slack", 0, "name"], ["http", "public_url"], ["notify", "email", 0, "smtp", "username"]])
      expect(isSecret(p), p.join(".")).toBe(false);
  });
});
