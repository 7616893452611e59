/**
 * A private dockerd for the benches (bench/container-sweep.mjs,
 * bench/crash-latency.mjs), as test/integration/docker-rig.ts starts one for
 * the tests: its own `--host unix://` socket in a short /tmp/lkb-XXXXXX dir,
 * own --data-root, --exec-root, --pidfile, `--bridge none --iptables=false`;
 * the image `lookout-test:latest` built with `docker import` from the host's
 * static busybox (no registry needed).
 *
 *   ensureDeps({ say })        apt-get installs docker.io / busybox-static / tar when missing
 *   cleanStale({ say })        tears down dirs left by earlier runs whose owner died
 *   const rig = createRig()    makes the dir (sync: a failure after this can still be cleaned)
 *   await startDockerd(rig)    starts dockerd and waits for /_ping
 *   await buildImage(rig)      builds IMAGE
 *   await docker(rig, args)    the docker CLI against this daemon (stdout, trailing newline cut)
 *   teardown(rig.dir)          docker rm -f, SIGTERM dockerd (then SIGKILL), SIGKILL of
 *                              containerd / shims / container processes left, umount -l,
 *                              rm -rf; synchronous, so it also runs from signal handlers
 *
 * Needs root, Linux, dockerd, the docker CLI, tar and a static /bin/busybox.
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
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

export const IMAGE = "lookout-test:latest";
export const PREFIX = "/tmp/lkb-";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quiet = () => {};

// ------------------------------------------------------------------ dependencies
export function onPath(bin) {
  return (process.env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    .split(":")
    .concat(["/usr/sbin", "/sbin"])
    .some((d) => d && existsSync(join(d, bin)));
}
/** An ELF executable without a program interpreter (PT_INTERP) is static. */
export function isStaticElf(path) {
  const buf = readFileSync(path);
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) return false;
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
/** Installs docker.io, busybox-static and tar with apt-get when missing; throws if still missing. */
export function ensureDeps({ say = quiet } = {}) {
  const need = [];
  if (!onPath("dockerd") || !onPath("docker")) need.push("docker.io");
  if (!existsSync("/bin/busybox") || !isStaticElf("/bin/busybox")) need.push("busybox-static");
  if (!onPath("tar")) need.push("tar");
  if (need.length === 0) return;
  say(`installing ${need.join(" ")} with apt-get`);
  // As scripts/install-test-deps.sh: keep docker.io's postinst from starting the system dockerd.
  let policy = false;
  if (!existsSync("/usr/sbin/policy-rc.d")) {
    writeFileSync("/usr/sbin/policy-rc.d", "#!/bin/sh\n# lookout bench: no service starts during package installs\nexit 101\n", { mode: 0o755 });
    policy = true;
  }
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", 2, 2], env });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...need], { stdio: ["ignore", 2, 2], env });
  } finally {
    if (policy) rmSync("/usr/sbin/policy-rc.d", { force: true });
  }
  if (!onPath("dockerd") || !onPath("docker") || !isStaticElf("/bin/busybox")) throw new Error(`still missing after apt-get install ${need.join(" ")}`);
}

// ------------------------------------------------------------------ processes, mounts
export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return null;
  }
}
export function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
export function pids() {
  return readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .map(Number);
}
/** Processes of this dir's daemon: dockerd, containerd, shims (their command lines name the dir). */
export function daemonPids(dir) {
  return pids().filter((p) => p !== process.pid && (cmdline(p) ?? "").includes(`${dir}/`));
}
function dockerdPid(dir) {
  for (const f of [join(dir, "docker.pid"), join(dir, "spawned.pid")]) {
    try {
      const pid = Number.parseInt(readFileSync(f, "utf8").trim(), 10);
      if (pid > 0 && isAlive(pid) && (cmdline(pid) ?? "").includes(dir)) return pid;
    } catch {
      // none
    }
  }
  return null;
}
function mountsUnder(dir) {
  let text = "";
  try {
    text = readFileSync("/proc/self/mountinfo", "utf8");
  } catch {
    return [];
  }
  const out = [];
  for (const line of text.split("\n")) {
    const mp = line.split(" ")[4];
    if (!mp) continue;
    const path = mp.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)));
    if (path === dir || path.startsWith(`${dir}/`)) out.push(path);
  }
  return out.sort((a, b) => b.length - a.length);
}
function containerIds(dir) {
  try {
    return readdirSync(join(dir, "data", "containers")).filter((id) => /^[0-9a-f]{64}$/.test(id));
  } catch {
    return [];
  }
}
/** SIGKILL to whatever is left: the daemon's processes and the containers' (found by id in their cgroup). */
function killLeftovers(dir) {
  const ids = containerIds(dir);
  let n = 0;
  for (const pid of pids()) {
    if (pid === process.pid) continue;
    let ours = /\b(dockerd|containerd|containerd-shim[\w-]*|runc)\b/.test(cmdline(pid) ?? "") && (cmdline(pid) ?? "").includes(`${dir}/`);
    if (!ours && ids.length > 0) {
      try {
        const cg = readFileSync(`/proc/${pid}/cgroup`, "utf8");
        ours = ids.some((id) => cg.includes(id));
      } catch {
        ours = false;
      }
    }
    if (ours) {
      try {
        process.kill(pid, "SIGKILL");
        n++;
      } catch {
        // gone
      }
    }
  }
  return n;
}
/** Empty cgroup dirs of these containers that a killed dockerd left (cgroupfs driver, v1 or v2). */
function removeCgroups(ids) {
  if (ids.length === 0) return;
  const bases = [];
  try {
    if (existsSync("/sys/fs/cgroup/cgroup.controllers")) bases.push("/sys/fs/cgroup");
    else for (const c of readdirSync("/sys/fs/cgroup")) bases.push(join("/sys/fs/cgroup", c));
  } catch {
    return;
  }
  for (const b of bases)
    for (const id of ids) {
      const d = join(b, "docker", id);
      if (existsSync(d)) {
        try {
          rmdirSync(d);
        } catch {
          // busy or gone
        }
      }
    }
}
function syncSleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// ------------------------------------------------------------------ teardown
/**
 * Stops dockerd and removes everything under dir. Synchronous, so it also runs
 * from signal handlers. Returns { processes, mounts, killed, dirRemoved }.
 */
export function teardown(dir, { removeContainers = true } = {}) {
  const ids = containerIds(dir);
  const pid = dockerdPid(dir);
  if (pid !== null && removeContainers && ids.length > 0 && existsSync(join(dir, "docker.sock"))) {
    try {
      execFileSync("docker", ["-H", `unix://${join(dir, "docker.sock")}`, "rm", "-f", ...ids], {
        env: cliEnv(join(dir, "cli")),
        stdio: "ignore",
        timeout: 60_000,
      });
    } catch {
      // dockerd's shutdown stops them anyway
    }
  }
  if (pid !== null) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // gone
    }
    const until = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < until) syncSleep(50);
    if (isAlive(pid)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
  const killed = killLeftovers(dir);
  if (killed > 0) syncSleep(300);
  for (const mp of mountsUnder(dir)) {
    try {
      execFileSync("umount", ["-l", mp], { stdio: "ignore" });
    } catch {
      // gone with its parent
    }
  }
  removeCgroups(ids);
  const left = { processes: daemonPids(dir).filter(isAlive).length, mounts: mountsUnder(dir).length, killed };
  if (left.mounts === 0) rmSync(dir, { recursive: true, force: true });
  return { ...left, dirRemoved: !existsSync(dir) };
}

/**
 * Dirs of earlier runs whose owner died without cleaning up. A dir whose owner
 * is still alive (the same pid with the same command line: another bench
 * running now) is left alone.
 */
export function cleanStale({ say = quiet } = {}) {
  for (const e of readdirSync("/tmp")) {
    if (!e.startsWith("lkb-")) continue;
    const dir = join("/tmp", e);
    let owner = 0;
    let ownerCmd = null;
    try {
      if (!statSync(dir).isDirectory()) continue;
      const saved = JSON.parse(readFileSync(join(dir, "bench.json"), "utf8"));
      owner = saved.ownerPid ?? 0;
      ownerCmd = saved.ownerCmd ?? null;
    } catch {
      continue;
    }
    // Dirs written before ownerCmd was recorded: only container-sweep made them.
    if (owner && isAlive(owner) && (ownerCmd !== null ? cmdline(owner) === ownerCmd : (cmdline(owner) ?? "").includes("container-sweep"))) continue;
    say(`removing ${dir}, left by an earlier run (pid ${owner})`);
    teardown(dir);
  }
}

// ------------------------------------------------------------------ the daemon
export function cliEnv(cliConfig) {
  const env = { ...process.env, DOCKER_CONFIG: cliConfig };
  delete env.DOCKER_HOST;
  delete env.DOCKER_CONTEXT;
  delete env.DOCKER_TLS_VERIFY;
  return env;
}
/** The docker CLI against rig's daemon; resolves to stdout without its trailing newline. */
export function docker(rig, args, { timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile("docker", ["-H", rig.host, ...args], { env: cliEnv(rig.cliConfig), timeout: timeoutMs, maxBuffer: 16 << 20, encoding: "utf8" }, (err, out, errOut) =>
      err ? reject(new Error(`docker ${args.slice(0, 3).join(" ")}…: ${errOut.trim() || err.message}`)) : resolve(out.replace(/\n$/, "")),
    );
  });
}
export function ping(socketPath) {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", method: "GET", timeout: 1000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(res.statusCode === 200 && body.trim() === "OK"));
      res.on("error", () => resolve(false));
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}
function dockerdSupports(flag) {
  try {
    return execFileSync("dockerd", ["--help"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 }).includes(flag);
  } catch {
    return false;
  }
}

/**
 * Makes the rig's dir and records this process as its owner. Synchronous, so
 * the caller holds the rig (and can tear it down) before anything can fail.
 */
export function createRig() {
  const dir = mkdtempSync(PREFIX);
  const rig = {
    dir,
    socket: join(dir, "docker.sock"),
    host: `unix://${join(dir, "docker.sock")}`,
    pidfile: join(dir, "docker.pid"),
    logFile: join(dir, "dockerd.log"),
    cliConfig: join(dir, "cli"),
  };
  mkdirSync(rig.cliConfig);
  writeFileSync(join(dir, "bench.json"), JSON.stringify({ ownerPid: process.pid, ownerCmd: cmdline(process.pid) }));
  return rig;
}

/** Starts dockerd on rig and waits (30 s at most) until it answers /_ping. */
export async function startDockerd(rig) {
  const { dir } = rig;
  const args = [
    "--host",
    rig.host,
    "--data-root",
    join(dir, "data"),
    "--exec-root",
    join(dir, "x"),
    "--pidfile",
    rig.pidfile,
    "--bridge",
    "none",
    "--iptables=false",
    ...(dockerdSupports("--ip6tables") ? ["--ip6tables=false"] : []),
    "--log-level",
    "warn",
    "--shutdown-timeout",
    "2",
  ];
  const log = openSync(rig.logFile, "a");
  let exited = null;
  const child = spawn("dockerd", args, { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  child.on("error", (e) => (exited = e.message));
  child.on("exit", (code, sig) => (exited = `dockerd exited (${sig ?? `code ${code}`})`));
  child.unref();
  writeFileSync(join(dir, "spawned.pid"), String(child.pid));
  const deadline = Date.now() + 30_000;
  while (!(await ping(rig.socket))) {
    if (exited || Date.now() > deadline) {
      let tail = "";
      try {
        tail = readFileSync(rig.logFile, "utf8").trim().split("\n").slice(-15).join("\n");
      } catch {
        // no log
      }
      throw new Error(`dockerd did not start: ${exited ?? "no answer to /_ping in 30 s"}\n${tail}`);
    }
    await sleep(50);
  }
}

/** Builds IMAGE (busybox with sh and sleep, PATH=/bin, CMD sh) with `docker import`. */
export async function buildImage(rig) {
  const r = join(rig.dir, "rootfs");
  for (const d of ["bin", "etc", "proc", "sys", "dev", "root", "tmp"]) mkdirSync(join(r, d), { recursive: true });
  chmodSync(join(r, "tmp"), 0o1777);
  copyFileSync("/bin/busybox", join(r, "bin", "busybox"));
  chmodSync(join(r, "bin", "busybox"), 0o755);
  for (const a of ["sh", "sleep"]) symlinkSync("busybox", join(r, "bin", a));
  writeFileSync(join(r, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  writeFileSync(join(r, "etc", "group"), "root:x:0:\n");
  const tarball = join(rig.dir, "rootfs.tar");
  execFileSync("tar", ["-C", r, "-cf", tarball, "."]);
  await docker(rig, ["import", "--change", 'CMD ["sh"]', "--change", "ENV PATH=/bin", tarball, IMAGE]);
  rmSync(r, { recursive: true, force: true });
  rmSync(tarball, { force: true });
}
