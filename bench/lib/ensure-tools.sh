# Sourced by the bench scripts: installs the commands they need when missing.
#   ensure_tools CMD:PACKAGE ...
# Runs `apt-get update` once and `apt-get install -y` only for what is missing
# (a fresh Debian/Ubuntu machine lacks strace, bc and sometimes procps/curl).
ensure_tools() {
  local missing=() pair cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*}
    pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  # unique package names
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "bench: installing missing packages: ${missing[*]}" >&2
  local SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "bench: need root (or sudo) to apt-get install ${missing[*]}; install them and re-run" >&2
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bench: no apt-get here; install ${missing[*]} by hand and re-run" >&2
    return 1
  fi
  if [ -z "${BENCH_APT_UPDATED:-}" ]; then
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || return 1
    export BENCH_APT_UPDATED=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || return 1
  for pair in "$@"; do
    cmd=${pair%%:*}
    command -v "$cmd" >/dev/null 2>&1 || { echo "bench: $cmd still missing after installing ${pair#*:}" >&2; return 1; }
  done
}

# Exits with a hint when the TypeScript build is missing.
require_dist() {
  local root=$1
  if [ ! -f "$root/dist/cli/main.cjs" ]; then
    echo "bench: $root/dist/cli/main.cjs is missing: run \`npm run build\` first" >&2
    exit 1
  fi
}
