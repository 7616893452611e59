/**
 * croner, as cron.ts asks for it: only a config with `maintenance:` windows
 * needs it. In the bundle (scripts/bundle.mjs, `lookout:sync-lazy`) this file
 * is replaced by one that requires croner's own chunk when first called (~2.6
 * ms of every `check` when it was loaded with the agent, docs/benchmarks.md
 * §2). Here (tsc, the tests) it is an ordinary import.
 */
import * as cronerModule from "croner";

export function croner(): typeof cronerModule {
  return cronerModule;
}
