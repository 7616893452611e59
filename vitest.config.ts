import { defineConfig } from "vitest/config";

/**
 * Three projects in one `vitest run`:
 * - unit: no process spawned but their own children; no unit test is timed
 *   (rules about time run on a test clock, test/support/clock.ts), and the
 *   host CPU tests compare with readings taken around the collector, so other
 *   work on the machine does not matter to them.
 * - cli: spawn the built CLI (`lookout …`) as a user or cron would.
 * - docker: the real `lookout run` against the rig's own dockerd, with real
 *   waits (a Slack outage with a kill -9, dockerd killed and restored). One
 *   file at a time, after everything else, so that nothing competes with them.
 * unit and cli run first, two files at a time (vitest runs the projects of one
 * sequence.groupOrder with one maxWorkers).
 */
/** test/cli files that spawn nothing (pure functions of src/cli): unit tests. */
const CLI_UNIT = ["test/cli/table.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**", "test/cli/!(table).test.ts"],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "cli",
          include: ["test/cli/**/*.test.ts"],
          exclude: CLI_UNIT,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "docker",
          include: ["test/integration/**/*.test.ts"],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          // Starts our own dockerd when a file under test/integration/ is in the run.
          globalSetup: ["test/integration/global-setup.ts"],
        },
      },
    ],
  },
});
