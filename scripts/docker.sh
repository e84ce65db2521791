#!/usr/bin/env bash
# Make sure a Docker daemon answers, starting Debian's dockerd if it is installed but not
# running. Exits non-zero when it cannot be had: the container test must fail, never skip.
set -uo pipefail

if docker info >/dev/null 2>&1; then echo "dockerd is up"; exit 0; fi
command -v dockerd >/dev/null || { echo "ERROR: dockerd is not installed (scripts/system-deps.sh)" >&2; exit 1; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "starting dockerd"
$SUDO mkdir -p /var/log/docker
# setsid: the daemon outlives this script and the test run that started it.
$SUDO setsid dockerd >/var/log/docker/dockerd.log 2>&1 < /dev/null &
for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then echo "dockerd is up"; exit 0; fi
  sleep 0.5
done
echo "ERROR: dockerd did not start; last log lines:" >&2
tail -n 20 /var/log/docker/dockerd.log >&2 || true
exit 1
