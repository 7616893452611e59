import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config/load.js";
import { configSchema } from "../../src/config/schema.js";
import { CONFIG_TEMPLATE } from "../../src/config/template.js";

describe("lookout init's commented config", () => {
  it("is valid and equals the built-in defaults", () => {
    const dir = mkdtempSync(join(tmpdir(), "lookout-template-"));
    const path = join(dir, "lookout.yaml");
    writeFileSync(path, CONFIG_TEMPLATE);
    chmodSync(path, 0o600);
    const fromTemplate = loadConfig({ configPath: path, env: {} }).config;
    expect(fromTemplate).toEqual(configSchema.parse({}));
  });

  it("shows every option of the schema (active or commented out)", () => {
    const keys = (obj: unknown, prefix = ""): string[] =>
      obj && typeof obj === "object" && !Array.isArray(obj) ? Object.entries(obj).flatMap(([k, v]) => [prefix + k, ...keys(v, `${prefix}${k}.`)]) : [];
    const written = new Set(keys(parse(CONFIG_TEMPLATE)));
    for (const key of keys(configSchema.parse({}))) expect(written, key).toContain(key);
    // Options without a default are shown commented out.
    for (const key of ["# hostname:", "# data_dir:", "# host_root:"]) expect(CONFIG_TEMPLATE).toContain(key);
    for (const key of ["webhook_url:", "webhook_url_file:", "min_severity:", "name:"]) expect(CONFIG_TEMPLATE).toContain(key);
  });
});
