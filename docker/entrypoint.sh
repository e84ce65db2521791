#!/bin/sh
# A Procfile role name runs that role's command from the Procfile (one source of truth);
# anything else runs as given (`docker run IMAGE python -m core backup --out ...`).
set -e
cd /app
if [ $# -eq 1 ] && grep -q "^$1:" Procfile; then
  cmd="$(sed -n "s/^$1:[[:space:]]*//p" Procfile)"
  exec sh -c "exec $cmd"
fi
exec "$@"
