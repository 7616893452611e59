/**
 * Runs after `npm ci` / `npm install` in a checkout (package.json "prepare",
 * after the build): makes node_modules/.bin/lookout point at bin/lookout.cjs,
 * so that `npx lookout <command>` from the checkout finds the command where
 * every npm version looks first, the project's own node_modules/.bin.
 * Without it, npx relies on its step that installs the project itself into
 * its cache (~/.npm/_npx) and links the bin there: a step that differs
 * between npm versions, and that a stale cache entry from an older checkout
 * at the same path answers with that checkout's bin.
 * Leaves a node_modules/.bin/lookout that is not a symbolic link alone.
 */
import { lstatSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const link = join(root, "node_modules", ".bin", "lookout");
const target = join("..", "..", "bin", "lookout.cjs");

let current;
try {
  const st = lstatSync(link);
  current = st.isSymbolicLink() ? readlinkSync(link) : null;
} catch {
  current = undefined; // not there
}
if (current === null) {
  process.stderr.write(`scripts/link-bin.mjs: ${link} is not a symbolic link; left as it is\n`);
} else if (current !== target) {
  mkdirSync(dirname(link), { recursive: true });
  if (current !== undefined) unlinkSync(link);
  symlinkSync(target, link);
}
