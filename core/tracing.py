"""OpenTelemetry spans for jobs, model calls and exports.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (then spans go out over OTLP/HTTP in
batches; the exporter reads the standard OTEL_* variables itself). Tests plug an
in-memory exporter in with `use_exporter`. The provider is kept here rather than set as
OpenTelemetry's global one, which can be set once per process only.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from opentelemetry import trace

SERVICE = "course-studio"
_lock = threading.Lock()
_provider: Any = None
_configured = False


def setup_tracing(service: str = SERVICE) -> bool:
    """Export spans over OTLP when an endpoint is configured; returns whether tracing is on."""
    global _provider, _configured
    with _lock:
        if _configured:
            return _provider is not None
        _configured = True
        if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            return False
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(
            resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)})
        )
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        _provider = provider
        return True


def use_exporter(exporter: Any) -> Any:
    """Send spans synchronously to `exporter` (tests); returns the provider."""
    global _provider, _configured
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with _lock:
        _provider, _configured = provider, True
    return provider


def reset_tracing() -> None:
    global _provider, _configured
    with _lock:
        if _provider is not None:
            _provider.shutdown()
        _provider, _configured = None, False


def tracer() -> trace.Tracer:
    """The studio's tracer; a no-op one when tracing is off."""
    if _provider is None:
        return trace.NoOpTracer()
    return _provider.get_tracer("course_studio")


def flush() -> None:
    """Send pending spans (a forked work horse exits right after its job)."""
    if _provider is not None:
        _provider.force_flush()
