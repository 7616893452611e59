import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Three projects in one `vitest run`, all at once on three workers (most of
 * these tests wait on processes, sockets and timers rather than compute):
 * - docker: the real `lookout run` against the rig's own dockerd, with real
 *   waits (a Slack outage with a kill -9, dockerd killed and restored). Its
 *   suites are one file, test/integration/docker.test.ts, that runs them one
 *   after the other: they share the rig, never at once. It starts first and
 *   holds one worker for the whole run (the sequencer below), the longest
 *   chain of the run (~2 min).
 * - cli: spawn the built CLI (`lookout …`) as a user or cron would.
 * - unit: no process spawned but their own children; no unit test is timed
 *   (rules about time run on a test clock, test/support/clock.ts), and the
 *   host CPU tests compare with readings taken around the collector, so other
 *   work on the machine does not matter to them.
 * cli and unit share the two other workers, longest files first. Every
 * end-to-end test waits on conditions with generous deadlines and watches only
 * what it controls (its own containers, pids, thresholds), so that sharing the
 * machine with the Docker suites, or with other work, changes how long it
 * takes, not whether it passes. The projects of one sequence.groupOrder must
 * have one maxWorkers (vitest runs them with one pool).
 */
/** test/cli files that spawn nothing (pure functions of src/cli): unit tests. */
const CLI_UNIT = ["test/cli/table.test.ts"];
const WORKERS = 3;

/** The Docker file first, so that its serial chain starts at once; then vitest's order (longest first). */
class DockerFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((f) => f.project.name === "docker"), ...sorted.filter((f) => f.project.name !== "docker")];
  }
}

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
    sequence: { sequencer: DockerFirst },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**", "test/cli/!(table).test.ts"],
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "cli",
          include: ["test/cli/**/*.test.ts"],
          exclude: CLI_UNIT,
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "docker",
          // One file: its suites (*.suite.ts) run one after the other.
          include: ["test/integration/docker.test.ts"],
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
          // Starts our own dockerd when a file under test/integration/ is in the run.
          globalSetup: ["test/integration/global-setup.ts"],
        },
      },
    ],
  },
});
