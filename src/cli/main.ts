#!/usr/bin/env node
/**
 * The `lookout` executable. `lookout --version` alone is answered here, before
 * anything else is loaded; everything else goes to program.ts (commander and the
 * commands' definitions; each command loads its own code when it runs).
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { VERSION } from "../version.js";
import { guardOutput } from "./output.js";

export async function main(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    guardOutput();
    // As commander prints it.
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const program = await import("./program.js");
  return program.main(argv);
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv);
