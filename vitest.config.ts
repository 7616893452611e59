import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Four projects in one `vitest run`, all at once on four workers (most of
 * these tests wait on processes, sockets and timers rather than compute):
 * - docker: the real `lookout run` against our own dockerd, with real waits (a
 *   Slack outage with a kill -9, dockerd killed and restored). Two files, two
 *   chains of suites (test/integration/suites.ts), each with a dockerd of its
 *   own (global-setup starts two): the suites of a chain run one after the
 *   other, so no two ever share a daemon at once. Both start first (the
 *   sequencer below) and hold a worker each for about a minute and a half,
 *   the longest chains of the run.
 * - cli: spawn the built CLI (`lookout …`) as a user or cron would.
 * - browser: the dashboard in Debian's chromium against the built `lookout run`.
 * - unit: no process spawned but their own children; no unit test is timed
 *   (rules about time run on a test clock, test/support/clock.ts), and the
 *   host CPU tests compare with readings taken around the collector, so other
 *   work on the machine does not matter to them.
 * cli and unit share the other workers, longest files first. Every end-to-end
 * test waits on conditions with generous deadlines and watches only what it
 * controls (its own containers, pids, thresholds), so that sharing the machine
 * with the Docker chains, or with other work, changes how long it takes, not
 * whether it passes. The projects of one sequence.groupOrder must have one
 * maxWorkers (vitest runs them with one pool).
 */
/** test/cli files that spawn nothing (pure functions of src/cli): unit tests. */
const CLI_UNIT = ["test/cli/table.test.ts"];
/** Files elsewhere that spawn the built CLI: cli tests. */
const CLI_ELSEWHERE = ["test/http/cli.test.ts", "test/notify/alertmanager/real-alertmanager.test.ts", "test/http/metrics-prometheus.test.ts"];
/** Workers for every project: LOOKOUT_TEST_WORKERS, else 4 (the Docker chains take 2 of them). */
const WORKERS = Number(process.env.LOOKOUT_TEST_WORKERS) || 4;

/**
 * The files that take longest beside the Docker chains (seconds of a run on a busy 2-core machine, docs/benchmarks.md
 * §14), longest first. vitest orders by the durations of the last run it cached, and without them (a fresh clone, as
 * CI runs) by file size, which started some of these late: two fresh-clone runs took 196 and 207 s, against 172 s
 * with this order.
 */
const LONGEST = [
  "test/cli/run.e2e.test.ts", // 33-45 s
  "test/browser/dashboard.test.ts", // 23-47 s
  "test/cli/commands.test.ts", // 17-55 s
  "test/cli/check.test.ts", // 17-22 s
  "test/cli/lazy-commands.test.ts", // 8-31 s
  "test/cli/data-dir-storage.test.ts", // 12-15 s
  "test/cli/agent-lock.test.ts", // 10-13 s
  "test/cli/silence.test.ts", // 6-14 s
  "test/cli/hostile-config.test.ts", // 6-14 s
  "test/http/metrics-prometheus.test.ts", // 9-13 s
  "test/cli/data-dir.test.ts", // 5-13 s
  "test/cli/stdout-closed.test.ts", // 8-10 s
  "test/cli/output.test.ts", // 7-11 s
  "test/cli/package.test.ts", // 6-9 s
];

for (const path of LONGEST) if (!existsSync(resolve(import.meta.dirname, path))) throw new Error(`vitest.config.ts: LONGEST names ${path}, which is not there`);

/** The Docker files first, so that their serial chains start at once; then LONGEST; then vitest's order (longest first). */
class DockerFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      if (f.project.name === "docker") return -1;
      const at = LONGEST.findIndex((path) => f.moduleId.endsWith(path));
      return at === -1 ? LONGEST.length : at;
    };
    return sorted
      .map((f, i) => ({ f, i, r: rank(f) }))
      .sort((a, b) => a.r - b.r || a.i - b.i)
      .map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    // Vite's transform of each source, kept on disk (node_modules/.experimental-vitest-cache) and shared by the four
    // projects, which import the same sources: without it each project's workers had each file transformed again
    // (a run on a clean clone measured 4-14 CPU s less with it, a second run more; the suite is bound by CPU).
    experimental: { fsModuleCache: true },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
    sequence: { sequencer: DockerFirst },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          // One module graph per worker, not per file: importing the sources again for each of ~80 files cost more
          // than their tests (every file restores what it changes: log sinks, clocks, environment).
          isolate: false,
          // …and each file starts with the process-wide registries as a new process has them.
          setupFiles: ["test/support/unit-setup.ts"],
          include: ["test/**/*.test.ts"],
          exclude: ["test/integration/**", "test/cli/!(table).test.ts", ...CLI_ELSEWHERE, "test/browser/**"],
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "cli",
          // As the unit project: one module graph per worker (the CLI files' own imports took 20 s of CPU of a run
          // that is bound by CPU), each file starting from fresh registries.
          isolate: false,
          setupFiles: ["test/support/unit-setup.ts"],
          include: ["test/cli/**/*.test.ts", ...CLI_ELSEWHERE],
          exclude: CLI_UNIT,
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          // The dashboard in chromium against the built `lookout run` (test/browser/dashboard.test.ts).
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "docker",
          // Two files, two chains of suites, each on its own dockerd (test/integration/suites.ts).
          include: ["test/integration/docker-*.test.ts"],
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
          // Starts our own dockerd when a file under test/integration/ is in the run.
          globalSetup: ["test/integration/global-setup.ts"],
        },
      },
    ],
  },
});
