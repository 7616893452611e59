/**
 * The Docker test rig: our own dockerd (private socket, data root and exec
 * root, no bridge, no iptables), never the system's /var/run/docker.sock, and
 * a test image `lookout-test:latest` built with `docker import` from the
 * host's static busybox (no registry is reachable). Containers always run with
 * `--network none`.
 *
 * `global-setup.ts` starts one per chain of suites (`startRig`: two, each its
 * own dockerd, so that two chains run at once and never share a daemon) and
 * tears them down (`stopRig`); a test file says which it uses (`useChain`),
 * suites get it with `currentRig()` and use the helpers below, which find
 * the rig themselves when none is passed. Tests may stop, kill (SIGKILL), start and restart
 * dockerd (same socket, same data root) and hide its socket for a while.
 *
 * This file must not import vitest at run time: global-setup loads it in the
 * main process, where vitest's test API does not exist.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

export const TEST_IMAGE = "lookout-test:latest";
/** Where the rig lives: short, because unix socket paths are limited to 108 bytes. */
const RIG_PREFIX = "/tmp/lk-";
const BUSYBOX = "/bin/busybox";
/** The daemon to run: LOOKOUT_TEST_DOCKERD (a path) when set, else dockerd from PATH. */
const DOCKERD = process.env.LOOKOUT_TEST_DOCKERD || "dockerd";
const PING_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
export const FIX = "bash scripts/install-test-deps.sh (as root) installs Debian's docker.io and busybox-static";

/** The busybox applets the test image links (each a symlink to /bin/busybox). */
export const APPLETS = [
  "sh",
  "ash",
  "sleep",
  "echo",
  "cat",
  "head",
  "tail",
  "dd",
  "touch",
  "test",
  "[",
  "rm",
  "yes",
  "tr",
  "true",
  "false",
  "kill",
  "seq",
  "printf",
  "ls",
  "wc",
  "env",
  "date",
  "mkdir",
  "ps",
  "id",
  "grep",
  "sed",
  "awk",
  "timeout",
  "usleep",
];

/** Everything about a running rig; plain data (it crosses from global setup to the test workers). */
export interface RigInfo {
  dir: string;
  /** The socket path, and as a Docker host (`unix://…`). */
  socket: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  logFile: string;
  /** DOCKER_CONFIG for the CLI, so the developer's ~/.docker is never read. */
  cliConfig: string;
  /** dockerd's arguments (the same on every start). */
  args: string[];
  image: string;
  /** Seconds each step took at start, for the report. */
  timings: { dockerd: number; image: number };
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The first rig's socket path; "" when no integration test is part of the run. */
    dockerSocket: string;
    /** The first rig (`dockerRigs[0]`). */
    dockerRig: RigInfo | null;
    /** One rig per chain of suites (test/integration/docker-*.test.ts); empty when none started. */
    dockerRigs: RigInfo[];
  }
}

export class RigError extends Error {
  override name = "RigError";
}

// ------------------------------------------------------------------ start / stop

/** Starts dockerd and builds the test image. Fails with the reason and the fix. */
export async function startRig(): Promise<RigInfo> {
  preflight();
  cleanStaleRigs();
  const dir = mkdtempSync(RIG_PREFIX);
  const info: RigInfo = {
    dir,
    socket: join(dir, "docker.sock"),
    host: `unix://${join(dir, "docker.sock")}`,
    dataRoot: join(dir, "data"),
    execRoot: join(dir, "x"),
    pidfile: join(dir, "docker.pid"),
    logFile: join(dir, "dockerd.log"),
    cliConfig: join(dir, "cli"),
    args: [],
    image: TEST_IMAGE,
    timings: { dockerd: 0, image: 0 },
  };
  info.args = [
    "--host",
    info.host,
    "--data-root",
    info.dataRoot,
    "--exec-root",
    info.execRoot,
    "--pidfile",
    info.pidfile,
    "--bridge",
    "none",
    "--iptables=false",
    ...(dockerdSupports("--ip6tables") ? ["--ip6tables=false"] : []),
    "--log-level",
    "warn",
    // At shutdown, containers get this long to stop before SIGKILL (default 15 s), so a restart is quick.
    "--shutdown-timeout",
    "2",
  ];
  mkdirSync(info.cliConfig, { recursive: true });
  writeFileSync(join(dir, "rig.json"), JSON.stringify({ ownerPid: process.pid, info }, null, 2));
  try {
    let t = Date.now();
    await startDockerd(info);
    info.timings.dockerd = (Date.now() - t) / 1000;
    t = Date.now();
    await buildImage(info);
    info.timings.image = (Date.now() - t) / 1000;
  } catch (err) {
    // Keep dockerd's whole log: the rig's directory goes.
    const kept = join("/tmp", `lookout-rig-failed-${process.pid}.log`);
    try {
      copyFileSync(info.logFile, kept);
    } catch {
      // no log
    }
    await stopRig(info).catch(() => undefined);
    if (err instanceof Error && existsSync(kept)) err.message += `\n(dockerd's whole log: ${kept})`;
    throw err;
  }
  return info;
}

/** Removes every container, stops dockerd, unmounts what is left, deletes the directory. */
export async function stopRig(info: RigInfo): Promise<void> {
  if (dockerdPid(info) !== null) {
    try {
      await removeAllContainers(info);
    } catch {
      // dockerd is going away anyway; its shutdown kills the containers.
    }
  }
  await stopDockerd(info);
  killLeftovers(info.dir);
  unmountUnder(info.dir);
  if (mountsUnder(info.dir).length === 0) rmSync(info.dir, { recursive: true, force: true });
  else process.stderr.write(`docker rig: ${info.dir} still has mounts; left in place\n`);
}

/** Starts dockerd on the rig's socket and data root; resolves when it answers /_ping. */
export async function startDockerd(info: RigInfo): Promise<void> {
  const existing = dockerdPid(info);
  if (existing !== null) throw new RigError(`dockerd is already running for this rig (pid ${existing})`);
  if (existsSync(`${info.socket}.hidden`)) restoreSocket(info);
  const log = openSync(info.logFile, "a");
  let exited: string | null = null;
  let child: ReturnType<typeof spawn> | undefined;
  try {
    child = spawn(DOCKERD, info.args, { detached: true, stdio: ["ignore", log, log] });
  } finally {
    closeSync(log);
  }
  child.on("error", (err: NodeJS.ErrnoException) => {
    exited = err.code === "ENOENT" ? "dockerd is not installed (not on PATH)" : `dockerd could not be started: ${err.message}`;
  });
  child.on("exit", (code, signal) => {
    exited = `dockerd exited (${signal ?? `code ${code}`}) before it answered`;
  });
  child.unref();
  if (child.pid !== undefined) writeFileSync(join(info.dir, "spawned.pid"), String(child.pid));
  const deadline = Date.now() + PING_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new RigError(`${exited}.\n${logTail(info)}\nFix: ${FIX}`);
    if (await ping(info.socket)) return;
    if (Date.now() > deadline) {
      await stopDockerd(info).catch(() => undefined);
      throw new RigError(`dockerd did not answer /_ping on ${info.socket} within ${PING_TIMEOUT_MS / 1000} s.\n${logTail(info)}\nFix: ${FIX}`);
    }
    await sleep(50);
  }
}

/** Stops dockerd: SIGTERM, then SIGKILL after 10 s. Its containers stop with it. */
export async function stopDockerd(info: RigInfo): Promise<void> {
  const pid = dockerdPid(info);
  if (pid === null) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  if (!(await waitGone(pid, STOP_GRACE_MS))) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    await waitGone(pid, 5_000);
    // Its containerd and shims are orphans now.
    killLeftovers(info.dir);
  }
}

/**
 * Kills dockerd with SIGKILL, as a crash (or the OOM killer) would: no
 * shutdown, so nothing stops its containers, and the socket file stays
 * behind (connections are refused). Only dockerd gets the signal; what
 * happens to its containerd, shims and containers is up to them. Resolves
 * with the pid killed (null when dockerd was not running) once it is gone.
 * `startDockerd` starts it again on the same socket and data root;
 * `stopRig` cleans up whatever it left.
 */
export async function killDockerd(info?: RigInfo): Promise<number | null> {
  const rig = info ?? (await currentRig());
  const pid = dockerdPid(rig);
  if (pid === null) return null;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return pid;
  }
  if (!(await waitGone(pid, 5_000))) throw new RigError(`dockerd (pid ${pid}) is still there 5 s after SIGKILL`);
  return pid;
}

/** Stops dockerd and starts it again on the same socket and data root. */
export async function restartDockerd(info?: RigInfo): Promise<void> {
  const rig = info ?? (await currentRig());
  await stopDockerd(rig);
  await startDockerd(rig);
}

/**
 * Makes the socket path disappear (renamed away: dockerd keeps running and
 * keeps its open connections; new connections get ENOENT) until `restoreSocket`.
 */
export function hideSocket(info: RigInfo): void {
  renameSync(info.socket, `${info.socket}.hidden`);
}

export function restoreSocket(info: RigInfo): void {
  renameSync(`${info.socket}.hidden`, info.socket);
}

/** Runs `fn` while the socket is hidden; puts it back whatever happens. */
export async function withoutSocket<T>(fn: () => Promise<T>, info?: RigInfo): Promise<T> {
  const rig = info ?? (await currentRig());
  hideSocket(rig);
  try {
    return await fn();
  } finally {
    restoreSocket(rig);
  }
}

// ------------------------------------------------------------------ helpers for tests

let activeRig: RigInfo | null = null;
let chain = 0;

/** Makes the helpers use this rig instead of the injected one. */
export function setRig(info: RigInfo | null): void {
  activeRig = info;
}

/** Which of the rigs global-setup provides this file uses (test/integration/docker-*.test.ts: one chain of suites each). */
export function useChain(index: number): void {
  chain = index;
  activeRig = null;
}

/** The rig of this file: set with `setRig`, else the one global-setup provides for its chain (`useChain`). */
export async function currentRig(): Promise<RigInfo> {
  if (activeRig) return activeRig;
  const { inject } = await import("vitest");
  const rig = (inject("dockerRigs") ?? [])[chain] ?? (chain === 0 ? inject("dockerRig") : null);
  if (!rig) {
    throw new RigError(
      `the Docker rig${chain > 0 ? ` of chain ${chain}` : ""} is not running: test/integration/global-setup.ts starts it when a file under test/integration/ is part of the run`,
    );
  }
  activeRig = rig;
  return rig;
}

/**
 * Runs the docker CLI against the rig (`-H unix://…`) and returns its stdout
 * without the final newline; throws with its stderr when it fails.
 */
export async function docker(args: string[], opts: { rig?: RigInfo; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return (await dockerOutput(args, opts)).stdout.replace(/\n$/, "");
}

/** As `docker`, with its stdout and stderr both (`docker logs` writes a container's stderr to its own). */
export async function dockerOutput(args: string[], opts: { rig?: RigInfo; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string }> {
  const rig = opts.rig ?? (await currentRig());
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, DOCKER_CONFIG: rig.cliConfig };
  delete env.DOCKER_HOST;
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  return new Promise((resolve, reject) => {
    execFile("docker", ["-H", rig.host, ...args], { env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? `the docker CLI is not installed. Fix: ${FIX}` : stderr.trim() || err.message;
        reject(new RigError(`docker ${args.join(" ")}: ${why}`));
      } else resolve({ stdout, stderr });
    });
  });
}

export interface RunOptions {
  /**
   * A shell script (run with `sh -c`) or an argv. Default: `DEFAULT_CMD`, which
   * runs until stopped and exits 143 on SIGTERM as an app without a handler does
   * (a bare `sleep` as PID 1 ignores SIGTERM, so `docker stop` would wait 10 s).
   */
  cmd?: string | string[];
  /** `--memory`, e.g. "16m". */
  memory?: string;
  memorySwap?: string;
  cpus?: number | string;
  /** `--restart`: "no", "always", "unless-stopped", "on-failure:3". */
  restart?: string;
  labels?: Record<string, string>;
  env?: Record<string, string>;
  health?: { cmd: string; interval?: string; timeout?: string; retries?: number; startPeriod?: string };
  tty?: boolean;
  /** `--rm`. */
  rm?: boolean;
  /** `-v HOST:CONTAINER[:ro]` bind mounts. */
  binds?: string[];
  /** `--tmpfs PATH:OPTIONS`, by path: `{ "/data": "size=40m" }`. */
  tmpfs?: Record<string, string>;
}

export const DEFAULT_CMD = "trap 'exit 143' TERM; sleep 86400 & wait";

/**
 * `docker run -d --network none --name NAME … lookout-test:latest CMD`; returns the container id. Through the Engine
 * API on the rig's socket (create, then start), as the docker CLI does it, without a docker CLI process each (~0.1 s of
 * CPU apiece on this 2-core machine, more when it is busy).
 */
export async function runContainer(name: string, opts: RunOptions = {}, rig?: RigInfo): Promise<string> {
  const cmd = opts.cmd ?? DEFAULT_CMD;
  const argv = typeof cmd === "string" ? ["sh", "-c", cmd] : cmd;
  const info = rig ?? (await currentRig());
  const [restart, retries] = (opts.restart ?? "no").split(":");
  const body = {
    Image: TEST_IMAGE,
    Cmd: argv,
    Labels: opts.labels ?? {},
    Env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Tty: opts.tty === true,
    ...(opts.health
      ? {
          Healthcheck: {
            Test: ["CMD-SHELL", opts.health.cmd],
            Interval: durationNs(opts.health.interval ?? "1s"),
            Timeout: durationNs(opts.health.timeout ?? "1s"),
            Retries: opts.health.retries ?? 1,
            ...(opts.health.startPeriod ? { StartPeriod: durationNs(opts.health.startPeriod) } : {}),
          },
        }
      : {}),
    HostConfig: {
      NetworkMode: "none",
      AutoRemove: opts.rm === true,
      RestartPolicy: { Name: restart, ...(retries ? { MaximumRetryCount: Number(retries) } : {}) },
      ...(opts.memory ? { Memory: sizeBytes(opts.memory) } : {}),
      ...(opts.memorySwap ? { MemorySwap: opts.memorySwap === "-1" ? -1 : sizeBytes(opts.memorySwap) } : {}),
      ...(opts.cpus !== undefined ? { NanoCpus: Math.round(Number(opts.cpus) * 1e9) } : {}),
      ...(opts.binds ? { Binds: opts.binds } : {}),
      ...(opts.tmpfs ? { Tmpfs: opts.tmpfs } : {}),
    },
  };
  const made = await engine(info.socket, "POST", `/containers/create?name=${encodeURIComponent(name)}`, body);
  const id = (JSON.parse(made) as { Id: string }).Id;
  await engine(info.socket, "POST", `/containers/${id}/start`);
  return id;
}

/** A size as the docker CLI reads `--memory` ("64m", "1g", "512k", bytes): binary units. */
function sizeBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([bkmg])?$/i.exec(text.trim());
  if (!m) throw new RigError(`not a size: ${text}`);
  const unit = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? "b").toLowerCase() as "b" | "k" | "m" | "g"];
  return Math.round(Number(m[1]) * unit);
}

/** A duration as the docker CLI reads `--health-interval` ("1s", "500ms", "2m"), in nanoseconds. */
function durationNs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new RigError(`not a duration: ${text}`);
  const unit = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2] as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}

/**
 * Many plain containers (`runContainer` with its defaults), a few at a time. Returns their ids, in the order of
 * `names`.
 */
export async function runPlainContainers(names: string[], rig?: RigInfo): Promise<string[]> {
  const info = rig ?? (await currentRig());
  const ids: string[] = [];
  for (let i = 0; i < names.length; i += 6) ids.push(...(await Promise.all(names.slice(i, i + 6).map((name) => runContainer(name, {}, info)))));
  return ids;
}

/** One Engine API request on a unix socket; its body (a 2xx answer, or one of `alsoOk`), or a RigError with dockerd's message. */
function engine(socketPath: string, method: string, path: string, body?: unknown, timeoutMs = 60_000, alsoOk: number[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        path,
        method,
        timeout: timeoutMs,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => {
          const status = res.statusCode ?? 500;
          if (status < 300 || alsoOk.includes(status)) resolve(text);
          else reject(new RigError(`${method} ${path}: ${status} ${text.trim()}`));
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new RigError(`${method} ${path}: no answer within ${timeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** Waits for the container to stop and returns its exit code (`docker wait`). */
export async function waitContainer(name: string, rig?: RigInfo): Promise<number> {
  const info = rig ?? (await currentRig());
  const answer = await engine(info.socket, "POST", `/containers/${encodeURIComponent(name)}/wait`, undefined, 120_000);
  return (JSON.parse(answer) as { StatusCode: number }).StatusCode;
}

/** What the suites read of a container's inspect (`docker inspect`), as the Engine API gives it. */
export interface ContainerInspect {
  Id: string;
  RestartCount: number;
  State: { Status: string; ExitCode: number; Pid: number; StartedAt: string; FinishedAt: string; Health?: { Status: string } };
}

/** `docker inspect NAME`, through the Engine API. */
export async function inspectContainer(name: string, rig?: RigInfo): Promise<ContainerInspect> {
  const info = rig ?? (await currentRig());
  return JSON.parse(await engine(info.socket, "GET", `/containers/${encodeURIComponent(name)}/json`)) as ContainerInspect;
}

/** `docker stop -t SECONDS NAME…`, through the Engine API, one after the other as the CLI does. */
export async function stopContainers(names: string[], seconds: number, rig?: RigInfo): Promise<void> {
  const info = rig ?? (await currentRig());
  for (const name of names) await engine(info.socket, "POST", `/containers/${encodeURIComponent(name)}/stop?t=${seconds}`, undefined, (seconds + 30) * 1000, [304]);
}

/** `docker rm -f NAME…`, through the Engine API, at once; a container already gone is no error. */
export async function removeContainers(names: string[], rig?: RigInfo): Promise<void> {
  const info = rig ?? (await currentRig());
  await Promise.all(names.map((name) => engine(info.socket, "DELETE", `/containers/${encodeURIComponent(name)}?force=true`, undefined, 60_000, [404])));
}

/** A container name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** `docker rm -f` of every container of the rig. */
export async function removeAllContainers(rig?: RigInfo): Promise<void> {
  const info = rig ?? (await currentRig());
  const list = JSON.parse(await engine(info.socket, "GET", "/containers/json?all=1")) as Array<{ Id: string }>;
  await removeContainers(
    list.map((c) => c.Id),
    info,
  );
}

// ------------------------------------------------------------------ internals

function preflight(): void {
  const problems: string[] = [];
  if (process.platform !== "linux") problems.push("the Docker tests run on Linux only");
  if (typeof process.getuid === "function" && process.getuid() !== 0) problems.push("dockerd needs root: run the tests as root");
  if (DOCKERD.includes("/") ? !existsSync(DOCKERD) : !onPath(DOCKERD)) problems.push(`${DOCKERD} is not installed`);
  if (!onPath("docker")) problems.push("the docker CLI is not installed");
  if (!onPath("tar")) problems.push("tar is not installed");
  if (!existsSync(BUSYBOX)) problems.push(`${BUSYBOX} is missing`);
  else if (!isStaticElf(BUSYBOX)) problems.push(`${BUSYBOX} is not statically linked (install busybox-static instead of busybox)`);
  if (problems.length > 0) {
    throw new RigError(`cannot start the Docker test rig: ${problems.join("; ")}.\nFix: ${FIX}`);
  }
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    .split(":")
    .concat(["/usr/sbin", "/sbin"])
    .some((d) => d && existsSync(join(d, bin)));
}

/** An ELF executable without a program interpreter (PT_INTERP) is static. */
function isStaticElf(path: string): boolean {
  const buf = readFileSync(path);
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) return false; // 64-bit ELF only
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > buf.length) return false;
    if (buf.readUInt32LE(at) === 3) return false;
  }
  return true;
}

const supportCache = new Map<string, boolean>();
function dockerdSupports(flag: string): boolean {
  if (!supportCache.has(flag)) {
    let help = "";
    try {
      // Prints its flags and exits; no daemon starts.
      help = execFileSync(DOCKERD, ["--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
    } catch {
      help = "";
    }
    supportCache.set(flag, help.includes(flag));
  }
  return supportCache.get(flag)!;
}

async function buildImage(info: RigInfo): Promise<void> {
  const root = join(info.dir, "rootfs");
  for (const d of ["bin", "etc", "proc", "sys", "dev", "root", "tmp"]) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, "tmp"), 0o1777);
  copyFileSync(BUSYBOX, join(root, "bin", "busybox"));
  chmodSync(join(root, "bin", "busybox"), 0o755);
  for (const applet of APPLETS) symlinkSync("busybox", join(root, "bin", applet));
  writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  const tarball = join(info.dir, "rootfs.tar");
  await new Promise<void>((resolve, reject) => {
    execFile("tar", ["-C", root, "-cf", tarball, "."], (err, _out, stderr) => (err ? reject(new RigError(`tar: ${stderr || err.message}`)) : resolve()));
  });
  await docker(["import", "--change", 'CMD ["sh"]', "--change", "ENV PATH=/bin", tarball, info.image], { rig: info });
  rmSync(root, { recursive: true, force: true });
  rmSync(tarball, { force: true });
}

function ping(socketPath: string): Promise<boolean> {
  return engine(socketPath, "GET", "/_ping", undefined, 1_000).then(
    (body) => body.trim() === "OK",
    () => false,
  );
}

/** The running dockerd of this rig, checked against its command line (a pid can be reused). */
function dockerdPid(info: RigInfo): number | null {
  for (const file of [info.pidfile, join(info.dir, "spawned.pid")]) {
    let pid: number;
    try {
      pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const cmd = cmdline(pid);
    if (cmd?.includes(info.dir) && isAlive(pid)) return pid;
  }
  return null;
}

function cmdline(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return null;
  }
}

/** Alive and not a zombie (a zombie's parent may never reap it). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/**
 * SIGKILL to what a dockerd killed without its shutdown leaves behind: every
 * process whose command line names the rig's directory (containerd, shims),
 * and the processes of the rig's containers (found by container id in their
 * cgroup).
 */
function killLeftovers(dir: string): void {
  let ids: string[] = [];
  try {
    ids = readdirSync(join(dir, "data", "containers")).filter((id) => /^[0-9a-f]{64}$/.test(id));
  } catch {
    ids = [];
  }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const cmd = cmdline(pid);
    let ours = !!cmd && cmd.includes(`${dir}/`) && /\b(dockerd|containerd|containerd-shim[\w-]*|runc)\b/.test(cmd);
    if (!ours && ids.length > 0) {
      try {
        const cgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8");
        ours = ids.some((id) => cgroup.includes(id));
      } catch {
        ours = false;
      }
    }
    if (ours) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
}

function mountsUnder(dir: string): string[] {
  let text = "";
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const mp = line.split(" ")[4];
    if (!mp) continue;
    const path = mp.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (path === dir || path.startsWith(`${dir}/`)) out.push(path);
  }
  return out.sort((a, b) => b.length - a.length);
}

/** Lazy unmounts (deepest first) of whatever dockerd left mounted under the rig. */
function unmountUnder(dir: string): void {
  for (const mp of mountsUnder(dir)) {
    try {
      execFileSync("umount", ["-l", mp], { stdio: "ignore" });
    } catch {
      // already gone with its parent
    }
  }
}

/** Rigs of earlier runs whose vitest died before its teardown: stop their dockerd, delete them. */
function cleanStaleRigs(): void {
  let entries: string[] = [];
  try {
    entries = readdirSync("/tmp").filter((e) => e.startsWith("lk-"));
  } catch {
    return;
  }
  for (const entry of entries) {
    const dir = join("/tmp", entry);
    let saved: { ownerPid?: number; info?: RigInfo };
    try {
      if (!statSync(dir).isDirectory()) continue;
      saved = JSON.parse(readFileSync(join(dir, "rig.json"), "utf8")) as typeof saved;
    } catch {
      continue;
    }
    if (!saved.info || saved.info.dir !== dir) continue;
    if (saved.ownerPid && isAlive(saved.ownerPid)) continue;
    const pid = dockerdPid(saved.info);
    if (pid !== null) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    killLeftovers(dir);
    const until = Date.now() + 2_000;
    while (pid !== null && isAlive(pid) && Date.now() < until) execFileSync("sleep", ["0.05"]);
    unmountUnder(dir);
    if (mountsUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
  }
}

function logTail(info: RigInfo): string {
  try {
    const lines = readFileSync(info.logFile, "utf8").trim().split("\n");
    return `dockerd's log, last lines:\n${lines
      .slice(-25)
      .map((l) => `  ${l}`)
      .join("\n")}`;
  } catch {
    return "dockerd wrote no log.";
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
