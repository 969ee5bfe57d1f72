"""Settings for per-client rate limits, nested in the site settings as ``rate_limit``."""

from __future__ import annotations

from pydantic import BaseModel, Field

UNSAFE = ["POST", "PUT", "PATCH", "DELETE"]


class RouteClassSettings(BaseModel):
    """Requests matching ``prefix`` (and one of ``methods``, if any are given) share a bucket
    per client holding ``burst`` tokens, refilled at ``rate`` per second."""

    name: str = Field(min_length=1, pattern=r"^[a-z0-9_-]+$")
    prefix: str = "/"
    methods: list[str] = Field(default_factory=list)
    rate: float = Field(gt=0.0)
    burst: int = Field(ge=1)


def _default_classes() -> list[RouteClassSettings]:
    return [
        RouteClassSettings(name="submit", prefix="/", methods=UNSAFE, rate=1.0, burst=20),
        RouteClassSettings(name="api", prefix="/api/", rate=10.0, burst=50),
        RouteClassSettings(name="page", prefix="/", rate=20.0, burst=100),
    ]


class RateLimitSettings(BaseModel):
    """Defaults are generous because many people can share one address (carrier-grade NAT,
    offices, libraries): the aim is to stop scripts hammering the site, not people."""

    enabled: bool = True
    route_classes: list[RouteClassSettings] = Field(
        default_factory=_default_classes,
        description="Checked in order; the first match decides. Unmatched requests pass.",
    )
    exempt_prefixes: list[str] = Field(
        default_factory=list,
        description="Paths never limited, beyond those the site always keeps open (passed in "
        "by whoever wires the layer).",
    )
    trusted_proxy_header: str = Field(
        default="", description="e.g. x-forwarded-for; empty trusts only the TCP peer."
    )
    trusted_proxy_hops: int = Field(default=1, ge=1)
    trusted_proxies: list[str] = Field(
        default_factory=list, description="Networks allowed to set the header; empty = any."
    )
    headers_on_success: bool = Field(
        default=False,
        description="Send RateLimit-* headers on allowed responses too (429s always carry "
        "them). Off by default: browsers ignore them and they cost every cached page.",
    )
    redis_prefix: str = "surge:ratelimit:"  # a site names its own (northbound.settings)
    redis_timeout_seconds: float = Field(default=0.25, gt=0.0)
    max_memory_keys: int = Field(default=100_000, ge=1)
