/**
 * docs/configuration.md is written from the schema and the rules
 * (src/export/config-doc.ts): regenerated here in memory, it must equal the
 * file, so a key or a default changed without `npm run docs:config` fails.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { configKeys, renderConfigDoc } from "../../src/export/config-doc.js";

const FILE = resolve(import.meta.dirname, "../../docs/configuration.md");

describe("docs/configuration.md", () => {
  it("is what the schema and the rules make it", () => {
    const fresh = renderConfigDoc() === readFileSync(FILE, "utf8");
    expect(fresh, "docs/configuration.md is stale: run `npm run docs:config` and commit it").toBe(true);
  });

  it("says what every key means (a .describe() on each key in src/config/schema.ts)", () => {
    expect(
      configKeys()
        .filter((k) => k.description === "")
        .map((k) => k.path),
    ).toEqual([]);
  });

  it("lists every alert, with how to change it by a container label where a label can", () => {
    const doc = renderConfigDoc();
    for (const name of ["host_cpu", "host_disk", "container_crashed", "container_memory", "docker_unreachable"]) expect(doc).toContain(`### \`${name}\``);
    expect(doc).toContain("`lookout.cpu.warning=85`");
    expect(doc).toContain('`containers.overrides: [{ match: "name=db-*", cpu: { warning: 85 } }]`');
    expect(doc).toContain("`host.cpu.warning: 85`");
  });
});
