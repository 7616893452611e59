/**
 * The benches' command lines: `--name value` options taken out of argv, the
 * rest left (the checkouts to compare, for bench/run-ab.mjs and
 * bench/rollup.mjs).
 */

/** The value after `name` in `argv` (both removed from it), or `fallback` when it is not there. */
export function takeOption(argv, name, fallback) {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
}
