/**
 * A host root (as `host_root:` or LOOKOUT_HOST_ROOT reads it) built in a temp
 * directory: /proc files copied from a recorded machine, a mountinfo listing
 * the mount points a test wants (each its own device, so none is taken for a
 * bind mount of another), and those directories created under the root so
 * statfs works on them. And a stand-in for the Docker Engine API with as many
 * containers as a test wants. For the CLI tests of what reaches a terminal.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { FixtureServer, fixtureJson, json } from "../collect/docker/fixture-server.js";

const PROC = resolve(import.meta.dirname, "../fixtures/proc/this-sandbox");

/** A mount point as the kernel writes it in mountinfo: space, tab, newline and backslash in octal. */
export function mangle(path: string): string {
  return path.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

/** Builds `<dir>` as a host root with `/` and `mounts` mounted (ext4, one device each); returns `dir`. */
export function makeHostRoot(dir: string, mounts: readonly string[], opts: { hostname?: string } = {}): string {
  const proc = join(dir, "proc");
  mkdirSync(join(proc, "1"), { recursive: true });
  for (const f of ["stat", "meminfo", "loadavg", "uptime", "diskstats"]) copyFileSync(join(PROC, f), join(proc, f));
  // the host's network namespace is PID 1's under a host root
  mkdirSync(join(proc, "1", "net"), { recursive: true });
  copyFileSync(join(PROC, "net-dev"), join(proc, "1", "net", "dev"));
  const lines = [
    "22 27 0:21 / /proc rw,relatime - proc proc rw",
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
    ...mounts.map((m, i) => `${100 + i} 27 254:${i + 1} / ${mangle(m)} rw,relatime - ext4 /dev/vdb${i + 1} rw`),
  ];
  writeFileSync(join(proc, "1", "mountinfo"), lines.join("\n") + "\n");
  for (const m of mounts) mkdirSync(join(dir, m), { recursive: true });
  if (opts.hostname !== undefined) {
    mkdirSync(join(dir, "etc"), { recursive: true });
    writeFileSync(join(dir, "etc", "hostname"), opts.hostname + "\n");
  }
  return dir;
}

export interface FakeContainer {
  name: string;
  image?: string;
  labels?: Record<string, string>;
  unhealthy?: boolean;
}

type Inspect = { Id: string; Name: string; State: Record<string, unknown>; Config: { Image: string; Labels: Record<string, string> } } & Record<string, unknown>;

/** A Docker Engine stand-in (unix socket) listing `containers`, all running; returns it and its DOCKER_HOST. */
export async function fakeDocker(containers: readonly FakeContainer[]): Promise<{ server: FixtureServer; host: string }> {
  const running = fixtureJson<Inspect>("inspect-running-limited.json");
  const unhealthy = fixtureJson<Inspect>("inspect-unhealthy.json");
  const ids = containers.map((_, i) => (i + 1).toString(16).padStart(64, "0"));
  const server = new FixtureServer((req) => {
    const path = req.path.replace(/^\/v1\.\d+/, "");
    if (req.path === "/version") return json(fixtureJson("version.json"));
    if (path === "/_ping") return { body: "OK", contentType: "text/plain" };
    if (path === "/info") return json({});
    if (path === "/containers/json") {
      return json(
        containers.map((c, i) => ({
          Id: ids[i],
          Names: [`/${c.name}`],
          Image: c.image ?? "nginx:1.27",
          Labels: c.labels ?? {},
          State: "running",
          Status: c.unhealthy ? "Up 5 minutes (unhealthy)" : "Up 5 minutes",
        })),
      );
    }
    const m = /^\/containers\/([0-9a-f]{64})\/json$/.exec(path);
    if (m) {
      const i = ids.indexOf(m[1]!);
      if (i < 0) return undefined;
      const c = containers[i]!;
      const base = c.unhealthy ? unhealthy : running;
      return json({ ...base, Id: ids[i], Name: `/${c.name}`, Config: { ...base.Config, Image: c.image ?? "nginx:1.27", Labels: c.labels ?? {} } });
    }
    return undefined; // stats, logs, events: 404
  });
  const host = await server.listen();
  return { server, host };
}
