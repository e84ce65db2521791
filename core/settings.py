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


# issue 9 (security): what happens to content with each kind of finding.
CONTENT_KINDS = ("email", "phone", "card", "iban", "inn", "snils", "passport", "moderation")
CONTENT_ACTIONS = ("block", "flag", "redact")
DEFAULT_CONTENT_POLICY = (
    "email:flag,phone:flag,card:block,iban:block,inn:flag,snils:block,passport:block,moderation:block"
)


def parse_content_policy(text: str) -> dict[str, str]:
    """'card:block,email:redact' -> {kind: action}; kinds left out keep their default."""
    policy = dict(pair.split(":") for pair in DEFAULT_CONTENT_POLICY.split(","))
    for raw in filter(None, (p.strip() for p in text.split(","))):
        kind, _, action = (s.strip().lower() for s in raw.partition(":"))
        if kind not in CONTENT_KINDS:
            raise ValueError(f"CONTENT_POLICY: unknown kind {kind!r}; kinds are {', '.join(CONTENT_KINDS)}")
        allowed = ("block", "flag") if kind == "moderation" else CONTENT_ACTIONS
        if action not in allowed:
            raise ValueError(f"CONTENT_POLICY: {kind} takes {' | '.join(allowed)}, not {action!r}")
        policy[kind] = action
    return policy


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

    # Issue 8: how the answer schema reaches the server. strict: OpenAI Structured Outputs;
    # json_schema: the same schema, strict off; json_object: JSON mode, schema in the prompt;
    # none: no response_format at all, schema in the prompt (servers that reject the field).
    OPENAI_RESPONSE_FORMAT: Literal["strict", "json_schema", "json_object", "none"] = "strict"
    # Issue 8: model prices (USD per 1M tokens, with effective dates); unset = the shipped file.
    PRICES_FILE: Path | None = None
    # issue 10: brief database outages are retried around each unit of work.
    DB_RETRY_ATTEMPTS: int = Field(default=8, ge=1, le=50)
    DB_RETRY_MAX_S: float = Field(default=5.0, gt=0)
    DB_CONNECT_RETRY_S: float = Field(default=20.0, ge=0)
    # issue 10: ZIP-based uploads (PPTX templates, zip imports) are refused past these.
    ZIP_MAX_UNCOMPRESSED_MB: int = Field(default=200, ge=1)
    ZIP_MAX_ENTRIES: int = Field(default=5000, ge=1)
    # ---- issue 16: operations (metrics endpoint of the worker, multiprocess sample files)
    # Unset: the worker serves no metrics. 0 picks a free port (logged at start).
    METRICS_PORT: int | None = Field(default=None, ge=0, le=65535)
    METRICS_ADDR: str = "0.0.0.0"
    PROMETHEUS_MULTIPROC_DIR: Path | None = None
    # ---- issue 18: one scheduler for every model call (core/llm/scheduler.py). auto: shared
    # through Redis when REDIS_URL is set, else in this process; off: no limiter.
    LLM_LIMITER: Literal["auto", "memory", "redis", "off"] = "auto"
    # Upper bound of calls in flight per model; the provider's headers and 429s decide below it.
    LLM_MAX_IN_FLIGHT: int = Field(default=32, ge=1, le=512)
    # Calls in flight per model before any answer said more (AIMD start, no headers seen).
    LLM_START_IN_FLIGHT: int = Field(default=8, ge=1, le=512)

    @field_validator("DATABASE_URL")
    @classmethod
    def _psycopg_driver(cls, v: str) -> str:
        # Render, Heroku and libpq hand out postgres:// or postgresql:// URLs; SQLAlchemy
        # would pick psycopg2 (not installed) for those, so name the psycopg 3 driver.
        for prefix in ("postgres://", "postgresql://"):
            if v.startswith(prefix):
                return "postgresql+psycopg://" + v[len(prefix) :]
        return v

    # issue 9: sign-in (active when .streamlit/secrets.toml has an [auth] section).
    # Comma-separated e-mail addresses and/or domains ("ann@example.com, example.org");
    # empty = nobody may sign in except the bootstrap admins and users already in the DB.
    AUTH_ALLOWLIST: str = ""
    # Addresses that become admins on their first sign-in (the first admin of a team).
    AUTH_BOOTSTRAP_ADMINS: str = ""
    # Optional YAML file {email: role} seeding roles on first sign-in; the DB wins after.
    AUTH_ROLES_FILE: Path | None = None
    AUTH_DEFAULT_ROLE: Literal["author", "reviewer", "prompt_engineer", "analyst", "admin"] = "author"
    # Who the local (no [auth]) mode and the CLI act as: an admin.
    LOCAL_USER: str = "local"
    # issue 9: spending caps in USD (unset = no cap); a user's own caps on the Users page win.
    SPEND_CAP_USER_DAILY_USD: float | None = Field(default=None, gt=0)
    SPEND_CAP_USER_MONTHLY_USD: float | None = Field(default=None, gt=0)
    SPEND_CAP_TEAM_DAILY_USD: float | None = Field(default=None, gt=0)
    SPEND_CAP_TEAM_MONTHLY_USD: float | None = Field(default=None, gt=0)
    # issue 9 (security): every model answer and human edit is checked before it is stored.
    # kind:action pairs; kinds are the PII kinds of core/pii.py plus "moderation";
    # actions: block (kept as a quarantined draft), flag (stored and marked), redact.
    CONTENT_POLICY: str = DEFAULT_CONTENT_POLICY
    # auto: OpenAI moderation when the provider is openai; off: PII scan only.
    MODERATION: Literal["auto", "off"] = "auto"
    MODERATION_MODEL: str = "omni-moderation-latest"

    @field_validator("CONTENT_POLICY")
    @classmethod
    def _valid_policy(cls, v: str) -> str:
        parse_content_policy(v)
        return v

    @property
    def content_policy(self) -> dict[str, str]:
        return parse_content_policy(self.CONTENT_POLICY)

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
    # ---- issue-17: course sources (a file over a limit is refused whole, nothing stored)
    SOURCE_MAX_FILE_MB: float = Field(default=10.0, gt=0)  # Streamlit's upload cap is 10 MB too
    SOURCE_MAX_TOTAL_MB: float = Field(default=100.0, gt=0)  # all of one course's sources
    SOURCE_MAX_PAGES: int = Field(default=1000, ge=1)  # per file (PDF pages, PPTX slides)
    SOURCE_CHUNKS_PER_LESSON: int = Field(default=4, ge=1, le=20)

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
