"""Process-wide resources, built once per database: migrations and job recovery."""

from __future__ import annotations

import uuid

import streamlit as st

from core.db import migrate
from core.jobs import recover_orphans, resubmit_queued
from core.logs import set_context, setup_logging
from core.settings import get_settings
from core.tracing import setup_tracing
from ui import state


@st.cache_resource(show_spinner=False)
def _boot(database_url: str) -> bool:
    # Keyed by URL so tests with a fresh database each get migrated. Resubmitting queued
    # in-process jobs lets a restarted app resume what its previous process left behind.
    migrate(database_url)
    resubmit_queued("inprocess")
    recover_orphans()
    return True


@st.cache_resource(show_spinner=False)
def _observability() -> bool:
    # The same JSON logs and (when OTEL_EXPORTER_OTLP_ENDPOINT is set) spans as the worker.
    setup_logging()
    setup_tracing()
    return True


def boot() -> None:
    _observability()
    _boot(get_settings().DATABASE_URL)
    # Every script run is one request: its log lines share an id and name the author.
    set_context(request_id=uuid.uuid4().hex[:16], user=state.author())
