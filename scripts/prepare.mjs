/**
 * package.json "prepare". npm runs it in a checkout after `npm ci` and
 * `npm install`, before `npm pack`, and also when `npx lookout` from a
 * checkout installs the checkout into npx's cache (~/.npm/_npx), which npm
 * does on the first `npx lookout` from each checkout.
 *
 * 1. Builds dist/ (`npm run build`), except under npx (npm_command=exec) when
 *    dist/cli/main.cjs is there already: the build would take seconds of
 *    `npx lookout`'s first run and rewrite dist/ under whatever is running it.
 * 2. Points node_modules/.bin/lookout at bin/lookout.cjs, so that
 *    `npx lookout` finds the command where every npm version looks, the
 *    project's own node_modules/.bin, even where npx's own step (installing
 *    the checkout into its cache and linking the bin there) differs or fails.
 *    A node_modules/.bin/lookout that is not a symbolic link is left alone.
 */
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

if (!(process.env.npm_command === "exec" && existsSync(join(root, "dist", "cli", "main.cjs")))) {
  const build = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

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
  process.stderr.write(`scripts/prepare.mjs: ${link} is not a symbolic link; left as it is\n`);
} else if (current !== target) {
  mkdirSync(dirname(link), { recursive: true });
  if (current !== undefined) unlinkSync(link);
  symlinkSync(target, link);
}
