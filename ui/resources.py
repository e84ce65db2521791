"""Process-wide resources, built once per database: migrations and job recovery."""

from __future__ import annotations

import streamlit as st

from core.db import migrate
from core.jobs import recover_orphans, resubmit_queued
from core.settings import get_settings


@st.cache_resource(show_spinner=False)
def _boot(database_url: str) -> bool:
    # Keyed by URL so tests with a fresh database each get migrated. Resubmitting queued
    # in-process jobs lets a restarted app resume what its previous process left behind.
    migrate(database_url)
    resubmit_queued("inprocess")
    recover_orphans()
    return True


def boot() -> None:
    _boot(get_settings().DATABASE_URL)
