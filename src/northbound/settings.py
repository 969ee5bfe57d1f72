"""One settings object for the whole site, read from ``NORTHBOUND_*`` environment variables.

Nested groups use a double underscore, e.g. ``NORTHBOUND_ADMISSION__MAX_LIMIT=200``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from northbound.lab.config import LabSettings
from northbound.portal.accounts.config import AccountSettings
from northbound.surge.admission.config import AdmissionSettings
from northbound.surge.ratelimit.config import RateLimitSettings
from northbound.surge.waiting_room.config import WaitingRoomSettings

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")


class DatabaseBreakerSettings(BaseModel):
    """The circuit breaker around the database (``NORTHBOUND_DATABASE_BREAKER__*``)."""

    failure_threshold: int = Field(
        default=5, ge=1,
        description="Database failures in a row (or slow calls) that open the circuit.",
    )
    reset_seconds: float = Field(
        default=10.0, gt=0,
        description="How long an open circuit refuses database calls before one probe "
        "(short: forms reopen soon after the database is back).",
    )
    slow_call_seconds: float = Field(
        default=5.0, ge=0,
        description="A session that holds the database longer than this counts as a "
        "failure (0 = never).",
    )
    connect_timeout_seconds: float = Field(
        default=5.0, gt=0,
        description="Give up opening a PostgreSQL connection after this long.",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NORTHBOUND_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Where the embedded SQLite database and uploads live.",
    )
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL; empty means a SQLite file in the data dir. "
        "Example: postgresql+asyncpg://user@127.0.0.1:5432/northbound",
    )
    redis_url: str = Field(
        default="",
        description="redis://host:port/db for shared state across instances; empty keeps "
        "waiting-room and rate-limit state in the process.",
    )
    secret_key: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        description="Signs sessions and CSRF tokens. Set it when running several instances.",
    )
    default_language: Language = "en"
    base_url: str = Field(default="http://127.0.0.1:8000", description="Public URL of the site.")
    protected: bool = Field(
        default=True,
        description="Surge defence on; `northbound serve --unprotected` turns it off.",
    )
    access_log: bool = Field(
        default=False, description="Log one JSON line per request (costly during a surge)."
    )
    log_level: str = "INFO"
    content_dir: Path | None = Field(
        default=None, description="Markdown content folder; default is the packaged content."
    )
    content_poll_seconds: float = Field(
        default=2.0,
        description="How often content files and the notice banner are checked for changes "
        "(0 turns the watcher off).",
    )
    page_max_age: int = Field(default=60, description="Cache-Control max-age of information pages.")
    graceful_shutdown_seconds: int = 20
    keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        description="How long `northbound serve` keeps an idle connection open. Longer than the "
        "waiting room's longest refresh and any Retry-After, so a browser that polls on time "
        "reuses its connection instead of racing the server's close (uvicorn's own default, "
        "5 s, equals the shortest refresh and reset hundreds of polls in a crowd test).",
    )
    listen_backlog: int = Field(
        default=1024,
        ge=1,
        le=65535,
        description="Listen backlog of `northbound serve`: connections the kernel holds until "
        "the server accepts them (with asyncio also the most accepted in one loop turn). Past "
        "it the kernel drops new connection attempts (clients retry), which costs the server "
        "nothing, whereas even a shed 503 costs it ~0.1 ms per connection. Big enough for "
        "admission control's accept-queue wait (0.25 s) to act first at moderate overload.",
    )
    accounts: AccountSettings = AccountSettings()
    admission: AdmissionSettings = AdmissionSettings()
    rate_limit: RateLimitSettings = RateLimitSettings()
    waiting_room: WaitingRoomSettings = WaitingRoomSettings()
    lab: LabSettings = LabSettings()
    database_breaker: DatabaseBreakerSettings = DatabaseBreakerSettings()

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'northbound.db'}"

    @property
    def secret_key_is_set(self) -> bool:
        """True when the key came from the environment rather than a random default."""
        return "secret_key" in self.model_fields_set

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")
