/**
 * A private dockerd with N running containers, held for a bench written in
 * bash (bench/check-vs-blog.sh --containers N):
 *
 *   node bench/lib/hold-docker.mjs N    prints `DOCKER_HOST=unix://…` once the
 *                                       containers run, then holds the daemon
 *                                       until its standard input closes (or
 *                                       SIGTERM / SIGINT), and tears it down
 *
 * The containers are `sleep` in the busybox image of bench/lib/dockerd.mjs,
 * `--network none`, named bench-0 … bench-(N-1). Needs root.
 */
import * as rigs from "./dockerd.mjs";

const n = Number(process.argv[2] ?? "5");
if (!Number.isInteger(n) || n < 0 || n > 200) {
  process.stderr.write("hold-docker: the number of containers must be 0 to 200\n");
  process.exit(2);
}
const say = (line) => process.stderr.write(`hold-docker: ${line}\n`);
rigs.ensureDeps({ say });
rigs.cleanStale({ say });
const rig = rigs.createRig();
let down = false;
const tearDown = (code) => {
  if (!down) {
    down = true;
    rigs.teardown(rig.dir);
  }
  process.exit(code);
};
process.on("SIGTERM", () => tearDown(0));
process.on("SIGINT", () => tearDown(130));
try {
  await rigs.startDockerd(rig);
  await rigs.buildImage(rig);
  for (let i = 0; i < n; i++) await rigs.docker(rig, ["run", "-d", "--network", "none", "--name", `bench-${i}`, rigs.IMAGE, "sleep", "1000000"]);
} catch (err) {
  say(err.message);
  tearDown(1);
}
process.stdout.write(`DOCKER_HOST=${rig.host}\n`);
process.stdin.on("data", () => {});
process.stdin.on("end", () => tearDown(0));
process.stdin.on("error", () => tearDown(0));
process.stdin.resume();
