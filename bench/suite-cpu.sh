#!/usr/bin/env bash
# What the test suite costs the machine, by program: `npx vitest run` (the
# whole suite, as `npm test` runs it after the build) under the kernel's
# process accounting (acct(2), Debian's `acct` package), which records every
# process that ends, with its CPU (all its threads), however short it lived
# and whatever started it: the CLI processes the tests spawn, dockerd's runc
# and shims, the containers' own processes, chromium.
#
#   npm run build && bash bench/suite-cpu.sh [-- VITEST ARGS...]    # as root
#
# Prints the wall time, the machine's busy CPU over the run (from /proc/stat:
# what the 2 cores did, this suite or anything else), the suite's result line,
# and CPU seconds and process counts by program name (the kernel's 16-byte
# `comm`: Node's processes are all `node`, split here by how long they lived:
# under 2 s, the CLI commands the tests run; 2–20 s, mostly `lookout run`;
# longer, vitest and its workers). Process accounting is switched off at the
# end, or on Ctrl-C; its file is removed.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=lib/ensure-tools.sh
source "$HERE/lib/ensure-tools.sh"

[ "$(id -u)" = 0 ] || { echo "suite-cpu: process accounting needs root" >&2; exit 2; }
[ "${1:-}" = "--" ] && shift
ensure_tools accton:acct dump-acct:acct bc:bc
require_dist "$ROOT"

TMP=$(mktemp -d /tmp/lookout-suite-cpu.XXXXXX)
cleanup() {
  accton off >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
: >"$TMP/pacct"
accton "$TMP/pacct" >/dev/null
b0=$(busy)
t0=$(date +%s.%N)
rc=0
(cd "$ROOT" && npx vitest run "$@") >"$TMP/vitest.log" 2>&1 || rc=$?
t1=$(date +%s.%N)
b1=$(busy)
accton off >/dev/null

ticks=$(getconf CLK_TCK)
echo "command: bash bench/suite-cpu.sh${*:+ -- $*}"
echo "machine: $(nproc) CPUs, kernel $(uname -r), node $(node --version), $(date -u +'%Y-%m-%d %H:%M UTC')"
sed 's/\x1b\[[0-9;]*m//g' "$TMP/vitest.log" | grep -E '^ +(Test Files|Tests|Duration) ' || true
echo "vitest exit code: $rc"
printf 'wall: %.1f s; the machine busy: %.1f CPU s (%.2f of its %d cores on average)\n' \
  "$(echo "$t1 - $t0" | bc)" "$(echo "($b1 - $b0) / $ticks" | bc -l)" \
  "$(echo "($b1 - $b0) / $ticks / ($t1 - $t0)" | bc -l)" "$(nproc)"
echo
echo "| program | processes | CPU s |"
echo "|---|---:|---:|"
# dump-acct: command | version | user | system | elapsed | … (times in clock ticks)
dump-acct "$TMP/pacct" 2>/dev/null | awk -F'|' -v hz="$ticks" '
  {
    c = $1; gsub(/ +$/, "", c)
    gsub(/[^ -~]|[|]/, "?", c) # a name is whatever the program set: no control character reaches the terminal, no | the table
    if (c == "node") c = ($5 / hz < 2) ? "node, under 2 s" : ($5 / hz < 20) ? "node, 2-20 s" : "node, over 20 s"
    n[c]++; s[c] += ($3 + $4) / hz; total += ($3 + $4) / hz; count++
  }
  END {
    for (k in s) printf "%s\t%d\t%.1f\n", k, n[k], s[k]
    printf "all processes that ended\t%d\t%.1f\n", count, total > "/dev/stderr"
  }' 2>"$TMP/total" | sort -t"$(printf '\t')" -k3 -rn | head -20 | awk -F'\t' '{printf "| %s | %d | %.1f |\n", $1, $2, $3}'
awk -F'\t' '{printf "| **%s** | %d | **%.1f** |\n", $1, $2, $3}' "$TMP/total"
exit "$rc"
