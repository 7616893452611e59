#!/usr/bin/env bash
# How right is the CPU figure? Under a steady one-core load on this machine
# (`yes > /dev/null`: 50 % of 2 cores; 100/nproc % elsewhere), one reading per
# second, N times each (default 20):
#   blog:    top -bn1 | grep "Cpu(s)" | awk '{print $2 + $4}'   (the blog's CPU_USAGE)
#   lookout: node bin/lookout.cjs check --json  → host_cpu
# next to the truth measured by this script from /proc/stat over the same
# seconds: busy = (total - idle - iowait) / total of the "cpu" line, the kernel's
# own counters, read with bash builtins (no process of its own in the window).
#
#   npm run build && bash bench/cpu-accuracy.sh [--readings N]
#
# Windows. A blog reading sits in a 1 s slot; its reference is /proc/stat over
# that slot (top's own sample is internal to top). A lookout check measures
# from the previous check's /proc/stat read to its own (its counters are kept
# in the data dir); checks start 1 s apart, so its reference is /proc/stat from
# the previous check's start to this check's start: the same length, shifted
# by node's start-up (~0.1-0.2 s), with one check's start-up CPU in each. The
# data dir is primed by two untimed checks first, so every counted check has a
# previous one 1 s before it. The references include the measuring tools' own
# CPU (a node start-up is not free): that is the machine's real load then.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=lib/ensure-tools.sh
source "$HERE/lib/ensure-tools.sh"

READINGS=20
while [ $# -gt 0 ]; do
  case "$1" in
    --readings) READINGS=${2:?--readings needs a number}; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "cpu-accuracy: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$READINGS" =~ ^[1-9][0-9]*$ ]] || { echo "cpu-accuracy: --readings must be a positive integer" >&2; exit 2; }

command -v node >/dev/null 2>&1 || { echo "cpu-accuracy: node (>= 20) is needed" >&2; exit 1; }
ensure_tools top:procps grep:grep awk:mawk yes:coreutils sleep:coreutils
require_dist "$ROOT"

NPROC=$(nproc)
NOMINAL=$(awk -v n="$NPROC" 'BEGIN { printf "%.1f", 100 / n }')
TMP=$(mktemp -d /tmp/lookout-cpu-accuracy.XXXXXX)
LOAD_PID=""
cleanup() {
  if [ -n "$LOAD_PID" ]; then kill "$LOAD_PID" 2>/dev/null || true; wait "$LOAD_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- /proc/stat, builtins only
BUSY=0 TOTAL=0
read_stat() { # → BUSY TOTAL (jiffies since boot, all CPUs)
  local cpu user nice system idle iowait irq softirq steal _
  read -r cpu user nice system idle iowait irq softirq steal _ </proc/stat
  TOTAL=$(( user + nice + system + idle + iowait + irq + softirq + steal ))
  BUSY=$(( TOTAL - idle - iowait ))
}
PCT=""
pct() { # busy0 total0 busy1 total1 → PCT "12.3"
  local db=$(( $3 - $1 )) dt=$(( $4 - $2 )) t
  if [ "$dt" -le 0 ]; then PCT="0.0"; return; fi
  t=$(( (db * 1000 + dt / 2) / dt ))
  PCT="$(( t / 10 )).$(( t % 10 ))"
}
sleep_until() { # µs since epoch
  local left=$(( $1 - ${EPOCHREALTIME/./} )) secs
  if [ "$left" -gt 0 ]; then printf -v secs '%d.%06d' $(( left / 1000000 )) $(( left % 1000000 )); sleep "$secs"; fi
}

# ---- before: one idle second, for the record
read_stat; b0=$BUSY t0=$TOTAL
sleep 1
read_stat; pct "$b0" "$t0" "$BUSY" "$TOTAL"; IDLE_BEFORE=$PCT

# ---- the load: one busy process
yes >/dev/null &
LOAD_PID=$!
sleep 1

# ---- blog: top -bn1, once per second
: >"$TMP/blog.tsv"
for i in $(seq 1 "$READINGS"); do
  slot=${EPOCHREALTIME/./}
  read_stat; b0=$BUSY t0=$TOTAL
  # the blog's pipeline, split in two so the line awk read can be shown: same text, same awk
  line=$(top -bn1 | grep "Cpu(s)")
  v=$(echo "$line" | awk '{print $2 + $4}')
  echo "$line" >>"$TMP/blog.lines"
  sleep_until $(( slot + 1000000 ))
  read_stat; pct "$b0" "$t0" "$BUSY" "$TOTAL"
  echo "$v $PCT" >>"$TMP/blog.tsv"
done

# ---- lookout: check --json, once per second
DATA="$TMP/data"
CHECK=(node "$ROOT/bin/lookout.cjs" check --json --data-dir "$DATA")
"${CHECK[@]}" >/dev/null 2>>"$TMP/lookout.stderr" || true # first check: 500 ms sample
slot=${EPOCHREALTIME/./}
sleep_until $(( slot + 1000000 ))
: >"$TMP/lookout.ref"
prev_b="" prev_t=""
for i in $(seq 0 "$READINGS"); do # check 0 is untimed: it sets the counters check 1 starts from
  slot=${EPOCHREALTIME/./}
  read_stat
  if [ "$i" -gt 0 ]; then pct "$prev_b" "$prev_t" "$BUSY" "$TOTAL"; echo "$PCT" >>"$TMP/lookout.ref"; fi
  prev_b=$BUSY prev_t=$TOTAL
  "${CHECK[@]}" >"$TMP/check-$i.json" 2>>"$TMP/lookout.stderr" || true # exit 1/2 = an alert fires: still a reading
  sleep_until $(( slot + 1000000 ))
done

kill "$LOAD_PID" 2>/dev/null || true
wait "$LOAD_PID" 2>/dev/null || true
LOAD_PID=""

# host_cpu (and its window) of checks 1..N, read after the load is gone
node -e '
  const fs = require("fs");
  const [dir, n] = [process.argv[1], Number(process.argv[2])];
  for (let i = 1; i <= n; i++) {
    let v = "NaN", w = "NaN";
    try {
      const j = JSON.parse(fs.readFileSync(`${dir}/check-${i}.json`, "utf8"));
      const m = (j.metrics ?? []).find((x) => x.name === "host_cpu");
      if (m) v = String(m.value);
    } catch {}
    console.log(v);
  }' "$TMP" "$READINGS" >"$TMP/lookout.vals"
paste -d' ' "$TMP/lookout.vals" "$TMP/lookout.ref" >"$TMP/lookout.tsv"
# the same top lines, us + sy split on ':' and ',' (awk's default split glues "100.0" to its neighbour)
awk -F'[:,]' '{ print ($2 + 0) + ($3 + 0) }' "$TMP/blog.lines" | paste -d' ' - <(awk '{ print $2 }' "$TMP/blog.tsv") >"$TMP/top-fixed.tsv"

# ---- report
row() { # FILE LABEL
  awk -v label="$2" -v nominal="$NOMINAL" '
    $1 == "NaN" || $1 == "" { bad++; next }
    { n++; v=$1+0; r=$2+0; s+=v; rs+=r; e=(v>r?v-r:r-v); es+=e
      if (n==1||v<mn) mn=v; if (n==1||v>mx) mx=v; if (n==1||r<rmn) rmn=r; if (n==1||r>rmx) rmx=r
      if (e<=10) ok++; d=(v>nominal?v-nominal:nominal-v); if (d<=10) okn++ }
    END { if (n==0) { printf "| %s | 0 | - | - | - | - | - | - | - |\n", label; exit }
      printf "| %s | %d%s | %.1f | %.1f | %.1f | %.1f (%.1f–%.1f) | %d/%d | %d/%d | %.1f |\n",
        label, n, (bad?" (+" bad " unreadable)":""), s/n, mn, mx, rs/n, rmn, rmx, ok+0, n, okn+0, n, es/n }' "$1"
}
echo
echo "command: bash bench/cpu-accuracy.sh --readings $READINGS"
echo "machine: $NPROC CPUs, kernel $(uname -r), node $(node --version), top from procps $(dpkg-query -W -f='${Version}' procps 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load: one \`yes > /dev/null\` (nominal $NOMINAL % of $NPROC CPUs); /proc/stat busy in the idle second before it: $IDLE_BEFORE %"
echo
echo "| method | readings | mean % | min % | max % | /proc/stat over the same seconds: mean % (min–max) | within 10 points of /proc/stat | within 10 points of nominal $NOMINAL % | mean abs. error vs /proc/stat (points) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
row "$TMP/blog.tsv" "blog: \`top -bn1 \\| grep \"Cpu(s)\" \\| awk '{print \$2 + \$4}'\`"
row "$TMP/top-fixed.tsv" "(same top lines, us + sy split on \`:\` and \`,\`: what top measured)"
row "$TMP/lookout.tsv" "lookout: \`node bin/lookout.cjs check --json\` → host_cpu"
echo
echo "blog readings:    $(awk '{printf "%s%s", (NR>1?" ":""), $1}' "$TMP/blog.tsv")"
echo "lookout readings: $(awk '{printf "%s%s", (NR>1?" ":""), $1}' "$TMP/lookout.tsv")"
echo "the Cpu(s) lines the blog's awk read (count × line):"
sed 's/ *$//' "$TMP/blog.lines" | sort | uniq -c | sort -rn | sed 's/^ *\([0-9]*\) /  \1 × /'

