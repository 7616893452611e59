#!/usr/bin/env bash
# Installs the system packages the test suite needs, when missing (Debian/Ubuntu, as root).
# Safe to run again: it installs nothing when everything is there.
set -euo pipefail

need=()
command -v free >/dev/null 2>&1 || need+=(procps)
command -v df >/dev/null 2>&1 || need+=(coreutils)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: missing ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
