#!/usr/bin/env bash
# Build the Dockerfile's base image locally (Docker Hub is not reachable from here):
# Debian minbase via debootstrap from the mirror and suite this machine's apt already uses,
# with python3 (bookworm: 3.11) and the host's CA bundle, imported with `docker import`.
#   bash scripts/build-base-image.sh            # builds when the tag is missing
#   bash scripts/build-base-image.sh --force    # rebuilds
set -euo pipefail
cd "$(dirname "$0")/.."
TAG="${BASE_IMAGE:-course-studio/base:bookworm}"
CA_BUNDLE="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

if [ "${1:-}" != "--force" ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "$TAG exists (use --force to rebuild)"; exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
command -v debootstrap >/dev/null || { echo "ERROR: debootstrap missing (scripts/system-deps.sh)" >&2; exit 1; }

# The first Debian "deb" source of the host: deb822 files first, then one-line sources.list.
read -r MIRROR SUITE < <(
  { for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && cat "$f" && echo; done; } | awk '
    BEGIN { RS=""; FS="\n" }
    {
      types=""; uris=""; suites=""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Types:/)  { types=$i;  sub(/^Types:[ \t]*/, "", types) }
        if ($i ~ /^URIs:/)   { uris=$i;   sub(/^URIs:[ \t]*/, "", uris) }
        if ($i ~ /^Suites:/) { suites=$i; sub(/^Suites:[ \t]*/, "", suites) }
      }
      if (types ~ /(^| )deb( |$)/ && uris != "" && suites !~ /security/) {
        split(uris, u, " "); split(suites, s, " "); print u[1], s[1]; exit
      }
    }'
  [ -f /etc/apt/sources.list ] && awk '$1 == "deb" && $0 !~ /security/ {
    i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } print $i, $(i+1); exit }' /etc/apt/sources.list
)
[ -n "${MIRROR:-}" ] && [ -n "${SUITE:-}" ] || { echo "ERROR: no Debian source found in /etc/apt" >&2; exit 1; }
echo "base image $TAG: debootstrap $SUITE from $MIRROR"

ROOT="$(mktemp -d /var/tmp/cs-rootfs.XXXXXX)"
trap '$SUDO rm -rf "$ROOT"' EXIT
$SUDO debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  "$SUITE" "$ROOT" "$MIRROR"

# The image's apt uses exactly the host's sources (same mirror, suites, keyrings).
$SUDO rm -f "$ROOT/etc/apt/sources.list"
$SUDO mkdir -p "$ROOT/etc/apt/sources.list.d"
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] && $SUDO cp "$f" "$ROOT/etc/apt/sources.list.d/"
done
[ -f /etc/apt/sources.list ] && $SUDO cp /etc/apt/sources.list "$ROOT/etc/apt/sources.list"
# The host's CA bundle: pip and apt then trust whatever proxy this machine trusts.
if [ -f "$CA_BUNDLE" ]; then
  $SUDO cp "$CA_BUNDLE" "$ROOT/usr/local/share/ca-certificates/host-bundle.crt"
  # Kept under /usr/local/share/ca-certificates so any later update-ca-certificates keeps it
  # (its rehash step warns that a bundle holds more than one certificate: harmless).
  $SUDO chroot "$ROOT" update-ca-certificates >/dev/null 2>&1
fi
$SUDO chroot "$ROOT" apt-get clean
$SUDO rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/usr/share/doc/* \
  "$ROOT"/usr/share/man/* "$ROOT"/var/log/*.log

$SUDO tar -C "$ROOT" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["/bin/bash"]' \
  - "$TAG"
docker image ls "$TAG"
