"""Who may read ``/metrics``: never the public by default.

The figures tell an attacker how close the site is to shedding, so the public site does not
serve them. Three ways in, each a setting (``NORTHBOUND_METRICS__*``):

* ``TOKEN``: a bearer token; Prometheus sends it (``authorization`` in its scrape config), and
  so do ``northbound surge status`` and the lab when the variable is set.
* ``ALLOW_LOCAL`` (default on): a client on the loopback interface that did not come through a
  proxy (no forwarding header) - a Prometheus or an operator command on the same machine. A
  proxy on the same machine always adds ``X-Forwarded-For`` (deploy/nginx does, and also
  refuses the path itself), so the public never counts as local.
* ``PORT``: a separate listener (``northbound serve`` starts it on ``HOST``, default
  127.0.0.1) that serves nothing but the metrics of every worker; firewall it like any
  internal port.
"""

from __future__ import annotations

import hmac
import ipaddress

from pydantic import BaseModel, Field, SecretStr, field_validator
from starlette.types import Scope

FORWARDING_HEADERS = frozenset({b"x-forwarded-for", b"forwarded", b"x-real-ip"})


class MetricsSettings(BaseModel):
    """Access to the Prometheus metrics (``NORTHBOUND_METRICS__*``)."""

    token: SecretStr = Field(
        default=SecretStr(""),
        description="Bearer token that opens /metrics on the site from anywhere (empty: none).",
    )
    allow_local: bool = Field(
        default=True,
        description="Loopback clients that did not come through a proxy may read /metrics "
        "without the token.",
    )
    port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve the metrics on this separate port as well (`northbound serve`).",
    )
    host: str = Field(default="127.0.0.1", description="Address of the separate listener.")

    @field_validator("token")
    @classmethod
    def _token_long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 16:
            raise ValueError("the metrics token needs at least 16 characters")
        return value


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def decide(settings: MetricsSettings, scope: Scope) -> int:
    """The status to answer: 200 to serve, 401 for a missing or wrong token, 404 otherwise.

    404 rather than 403 when no token is configured: for the public the page does not exist.
    """
    authorization = b""
    forwarded = False
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            authorization = value
        elif name in FORWARDING_HEADERS:
            forwarded = True
    token = settings.token.get_secret_value()
    if token and authorization:
        expected = f"Bearer {token}".encode()
        return 200 if hmac.compare_digest(authorization, expected) else 401
    client = scope.get("client")
    if settings.allow_local and not forwarded and client and _is_loopback(client[0]):
        return 200
    return 401 if token else 404
