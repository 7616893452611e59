/**
 * V8's code cache for the bundled CLI (dist/cli/*.cjs), kept between runs, as
 * Python keeps __pycache__: a short command (`lookout check` from cron, every
 * minute) spends most of its CPU compiling the same code every time. With the
 * cache, V8 takes the compiled code of every function the last run compiled
 * instead (a steady `check`: ~70 ms less CPU on a 2-core machine,
 * docs/benchmarks.md). Node 22 has this built in (module.enableCompileCache);
 * Node 20 has only vm.Script's cachedData, for CommonJS, hence a CommonJS
 * bundle (scripts/bundle.mjs), loaded by load() below.
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
const { isAscii } = require("node:buffer");

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

/** What install() set up: the cache's directory (null: none), its files' suffix, what was used and is to be written. */
let cache = null;

/**
 * Compiles the chunks load() loads through the cache in `dir` from now on. Returns what it did, counted (for tests:
 * files compiled from the cache, caches V8 refused, caches written as the process exits); never throws.
 */
function install(root, dir) {
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
  const prefix = root.endsWith(path.sep) ? root : root + path.sep;
  cache = { dir, flags, prefix, used: new Set(), toWrite: [], counts };
  const mine = cache;
  process.once("exit", () => {
    if (mine.toWrite.length > 0) counts.written = write(dir, mine.toWrite, mine.used);
  });
  return counts;
}

/**
 * Loads a CommonJS file of the bundle (bin/lookout.cjs: dist/cli/main.cjs) and, through the `require` it is given,
 * the chunks it asks for, as Node would, but reading each file itself: into one reused buffer, already wrapped as
 * Node wraps a module, and made into a string once. Node's loader reads a file into memory of its own, makes a string
 * of it and then one more with the wrapper around it: three copies of ~500 kB for a steady `check`, each new memory
 * the kernel hands out page by page (docs/benchmarks.md). A chunk whose name carries its hash (name-HASH.cjs, as
 * scripts/bundle.mjs names them) is compiled through the cache install() set up, if any. A file that is not there
 * fails with ENOENT (Node's says MODULE_NOT_FOUND); bin/lookout.cjs says either way that the build is incomplete.
 */
function load(file) {
  return loadOnce(file, null, run);
}

/** A bundle's own file as its code asks for it: "./name.cjs" next to it, or "./chunks/name.cjs" from the entry. */
const OWN_FILE = /^\.\/(?:chunks\/)?[A-Za-z0-9_][A-Za-z0-9_.-]*\.cjs$/;

/**
 * The `require` of a file load() loaded. The bundle's own files are loaded by their path, without Node's resolution
 * (a stat, a realpath and package.json lookups for each of the ~25 files a `check` loads); so is a native addon asked
 * for by its absolute path (better-sqlite3's, src/store/sqlite.ts). Anything else (node:fs) goes to Node's.
 */
function requireOf(mod) {
  const dir = path.dirname(mod.filename);
  return function require(id) {
    if (OWN_FILE.test(id)) return loadOnce(dir + path.sep + id.slice(2), mod, run);
    if (id.endsWith(".node") && path.isAbsolute(id)) return loadOnce(id, mod, dlopen);
    return mod.require(id);
  };
}

/**
 * `file`'s exports, loaded by `how` the first time, kept in require's cache as Node's loader keeps a module. A file
 * that fails to load is, as Node's loader does with it, neither kept nor its parent's child.
 */
function loadOnce(file, parent, how) {
  const known = Module._cache[file];
  if (known !== undefined) return known.exports;
  const mod = new Module(file, parent);
  Module._cache[file] = mod;
  let loaded = false;
  try {
    how(mod, file);
    loaded = true;
  } finally {
    if (!loaded) {
      delete Module._cache[file];
      const at = parent ? parent.children.indexOf(mod) : -1;
      if (at !== -1) parent.children.splice(at, 1);
    }
  }
  return mod.exports;
}

/** node_modules paths of a directory, as Node's loader gives every module in it: worked out once per directory. */
const pathsOf = new Map();

/** Gives `mod` its file and the node_modules paths of its directory, as Node's loader does; returns the directory. */
function placeAt(mod, file) {
  const dir = path.dirname(file);
  mod.filename = file;
  let paths = pathsOf.get(dir);
  if (paths === undefined) {
    paths = Module._nodeModulePaths(dir);
    pathsOf.set(dir, paths);
  }
  mod.paths = paths;
  return dir;
}

/** A native addon, loaded as Node's loader loads one. */
function dlopen(mod, file) {
  placeAt(mod, file);
  process.dlopen(mod, file);
  mod.loaded = true;
}

/** Compiles a file of the bundle (through the cache, when it is a chunk and there is one) and runs it as `mod`. */
function run(mod, file) {
  const dir = placeAt(mod, file);
  const source = wrappedSource(file);
  const base = path.basename(file);
  let script;
  if (cache !== null && file.startsWith(cache.prefix) && HASHED_NAME.test(base)) {
    const cacheFile = path.join(cache.dir, `${base}.${cache.flags}.v8`);
    cache.used.add(path.basename(cacheFile));
    const cachedData = readTrusted(cacheFile);
    script = new vm.Script(source, { filename: file, cachedData });
    if (cachedData !== undefined && !script.cachedDataRejected) cache.counts.read++;
    else cache.toWrite.push({ script, file: cacheFile });
    if (script.cachedDataRejected) cache.counts.refused++;
  } else {
    script = new vm.Script(source, { filename: file });
  }
  const wrapper = script.runInThisContext({ displayErrors: true });
  wrapper.call(mod.exports, mod.exports, requireOf(mod), mod, file, dir);
  mod.loaded = true;
}

/** Node's wrapper of a CommonJS module, around the file's text: the code cache is of the wrapped text. */
const HEAD = "(function (exports, require, module, __filename, __dirname) { ";
const TAIL = "\n});";

/**
 * A file's text, wrapped, as one string made from the shared buffer: as Latin-1 (one byte, one character: V8's
 * cheapest string) when it is all ASCII, as the bundle's chunks are (scripts/bundle.mjs escapes the rest); else UTF-8.
 */
function wrappedSource(file) {
  const fd = fs.openSync(file, fs.constants.O_RDONLY);
  try {
    const size = fs.fstatSync(fd).size;
    const buf = room(HEAD.length + size + TAIL.length);
    buf.latin1Write(HEAD, 0);
    let at = HEAD.length;
    for (let n = 1; n > 0 && at < HEAD.length + size; at += n) n = fs.readSync(fd, buf, at, HEAD.length + size - at, null);
    at += buf.latin1Write(TAIL, at);
    const text = buf.subarray(0, at);
    return isAscii(text) ? text.latin1Slice(0, at) : text.utf8Slice(0, at);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * One buffer for every file read here, a chunk's text and then its cache, grown to the largest: the text is copied
 * into a string and V8 takes the cache while it compiles the chunk (vm.Script copies what it keeps), before the next
 * file is read. A new buffer each (~1 MB for a steady `check`) was memory the kernel had to hand out page by page.
 */
let scratch = Buffer.alloc(0);

function room(size) {
  if (scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, 256 * 1024));
  return scratch;
}

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
    const buf = room(st.size).subarray(0, st.size);
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

module.exports = { install, load, cacheDir };
