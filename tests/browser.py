"""Debian's chromium under Playwright, as every browser test launches it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium keeps dialing out of a closed network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(pw: Any) -> Any:
    """A headless chromium; fails (never skips) when the browser is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-deps.sh)")
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
