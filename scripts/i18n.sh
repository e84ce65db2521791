#!/usr/bin/env bash
# UI catalogs: extract t()/tn() keys from the code, merge them into locales/*/messages.po
# (new keys arrive with an empty translation: fill both), then compile to check them.
# The app compiles the .po files itself at start; the .mo files are not committed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=${PYBABEL:-.venv/bin/pybabel}
"$PYBABEL" extract -F babel.cfg --no-default-keywords -k t -k tn:1,1 -k N_ -k NN_:1,2 --no-location --omit-header \
    -o locales/messages.pot .
for lang in en ru; do
    "$PYBABEL" update -i locales/messages.pot -d locales -l "$lang" --no-fuzzy-matching --ignore-obsolete \
        --width 100
done
"$PYBABEL" compile -d locales --statistics -f
