"""A fake HeyGen API over real HTTP (127.0.0.1, a free port), as strict as the documented API.

Sources of the rules (developers.heygen.com, read 2026-11; docs.heygen.com for v1/v2):
- Auth: every call carries `X-Api-Key`; a missing or wrong key is HTTP 401 with
  {"error": {"code": "unauthorized", ...}}            (docs/error-codes)
- Error body: {"error": {"code", "message", "param"?, "doc_url"}} (docs/error-codes)
- 402 "insufficient_credit": "Your account has 5 credits but this video requires 10
  credits."                                             (docs/error-codes example)
- 429 Too Many Requests, with Retry-After               (docs/error-codes, HTTP semantics)
- POST /v3/videos: `type` must be "avatar"; `avatar_id` required; `script` and
  `audio_url`/`audio_asset_id` are mutually exclusive; `resolution` in 4k|1080p|720p;
  `aspect_ratio` in 16:9|9:16; `callback_url`/`callback_id` echoed to the webhook
                                                       (reference/create-video)
- Script length: at most 5000 characters per input text (v2 video/generate reference,
  "input_text ... less than 5000 characters"; v3 states no other limit we could find)
- Blocked words: refused at submission, v1 error table "BLOCKED_WORDS_DETECTED"
                                                       (docs.heygen.com/reference/errors)
- GET /v3/videos/{id}: data.status pending|processing|completed|failed, video_url,
  duration, failure_code, failure_message              (reference/get-video)
- Webhooks: POST to the callback with {"event_type": "avatar_video.success" |
  "avatar_video.fail", "event_data": {"video_id", "url", "callback_id"}}, the raw body
  signed with HMAC-SHA256 under the endpoint secret (docs/webhooks: "secret for verifying
  payloads"); the hex digest is sent in a `Signature` header. HeyGen documents no
  timestamp header we could confirm, so the signed body carries `timestamp` (unix s),
  which the receiver uses to refuse stale deliveries.

Video ids encode their creation time ("mock_<ms>_<n>"), so a second fake in another
process (mock mode in an app and a worker) reports the same status for the same id.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

SCRIPT_MAX_CHARS = 5000
DOC = "https://developers.heygen.com/docs/error-codes"
AVATARS = [
    {"id": "Daisy-inskirt-20220818", "name": "Daisy"},
    {"id": "Tyler-incasualsuit-20220721", "name": "Tyler"},
]
VOICES = [
    {"voice_id": "2d5b0e6cf36f460aa7fc47e3eee4ba54", "name": "Rachel", "language": "English"},
    {"voice_id": "ru-dmitry-0001", "name": "Dmitry", "language": "Russian"},
]
_ID = re.compile(r"^mock_(\d+)_(\d+)$")
_fixture_lock = threading.Lock()
_fixture: bytes | None = None


def fixture_mp4() -> bytes:
    """A real 2-second H.264/AAC MP4, made once per process with ffmpeg."""
    global _fixture
    with _fixture_lock:
        if _fixture is None:
            ffmpeg = shutil.which("ffmpeg")
            if ffmpeg is None:
                raise RuntimeError("ffmpeg is required for the fake HeyGen's video fixture")
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "fixture.mp4"
                subprocess.run(
                    [ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=10:duration=2",
                     "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:v", "libx264",
                     "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out)],
                    check=True, capture_output=True, timeout=120,
                )  # fmt: skip
                _fixture = out.read_bytes()
        return _fixture


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeHeygen:
    def __init__(
        self,
        *,
        api_key: str = "test-key",
        render_delay_s: float = 0.5,
        webhook_secret: str = "",
        credits: float = 1000.0,
        blocked_words: tuple[str, ...] = ("forbiddenword",),
    ) -> None:
        self.api_key = api_key
        self.render_delay_s = render_delay_s
        self.webhook_secret = webhook_secret
        self.credits = credits
        self.blocked_words = blocked_words
        self.outcome = "completed"  # or "failed" | "stuck"
        self.errors: list[tuple[int, dict[str, Any], dict[str, str]]] = []  # next answers to POST /v3/videos
        self.creates: list[dict[str, Any]] = []
        self.create_counts: Counter[str] = Counter()  # by callback_id (one per scene)
        self.webhooks_sent: list[dict[str, Any]] = []
        self.answer_delay_s = 0.0  # every API answer waits this long (client timeouts)
        self._seq = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- control

    def start(self) -> FakeHeygen:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fake-heygen").start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def inject(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        """The next POST /v3/videos answers with this error (then the queue moves on)."""
        self.errors.append((status, _error(code, message), headers or {}))

    # ---- HTTP

    def _handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        path = req.path.split("?", 1)[0]
        if self.answer_delay_s:
            time.sleep(self.answer_delay_s)
        if method == "GET" and path.startswith("/files/"):
            return _send(req, 200, fixture_mp4(), "video/mp4")
        if req.headers.get("X-Api-Key") != self.api_key:
            return _json(
                req, 401, _error("unauthorized", "The API key provided is invalid, expired, or missing.")
            )
        if method == "POST" and path == "/v3/videos":
            length = int(req.headers.get("Content-Length") or 0)
            return self._create(req, req.rfile.read(length))
        if method == "GET" and path.startswith("/v3/videos/"):
            return self._status(req, path.rsplit("/", 1)[1])
        if method == "GET" and path == "/v3/avatars/looks":
            return _json(req, 200, {"data": AVATARS, "has_more": False, "next_token": None})
        if method == "GET" and path == "/v3/voices":
            return _json(req, 200, {"data": VOICES, "has_more": False, "next_token": None})
        if method == "GET" and path == "/v2/user/remaining_quota":
            return _json(req, 200, {"error": None, "data": {"remaining_quota": self.credits}})
        return _json(req, 404, _error("not_found", f"{method} {path} does not exist"))

    def _create(self, req: BaseHTTPRequestHandler, raw: bytes) -> None:
        try:
            body = json.loads(raw)
        except ValueError:
            return _json(req, 400, _error("invalid_request", "The request body is not valid JSON."))
        problem = _validate_create(body)
        if problem:
            param, message = problem
            return _json(req, 400, _error("invalid_parameter", message, param=param))
        with self._lock:
            if self.errors:
                status, err, headers = self.errors.pop(0)
                return _json(req, status, err, headers)
            script = str(body.get("script") or "")
            found = [w for w in self.blocked_words if w in script.lower()]
            if found:
                return _json(
                    req, 400, _error("blocked_words_detected", f"Blocked words detected: {', '.join(found)}")
                )
            needed = max(1.0, len(script.split()) / 150.0)  # about a credit per minute of speech
            if self.credits < needed:
                return _json(
                    req, 402,
                    _error("insufficient_credit",
                           f"Your account has {self.credits:g} credits but this video requires {needed:g} credits."),
                )  # fmt: skip
            self.credits -= needed
            self._seq += 1
            video_id = f"mock_{int(time.time() * 1000)}_{self._seq}"
            self.creates.append({"video_id": video_id, **body})
            self.create_counts[str(body.get("callback_id") or "")] += 1
        if body.get("callback_url") and self.outcome != "stuck":
            timer = threading.Timer(self.render_delay_s, self._send_webhook, args=(video_id, body))
            timer.daemon = True
            timer.start()
        return _json(req, 200, {"data": {"video_id": video_id}})

    def _state(self, video_id: str) -> str | None:
        match = _ID.match(video_id)
        if not match:
            return None
        if self.outcome == "stuck":
            return "processing"
        age = time.time() - int(match.group(1)) / 1000
        if age < self.render_delay_s / 2:
            return "pending"
        if age < self.render_delay_s:
            return "processing"
        return self.outcome

    def _status(self, req: BaseHTTPRequestHandler, video_id: str) -> None:
        state = self._state(video_id)
        if state is None:
            return _json(req, 404, _error("not_found", f"Video {video_id} not found."))
        data: dict[str, Any] = {"id": video_id, "status": state, "video_url": None, "duration": None}
        if state == "completed":
            data.update(video_url=f"{self.url}/files/{video_id}.mp4?Expires=604800", duration=2.0)
        if state == "failed":
            data.update(failure_code="rendering_failed", failure_message="Avatar rendering timed out")
        return _json(req, 200, {"data": data})

    def _send_webhook(self, video_id: str, body: dict[str, Any]) -> None:
        ok = self.outcome == "completed"
        payload = {
            "event_type": "avatar_video.success" if ok else "avatar_video.fail",
            "event_data": {
                "video_id": video_id,
                "url": f"{self.url}/files/{video_id}.mp4" if ok else None,
                "callback_id": body.get("callback_id"),
                **({} if ok else {"msg": "Avatar rendering timed out"}),
            },
            "timestamp": int(time.time()),
        }
        raw = json.dumps(payload).encode()
        self.webhooks_sent.append(payload)
        # HeyGen's delivery is best effort too; polling still finds the result.
        with contextlib.suppress(httpx.HTTPError):
            httpx.post(
                str(body["callback_url"]),
                content=raw,
                headers={"Content-Type": "application/json", "Signature": sign(raw, self.webhook_secret)},
                timeout=5,
            )


def _validate_create(body: Any) -> tuple[str, str] | None:
    if not isinstance(body, dict):
        return "body", "The request body must be a JSON object."
    if body.get("type") != "avatar":
        return "type", "type must be 'avatar'."
    if not isinstance(body.get("avatar_id"), str) or not body["avatar_id"]:
        return "avatar_id", "avatar_id is required."
    has_script = bool(body.get("script"))
    if has_script and (body.get("audio_url") or body.get("audio_asset_id")):
        return "script", "script is mutually exclusive with audio_url/audio_asset_id."
    if not has_script and not (body.get("audio_url") or body.get("audio_asset_id")):
        return "script", "Provide script (with voice_id) or audio_url/audio_asset_id."
    if has_script and len(str(body["script"])) > SCRIPT_MAX_CHARS:
        return "script", f"script must be at most {SCRIPT_MAX_CHARS} characters."
    if body.get("resolution") not in (None, "4k", "1080p", "720p"):
        return "resolution", "resolution must be one of 4k, 1080p, 720p."
    if body.get("aspect_ratio") not in (None, "16:9", "9:16"):
        return "aspect_ratio", "aspect_ratio must be one of 16:9, 9:16."
    return None


def _error(code: str, message: str, *, param: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message, "doc_url": f"{DOC}#{code.replace('_', '-')}"}
    if param:
        err["param"] = param
    return {"error": err}


def _json(
    req: BaseHTTPRequestHandler, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    _send(req, status, json.dumps(body).encode(), "application/json", headers)


def _send(
    req: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None
) -> None:
    req.send_response(status)
    req.send_header("Content-Type", ctype)
    req.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        req.send_header(key, value)
    req.end_headers()
    req.wfile.write(data)
