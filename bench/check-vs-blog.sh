#!/usr/bin/env bash
# Whole-process comparison: `lookout check` (bin/lookout.cjs check, the installed command) against
# the blog's server-monitor.sh (bench/blog-server-monitor.sh), both posting to a
# local Slack stand-in (bench/receiver.mjs on 127.0.0.1).
#
#   npm run build && bash bench/check-vs-blog.sh [--runs K] [--fire-runs F] [--gap SECONDS]
#        [--containers N] [--inherit-env]
#
# Where both run: in cron's environment, as from a crontab: the bench starts
# itself again under `env -i` with only HOME, LOGNAME, SHELL=/bin/sh and a
# standard PATH (what cron gives a job, with the PATH a root crontab usually
# sets), plus the variables of the bench's own. --inherit-env keeps the shell's
# environment instead. It matters for Node: NODE_EXTRA_CA_CERTS, when set (the
# machines of docs/benchmarks.md set it for every shell), makes every Node
# process read and parse that bundle of certificates as it starts, ~50 ms of
# CPU; cron's environment has no such variable. When the shell had it set, a
# row times `node -e 0` with it, for scale.
# Docker: --containers N (default 5) starts a private dockerd
# (bench/lib/hold-docker.mjs; needs root) with N busybox containers running
# `sleep`, seen through DOCKER_HOST: Lookout lists and inspects them and reads
# their cgroup files, as it does on any Docker host (the blog's server-monitor.sh
# looks at no container: its Docker checks are its other script). --containers
# 0: no Docker, as this bench ran before 2026-12-02 (Lookout finds none).
#
# Both sides are set to alert on everything they check, like a firing alert:
#   - blog script: CPU/MEMORY/DISK thresholds 0 (it posts on every run when the
#     value is above 0: it has no memory between runs);
#   - lookout: a temp config with host.cpu/memory/disk warning 0, for 0s, its data
#     dir a temp dir, LOOKOUT_SLACK_WEBHOOK_URL = the receiver. Lookout posts
#     only on a change (firing, escalation, resolution, reminder after 4 h), so it
#     posts on its first run and then not again while the alerts stay firing.
# Four rows, interleaved (one of each per round, so a busy moment of this
# shared machine hits all of them alike):
#   lookout, first run, alerts firing (F runs, default 5): a fresh data dir every
#     time. No previous counters, so it samples /proc/stat twice 500 ms apart;
#     its three alerts fire and it posts three messages, paced 1 s apart (Slack
#     allows one message per second per webhook), so each run waits >= 2 s: F is
#     kept small to keep this bench under 2 minutes.
#   lookout, first run, nothing firing (K runs): same, with the built-in
#     thresholds (80/90/90, nothing fires on an idle box): the 500 ms sample
#     without the pacing.
#   lookout, steady state (K runs): one data dir, primed by one untimed run. Each
#     run reuses the previous run's counters (as from cron) and has nothing new to send.
#     Its code and validated-config caches (~/.cache/lookout, here a private
#     XDG_CACHE_HOME) are primed by the same untimed run, as from cron.
#   lookout, steady state, caches off (K runs): the same with LOOKOUT_CODE_CACHE=off
#     and LOOKOUT_CONFIG_CACHE=off (through `env`, one exec more, ~1 ms).
#   blog script (K runs, default 20).
#   for scale (K runs each, no strace): `node -e 0` (Node's own start-up and
#   exit), `bin/lookout.cjs --version` (the installed command's start-up:
#   it answers without loading the CLI), `top -bn1` (the blog's slowest command),
#   and bench/check-floor.cjs: the least a steady check must do, in Node with
#   Lookout's flags (two /proc files read, Docker's container list over its
#   unix socket, one SQLite row written in WAL mode, one line printed): what any
#   Node program doing this job costs here, before Lookout's own work.
# A steady-state run starts at least --gap seconds (default 0.5) after the
# previous one: a check less than 500 ms after the previous one would sleep to
# make a 500 ms CPU window, which from cron (every minute) never happens. (With
# the other runs in between, no pause is needed in practice.)
# Per row: wall time per run (mean, min, max; bash $EPOCHREALTIME), CPU time per
# run (user+sys of the run's whole process tree, from bash's `times` builtin,
# i.e. getrusage(RUSAGE_CHILDREN) before/after; mean, min and median: on a
# shared machine the min says best what a run itself costs), programs started (successful
# execve) and new processes (clone/clone3 without CLONE_THREAD, fork, vfork)
# counted with `strace -f` on one extra untimed run of each kind, and the
# requests the receiver got during the timed runs.
set -euo pipefail
export LC_ALL=C

# cron's environment (see above), unless asked to keep this one
if [ -z "${CHECK_VS_BLOG_ENV:-}" ]; then
  inherit=0
  for a in "$@"; do [ "$a" = "--inherit-env" ] && inherit=1; done
  if [ "$inherit" = 0 ]; then
    exec env -i CHECK_VS_BLOG_ENV=cron CHECK_VS_BLOG_OUTER_CA="${NODE_EXTRA_CA_CERTS:-}" LC_ALL=C \
      HOME="${HOME:-/root}" LOGNAME="${LOGNAME:-$(id -un)}" SHELL=/bin/sh \
      PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" bash "$0" "$@"
  fi
  CHECK_VS_BLOG_ENV=inherited
fi
OUTER_CA=${CHECK_VS_BLOG_OUTER_CA:-}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=lib/ensure-tools.sh
source "$HERE/lib/ensure-tools.sh"

RUNS=20
FIRE_RUNS=5
GAP=0.5
CONTAINERS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --fire-runs) FIRE_RUNS=${2:?--fire-runs needs a number}; shift 2 ;;
    --gap) GAP=${2:?--gap needs seconds}; shift 2 ;;
    --containers) CONTAINERS=${2:?--containers needs a number}; shift 2 ;;
    --inherit-env) shift ;;
    -h|--help) sed -n '2,62p' "$0"; exit 0 ;;
    *) echo "check-vs-blog: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "check-vs-blog: --runs must be a positive integer" >&2; exit 2; }
[[ "$FIRE_RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "check-vs-blog: --fire-runs must be a positive integer" >&2; exit 2; }
[[ "$GAP" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "check-vs-blog: --gap must be seconds, like 0.5" >&2; exit 2; }
[[ "$CONTAINERS" =~ ^[0-9]+$ ]] || { echo "check-vs-blog: --containers must be a number (0: no Docker)" >&2; exit 2; }
if [ "$CONTAINERS" -gt 0 ] && [ "$(id -u)" != 0 ]; then
  echo "check-vs-blog: a private dockerd needs root; run as root, or with --containers 0 (no Docker)" >&2; exit 2
fi

command -v node >/dev/null 2>&1 || { echo "check-vs-blog: node (>= 20) is needed" >&2; exit 1; }
# what the blog script runs, what this script runs
ensure_tools strace:strace bc:bc top:procps free:procps ps:procps uptime:procps curl:curl \
  df:coreutils awk:mawk sed:sed grep:grep xargs:findutils hostname:hostname
require_dist "$ROOT"

TMP=$(mktemp -d /tmp/lookout-check-vs-blog.XXXXXX)
RECV_PID=""
DOCKER_PID=""
cleanup() {
  if [ -n "$RECV_PID" ]; then kill -TERM "$RECV_PID" 2>/dev/null || true; wait "$RECV_PID" 2>/dev/null || true; fi
  if [ -n "$DOCKER_PID" ]; then kill -TERM "$DOCKER_PID" 2>/dev/null || true; wait "$DOCKER_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- Docker: a private dockerd with its containers, held until this script ends
unset DOCKER_HOST DOCKER_CONTEXT
if [ "$CONTAINERS" -gt 0 ]; then
  echo "check-vs-blog: starting a private dockerd with $CONTAINERS containers" >&2
  mkfifo "$TMP/docker-hold"
  node "$HERE/lib/hold-docker.mjs" "$CONTAINERS" <"$TMP/docker-hold" >"$TMP/docker.out" 2>"$TMP/docker.err" &
  DOCKER_PID=$!
  exec 7>"$TMP/docker-hold" # its standard input: closed when this script exits, which tears the daemon down
  for _ in $(seq 1 1200); do
    if grep -q '^DOCKER_HOST=' "$TMP/docker.out" 2>/dev/null; then break; fi
    kill -0 "$DOCKER_PID" 2>/dev/null || break
    sleep 0.1
  done
  DOCKER_LINE=$(grep -m1 '^DOCKER_HOST=' "$TMP/docker.out" || true)
  [ -n "$DOCKER_LINE" ] || { echo "check-vs-blog: the private dockerd did not start: $(tail -5 "$TMP/docker.err")" >&2; exit 1; }
  export DOCKER_HOST=${DOCKER_LINE#DOCKER_HOST=}
fi

# ---- the receiver
node "$HERE/receiver.mjs" 0 >"$TMP/receiver.out" 2>"$TMP/receiver.err" &
RECV_PID=$!
URL=""
for _ in $(seq 1 100); do
  if [ -s "$TMP/receiver.out" ]; then read -r URL <"$TMP/receiver.out" || true; fi
  [ -n "$URL" ] && break
  sleep 0.05
done
[ -n "$URL" ] || { echo "check-vs-blog: the receiver did not start: $(cat "$TMP/receiver.err")" >&2; exit 1; }
BASE=${URL%%/services/*}
received() { curl -sS --max-time 5 "$BASE/__count" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p'; }

# ---- lookout's config: the blog's three checks, alerting at 0 like the blog script below
CONFIG="$TMP/lookout.yaml"
STEADY_DIR="$TMP/lookout-steady"
cat >"$CONFIG" <<EOF
# bench/check-vs-blog.sh: alert on everything the blog script checks
data_dir: $STEADY_DIR
host:
  cpu: { warning: 0, for: 0s }
  memory: { warning: 0, for: 0s }
  disk: { warning: 0, for: 0s }
EOF
QUIET_CONFIG="$TMP/lookout-default.yaml"
echo "# bench/check-vs-blog.sh: built-in thresholds; --data-dir is given on each run" >"$QUIET_CONFIG"
export LOOKOUT_SLACK_WEBHOOK_URL="$URL"
# Lookout's caches (code, validated config) of this bench only, primed by its first run.
export XDG_CACHE_HOME="$TMP/cache"
LOOKOUT=("$ROOT/bin/lookout.cjs" check --config "$CONFIG")
LOOKOUT_NO_CACHES=(env LOOKOUT_CODE_CACHE=off LOOKOUT_CONFIG_CACHE=off "$ROOT/bin/lookout.cjs" check --config "$CONFIG")
LOOKOUT_QUIET=("$ROOT/bin/lookout.cjs" check --config "$QUIET_CONFIG")
# the blog script's settings are exported (lookout reads none of them), so that no
# `env` wrapper shows up in its process count
export WEBHOOK_URL="$URL" CPU_THRESHOLD=0 MEMORY_THRESHOLD=0 DISK_THRESHOLD=0
BLOG=(bash "$HERE/blog-server-monitor.sh")

# ---- timing helpers (no forks between the two readings but the command itself)
CPU_MS=0
TMS=0
tms() { # 0m1.234s → TMS=1234 (no subshell: a fork here would be counted as a child)
  local v=$1 m s
  m=${v%%m*}; s=${v#*m}; s=${s%s}
  TMS=$(( (10#$m * 60 + 10#${s%.*}) * 1000 + 10#${s#*.} ))
}
children_cpu_ms() { # user+sys of all reaped children so far, ms → CPU_MS
  times >"$TMP/times.txt"
  local _ cu cs
  { read -r _ _; read -r cu cs; } <"$TMP/times.txt"
  tms "$cu"; CPU_MS=$TMS
  tms "$cs"; CPU_MS=$(( CPU_MS + TMS ))
}
# run_timed NAME CMD... : appends "wall_us cpu_ms requests" to $TMP/NAME.runs
run_timed() {
  local name=$1; shift
  local c0 c1 t0 t1 r0 r1
  r0=$(received)
  children_cpu_ms; c0=$CPU_MS
  t0=${EPOCHREALTIME/./}
  "$@" >/dev/null 2>>"$TMP/$name.stderr" || true # lookout check exits 1/2 when alerts fire
  t1=${EPOCHREALTIME/./}
  children_cpu_ms; c1=$CPU_MS
  r1=$(received)
  echo "$(( t1 - t0 )) $(( c1 - c0 )) $(( r1 - r0 ))" >>"$TMP/$name.runs"
}

# ---- process counts with strace (one untimed run of each kind)
STRACE_OPTS=(-f -qq -e trace=execve,execveat,clone,clone3,fork,vfork)
if strace --seccomp-bpf "${STRACE_OPTS[@]}" -o /dev/null true 2>/dev/null; then STRACE_OPTS=(--seccomp-bpf "${STRACE_OPTS[@]}"); fi
strace_counts() { # NAME CMD... → $TMP/NAME.strace.json
  local name=$1; shift
  strace "${STRACE_OPTS[@]}" -o "$TMP/$name.strace" "$@" >/dev/null 2>>"$TMP/$name.stderr" || true
  node "$HERE/lib/strace-count.mjs" "$TMP/$name.strace" >"$TMP/$name.strace.json"
}

echo "check-vs-blog: $RUNS runs (first run with alerts firing: $FIRE_RUNS), receiver at $BASE" >&2

GAP_US=$(awk -v g="$GAP" 'BEGIN { printf "%d", g * 1000000 }')
LAST_STEADY=0
steady_gap() { # wait until GAP seconds have passed since the last steady-state run started
  local now=${EPOCHREALTIME/./} left
  left=$(( LAST_STEADY + GAP_US - now ))
  if [ "$left" -gt 0 ]; then sleep "$(awk -v u="$left" 'BEGIN { printf "%.3f", u / 1000000 }')"; fi
  LAST_STEADY=${EPOCHREALTIME/./}
}

# prime the steady-state data dir (its first run: fires and posts; not timed)
steady_gap
"${LOOKOUT[@]}" >/dev/null 2>>"$TMP/prime.stderr" || true
PRIMED_REQUESTS=$(received)

for i in $(seq 1 "$RUNS"); do
  if [ "$i" -le "$FIRE_RUNS" ]; then run_timed fire "${LOOKOUT[@]}" --data-dir "$TMP/lookout-fire-$i"; fi
  run_timed quiet "${LOOKOUT_QUIET[@]}" --data-dir "$TMP/lookout-quiet-$i"
  steady_gap
  run_timed steady "${LOOKOUT[@]}"
  steady_gap
  run_timed nocache "${LOOKOUT_NO_CACHES[@]}"
  run_timed blog "${BLOG[@]}"
  run_timed node0 node -e 0
  if [ -n "$OUTER_CA" ]; then run_timed node0ca env NODE_EXTRA_CA_CERTS="$OUTER_CA" node -e 0; fi
  run_timed version "$ROOT/bin/lookout.cjs" --version
  run_timed top top -bn1
  run_timed floor "$HERE/check-floor.cjs" "$TMP/floor.db"
done

strace_counts fire "${LOOKOUT[@]}" --data-dir "$TMP/lookout-fire-strace"
strace_counts quiet "${LOOKOUT_QUIET[@]}" --data-dir "$TMP/lookout-quiet-strace"
steady_gap
strace_counts steady "${LOOKOUT[@]}"
strace_counts blog "${BLOG[@]}"

# ---- report
json_field() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$TMP/$1.strace.json"; }
row() { # NAME LABEL
  local name=$1 label=$2 stats
  stats=$(sort -n -k2 "$TMP/$name.runs" | awk '{ w=$1/1000; s+=w; c+=$2; r+=$3; cpu[NR]=$2; if (NR==1||w<mn) mn=w; if (NR==1||w>mx) mx=w }
    END { med = (NR % 2) ? cpu[(NR+1)/2] : (cpu[NR/2] + cpu[NR/2+1]) / 2;
      printf "%d | %.1f | %.1f | %.1f | %.1f | %d | %.1f | %d (%.2f)", NR, s/NR, mn, mx, c/NR, cpu[1], med, r, r/NR }')
  local ex=- np=-
  if [ -f "$TMP/$name.strace.json" ]; then ex=$(json_field "$name" execve); np=$(json_field "$name" processes); fi
  printf '| %s | %s | %s | %s | %s |\n' "$label" "${stats% | *}" "$ex" "$np" "${stats##* | }"
}
echo
echo "command: bash bench/check-vs-blog.sh --runs $RUNS --fire-runs $FIRE_RUNS --gap $GAP"
echo "machine: $(nproc) CPUs, kernel $(uname -r), node $(node --version), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "environment: $CHECK_VS_BLOG_ENV ($(if [ "$CHECK_VS_BLOG_ENV" = cron ]; then echo "env -i: HOME, LOGNAME, SHELL, PATH and the bench's own variables"; else echo "the shell's"; fi); NODE_EXTRA_CA_CERTS $([ -n "${NODE_EXTRA_CA_CERTS:-}" ] && echo set || echo "not set"))"
echo "docker: $(if [ "$CONTAINERS" -gt 0 ]; then echo "a private dockerd, $CONTAINERS containers running (DOCKER_HOST for both sides)"; else echo "none"; fi)"
echo "lookout: LOOKOUT_SLACK_WEBHOOK_URL=$BASE/services/… bin/lookout.cjs check --config CONFIG [--data-dir FRESH_DIR]"
echo "         CONFIG = host.cpu/memory/disk {warning: 0, for: 0s} (rows 1, 3), or empty: built-in thresholds (row 2)"
echo "blog:    WEBHOOK_URL=$BASE/services/… CPU_THRESHOLD=0 MEMORY_THRESHOLD=0 DISK_THRESHOLD=0 bash bench/blog-server-monitor.sh"
echo
echo "| run | runs | wall mean ms | wall min ms | wall max ms | CPU user+sys ms/run (mean) | CPU min ms | CPU median ms | programs exec'd per run (execve, strace) | new processes per run (strace) | requests received: total (per run) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
row fire "lookout check, first run, 3 alerts fire (fresh data dir: 500 ms CPU sample + 3 posts paced 1/s)"
row quiet "lookout check, first run, nothing fires (fresh data dir: 500 ms CPU sample)"
row steady "lookout check, steady state, 3 alerts firing (previous run's counters; nothing new to post)"
row nocache "the same, caches off (LOOKOUT_CODE_CACHE=off LOOKOUT_CONFIG_CACHE=off, through env)"
row blog "blog server-monitor.sh, thresholds 0 (posts when value > 0)"
row node0 "for scale: \`node -e 0\` (Node start-up alone)"
if [ -n "$OUTER_CA" ]; then row node0ca "for scale: \`node -e 0\` with the shell's NODE_EXTRA_CA_CERTS (not in cron's environment)"; fi
row version "for scale: \`bin/lookout.cjs --version\` (the installed command: start-up, no module of the CLI loaded)"
row top "for scale: \`top -bn1\` alone"
row floor "for scale: bench/check-floor.cjs (the least a check does, in Node: /proc, Docker's list, one SQLite row)"
echo
echo "(the untimed priming run of the steady-state data dir posted $PRIMED_REQUESTS request(s); strace counts include the traced command's own exec: 1 = node alone)"
for name in fire quiet steady blog; do
  progs=$(sed -n 's/.*"programs":\[\(.*\)\].*/\1/p' "$TMP/$name.strace.json" | tr -d '"' | tr ',' '\n' | sed 's#.*/##' | sort | uniq -c | awk '{printf "%s%s×%s", (NR>1?", ":""), $2, $1}')
  echo "programs started by one $name run: $progs"
done
