"""One settings object for the whole site, read from ``NORTHBOUND_*`` environment variables.

Nested groups use a double underscore, e.g. ``NORTHBOUND_ADMISSION__MAX_LIMIT=200``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from northbound import keys
from northbound.lab.config import LabSettings
from northbound.ops.metrics_access import MetricsSettings
from northbound.portal.accounts.config import AccountSettings
from northbound.surge.admission.config import AdmissionSettings
from northbound.surge.language import LANGUAGES as LANGUAGES
from northbound.surge.language import Lang
from northbound.surge.ratelimit.config import RateLimitSettings
from northbound.surge.waiting_room.config import WaitingRoomSettings

Language = Lang
"""The site's two languages; the list is :data:`northbound.surge.language.LANGUAGES`."""


class SiteRateLimitSettings(RateLimitSettings):
    """The rate limits with the site's own Redis keys (the layer's default names no site)."""

    redis_prefix: str = "northbound:ratelimit:"


class SiteWaitingRoomSettings(WaitingRoomSettings):
    """The waiting room with the site's own Redis keys. Kept as they were: a room's keys hold
    the line, and new names on a deploy would start it again from nobody."""

    redis_prefix: str = Field(default="nb:room", description="Redis key prefix.")


class DatabaseBreakerSettings(BaseModel):
    """The circuit breaker around the database (``NORTHBOUND_DATABASE_BREAKER__*``)."""

    failure_threshold: int = Field(
        default=5,
        ge=1,
        description="Database failures in a row (or slow calls) that open the circuit.",
    )
    reset_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long an open circuit refuses database calls before one probe "
        "(short: forms reopen soon after the database is back).",
    )
    slow_call_seconds: float = Field(
        default=5.0,
        ge=0,
        description="A session that holds the database longer than this counts as a "
        "failure (0 = never).",
    )
    connect_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
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
        default=SecretStr(""),
        description="Signs CSRF tokens, reference codes and (unless pass keys are given) "
        "waiting-room passes. Empty: drawn once and kept in <data dir>/secret_key. Required, "
        "the same everywhere, when several instances share Redis or PostgreSQL.",
    )
    previous_secret_keys: list[SecretStr] = Field(
        default_factory=list,
        description="Secrets being rotated out: they no longer sign but still verify passes, "
        "so nobody loses their place during a rotation.",
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
    rate_limit: SiteRateLimitSettings = SiteRateLimitSettings()
    waiting_room: SiteWaitingRoomSettings = SiteWaitingRoomSettings()
    lab: LabSettings = LabSettings()
    database_breaker: DatabaseBreakerSettings = DatabaseBreakerSettings()
    metrics: MetricsSettings = MetricsSettings()
    _secret_from_file: bool = PrivateAttr(default=False)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("secret_key", "previous_secret_keys")
    @classmethod
    def _long_enough(cls, value: SecretStr | list[SecretStr]) -> SecretStr | list[SecretStr]:
        for secret in value if isinstance(value, list) else [value]:
            text = secret.get_secret_value()
            if text and len(text) < keys.MIN_SECRET_LENGTH:
                raise ValueError(
                    f"a secret key needs at least {keys.MIN_SECRET_LENGTH} characters "
                    "(`northbound keys generate` prints a good one)"
                )
        return value

    @model_validator(mode="after")
    def _resolve_keys(self) -> Settings:
        """Fill in the persisted secret and the pass keys derived from the secrets.

        Done here, once, so every reader of the settings (the app, its workers, the ``room``
        commands) sees the same keys whichever way they were configured.
        """
        if not self.secret_key.get_secret_value():
            self.secret_key = SecretStr(keys.load_or_create_secret(self.data_dir))
            self._secret_from_file = True
        if not self.waiting_room.pass_keys:
            derived = keys.derived_pass_keys(
                self.secret_key.get_secret_value(),
                [s.get_secret_value() for s in self.previous_secret_keys],
            )
            self.waiting_room = self.waiting_room.model_copy(update={"pass_keys": derived})
        return self

    def require_shared_secret(self) -> None:
        """Stop start-up when instances sharing state would each sign with their own secret."""
        if not self._secret_from_file:
            return
        shared = [
            name
            for name, used in (
                ("NORTHBOUND_REDIS_URL", bool(self.redis_url)),
                ("NORTHBOUND_DATABASE_URL (PostgreSQL)", not self.is_sqlite),
            )
            if used
        ]
        if shared:
            raise keys.KeyConfigurationError(
                f"NORTHBOUND_SECRET_KEY is not set, but {' and '.join(shared)} is: instances "
                "sharing state must share one secret, or each refuses the others' passes. "
                "Set NORTHBOUND_SECRET_KEY to the same value everywhere "
                "(`northbound keys generate` prints one)."
            )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'northbound.db'}"

    @property
    def verifying_secrets(self) -> list[str]:
        """The current secret, then those being rotated out: everything that still verifies."""
        return [
            self.secret_key.get_secret_value(),
            *(s.get_secret_value() for s in self.previous_secret_keys),
        ]

    @property
    def secret_key_is_set(self) -> bool:
        """True when the key was configured rather than kept in the data dir."""
        return not self._secret_from_file

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")
