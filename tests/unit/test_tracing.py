"""OpenTelemetry spans: the span tree of one job (job -> each model call, across the
lesson threads), export spans, OTLP only when an endpoint is configured."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlmodel import select

from core import tracing
from core.db import session_scope
from core.jobs import wait_for
from core.models import JobStatus, LLMCall
from core.services.courses import create_course, validate_params
from core.services.exports import start_export
from core.services.generation import start_course
from tests.actors import ADMIN


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.use_exporter(exporter)
    yield exporter
    tracing.reset_tracing()


def _course() -> int:
    params = validate_params(
        {
            "topic": "Tracing for operators",
            "audience": "sre",
            "level": "beginner",
            "total_duration_minutes": 90,
            "language": "en",
            "module_count": 2,
            "lessons_per_module": 2,
        }
    )
    with session_scope() as session:
        return int(create_course(session, params=params, actor=ADMIN).id or 0)


def test_span_tree_of_one_job(db: str, spans: InMemorySpanExporter) -> None:
    course_id = _course()
    job = wait_for(int(start_course(course_id=course_id, actor=ADMIN).id or 0), timeout=120)
    assert job.status == JobStatus.succeeded
    export = wait_for(
        int(start_export(course_id=course_id, fmt="html", profile="full", actor=ADMIN).id or 0), timeout=60
    )
    assert export.status == JobStatus.succeeded
    with session_scope() as session:
        calls = list(session.exec(select(LLMCall).where(LLMCall.job_id == job.id)))

    finished = spans.get_finished_spans()
    jobs = [s for s in finished if s.name.startswith("job ")]
    assert [s.name for s in jobs] == ["job course", "job export"]
    root, export_root = jobs
    assert root.parent is None and export_root.parent is None
    assert root.attributes["job.id"] == job.id and root.attributes["course.id"] == course_id
    assert root.attributes["job.outcome"] == "succeeded"

    model_spans = [s for s in finished if s.name.startswith("llm ")]
    # One span per model call, every one a child of the job's span (lessons run in threads).
    assert len(model_spans) == len(calls) > 4
    assert {s.parent.span_id for s in model_spans} == {root.context.span_id}
    assert {s.context.trace_id for s in model_spans} == {root.context.trace_id}
    assert sorted(s.attributes["llm.prompt"] for s in model_spans) == sorted(c.prompt_id for c in calls)
    assert all(s.attributes["llm.output_tokens"] > 0 for s in model_spans)
    assert all(root.start_time <= s.start_time and s.end_time <= root.end_time for s in model_spans)

    exports = [s for s in finished if s.name == "export html"]
    assert len(exports) == 1 and exports[0].parent.span_id == export_root.context.span_id
    assert exports[0].attributes["export.bytes"] > 0


def test_tracing_is_off_without_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    tracing.reset_tracing()
    assert tracing.setup_tracing() is False
    with tracing.tracer().start_as_current_span("x") as span:
        assert not span.is_recording()
    tracing.reset_tracing()


def test_otlp_exporter_posts_spans_to_the_configured_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    received: list[tuple[str, str, bytes]] = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        tracing.reset_tracing()
        assert tracing.setup_tracing() is True
        with tracing.tracer().start_as_current_span("job probe"):
            pass
        tracing.flush()
    finally:
        tracing.reset_tracing()
        server.shutdown()
        server.server_close()
    assert received and received[0][0] == "/v1/traces"
    assert received[0][1] == "application/x-protobuf"
    assert b"job probe" in received[0][2]
