/**
 * `lookout check` as cron runs it, read without commander: commander and the
 * commands' definitions cost a short command ~20 ms of CPU to load, a tenth
 * of a steady check. Only the plainest command lines are read here (`check`
 * with --json, --all, --config/-c and --data-dir/-d, each as commander reads
 * them); anything else, a mistake included, is left to commander, which says
 * what is wrong. test/cli/fast-path.test.ts holds each form against
 * commander's reading of it.
 */
import type { CheckOptions } from "./actions/check.js";

const VALUED: Readonly<Record<string, "config" | "dataDir">> = { "--config": "config", "-c": "config", "--data-dir": "dataDir", "-d": "dataDir" };

/** The options of `args` (the command line after `lookout`) when it is a plain `check`, else null. */
export function plainCheck(args: readonly string[]): CheckOptions | null {
  const out: CheckOptions = {};
  let command = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "check" && !command) {
      command = true;
      continue;
    }
    if (command && (arg === "--json" || arg === "--all")) {
      out[arg === "--json" ? "json" : "all"] = true;
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const key = VALUED[eq === -1 ? arg : arg.slice(0, eq)];
    if (key === undefined) return null;
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
    // A missing or empty value, or one commander might read as an option: commander's to say.
    if (value === undefined || value === "" || value.startsWith("-")) return null;
    out[key] = value;
  }
  return command ? out : null;
}
