/**
 * The Docker end-to-end suites, one after the other in this one file, so that
 * they share the rig's dockerd without ever running at once (they stop, kill
 * and restart it, and remove every container) while the unit and CLI files
 * run alongside on the other workers (vitest.config.ts). Each suite is its own
 * file (`*.suite.ts`), imported inside a describe of its name: its top-level
 * hooks (its fake Slack, its clean-up) belong to it alone.
 *
 * One suite, or a few: `LOOKOUT_DOCKER_SUITES=delivery,engine npx vitest run --project docker`.
 */
import { describe } from "vitest";

const SUITES = {
  engine: () => import("./engine.suite.js"),
  containers: () => import("./containers.suite.js"),
  inhibition: () => import("./inhibition.suite.js"),
  delivery: () => import("./delivery.suite.js"),
  "capture-fixtures": () => import("./capture-fixtures.suite.js"),
};

const wanted = process.env.LOOKOUT_DOCKER_SUITES?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = (wanted ?? []).filter((s) => !(s in SUITES));
if (unknown.length > 0) throw new Error(`LOOKOUT_DOCKER_SUITES: no suite ${unknown.join(", ")} (there are ${Object.keys(SUITES).join(", ")})`);

for (const [name, load] of Object.entries(SUITES)) {
  if (wanted && !wanted.includes(name)) continue;
  describe(`${name}.suite.ts`, async () => {
    await load();
  });
}
