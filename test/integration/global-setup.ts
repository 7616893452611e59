/**
 * Vitest global setup: starts the Docker test rig (our own dockerd, see
 * docker-rig.ts) when at least one file under test/integration/ is part of the
 * run, provides it to the tests (`inject("dockerSocket")`, `inject("dockerRig")`)
 * and tears it down after the run. A run of unit tests only starts nothing.
 *
 * Which files are in the run comes from vitest's state (its paths are
 * collected before global setup runs); when that cannot be read, or in watch
 * mode (a later re-run may add an integration file), the rig starts anyway:
 * it costs about 2 s.
 */
import type { TestProject } from "vitest/node";
import { startRig, stopRig } from "./docker-rig.js";

const INTEGRATION_DIR = "/test/integration/";

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
    return undefined;
  }
  const started = Date.now();
  const rig = await startRig();
  if (process.env.LOOKOUT_RIG_VERBOSE) {
    process.stderr.write(
      `docker rig: dockerd on ${rig.socket} in ${((Date.now() - started) / 1000).toFixed(1)} s (dockerd ${rig.timings.dockerd} s, image ${rig.timings.image} s)\n`,
    );
  }
  project.provide("dockerSocket", rig.socket);
  project.provide("dockerRig", rig);
  return async () => {
    const t = Date.now();
    await stopRig(rig);
    if (process.env.LOOKOUT_RIG_VERBOSE) process.stderr.write(`docker rig: torn down in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  };
}
