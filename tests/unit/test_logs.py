"""One logging setup: JSON lines with job_id/course_id/user/request_id from contextvars,
carried into job threads, secrets redacted wherever they appear."""

from __future__ import annotations

import contextvars
import io
import json
import logging
import threading

import pytest

from core.__main__ import main as cli
from core.logs import bind, current_context, set_context, setup_logging
from core.settings import reset_settings

# Not shaped like an OpenAI key: only the configured value can catch it.
PLAIN_KEY = "azure0123456789abcdefKEY"


def _records(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def stream() -> io.StringIO:
    out = io.StringIO()
    setup_logging("DEBUG", stream=out)
    yield out
    logging.getLogger().handlers[:] = [
        h for h in logging.getLogger().handlers if not getattr(h, "_course_studio_json", False)
    ]


def test_context_fields_are_json_fields_and_reset_after_the_block(stream: io.StringIO) -> None:
    log = logging.getLogger("t")
    with bind(job_id=7, course_id=3):
        with bind(user="ann", request_id="r1"):
            log.info("inner")
        log.info("outer")
    log.info("after")
    inner, outer, after = _records(stream)
    assert (inner["job_id"], inner["course_id"], inner["user"], inner["request_id"]) == (7, 3, "ann", "r1")
    assert (outer["job_id"], "user" in outer) == (7, False)
    assert not {"job_id", "course_id", "user", "request_id"} & set(after)
    with pytest.raises(ValueError, match="unknown log context fields"), bind(jobid=1):
        pass


def test_job_threads_started_with_a_copied_context_keep_the_fields(stream: io.StringIO) -> None:
    seen: list[dict] = []
    with bind(job_id=11):
        ctx = contextvars.copy_context()
    thread = threading.Thread(target=ctx.run, args=(lambda: seen.append(current_context()),))
    thread.start()
    thread.join()
    assert seen == [{"job_id": 11}]
    set_context(request_id="req-9")
    logging.getLogger("t").warning("x")
    assert _records(stream)[-1]["request_id"] == "req-9"
    set_context(request_id=None)


def test_configured_secret_is_redacted_in_message_extra_and_traceback(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLAIN_KEY)
    reset_settings()
    log = logging.getLogger("t")
    log.info("calling with %s", PLAIN_KEY, extra={"header": f"api-key: {PLAIN_KEY}"})
    try:
        raise RuntimeError(f"bad key {PLAIN_KEY}")
    except RuntimeError:
        log.exception("failed")
    log.info("bearer", extra={"auth": "Bearer sk-abcdefghijklmnop"})
    text = stream.getvalue()
    assert PLAIN_KEY not in text and "sk-abcdefghijklmnop" not in text
    assert text.count("[redacted]") >= 4


def test_a_full_cli_generation_never_logs_the_key(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", PLAIN_KEY)
    monkeypatch.setenv("LLM_PROVIDER", "offline")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    reset_settings()
    logging.getLogger().handlers[:] = [
        h for h in logging.getLogger().handlers if not getattr(h, "_course_studio_json", False)
    ]
    code = cli(
        ["generate", "--topic", "Logs for operators", "--audience", "ops", "--level", "beginner",
         "--duration", "60", "--language", "en", "--modules", "1", "--lessons", "2", "--quiet",
         "--out", str(tmp_path / "c.json")]
    )  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert any(r["msg"] == "job finished" and r.get("job_id") for r in records)
    assert PLAIN_KEY not in err
    assert PLAIN_KEY not in (tmp_path / "c.json").read_text()
