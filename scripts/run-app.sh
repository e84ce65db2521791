#!/usr/bin/env bash
# Set up and run the app on its embedded defaults: SQLite under data/, jobs in-process,
# the offline provider unless OPENAI_API_KEY is set.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m core migrate
exec .venv/bin/streamlit run app.py "$@"
