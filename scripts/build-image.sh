#!/usr/bin/env bash
# Build the app image (tag: $IMAGE, default course-studio:latest) on this machine: start
# dockerd if needed, build the local base image if missing, and hand pip the same index
# and certificate settings this machine's pip uses (its config and PIP_* variables;
# file:// locations are left out, they do not exist inside the build).
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${IMAGE:-course-studio:latest}"
bash scripts/docker.sh
LOCAL_BASE="course-studio/base:bookworm"
BASE_IMAGE="${BASE_IMAGE:-$LOCAL_BASE}"
if [ "$BASE_IMAGE" = "$LOCAL_BASE" ]; then
  BASE_IMAGE="$LOCAL_BASE" bash scripts/build-base-image.sh
else
  docker pull "$BASE_IMAGE"  # e.g. debian:bookworm-slim where Docker Hub is reachable (CI)
fi

pip_value() {  # the effective value of a pip setting: environment first, then pip config
  local env_name="PIP_$(echo "$1" | tr 'a-z-' 'A-Z_')"
  if [ -n "${!env_name:-}" ]; then echo "${!env_name}"; return; fi
  { $PIP config list 2>/dev/null || true; } | sed -n "s/^[a-z:]*\.$1='\(.*\)'$/\1/p" | head -n1
}
network_only() { tr ' ' '\n' | { grep -E '^https?://' || true; } | tr '\n' ' ' | sed 's/ $//'; }
# The pip this machine uses: the project's virtualenv, else the system one.
PIP="python3 -m pip"
[ -x .venv/bin/pip ] && PIP=".venv/bin/pip"

args=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
index="$(pip_value index-url | network_only)"
extra="$(pip_value extra-index-url | network_only)"
trusted="$(pip_value trusted-host)"
timeout="$(pip_value default-timeout)"
[ -n "$index" ] && args+=(--build-arg "PIP_INDEX_URL=$index")
[ -n "$extra" ] && args+=(--build-arg "PIP_EXTRA_INDEX_URL=$extra")
[ -n "$trusted" ] && args+=(--build-arg "PIP_TRUSTED_HOST=$trusted")
[ -n "$timeout" ] && args+=(--build-arg "PIP_DEFAULT_TIMEOUT=$timeout")

echo "building $IMAGE (pip: index=${index:-PyPI} extra=${extra:-none})"
start=$(date +%s)
# The legacy builder: Debian's docker.io ships no buildx plugin.
DOCKER_BUILDKIT=0 docker build "${args[@]}" -t "$IMAGE" . "$@"
end=$(date +%s)
size=$(docker image inspect "$IMAGE" --format '{{.Size}}')
echo "image $IMAGE: $((size / 1000000)) MB, built in $((end - start)) s"
