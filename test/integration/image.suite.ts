/**
 * The container image (Dockerfile, deploy/docker-compose.yml), built and run
 * on the rig's dockerd. No registry is reachable, so the Dockerfile's
 * `NODE_IMAGE` is a local base made here with `docker import`: this machine's
 * own `node` and the libraries it links (`ldd`), coreutils' `env` (the bin's
 * `#!/usr/bin/env -S node …`), busybox for `sh`, and npm; and the build runs
 * with `--network none` and `PREBUILT=1`, from a context holding the built
 * dist/ and the installed production node_modules/ (the same Dockerfile; its
 * normal path is `npm ci` + `npm run build`). Then `lookout run` in that image,
 * as the README says to run it (socket read-only with its group id given at
 * run time, the host's / read-only at /host, data in a volume, config in a
 * mounted file), read-only, without capabilities, with a memory limit and a
 * hostname of its own: it reports the host's name and memory, reads the
 * host's processes and the containers' cgroup files through /host, reports a
 * sibling container's crash, is healthy by its HEALTHCHECK, stops cleanly on
 * SIGTERM, and its state is on the volume.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { HOST_RULES_OFF } from "../support/configs.js";
import { until } from "../support/wait.js";
import { currentRig, docker, dockerOutput, inspectContainer, type RigInfo, removeContainers, runContainer, setRig, stopContainers, uniqueName } from "./docker-rig.js";

const REPO = resolve(import.meta.dirname, "../..");
const BASE_IMAGE = "lookout-node-base:test";
const IMAGE = "lookout-image:test";
/** busybox applets the Dockerfile's RUN steps use (sh -c, [, echo, mkdir, chown, chmod, ln, mv, rm, cd). */
const APPLETS = ["sh", "echo", "mkdir", "chown", "chmod", "ln", "mv", "rm", "cat", "ls", "id", "true", "false"];
/** The legacy builder: this machine's docker CLI has no buildx (BuildKit would need it). The Dockerfile works with both. */
const BUILD_ENV = { DOCKER_BUILDKIT: "0" };

let rig: RigInfo;
let work: string;
const agent = uniqueName("img-agent");
const volume = uniqueName("img-data");
const crashing = uniqueName("img-crash");
let built = { base: 0, seconds: 0, size: 0, baseSize: 0 };

beforeAll(async () => {
  rig = await currentRig();
  setRig(rig);
  if (!existsSync(join(REPO, "dist/cli/main.cjs"))) throw new Error("dist/cli/main.cjs is missing: run npm run build first (npm test does)");
  work = mkdtempSync(join(rig.dir, "image-"));
  const t = Date.now();
  await importLocalBase(join(work, "rootfs"));
  const tBase = Date.now();
  makeContext(join(work, "ctx"));
  await docker(
    ["build", "--network", "none", "-q", "-f", join(REPO, "Dockerfile"), "--build-arg", `NODE_IMAGE=${BASE_IMAGE}`, "--build-arg", "PREBUILT=1", "-t", IMAGE, join(work, "ctx")],
    { env: BUILD_ENV, timeoutMs: 150_000 },
  );
  built = {
    base: (tBase - t) / 1000,
    seconds: (Date.now() - tBase) / 1000,
    size: Number(await docker(["image", "inspect", "--format", "{{.Size}}", IMAGE])),
    baseSize: Number(await docker(["image", "inspect", "--format", "{{.Size}}", BASE_IMAGE])),
  };
  process.stdout.write(
    `image suite: local base in ${built.base.toFixed(1)} s, build in ${built.seconds.toFixed(1)} s; ${IMAGE} is ${(built.size / 1e6).toFixed(1)} MB (${BASE_IMAGE}, the local base, ${(built.baseSize / 1e6).toFixed(1)} MB of it)\n`,
  );
}, 180_000);

afterAll(async () => {
  await removeContainers([agent, crashing]).catch(() => undefined);
  await docker(["volume", "rm", "-f", volume]).catch(() => undefined);
  await docker(["image", "rm", "-f", IMAGE, BASE_IMAGE]).catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

/** The agent container's stdout and stderr. */
async function logs(): Promise<string> {
  const { stdout, stderr } = await dockerOutput(["logs", agent]);
  return `${stdout}${stderr}`;
}

/** `node -e SCRIPT` in the agent's container (as its user), its stdout. */
function inAgent(script: string): Promise<string> {
  return docker(["exec", agent, "node", "-e", script]);
}

/** GET http://127.0.0.1:9817<path> from inside the agent's container (its HTTP server listens on the container's loopback). */
async function api(path: string): Promise<unknown> {
  return JSON.parse(await inAgent(`fetch("http://127.0.0.1:9817${path}").then(r=>r.text()).then(t=>process.stdout.write(t))`));
}

describe("the image", () => {
  it("holds the built CLI, production dependencies only, runs as a user of its own with no docker group, health-checks /healthz", async () => {
    const config = JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config}}", IMAGE])) as {
      User: string;
      Entrypoint: string[];
      Cmd: string[];
      Env: string[];
      Volumes: Record<string, unknown>;
      Healthcheck: { Test: string[] };
    };
    expect(config.User).toBe("10001:10001");
    expect(config.Entrypoint).toEqual(["/app/bin/lookout.cjs"]);
    expect(config.Cmd).toEqual(["run"]);
    expect(config.Env).toEqual(expect.arrayContaining(["LOOKOUT_HOST_ROOT=/host", "LOOKOUT_DATA_DIR=/var/lib/lookout", "LOOKOUT_HTTP_LISTEN=127.0.0.1:9817"]));
    expect(Object.keys(config.Volumes)).toEqual(["/var/lib/lookout"]);
    expect(config.Healthcheck.Test.join(" ")).toContain("/healthz");
    const version = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version as string;
    expect(await docker(["run", "--rm", "--network", "none", IMAGE, "--version"])).toBe(version);
    const inside = JSON.parse(
      await docker([
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "node",
        IMAGE,
        "-e",
        `const fs=require("fs");console.log(JSON.stringify({uid:process.getuid(),groups:fs.readFileSync("/etc/group","utf8"),` +
          `modules:fs.readdirSync("/app/node_modules").filter(n=>!n.startsWith(".")),` +
          `sqlite:fs.readdirSync("/app/node_modules/better-sqlite3"),app:fs.readdirSync("/app").sort()}))`,
      ]),
    ) as { uid: number; groups: string; modules: string[]; sqlite: string[]; app: string[] };
    expect(inside.uid).toBe(10001);
    expect(inside.groups).not.toMatch(/^docker:/m);
    expect(inside.app).toEqual(["bin", "dist", "node_modules", "package.json"]);
    expect(inside.modules).toEqual(expect.arrayContaining(["better-sqlite3", "commander", "croner", "nodemailer", "yaml", "zod"]));
    for (const dev of ["typescript", "vitest", "rolldown", "@biomejs", "playwright-core"]) expect(inside.modules).not.toContain(dev);
    expect(inside.sqlite).not.toContain("deps");
  });

  it("runs as the README says and reports the host, not its container: name, memory, processes, a sibling's crash", async () => {
    const config = join(work, "lookout.yaml");
    writeFileSync(config, `interval: 1s\n${HOST_RULES_OFF}\nnotify:\n  group_wait: 0s\n`);
    chmodSync(config, 0o644);
    const socketGid = statSync(rig.socket).gid;
    await docker([
      "run",
      "-d",
      "--name",
      agent,
      "--network",
      "none",
      "--hostname",
      "lookout-in-a-box",
      "--memory",
      "256m",
      "--read-only",
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges",
      "--group-add",
      String(socketGid),
      "-v",
      `${rig.socket}:/var/run/docker.sock:ro`,
      "-v",
      "/:/host:ro",
      "-v",
      `${volume}:/var/lib/lookout`,
      "-v",
      `${config}:/etc/lookout/lookout.yaml:ro`,
      // The image's own check, run every second instead of every 30.
      "--health-interval",
      "1s",
      IMAGE,
    ]);
    await until(
      async () => {
        const seen = await logs();
        return /first check: /.test(seen) && /following container events/.test(seen);
      },
      30_000,
      "the agent's first check and Docker's events",
      () => `(docker logs ${agent})`,
      250,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await logs()}`);
    });
    expect(await logs()).toMatch(/container stats from cgroup files.*host_root=\/host/);

    const status = (await api("/api/v1/status")) as {
      hostname: string;
      docker: { reachable: boolean | null };
      host: { memory_total_bytes: number | null };
    };
    const hostname = readFileSync("/etc/hostname", "utf8").trim();
    const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]) * 1024;
    expect(status.hostname).toBe(hostname);
    expect(status.hostname).not.toBe("lookout-in-a-box");
    expect(status.host.memory_total_bytes).toBe(memTotal);
    expect(status.host.memory_total_bytes).toBeGreaterThan(256 * 1024 * 1024);
    expect(status.docker.reachable).toBe(true);

    // The top-process lookup reads <host_root>/proc: the host's procfs, so the host's processes (this rig's dockerd
    // among them), while the container's own /proc has its few.
    const dockerdPid = Number(readFileSync(rig.pidfile, "utf8").trim());
    const seen = JSON.parse(
      await inAgent(
        `import("/app/dist/collect/host/processes.js").then(async m=>{const top=await m.topProcesses({hostRoot:"/host",by:"memory",limit:1e6,windowMs:100});` +
          `const own=require("fs").readdirSync("/proc").filter(n=>/^\\d+$/.test(n)).length;console.log(JSON.stringify({own,top}))})`,
      ),
    ) as { own: number; top: Array<{ pid: number; name: string }> };
    expect(seen.top).toContainEqual(expect.objectContaining({ pid: dockerdPid, name: "dockerd" }));
    expect(seen.top).toContainEqual(expect.objectContaining({ pid: process.pid }));
    expect(seen.own).toBeLessThan(10);

    await runContainer(crashing, { cmd: "echo going down; exit 3" });
    await until(
      async () => (await logs()).split("\n").some((l) => l.includes(crashing) && /exit code 3/.test(l)),
      30_000,
      `the agent to report ${crashing}'s crash`,
      () => "",
      250,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await logs()}`);
    });

    await until(async () => (await inspectContainer(agent)).State.Health?.Status === "healthy", 20_000, "the container to be healthy");
    // `lookout` on the PATH, through the bin's `env -S` line, beside the running agent.
    const live = JSON.parse(await docker(["exec", agent, "lookout", "status", "--json"])) as { alerts: Array<{ alertname: string; labels: Record<string, string> }> };
    expect(live.alerts).toContainEqual(expect.objectContaining({ alertname: "container_crashed", labels: expect.objectContaining({ container: crashing }) }));
  });

  it("stops on SIGTERM with exit code 0 and leaves its state on the volume", async () => {
    await stopContainers([agent], 15);
    expect((await inspectContainer(agent)).State.ExitCode).toBe(0);
    const saved = JSON.parse(await docker(["run", "--rm", "--network", "none", "-v", `${volume}:/var/lib/lookout`, IMAGE, "status", "--json"])) as {
      alerts: Array<{ alertname: string; labels: Record<string, string> }>;
      container_stats: { cgroup_files: number; engine_api: number } | null;
    };
    expect(saved.alerts).toContainEqual(expect.objectContaining({ alertname: "container_crashed", labels: expect.objectContaining({ container: crashing }) }));
    expect(saved.container_stats?.cgroup_files).toBeGreaterThan(0);
    expect(saved.container_stats?.engine_api).toBe(0);
  });
});

describe("deploy/docker-compose.yml", () => {
  it("mounts the socket and the host's / read-only, sets LOOKOUT_HOST_ROOT, keeps data in a volume, the config in a file, no pid: host", () => {
    const compose = parseYaml(readFileSync(join(REPO, "deploy/docker-compose.yml"), "utf8")) as {
      services: Record<string, Record<string, unknown>>;
      volumes?: Record<string, unknown>;
    };
    const svc = compose.services.lookout!;
    expect(svc.pid).toBeUndefined();
    const mounts = (svc.volumes as Array<string | { source: string; target: string; read_only?: boolean }>).map((v) =>
      typeof v === "string" ? { source: v.split(":")[0], target: v.split(":")[1], read_only: /(^|,)ro(,|$)/.test(v.split(":")[2] ?? "") } : v,
    );
    expect(mounts).toContainEqual(expect.objectContaining({ source: "/var/run/docker.sock", target: "/var/run/docker.sock", read_only: true }));
    expect(mounts).toContainEqual(expect.objectContaining({ source: "/", target: "/host", read_only: true }));
    expect(mounts).toContainEqual(expect.objectContaining({ target: "/var/lib/lookout" }));
    expect(mounts).toContainEqual(expect.objectContaining({ target: "/etc/lookout/lookout.yaml", read_only: true }));
    const env = svc.environment as Record<string, string>;
    expect(env.LOOKOUT_HOST_ROOT).toBe("/host");
    expect(svc.group_add).toBeDefined();
  });
});

// ------------------------------------------------------------------ the local base and the build context

/** The `/path (0x…)` entries of `ldd FILE`: the libraries it links (all of them, not only its own) and the loader. */
function linked(file: string): string[] {
  let out: string;
  try {
    out = execFileSync("ldd", [file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch {
    return []; // "not a dynamic executable": a static binary links nothing
  }
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

/** A Node 20 base for the Dockerfile's NODE_IMAGE, from this machine's node, its libraries, coreutils' env, busybox and npm. */
async function importLocalBase(root: string): Promise<void> {
  for (const d of ["bin", "usr/bin", "usr/local/bin", "usr/local/lib/node_modules", "etc", "tmp", "root", "proc", "sys", "dev", "run", "var"])
    mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  const put = (from: string, to: string) => {
    mkdirSync(dirname(join(root, to)), { recursive: true });
    copyFileSync(realpathSync(from), join(root, to));
    chmodSync(join(root, to), statSync(realpathSync(from)).mode & 0o777);
  };
  const node = process.execPath;
  const env = "/usr/bin/env";
  const addon = join(REPO, "node_modules/better-sqlite3/build/Release/better_sqlite3.node");
  put(node, "usr/local/bin/node");
  put(env, "usr/bin/env");
  for (const lib of new Set([...linked(node), ...linked(env), ...linked(addon)])) put(lib, lib);
  put("/bin/busybox", "bin/busybox");
  for (const applet of APPLETS) symlinkSync("busybox", join(root, "bin", applet));
  // npm as the official image has it: /usr/local/lib/node_modules/npm, /usr/local/bin/npm.
  const npmCli = realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim());
  const npmRoot = dirname(dirname(npmCli));
  cpSync(npmRoot, join(root, "usr/local/lib/node_modules/npm"), { recursive: true, verbatimSymlinks: true });
  symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", join(root, "usr/local/bin/npm"));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  const tarball = join(dirname(root), "base.tar");
  execFileSync("tar", ["-C", root, "-cf", tarball, "."]);
  await docker(["import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "--change", 'CMD ["node"]', tarball, BASE_IMAGE]);
  rmSync(root, { recursive: true, force: true });
  rmSync(tarball, { force: true });
}

const SQLITE_DIR = join(REPO, "node_modules/better-sqlite3");
const ADDON_DIR = join(SQLITE_DIR, "build/Release");
/**
 * better-sqlite3's SQLite sources and the compiler's intermediate files (about 27 MB of its 28 when it was compiled
 * here): the Dockerfile's build stage deletes them, keeping only the addon, so the context leaves them out rather than
 * send them to dockerd and copy them into a layer first (seconds of the Docker chain on a busy machine).
 */
function compileLeftover(src: string): boolean {
  if (!src.startsWith(`${SQLITE_DIR}/`)) return false;
  if (src.startsWith(`${SQLITE_DIR}/deps`) || src.startsWith(`${SQLITE_DIR}/src`)) return true;
  if (!src.startsWith(`${SQLITE_DIR}/build/`)) return false;
  return !(ADDON_DIR.startsWith(src) || src === join(ADDON_DIR, "better_sqlite3.node"));
}

/** A PREBUILT=1 build context: package files, bin/, the built dist/ and the installed production packages (after package-lock.json). */
function makeContext(ctx: string): void {
  mkdirSync(join(ctx, "node_modules"), { recursive: true });
  for (const f of ["package.json", "package-lock.json"]) copyFileSync(join(REPO, f), join(ctx, f));
  for (const d of ["bin", "dist"]) cpSync(join(REPO, d), join(ctx, d), { recursive: true, verbatimSymlinks: true });
  const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  for (const [path, entry] of Object.entries(lock.packages)) {
    // Top-level packages only (nested ones come with their parent); what `npm ci --omit=dev` installs.
    if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) || entry.dev || entry.devOptional) continue;
    const from = join(REPO, path);
    if (existsSync(from)) cpSync(from, join(ctx, path), { recursive: true, verbatimSymlinks: true, filter: (src) => !compileLeftover(src) });
  }
  // Their commands in node_modules/.bin (npm takes a package without them for one to install again), not the others'.
  const bin = join(REPO, "node_modules/.bin");
  mkdirSync(join(ctx, "node_modules/.bin"));
  for (const name of readdirSync(bin)) {
    const target = readlinkSync(join(bin, name));
    if (existsSync(join(ctx, "node_modules/.bin", target))) symlinkSync(target, join(ctx, "node_modules/.bin", name));
  }
}
