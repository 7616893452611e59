/**
 * The Docker end-to-end suites run in chains: each chain is one test file
 * (test/integration/docker-*.test.ts) with a dockerd of its own (global-setup
 * starts one per chain), whose suites run one after the other, so that suites
 * sharing a daemon never run at once (they stop, kill and restart it, and
 * remove every container), while the other chain and the unit and CLI files
 * run alongside on the other workers (vitest.config.ts). Each suite is its own
 * file (`*.suite.ts`), imported inside a describe of its name: its top-level
 * hooks (its fake Slack, its clean-up) belong to it alone.
 *
 * One suite, or a few: `LOOKOUT_DOCKER_SUITES=delivery,engine npx vitest run --project docker`.
 */
import { describe, it } from "vitest";
import { useChain } from "./docker-rig.js";

/** Every suite, for LOOKOUT_DOCKER_SUITES. */
const ALL = ["engine", "cgroup-stats", "containers", "inhibition", "delivery", "capture-fixtures", "dashboard", "image"];

/** Declares the suites of chain `index`, in order, each on that chain's rig. */
export function chain(index: number, suites: Record<string, () => Promise<unknown>>): void {
  useChain(index);
  const wanted = process.env.LOOKOUT_DOCKER_SUITES?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = (wanted ?? []).filter((s) => !ALL.includes(s));
  if (unknown.length > 0) throw new Error(`LOOKOUT_DOCKER_SUITES: no suite ${unknown.join(", ")} (there are ${ALL.join(", ")})`);
  const chosen = Object.entries(suites).filter(([name]) => !wanted || wanted.includes(name));
  // A file without a test fails: say that this chain has nothing to do.
  if (chosen.length === 0) it.skip(`no suite of chain ${index} is in LOOKOUT_DOCKER_SUITES`, () => undefined);
  for (const [name, load] of chosen) {
    describe(`${name}.suite.ts`, async () => {
      await load();
    });
  }
}
