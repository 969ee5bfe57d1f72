"""The accounts and applications settings group (``NORTHBOUND_ACCOUNTS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr


class AccountSettings(BaseModel):
    session_idle_minutes: int = Field(default=60, ge=1, description="Sign out after inactivity.")
    session_absolute_hours: int = Field(default=12, ge=1, description="Longest a session lives.")
    max_failed_sign_ins: int = Field(
        default=5, ge=1, description="Failed passwords in a row before the account is locked."
    )
    lockout_minutes: int = Field(default=15, ge=1, description="How long a lockout lasts.")
    sign_in_attempts_per_client: int = Field(
        default=30, ge=1, description="Sign-in attempts one client may make per window."
    )
    sign_in_window_seconds: int = Field(default=300, ge=1)
    verification_hours: int = Field(default=48, ge=1, description="Email verification link life.")
    reset_minutes: int = Field(default=60, ge=5, description="Password reset link life.")
    # OWASP's Password Storage Cheat Sheet: argon2id with 19 MiB, 2 iterations, 1 lane.
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19456, ge=1024)
    argon2_parallelism: int = Field(default=1, ge=1)
    hash_workers: int = Field(
        default=1, ge=1, description="Password hashes computed at once (threads)."
    )
    hash_cpu_share: float = Field(
        default=1.0,
        gt=0.0,
        le=1.0,
        description="Most of a hashing worker's core that hashing may use; below 1 the worker "
        "rests after each hash to keep the rest for pages. At 1 the bound is the worker count "
        "(one thread shares its core with the event loop when both are busy).",
    )
    # A hash that would wait past the limit is refused at once (see hash_pool.py); the person
    # gets "try again" with a Retry-After rather than a page that never comes.
    hash_max_queue: int = Field(default=64, ge=0, description="Hashes that may wait.")
    hash_max_wait_seconds: float = Field(
        default=5.0, gt=0.0, description="A hash that cannot start in this long is refused."
    )
    upload_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest document a person may upload."
    )
    max_documents_per_application: int = Field(default=20, ge=1)
    smtp_host: str = Field(default="", description="Empty: mail stays in the outbox table.")
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    mail_from: str = "no-reply@northbound.example"
