#!/usr/bin/env bash
# Type check (mypy) of core/, workers/, ui/ and evals/. The files in NOT_YET are not
# clean yet: they are still read (imports are followed silently) but their own errors are
# not reported. Take a file off the list once it is clean rather than loosening the flags.
set -euo pipefail
cd "$(dirname "$0")/.."
NOT_YET=(
  core/exporters/template_builder.py
  core/exporters/pptx.py
  core/services/evals.py
  core/services/generation.py
  core/services/analytics.py
  core/services/prompt_lab.py
  core/llm/budget.py
  ui/costs.py
  ui/history.py
  ui/lessons.py
  ui/validation.py
)
exclude="^($(IFS='|'; echo "${NOT_YET[*]//./\\.}"))\$"
exec "${PYTHON:-.venv/bin/python}" -m mypy --python-version 3.11 --ignore-missing-imports --follow-imports=silent \
  --exclude "$exclude" core workers ui evals
