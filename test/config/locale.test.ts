/** `locale: en|ko` and LOOKOUT_LOCALE, which wins over it. */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { ConfigError } from "../../src/errors.js";
import { thrown } from "../support/thrown.js";

function configAt(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lookout-locale-config-"));
  const path = join(dir, "lookout.yaml");
  writeFileSync(path, text);
  chmodSync(path, 0o600);
  return path;
}

const load = (text: string, env: NodeJS.ProcessEnv = {}) => loadConfig({ configPath: configAt(text), env });

describe("locale", () => {
  it("is en unless the config or LOOKOUT_LOCALE says ko", () => {
    expect(load("interval: 10s").config.locale).toBe("en");
    expect(load("locale: ko").config.locale).toBe("ko");
    expect(load("locale: en", { LOOKOUT_LOCALE: "ko" }).config.locale).toBe("ko");
    expect(load("locale: ko", { LOOKOUT_LOCALE: " en " }).config.locale).toBe("en");
  });

  it("refuses a language it has no catalogue for, in the config and in LOOKOUT_LOCALE", () => {
    const fromFile = thrown(() => load("locale: fr"));
    expect(fromFile).toBeInstanceOf(ConfigError);
    expect((fromFile as ConfigError).problems.join("\n")).toContain("expected en or ko");
    const fromEnv = thrown(() => load("interval: 10s", { LOOKOUT_LOCALE: "kr" }));
    expect(fromEnv).toBeInstanceOf(ConfigError);
    expect((fromEnv as ConfigError).problems.join("\n")).toContain('LOOKOUT_LOCALE (overrides locale): expected en or ko, got "kr"');
  });
});
