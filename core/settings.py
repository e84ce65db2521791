"""Typed settings from the environment (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"

_PLACEHOLDER_SECRETS = {"changeme", "your-key-here", "sk-...", "xxx", "placeholder", "todo"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    APP_ENV: Literal["dev", "test", "prod"] = "dev"
    LOG_LEVEL: str = "INFO"

    DATABASE_URL: str = f"sqlite:///{DATA_DIR / 'course_studio.db'}"
    # Export files and uploaded templates; a shared volume when workers run elsewhere.
    FILES_DIR: Path = DATA_DIR
    EXPORT_RETENTION_DAYS: float = Field(default=7.0, gt=0)
    SQLITE_BUSY_TIMEOUT_MS: int = Field(default=10_000, ge=5_000)

    # Unset: jobs run on the in-process runner.
    REDIS_URL: str | None = None
    RQ_QUEUE: str = "course-studio"
    RQ_JOB_TIMEOUT_S: int = Field(default=3600, ge=10)

    LLM_PROVIDER: Literal["auto", "openai", "offline"] = "auto"
    OPENAI_API_KEY: SecretStr | None = None
    OPENAI_BASE_URL: str | None = None
    MODEL_OUTLINE: str = "gpt-4.1-mini"
    MODEL_LESSON: str = "gpt-4.1-mini"
    MODEL_SLIDES: str = "gpt-4.1-mini"

    HTTP_TIMEOUT_S: float = Field(default=60.0, gt=0)
    HTTP_CONNECT_TIMEOUT_S: float = Field(default=10.0, gt=0)
    HTTP_RETRIES: int = Field(default=3, ge=0, le=10)
    HTTP_BACKOFF_BASE_S: float = Field(default=0.5, ge=0)
    HTTP_BACKOFF_MAX_S: float = Field(default=20.0, ge=0)
    HTTP_PROXY: str | None = None

    GENERATION_CONCURRENCY: int = Field(default=4, ge=1, le=64)

    # Offline provider: simulated latency and injected faults, e.g. "rate_limit:0.1,malformed:0.05".
    OFFLINE_LATENCY_MS: int = Field(default=0, ge=0)
    OFFLINE_FAULTS: str = ""
    OFFLINE_SEED: int = 0

    JOB_HEARTBEAT_S: float = Field(default=5.0, gt=0)
    JOB_STALE_AFTER_S: float = Field(default=30.0, gt=0)
    JOB_MAX_ATTEMPTS: int = Field(default=3, ge=1)

    # issue-14: video. Without HEYGEN_API_KEY, HEYGEN_MODE=auto means mock: a local fake
    # HeyGen server (tests/fakes/heygen_server.py) answers, and the UI says videos are mocked.
    HEYGEN_MODE: Literal["auto", "live", "mock"] = "auto"
    HEYGEN_API_KEY: SecretStr | None = None
    HEYGEN_BASE_URL: str = "https://api.heygen.com"
    HEYGEN_WEBHOOK_SECRET: SecretStr | None = None
    HEYGEN_CALLBACK_URL: str | None = None  # where HeyGen posts webhooks (the receiver)
    HEYGEN_MOCK_DELAY_S: float = Field(default=3.0, ge=0)
    HEYGEN_POLL_MIN_S: float = Field(default=2.0, gt=0)
    HEYGEN_POLL_MAX_S: float = Field(default=60.0, gt=0)
    HEYGEN_RENDER_TIMEOUT_S: float = Field(default=3600.0, gt=0)  # a render HeyGen lost ends failed
    HEYGEN_USD_PER_SECOND: float = Field(default=0.05, ge=0)  # price estimate per second of video
    HEYGEN_CREDITS_PER_MINUTE: float = Field(default=1.0, ge=0)
    HEYGEN_SCENE_MAX_CHARS: int = Field(default=5000, ge=100)
    WEBHOOK_TOLERANCE_S: float = Field(default=300.0, gt=0)

    @field_validator("OPENAI_API_KEY", "HEYGEN_API_KEY", "HEYGEN_WEBHOOK_SECRET")
    @classmethod
    def _empty_key_is_none(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().strip():
            return None
        return v

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        key = self.OPENAI_API_KEY
        placeholder = key is not None and key.get_secret_value().strip().lower() in _PLACEHOLDER_SECRETS
        if self.APP_ENV == "prod" and placeholder:
            raise ValueError("OPENAI_API_KEY is a placeholder; set a real key or unset it")
        if self.LLM_PROVIDER == "openai" and key is None and not self.OPENAI_BASE_URL:
            raise ValueError("LLM_PROVIDER=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL)")
        return self

    @property
    def provider_name(self) -> Literal["openai", "offline"]:
        if self.LLM_PROVIDER == "auto":
            return "openai" if self.OPENAI_API_KEY is not None else "offline"
        return self.LLM_PROVIDER

    @property
    def heygen_mode(self) -> Literal["live", "mock"]:
        if self.HEYGEN_MODE == "auto":
            return "live" if self.HEYGEN_API_KEY is not None else "mock"
        return self.HEYGEN_MODE

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    def model_for(self, step: str) -> str:
        return {
            "outline": self.MODEL_OUTLINE,
            "lesson": self.MODEL_LESSON,
            "slides": self.MODEL_SLIDES,
        }.get(step, self.MODEL_LESSON)

    def safe_dict(self) -> dict[str, object]:
        """Settings for logs and the UI: secrets masked, credentials in URLs hidden."""
        out: dict[str, object] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                out[name] = "**********"
            elif isinstance(value, Path):
                out[name] = str(value)
            elif isinstance(value, str) and "://" in value and "@" in value:
                scheme, rest = value.split("://", 1)
                out[name] = f"{scheme}://***@{rest.split('@', 1)[1]}"
            else:
                out[name] = value
        return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
