/**
 * The CLI as a few files instead of ~200 modules (npm run build, after tsc):
 * `dist/cli/main.cjs` is the entry (bin/lookout.cjs loads it), and each
 * command's code and the heavy libraries it needs (zod, yaml, commander,
 * croner) are chunks under `dist/cli/chunks/` loaded when the command runs,
 * croner and the Korean catalogue only when first used (`SYNC_LAZY`).
 * CommonJS, not ES modules: Node 20 compiles an ES module every time it loads
 * one, while a CommonJS file can be compiled from V8's code cache, which
 * bin/lookout.cjs keeps (a steady `lookout check` spends ~130 ms less CPU,
 * docs/benchmarks.md); Node's ES module loader itself costs ~20 ms to start. Node spends most of a
 * short command's start resolving and compiling modules one by one: one file
 * per command path costs a fraction of it (docs/benchmarks.md). better-sqlite3's
 * JavaScript (13 small files Node would resolve and compile apart, ~5 ms of a
 * steady `check`) is bundled too; its native addon stays where npm built it,
 * and src/store/sqlite.ts gives its path (`nativeBinding`), so `bindings`,
 * which finds it otherwise, stays outside. The addon must be the one built for
 * that JavaScript: package.json pins better-sqlite3's exact version
 * (test/bin/bundle.test.ts checks it). nodemailer stays outside, imported by the
 * mail receiver with its first mail (a package of its own, loaded only then). The rest of dist/ (tsc's output, one
 * file per module) is what the benches import.
 *
 * The dashboard's files (`src/http/page/`, static) are copied to
 * `dist/http/page/`, where the HTTP server finds them (src/http/dashboard.ts).
 */
import { cpSync, existsSync, rmSync } from "node:fs";
import { build } from "rolldown";

/** Whether the module `id` (a path, with either separator) is the file ending in `suffix` (`/src/…`). */
const isModule = (id, suffix) => id.replaceAll("\\", "/").endsWith(suffix);

/**
 * commander requires node:child_process as it loads, for one thing Lookout never does (a subcommand in a file of its
 * own), and child_process loads node:net and Node's streams: ~10 ms of every command that needs neither (`status`,
 * `silence`). Here it is required when commander first spawns. The build fails if commander's line changed.
 */
const COMMANDER_CHILD_PROCESS = "const childProcess = require('node:child_process');";
const lazyChildProcess = {
  name: "lookout:lazy-child-process",
  transform(code, id) {
    if (!/[\\/]commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
    if (!code.includes(COMMANDER_CHILD_PROCESS)) throw new Error(`${id}: no "${COMMANDER_CHILD_PROCESS}" to make lazy (a new commander?): update scripts/bundle.mjs`);
    // The same line, so the source map stays right (map: null says the lines did not move).
    return { code: code.replace(COMMANDER_CHILD_PROCESS, "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"), map: null };
  },
};

/**
 * Code loaded only when first called, yet synchronously: the Korean catalogue (166 kB of text, for those who speak
 * Korean) and croner (for `maintenance:` windows). Each has a loader file in src/ that imports it as usual (for tsc
 * and the tests); here the loader is replaced by one whose `import()` makes the code a chunk of its own, and that
 * import() (a promise in CommonJS: `Promise.resolve().then(() => require(…))`) is rewritten into the plain
 * `require(…)` inside it. The build fails if the rendered form is not found.
 */
const SYNC_LAZY = {
  "/src/i18n/ko-load.ts": 'export function koCatalogue() { return __lookoutSync(import("./ko.js")).koCatalogue(); }',
  "/src/croner-load.ts": 'export function croner() { return __lookoutSync(import("croner")); }',
};
// The chunk's name is still a placeholder here (`./ko-!~{003}~.cjs`), its hash filled in afterwards.
const RENDERED_SYNC = /__lookoutSync\(Promise\.resolve\(\)\.then\(\(\) => (require\("\.\/[^"\\]+\.cjs"\))\)\)/g;
const syncLazy = {
  name: "lookout:sync-lazy",
  load(id) {
    const loader = Object.keys(SYNC_LAZY).find((suffix) => isModule(id, suffix));
    return loader === undefined ? null : SYNC_LAZY[loader];
  },
  renderChunk(code, chunk) {
    if (!code.includes("__lookoutSync")) return null;
    const out = code.replace(RENDERED_SYNC, "$1");
    if (out.includes("__lookoutSync")) throw new Error(`${chunk.fileName}: a lazy import() not rendered as expected (a new rolldown?): update scripts/bundle.mjs`);
    return { code: out, map: null };
  },
};

/**
 * The English catalogue (src/i18n/en.ts, ~1,300 texts) as one string read when asked (src/i18n/lazy-catalogue.ts):
 * building it as an object literal cost every command ~3 ms. The string is made here from tsc's output of en.ts, built
 * just before (`npm run build`), so it holds exactly what en.ts holds.
 */
const { en } = await import("../dist/i18n/en.js");
const { catalogueText } = await import("../dist/i18n/lazy-catalogue.js");
const EN_TEXT = catalogueText(en);
const lazyEnglish = {
  name: "lookout:lazy-english",
  load(id) {
    if (!isModule(id, "/src/i18n/en.ts")) return null;
    return `import { lazyCatalogue } from "./lazy-catalogue.js";\nexport const en = lazyCatalogue(${JSON.stringify(EN_TEXT)});\n`;
  },
};

/**
 * Each receiver kind's plugin a chunk of its own, required when its kind is first asked for (src/notify/plugins-load.ts:
 * plain imports there, for tsc and the tests). Each `import { xPlugin } from "./x/x.js";` goes, and each `() => xPlugin`
 * becomes `() => __lookoutSync(import("./x/x.js")).xPlugin`, made a plain require by syncLazy. The build fails if the
 * file is not in that form.
 */
const lazyPlugins = {
  name: "lookout:lazy-plugins",
  transform(code, id) {
    if (!isModule(id, "/src/notify/plugins-load.ts")) return null;
    const from = new Map();
    let out = code.replace(/^import \{ (\w+Plugin) \} from "(\.\/[\w/-]+\.js)";\n/gm, (_, name, path) => {
      from.set(name, path);
      return "";
    });
    let used = 0;
    out = out.replace(/\(\) => ([a-z]\w*Plugin)\b/g, (_, name) => {
      if (!from.has(name)) throw new Error(`${id}: ${name} is not imported as this script expects: update scripts/bundle.mjs`);
      used++;
      return `() => __lookoutSync(import(${JSON.stringify(from.get(name))})).${name}`;
    });
    if (from.size < 2 || used !== from.size) throw new Error(`${id}: ${from.size} plugins imported, ${used} made lazy (a new form?): update scripts/bundle.mjs`);
    return { code: out, map: null };
  },
};

rmSync("dist/cli/chunks", { recursive: true, force: true });
await build({
  input: { main: "src/cli/main.ts" },
  plugins: [lazyChildProcess, syncLazy, lazyEnglish, lazyPlugins],
  platform: "node",
  external: ["bindings", "nodemailer", /^node:/],
  tsconfig: "tsconfig.build.json",
  logLevel: "warn",
  output: {
    dir: "dist/cli",
    format: "cjs",
    // import() of an external (node:https, nodemailer) as require(): code compiled from V8's cache by bin/lookout.cjs has no ES module loader to call.
    dynamicImportInCjs: false,
    entryFileNames: "[name].cjs",
    chunkFileNames: "chunks/[name]-[hash].cjs",
    sourcemap: true,
    // Without comments, and with every non-ASCII character escaped: Node reads each chunk whole as it loads it, and a
    // file with one non-ASCII byte becomes a two-byte string; together ~5 ms of a steady `check` (docs/benchmarks.md).
    // Not minified otherwise: names and lines stay as written, for stack traces (the .map files lead back to src/).
    comments: false,
    minify: { compress: false, mangle: false, codegen: { removeWhitespace: false, asciiOnly: true } },
  },
});

rmSync("dist/http/page", { recursive: true, force: true });
if (existsSync("src/http/page")) cpSync("src/http/page", "dist/http/page", { recursive: true });
