/**
 * cli/fast-path.ts reads plain `lookout check` command lines without
 * commander: each form it takes must be read exactly as commander reads it,
 * and each form it leaves must go to commander.
 */
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import type { CheckOptions } from "../../src/cli/actions/check.js";
import { plainCheck } from "../../src/cli/fast-path.js";
import { buildProgram } from "../../src/cli/program.js";

/** What commander gives the check action for `args`, or the error it stops with. */
async function commanderReads(args: string[]): Promise<CheckOptions | "error"> {
  const program = buildProgram();
  let seen: CheckOptions | undefined;
  const silence = (c: Command): void => {
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    for (const sub of c.commands) silence(sub);
  };
  silence(program);
  program.commands
    .find((c) => c.name() === "check")!
    .action((_opts: unknown, cmd: Command) => {
      seen = cmd.optsWithGlobals<CheckOptions>();
    });
  try {
    await program.parseAsync(["node", "lookout", ...args]);
  } catch {
    return "error";
  }
  return seen ?? "error";
}

const normal = (o: CheckOptions) => ({ json: o.json === true, all: o.all === true, config: o.config, dataDir: o.dataDir });

describe("a plain lookout check", () => {
  const taken = [
    ["check"],
    ["check", "--json"],
    ["check", "--all", "--json"],
    ["check", "--config", "/etc/lookout/lookout.yaml"],
    ["check", "--config=/etc/l.yaml", "--data-dir=/var/lib/lookout"],
    ["check", "-c", "l.yaml", "-d", "data", "--all"],
    ["--config", "l.yaml", "check", "--json"],
    ["-d", "data", "check"],
    ["check", "--config", "a.yaml", "--config", "b.yaml"],
    ["check", "--config", "with space.yaml"],
  ];
  for (const args of taken) {
    it(`${args.join(" ")}: read as commander reads it`, async () => {
      const fast = plainCheck(args);
      expect(fast).not.toBeNull();
      const slow = await commanderReads(args);
      expect(slow).not.toBe("error");
      expect(normal(fast!)).toEqual(normal(slow as CheckOptions));
    });
  }

  const left = [
    ["check", "--help"],
    ["check", "-h"],
    ["check", "--config"],
    ["check", "--config", "--json"],
    ["check", "--config="],
    ["check", "--jsn"],
    ["check", "extra"],
    ["check", "check"],
    ["--json", "check"],
    ["run"],
    ["status", "--json"],
    [],
    ["-c", "x.yaml"],
    ["check", "-cx.yaml"],
    ["check", "--data-dir", "-"],
  ];
  for (const args of left) {
    it(`${args.join(" ") || "(nothing)"}: left to commander`, () => {
      expect(plainCheck(args)).toBeNull();
    });
  }
});
