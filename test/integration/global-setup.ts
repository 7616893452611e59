/**
 * Vitest global setup: starts the Docker test rigs (our own dockerd, see
 * docker-rig.ts; one per chain of suites, test/integration/docker-*.test.ts,
 * so that the two chains run at once without sharing a daemon) when at least
 * one file under test/integration/ is part of the run, provides them to the
 * tests (`inject("dockerRigs")`; the first also as `inject("dockerRig")`) and
 * tears them down after the run. A run of unit tests only starts nothing.
 *
 * Which files are in the run comes from vitest's state (its paths are
 * collected before global setup runs); when that cannot be read, or in watch
 * mode (a later re-run may add an integration file), the rig starts anyway:
 * it costs about 2 s.
 */
import type { TestProject } from "vitest/node";
import { startRig, stopRig } from "./docker-rig.js";

const INTEGRATION_DIR = "/test/integration/";
/** One rig per test/integration/docker-*.test.ts. */
const RIGS = 2;

function integrationFilesInRun(project: TestProject): boolean {
  if (project.vitest.config.watch) return true;
  let paths: unknown;
  try {
    // Experimental API (vitest 4): the files of this run.
    paths = (project.vitest as unknown as { state?: { getPaths?: () => unknown } }).state?.getPaths?.();
  } catch {
    return true;
  }
  if (!Array.isArray(paths) || paths.length === 0) return true;
  return paths.some((p) => typeof p === "string" && p.replace(/\\/g, "/").includes(INTEGRATION_DIR));
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.LOOKOUT_DOCKER_RIG !== "always" && !integrationFilesInRun(project)) {
    project.provide("dockerSocket", "");
    project.provide("dockerRig", null);
    project.provide("dockerRigs", []);
    return undefined;
  }
  const started = Date.now();
  const results = await Promise.allSettled(Array.from({ length: RIGS }, () => startRig()));
  const rigs = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.allSettled(rigs.map((rig) => stopRig(rig)));
    throw failed.reason;
  }
  if (process.env.LOOKOUT_RIG_VERBOSE) {
    for (const rig of rigs) {
      process.stderr.write(
        `docker rig: dockerd on ${rig.socket} in ${((Date.now() - started) / 1000).toFixed(1)} s (dockerd ${rig.timings.dockerd} s, image ${rig.timings.image} s)\n`,
      );
    }
  }
  project.provide("dockerSocket", rigs[0]!.socket);
  project.provide("dockerRig", rigs[0]!);
  project.provide("dockerRigs", rigs);
  return async () => {
    const t = Date.now();
    await Promise.allSettled(rigs.map((rig) => stopRig(rig)));
    if (process.env.LOOKOUT_RIG_VERBOSE) process.stderr.write(`docker rig: torn down in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  };
}
