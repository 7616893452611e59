/**
 * `lookout run` as the benches start it (bench/footprint.mjs, bench/run-ab.mjs):
 * a config of `interval`, a data directory and `docker` lines in `work`, the
 * HTTP server on a port of its own, Lookout's caches in `work`, and one
 * `lookout check` of that config first (it keeps the validated config, so that
 * `run` starts without YAML and zod, as after writing a config; `coldConfig`
 * skips it, as the first start after a change is).
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Starts `root`'s bin/lookout.cjs run. Without `nodeFlags` it runs as installed (an executable: its first line gives
 * Node its flags); with them, `node` with those of the first line and then `nodeFlags` (a profiler, a V8 flag to try).
 * `dockerYaml` replaces the config's `docker:` lines. Returns the child, its stderr kept as `stderr()` (the last 4000
 * characters, for when it dies).
 */
export function startLookoutRun({ root, work, dockerHost, interval, dockerYaml = null, nodeFlags = [], coldConfig = false }) {
  const config = join(work, "lookout.yaml");
  const docker = dockerYaml ?? `docker:\n  socket: ${dockerHost}`;
  writeFileSync(config, `interval: ${interval}\ndata_dir: ${join(work, "data")}\n${docker}\n`, { mode: 0o600 });
  // Port 0: the HTTP server on (its default), on a port of its own (another bench may hold 9817).
  const env = { ...process.env, LOOKOUT_LOG_LEVEL: "warn", LOOKOUT_HTTP_LISTEN: "127.0.0.1:0", XDG_CACHE_HOME: join(work, "cache") };
  const bin = join(root, "bin/lookout.cjs");
  if (!coldConfig) spawnSync(bin, ["check", "--config", config, "--data-dir", join(work, "check-data")], { env, stdio: "ignore", timeout: 60_000 });
  const binFlags = readFileSync(bin, "utf8").split("\n")[0].split(" ").slice(3);
  const child =
    nodeFlags.length > 0
      ? spawn(process.execPath, [...binFlags, ...nodeFlags, bin, "run", "--config", config], { stdio: ["ignore", "ignore", "pipe"], env })
      : spawn(bin, ["run", "--config", config], { stdio: ["ignore", "ignore", "pipe"], env });
  let err = "";
  child.stderr.on("data", (d) => {
    err = (err + d).slice(-4000);
  });
  return { child, stderr: () => err };
}
