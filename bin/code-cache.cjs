/**
 * V8's code cache for the bundled CLI (dist/cli/*.cjs), kept between runs, as
 * Python keeps __pycache__: a short command (`lookout check` from cron, every
 * minute) spends most of its CPU compiling the same code every time. With the
 * cache, V8 takes the compiled code of every function the last run compiled
 * instead (a steady `check`: ~70 ms less CPU on a 2-core machine,
 * docs/benchmarks.md). Node 22 has this built in (module.enableCompileCache);
 * Node 20 has only vm.Script's cachedData, for CommonJS, hence a CommonJS
 * bundle (scripts/bundle.mjs) and this hook on its compilation.
 *
 * Where: $XDG_CACHE_HOME/lookout/code, else ~/.cache/lookout/code; none
 * without a home, or with LOOKOUT_CODE_CACHE=off. A file is used only when it
 * belongs to this user and no one else may write to it or to its directory
 * (compiled code is code); it is keyed by the file's content (only the chunks
 * are cached: their names carry a hash of it; the entry is a few lines),
 * Node's version, the architecture and Node's flags. V8 checks it again and refuses a cache it did
 * not make for this code; a refused or missing one is written anew as the
 * process exits (atomically: written aside, then renamed). A code cache holds
 * compiled code and the code's own constants, nothing a run read or computed.
 * Every failure here (a read-only home, a full disk) only means no cache.
 */
"use strict";

const fs = require("node:fs");
const path = require("node:path");
// The class of every CommonJS module, taken from this one: require("node:module") would load Node's module API
// and, through it, parts of its ES module loader (~1.5 ms).
const Module = module.constructor;
const vm = require("node:vm");

/** A chunk's name as scripts/bundle.mjs writes it: name-HASH.cjs, the hash of its content. */
const HASHED_NAME = /-[A-Za-z0-9_-]{8}\.cjs$/;
/** Files of the cache not used for this long are removed when the cache is written (left by older versions). */
const UNUSED_MS = 7 * 24 * 3600 * 1000;

/** The cache's directory for this environment, or null when there is none. */
function cacheDir(env) {
  if (env.LOOKOUT_CODE_CACHE === "off") return null;
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : env.HOME ? path.join(env.HOME, ".cache") : null;
  return base ? path.join(base, "lookout", "code") : null;
}

/** This process's user id, asked once (a system call, and a command checks two dozen files); null where there is none. */
const UID = typeof process.getuid === "function" ? process.getuid() : null;

/** Whether a file or directory may be trusted: this user's, and writable by no one else. */
function trusted(st) {
  return UID !== null && st.uid === UID && (st.mode & 0o022) === 0;
}

/**
 * Compiles the CommonJS files under `root` through the cache in `dir`. Returns what it did, counted (for tests:
 * files compiled from the cache, caches V8 refused, caches written as the process exits); never throws.
 */
function install(root, dir) {
  const used = new Set();
  const counts = { read: 0, refused: 0, written: 0 };
  if (!dir) return counts;
  let dirTrusted;
  try {
    dirTrusted = trusted(fs.statSync(dir));
  } catch {
    dirTrusted = true; // not made yet: made with mode 0700 when written
  }
  if (!dirTrusted) return counts;
  // Node's version, the architecture and Node's flags, as a name: a cache V8 made under others it would refuse anyway.
  const flags = `${process.version}-${process.arch}-${process.execArgv.join("").replace(/[^A-Za-z0-9]+/g, "")}`.slice(0, 120);
  const toWrite = [];
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  const compile = Module.prototype._compile;
  Module.prototype._compile = function compileWithCache(content, filename) {
    const base = path.basename(filename);
    if (!filename.startsWith(prefix) || !HASHED_NAME.test(base)) return compile.call(this, content, filename);
    const file = path.join(dir, `${base}.${flags}.v8`);
    used.add(path.basename(file));
    const cachedData = readTrusted(file);
    let script;
    try {
      script = new vm.Script(Module.wrap(content), { filename, cachedData });
    } catch {
      // Node's own compilation says what is wrong with the file
      return compile.call(this, content, filename);
    }
    if (cachedData !== undefined && !script.cachedDataRejected) counts.read++;
    else toWrite.push({ script, file });
    if (script.cachedDataRejected) counts.refused++;
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(this.exports, this.exports, chunkRequire(this, filename), this, filename, path.dirname(filename));
  };
  process.once("exit", () => {
    if (toWrite.length > 0) counts.written = write(dir, toWrite, used);
  });
  return counts;
}

/**
 * The `require` of a chunk. A sibling chunk (`require("./name-HASH.cjs")`, all the bundle asks for) is loaded by
 * its path, without Node's resolution (a stat, a realpath and package.json lookups for each of the ~17 files a
 * `check` loads); anything else (node:fs, better-sqlite3) goes to Node's. A sibling that is missing fails with
 * ENOENT (Node's says MODULE_NOT_FOUND); bin/lookout.cjs says either way that the build is incomplete.
 */
function chunkRequire(mod, filename) {
  const dir = path.dirname(filename);
  return function require(id) {
    if (!id.startsWith("./") || !id.endsWith(".cjs") || id.includes("/", 2)) return mod.require(id);
    const file = dir + path.sep + id.slice(2);
    const cached = Module._cache[file];
    if (cached !== undefined) return cached.exports;
    const child = new Module(file, mod);
    Module._cache[file] = child;
    let loaded = false;
    try {
      child.load(file);
      loaded = true;
    } finally {
      if (!loaded) {
        // as Node's loader does with a module that failed: neither cached nor its parent's child
        delete Module._cache[file];
        const at = mod.children.indexOf(child);
        if (at !== -1) mod.children.splice(at, 1);
      }
    }
    return child.exports;
  };
}

/**
 * One buffer for every cache file read, grown to the largest: V8 takes a file's code while it compiles the chunk
 * (vm.Script copies what it keeps), before the next file is read. A new buffer each (~600 kB for a steady `check`)
 * was memory the kernel had to hand out page by page, for nothing.
 */
let scratch = Buffer.alloc(0);

function readTrusted(file) {
  let fd;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || !trusted(st)) return undefined;
    if (scratch.length < st.size) scratch = Buffer.allocUnsafeSlow(Math.max(st.size, 256 * 1024));
    const buf = scratch.subarray(0, st.size);
    let at = 0;
    while (at < st.size) {
      const n = fs.readSync(fd, buf, at, st.size - at, at);
      if (n === 0) return undefined;
      at += n;
    }
    return buf;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes each script's code as compiled by now (the functions this run called too), and removes long-unused files.
 * Returns how many were written.
 */
function write(dir, scripts, used) {
  let written = 0;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const { script, file } of scripts) {
      const aside = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(aside, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(aside, file);
      written++;
    }
    const now = Date.now();
    for (const name of fs.readdirSync(dir)) {
      if (used.has(name)) continue;
      const file = path.join(dir, name);
      const st = fs.lstatSync(file);
      if (now - st.mtimeMs > UNUSED_MS) fs.rmSync(file, { force: true });
    }
  } catch {
    // no cache this time
  }
  return written;
}

module.exports = { install, cacheDir };
