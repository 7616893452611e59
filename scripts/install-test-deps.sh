#!/usr/bin/env bash
# Installs the system packages the test suite needs, when missing (Debian/Ubuntu, as root).
# Safe to run again: it installs nothing when everything is there.
set -euo pipefail

need=()
command -v free >/dev/null 2>&1 || need+=(procps)
command -v df >/dev/null 2>&1 || need+=(coreutils)
# The Docker integration tests start their own dockerd (test/integration/docker-rig.ts)
# and build their image from a static busybox. The system docker service is never
# used (nor started here); if the package's postinst starts it, nothing talks to it.
if ! PATH="$PATH:/usr/sbin:/sbin" command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  need+=(docker.io)
fi
# busybox-static, not busybox: the image has no libc, so a dynamically linked one cannot run in it.
if [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
  need+=(busybox-static)
fi
# The dashboard's browser tests (test/browser/) drive Debian's chromium with playwright-core.
[ -x /usr/bin/chromium ] || need+=(chromium)
# The Alertmanager receiver's test (test/notify/alertmanager/real-alertmanager.test.ts) starts
# Debian's Alertmanager on 127.0.0.1 with its own config and storage; amtool comes with it
# (the export tests check what `lookout export alertmanager` writes with amtool).
# The package's own service is never used (nor started here).
if [ ! -x /usr/bin/prometheus-alertmanager ] || ! command -v amtool >/dev/null 2>&1; then
  need+=(prometheus-alertmanager)
fi
# /metrics is checked with promtool and scraped by a real Prometheus (test/http/metrics-*.test.ts),
# and the exported rules with promtool (test/cli/export-*.test.ts);
# its service is never started (the policy-rc.d below), the tests run their own on 127.0.0.1.
if [ ! -x /usr/bin/promtool ] || [ ! -x /usr/bin/prometheus ]; then
  need+=(prometheus)
fi
# deploy/lookout.service is checked offline with systemd-analyze verify and security (test/cli/install-service.test.ts);
# it comes with the systemd package, whose init is never started in a container.
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-test-deps: missing ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
    exit 1
  fi
  echo "install-test-deps: installing ${need[*]}"
  # Keep package scripts from starting services (docker.io's would start the system
  # dockerd, prometheus-alertmanager's its service, which the tests never use): the standard Debian policy-rc.d, for this
  # install only, when the machine has none of its own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# install-test-deps: no service starts during package installs\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
