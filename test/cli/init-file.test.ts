/**
 * `lookout init` writes the config with mode 600 and never through a link:
 * `--force` over a file another user could read leaves a 600 file, and a link
 * at the path (to another file, or dangling) is refused, never followed.
 */

import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const dir = () => mkdtempSync(join(tmpdir(), "lookout-init-"));

describe("lookout init", () => {
  it("--force over an existing 644 file leaves a 600 file with the template, and no temporary file", async () => {
    const d = dir();
    const target = join(d, "lookout.yaml");
    writeFileSync(target, "old: true\n");
    chmodSync(target, 0o644);
    const r = await runCli(["init", "--force", target]);
    expect(r.code).toBe(0);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readFileSync(target, "utf8")).toContain("notify:");
    expect(readdirSync(d)).toEqual(["lookout.yaml"]);
  });

  it("writes a new file with mode 600, and refuses to overwrite without --force", async () => {
    const d = dir();
    const target = join(d, "lookout.yaml");
    expect((await runCli(["init", target])).code).toBe(0);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const again = await runCli(["init", target]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists; pass --force to overwrite it");
  });

  it("refuses a link at the path, even with --force, and leaves what it points to alone", async () => {
    const d = dir();
    const victim = join(d, "victim");
    writeFileSync(victim, "precious\n");
    chmodSync(victim, 0o644);
    const link = join(d, "lookout.yaml");
    symlinkSync(victim, link);
    for (const args of [
      ["init", "--force", link],
      ["init", link],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("is a symbolic link; Lookout does not write through links");
      expect(readFileSync(victim, "utf8")).toBe("precious\n");
      expect(statSync(victim).mode & 0o777).toBe(0o644);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
    }
  });

  it("refuses a dangling link instead of creating the file it points to", async () => {
    const d = dir();
    const pointed = join(d, "elsewhere.yaml");
    const link = join(d, "lookout.yaml");
    symlinkSync(pointed, link);
    const r = await runCli(["init", link]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is a symbolic link");
    expect(existsSync(pointed)).toBe(false);
  });
});
