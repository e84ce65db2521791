#!/usr/bin/env bash
# Debian packages the tests drive: chromium (browser tests), LibreOffice and poppler
# (PPTX -> PDF -> PNG). Installed only when missing.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v libreoffice >/dev/null || missing+=(libreoffice-impress)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu)
# Screenshots should show emoji as a person sees them, not as empty boxes.
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
# issue 16: the container test (dockerd, docker-compose, debootstrap for the local base
# image), promtool for the alert rules, pg_dump/pg_restore for the backup drill.
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v promtool >/dev/null || missing+=(prometheus)
command -v pg_dump >/dev/null || missing+=(postgresql-client)
# issue-14: local narrated videos (text-to-speech in en/ru, H.264/AAC assembly, ffprobe).
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
# A better-sounding offline English voice than espeak-ng: Festival with an HTS voice.
command -v text2wave >/dev/null || missing+=(festival festvox-us-slt-hts)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
