"""`streamlit run app.py` on a free loopback port, for the studio's accessibility tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.app_server import ROOT, run_app

__all__ = ["ROOT", "studio"]


@contextmanager
def studio(database_url: str, log_path: Path) -> Iterator[str]:
    """The app on the offline provider against `database_url`; yields its base URL."""
    with run_app(database_url, log_path) as url:
        yield url
