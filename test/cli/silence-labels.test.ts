/**
 * `lookout silence add` on a label no alert has (`contianer=db-1`): added, as
 * asked, with a warning that names the labels alerts have and the nearest one.
 */
import { describe, expect, it } from "vitest";
import { KNOWN_LABELS } from "../../src/label-matchers.js";
import { runCli, workspace } from "../support/cli.js";

describe("lookout silence add --match on an unknown label", () => {
  it("warns on stderr, naming the known labels and the closest, and still adds it (exit 0)", async () => {
    const ws = workspace("interval: 10s\n");
    const g = ["--config", ws.config, "--data-dir", ws.data];
    const r = await runCli(["silence", "add", ...g, "--match", "contianer=db-1", "--for", "2h"]);
    expect(r.code).toBe(0);
    const id = /Silence ([0-9a-f]{8}) added/.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning: --match contianer=db-1: no alert has a label "contianer" \(did you mean "container"\?\)/);
    expect(lines[0]).toContain(`the labels are ${KNOWN_LABELS.join(", ")}`);
    expect(lines[0]).toContain("this silence holds back no alert");
    expect(lines[0]).toContain(`lookout silence remove ${id}`);
    expect((await runCli(["silence", "list", ...g])).stdout).toContain(id);
  });

  it("says a glob that matches the empty value holds for every alert, and says nothing for known labels", async () => {
    const ws = workspace("interval: 10s\n");
    const g = ["--config", ws.config, "--data-dir", ws.data];
    const anything = await runCli(["silence", "add", ...g, "--match", "zone=*", "--for", "1h"]);
    expect(anything.code).toBe(0);
    expect(anything.stderr).toMatch(/^warning: --match zone=\*: no alert has a label "zone"; the labels are /);
    expect(anything.stderr).toContain("it holds for every alert");

    // Every known label in one silence (one --match each): a warning about any of them would be on stderr.
    const ok = await runCli(["silence", "add", ...g, ...KNOWN_LABELS.flatMap((label) => ["--match", `${label}=x*`]), "--for", "1h"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toBe("");
    const list = (await runCli(["silence", "list", ...g])).stdout;
    for (const label of KNOWN_LABELS) expect(list).toContain(`${label}=x*`);
  }, 60_000);

  it("lists the same labels in its help", async () => {
    const r = await runCli(["silence", "add", "--help"]);
    expect(r.stdout).toContain(`Labels: ${KNOWN_LABELS.join(", ")}.`);
  });
});
