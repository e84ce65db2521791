"""HeyGen over the project's one httpx client (core/http.py: timeouts, retries honouring
Retry-After, metrics).

API forms used (developers.heygen.com, checked 2026-11):
- POST /v3/videos            create (type "avatar", avatar_id, script, voice_id, callback_url)
- GET  /v3/videos/{video_id} status: pending | processing | completed | failed; video_url
                             expires (7 days), so finished files are downloaded at once
- GET  /v3/avatars/looks, GET /v3/voices  pickers
- GET  /v2/user/remaining_quota           v2 form: v3 has no quota call we could confirm
Errors (developers.heygen.com/docs/error-codes): {"error": {"code", "message", "param"?,
"doc_url"}}; 401 unauthorized, 402 insufficient credit, 429 too many requests.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from core.errors import AppError, Code
from core.http import get_http_client, parse_retry_after
from core.settings import get_settings


@dataclass(frozen=True)
class VideoStatus:
    video_id: str
    status: str  # pending | processing | completed | failed
    video_url: str | None = None
    duration_s: float = 0.0
    failure_code: str | None = None
    failure_message: str | None = None


class HeygenClient:
    def __init__(self, base_url: str, api_key: str, http: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._http = http

    @property
    def http(self) -> httpx.Client:
        return self._http or get_http_client()

    def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            response = self.http.request(
                method, f"{self.base_url}{path}", headers={"X-Api-Key": self._api_key}, **kw
            )
        except httpx.TimeoutException as exc:
            raise AppError(
                Code.HEYGEN_TIMEOUT,
                "HeyGen did not answer in time; the job can be retried (nothing was charged twice)",
                retryable=True,
            ) from exc
        except httpx.TransportError as exc:
            raise AppError(
                Code.HEYGEN_SERVER,
                f"HeyGen could not be reached ({type(exc).__name__}); check the network or HEYGEN_BASE_URL",
                retryable=True,
            ) from exc
        if response.status_code >= 400:
            raise heygen_error(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise AppError(Code.HEYGEN_SERVER, "HeyGen answered with something that is not JSON") from exc
        return body if isinstance(body, dict) else {"data": body}

    # ---- reads

    def avatars(self) -> list[dict[str, str]]:
        data = self._call("GET", "/v3/avatars/looks").get("data") or []
        return [{"id": str(a.get("id")), "name": str(a.get("name") or a.get("id"))} for a in data]

    def voices(self) -> list[dict[str, str]]:
        data = self._call("GET", "/v3/voices").get("data") or []
        return [
            {
                "id": str(v.get("voice_id") or v.get("id")),
                "name": str(v.get("name") or v.get("voice_id")),
                "language": str(v.get("language") or ""),
            }
            for v in data
        ]

    def remaining_quota(self) -> float:
        data = self._call("GET", "/v2/user/remaining_quota").get("data") or {}
        return float(data.get("remaining_quota") or 0.0)

    # ---- the render

    def create_video(
        self,
        *,
        avatar_id: str,
        voice_id: str,
        script: str,
        title: str,
        callback_url: str | None = None,
        callback_id: str | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "type": "avatar",
            "avatar_id": avatar_id,
            "voice_id": voice_id,
            "script": script,
            "title": title[:200],
            "resolution": "720p",
            "aspect_ratio": "16:9",
        }
        if callback_url:
            body["callback_url"] = callback_url
        if callback_id:
            body["callback_id"] = callback_id
        data = self._call("POST", "/v3/videos", json=body).get("data") or {}
        video_id = data.get("video_id") or data.get("id")
        if not video_id:
            raise AppError(Code.HEYGEN_SERVER, "HeyGen accepted the video but returned no video id")
        return str(video_id)

    def video(self, video_id: str) -> VideoStatus:
        data = self._call("GET", f"/v3/videos/{video_id}").get("data") or {}
        return VideoStatus(
            video_id=str(data.get("id") or video_id),
            status=str(data.get("status") or "pending"),
            video_url=data.get("video_url"),
            duration_s=float(data.get("duration") or 0.0),
            failure_code=data.get("failure_code"),
            failure_message=data.get("failure_message"),
        )

    def download(self, url: str, dest: Path) -> Path:
        """Stream the finished MP4 to `dest` (the presigned URL needs no API key)."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
        try:
            with self.http.stream("GET", url) as response:
                if response.status_code >= 400:
                    raise AppError(
                        Code.HEYGEN_RENDER_FAILED,
                        f"the finished video could not be downloaded (HTTP {response.status_code}); "
                        "its link may have expired: retry the job to fetch a fresh one",
                    )
                with tmp.open("wb") as fh:
                    for chunk in response.iter_bytes():
                        fh.write(chunk)
        except httpx.TransportError as exc:
            tmp.unlink(missing_ok=True)
            raise AppError(
                Code.HEYGEN_TIMEOUT, f"downloading the video failed ({type(exc).__name__})"
            ) from exc
        tmp.replace(dest)
        return dest


def heygen_error(response: httpx.Response) -> AppError:
    """Map a HeyGen error answer to our code, with what the user can do about it."""
    try:
        err = response.json().get("error") or {}
    except (ValueError, AttributeError):
        err = {}
    code = str(err.get("code") or "")
    message = str(err.get("message") or response.reason_phrase)
    status = response.status_code
    if status in (401, 403):
        return AppError(
            Code.HEYGEN_AUTH,
            f"HeyGen refused the API key ({message}); check HEYGEN_API_KEY, or unset it to use mock mode",
        )
    if status == 402 or "credit" in code or "quota" in code:
        return AppError(
            Code.HEYGEN_QUOTA,
            f"not enough HeyGen credits ({message}); add credits in HeyGen or shorten the script, then retry",
        )
    if status == 429:
        wait = parse_retry_after(response.headers)
        return AppError(
            Code.HEYGEN_RATE_LIMIT,
            "HeyGen asked us to slow down"
            + (f"; the job tries again in {wait:.0f}s" if wait is not None else "; retry in a minute"),
            details={"retry_after_s": wait},
            retryable=True,
        )
    if "blocked" in code or "blocked" in message.lower():
        return AppError(
            Code.HEYGEN_BLOCKED_WORDS,
            f"HeyGen refused words in the script ({message}); edit the video script and regenerate",
        )
    if status >= 500:
        return AppError(
            Code.HEYGEN_SERVER, f"HeyGen had an error ({status}: {message}); retry later", retryable=True
        )
    param = f" (field {err['param']})" if err.get("param") else ""
    return AppError(Code.HEYGEN_BAD_REQUEST, f"HeyGen refused the request{param}: {message}")


# ------------------------------------------------------------------ from settings

_mock_lock = threading.Lock()
_mock_server: Any = None


def mock_server() -> Any:
    """The process's fake HeyGen (mock mode): started once on a free loopback port."""
    global _mock_server
    with _mock_lock:
        if _mock_server is None:
            try:
                from tests.fakes.heygen_server import FakeHeygen
            except ImportError as exc:  # a deployment that left the tests folder out
                raise AppError(
                    Code.HEYGEN_AUTH,
                    "HeyGen mock mode needs tests/fakes/heygen_server.py, which is not installed here; "
                    "set HEYGEN_API_KEY to use HeyGen",
                ) from exc

            settings = get_settings()
            secret = (
                settings.HEYGEN_WEBHOOK_SECRET.get_secret_value() if settings.HEYGEN_WEBHOOK_SECRET else ""
            )
            _mock_server = FakeHeygen(
                api_key="mock-key", render_delay_s=settings.HEYGEN_MOCK_DELAY_S, webhook_secret=secret
            ).start()
        return _mock_server


def heygen_client() -> HeygenClient:
    settings = get_settings()
    if settings.heygen_mode == "mock":
        return HeygenClient(mock_server().url, "mock-key")
    if settings.HEYGEN_API_KEY is None:
        raise AppError(
            Code.HEYGEN_AUTH, "HEYGEN_MODE=live needs HEYGEN_API_KEY; set it or use HEYGEN_MODE=mock"
        )
    return HeygenClient(settings.HEYGEN_BASE_URL, settings.HEYGEN_API_KEY.get_secret_value())
