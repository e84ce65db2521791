"""Provider selection: one cached provider per settings, built from settings.provider_name."""

from __future__ import annotations

import threading

import httpx

from core.http import build_http_client, close_http_client, get_http_client
from core.llm.base import LLMProvider
from core.settings import Settings, get_settings

_lock = threading.Lock()
_provider: LLMProvider | None = None
_provider_settings: Settings | None = None


def build_provider(name: str, settings: Settings, http_client: httpx.Client | None = None) -> LLMProvider:
    """A new provider by name ("openai" or "offline")."""
    if name == "offline":
        from core.llm.providers.offline import OfflineProvider

        return OfflineProvider(settings)
    if name == "openai":
        from core.llm.providers.openai_provider import OpenAIProvider

        if http_client is None:
            # The shared client follows the global settings; other settings get their own.
            http_client = get_http_client() if settings is get_settings() else build_http_client(settings)
        return OpenAIProvider(settings, http_client)
    raise ValueError(f"unknown LLM provider {name!r}; expected 'openai' or 'offline'")


def get_provider() -> LLMProvider:
    """The provider the settings ask for, built once (again after the settings change)."""
    global _provider, _provider_settings
    settings = get_settings()
    with _lock:
        if _provider is None or _provider_settings is not settings:
            _provider = build_provider(settings.provider_name, settings)
            _provider_settings = settings
        return _provider


def reset_provider() -> None:
    """Forget the cached provider and the shared HTTP client (tests change settings)."""
    global _provider, _provider_settings
    with _lock:
        _provider = None
        _provider_settings = None
    close_http_client()
    from core.llm.scheduler import reset_scheduler

    reset_scheduler()


# The offline provider's builders kept in their own modules register themselves with it
# on import (core/llm/providers/offline.py says why it does not import them).
import core.llm.providers.offline_parts  # noqa: E402
import core.llm.providers.offline_sources  # noqa: E402, F401
