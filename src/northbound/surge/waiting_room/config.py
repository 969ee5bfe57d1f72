"""Settings of the waiting room (``NORTHBOUND_WAITING_ROOM__*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, field_validator


class WaitingRoomSettings(BaseModel):
    """Every knob of the waiting room, with defaults that suit one site on election night."""

    enabled: bool = Field(default=True, description="Install the gate at all.")
    name: str = Field(
        default="main",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$",
        description="Room name; it is signed into every pass so passes of other rooms fail.",
    )
    mode: str = Field(
        default="auto",
        pattern=r"^(auto|on|off)$",
        description="auto: on when admission control saturates, off when drained; on/off: forced.",
    )
    pass_keys: list[str] = Field(
        default_factory=list,
        description="Signing keys as 'kid:secret' (secret >= 16 chars). The first signs, all "
        "verify; a key removed from the list is retired. Empty: derived from the site secret.",
    )
    session_seconds: int = Field(
        default=1200, ge=60, description="A pass expires this long after its last renewal."
    )
    max_session_seconds: int = Field(
        default=4 * 3600, ge=60, description="No renewal past this long after admission."
    )
    ticket_seconds: int = Field(
        default=24 * 3600, ge=60, description="A waiting ticket is refused after this long."
    )
    abandon_grace_seconds: int = Field(
        default=60,
        ge=15,
        description="A waiting visitor unseen for this long (at most 1.5x) loses the place.",
    )
    active_window_seconds: int = Field(
        default=20,
        ge=10,
        description="A pass holder counts as using the site for this long after a request "
        "(10-20 s with the two generations the room keeps). Short on purpose: it only serves "
        "to learn the load one holder causes, and counting people who already left makes "
        "that load look smaller than it is, so the inlet overshoots.",
    )
    tick_seconds: float = Field(default=1.0, gt=0, le=30, description="Inlet period.")
    target_utilisation: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="Share of the concurrency limit the inlet fills (the rest absorbs the "
        "bursts of a Poisson crowd; with 0.8 people in line waited half as long again in the "
        "simulator, a median of 19 s against 12 s, for 0.4 % fewer requests answered 503).",
    )
    line_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Part of the concurrency limit the inlet aims the people let in from the "
        "line at, however much of the site the pages outside the room (tools, search) take; "
        'beyond it, what they leave (see surge/waiting_room/inlet.py, "The line\'s share"). '
        "0: the line gets only what is left.",
    )
    requests_per_session: float = Field(
        default=0.05,
        gt=0,
        description="Starting guess of requests in flight per pass holder, replaced by the "
        "measured value once enough holders are active.",
    )
    inlet_gain: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="How fast the admission rate follows the load (per second, as an exponent "
        "of aimed / expected concurrency): 1 would close the gap in one second, before the "
        "people let in have shown up.",
    )
    max_admit_per_tick: int = Field(default=500, ge=1)
    admit_cap_per_minute: int | None = Field(
        default=None, ge=0, description="Operator cap on admissions per minute."
    )
    fixed_rate_per_minute: int | None = Field(
        default=None, ge=0, description="Operator override: admit exactly this many per minute."
    )
    activate_seconds: float = Field(
        default=3,
        ge=0,
        description="Auto mode turns on after admission control has turned people away for "
        "this long without a break.",
    )
    drain_seconds: float = Field(
        default=30,
        ge=0,
        description="Auto mode turns off after the line has been drained (no more people in "
        "it than one tick lets in) with headroom this long.",
    )
    min_refresh_seconds: int = Field(default=5, ge=1)
    max_refresh_seconds: int = Field(default=60, ge=5)
    eta_window_seconds: float = Field(
        default=120, ge=10, description="Outflow measured over this window."
    )
    eta_rate_window_seconds: float = Field(
        default=60,
        ge=1,
        description="The line's speed for the estimated wait is measured over this last part "
        "of the window (long enough to span several of the inlet's stops, short beside the "
        "minutes over which abandonment is read).",
    )
    tick_journal: Path | None = Field(
        default=None,
        description="Append what the room read and decided on every tick to this file, one "
        "JSON line each, for analysing a surge afterwards (off when unset).",
    )
    path: str = Field(
        default="/waiting-room",
        pattern=r"^/[a-z0-9/_-]+$",
        description="The room's own page (status, no-refresh view).",
    )
    include_prefixes: list[str] = Field(
        default_factory=lambda: ["/"], description="Paths that need a pass while active."
    )
    exclude_prefixes: list[str] = Field(
        default_factory=list, description="Extra paths that never need one."
    )
    info_links: list[str] = Field(
        default_factory=lambda: ["/en/", "/fr/"],
        description="Information pages that stay open, offered on the waiting page (en, fr).",
    )

    @property
    def info_link(self) -> dict[str, str]:
        """The information page to offer in each language (the first and the last given)."""
        links = self.info_links or ["/"]
        return {"en": links[0], "fr": links[-1]}

    # empty: the name the site passes to the gate (``WaitingRoomMiddleware(site_name=...)``)
    site_name_en: str = ""
    site_name_fr: str = ""
    admin_token: str = Field(
        default="",
        description="Bearer token for the admin API until staff accounts exist (empty: none).",
    )
    redis_prefix: str = Field(default="surge:room", description="Redis key prefix.")
    cookie_secure: bool = Field(default=False, description="Mark cookies Secure (HTTPS sites).")

    @field_validator("pass_keys")
    @classmethod
    def _keys_well_formed(cls, value: list[str]) -> list[str]:
        for entry in value:
            kid, sep, secret = entry.partition(":")
            if not sep or not kid.isalnum() or len(kid) > 16 or len(secret) < 16:
                raise ValueError("each pass key must be 'kid:secret' (alnum kid, secret >= 16)")
        return value
