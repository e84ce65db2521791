#!/usr/bin/env bash
# Set up and run the app on its embedded defaults: SQLite under data/, jobs in-process,
# the offline provider unless OPENAI_API_KEY is set.
# Without an [auth] section in .streamlit/secrets.toml the app is in its single-user local
# mode and listens on 127.0.0.1 only; with sign-in configured it listens where
# Streamlit's config says (put it behind a TLS proxy).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m core migrate
address=()
if ! grep -qs '^\[auth\]' .streamlit/secrets.toml "$HOME/.streamlit/secrets.toml"; then
    echo "local mode (no [auth] in .streamlit/secrets.toml): listening on 127.0.0.1 only" >&2
    address=(--server.address 127.0.0.1)
fi
exec .venv/bin/streamlit run app.py "${address[@]}" "$@"
