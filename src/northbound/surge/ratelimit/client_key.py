"""Who is asking: the client address a rate limit is keyed on."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from functools import lru_cache

from starlette.types import Scope

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _normalise(address: str) -> str | None:
    """An IPv4 address as is; an IPv6 address as its /64, since one subscriber usually holds a
    whole /64 and could otherwise step through it to dodge the limit. None if not an address.

    Dotted IPv4 is checked by the C library (``inet_pton`` takes only the four-decimal form,
    no leading zeros, so what it accepts is already canonical): in a crowd nearly every
    address is new, and ``ipaddress`` costs twenty times as much.
    """
    address = address.strip()
    if "." in address and ":" not in address:
        try:
            socket.inet_pton(socket.AF_INET, address)
        except (OSError, ValueError):  # ValueError: a NUL or a character that is not ASCII
            return None
        return address
    return _normalise_other(address)


@lru_cache(maxsize=65_536)  # parsing an IPv6 address costs more than the rest of the check
def _normalise_other(address: str) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


class ClientKey:
    """Client address from the connection, or from a proxy header only when configured.

    ``header`` (e.g. ``x-forwarded-for``) is honoured only if set, and then only for requests
    whose direct peer is in ``trusted_proxies`` (any peer if that list is empty: use that only
    when the server is unreachable except through the proxy). ``hops`` counts trusted proxies
    from the right: 1 takes the address the nearest proxy saw.
    """

    def __init__(
        self, header: str = "", *, hops: int = 1, trusted_proxies: Sequence[str] = ()
    ) -> None:
        if hops < 1:
            raise ValueError("hops must be at least 1")
        self.header = header.lower().encode("latin-1")
        self.hops = hops
        self.trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(net, strict=False) for net in trusted_proxies
        )

    def _peer_trusted(self, peer: str) -> bool:
        if not self.trusted:
            return True
        try:
            ip = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def __call__(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = str(client[0]) if client else ""
        if self.header and self._peer_trusted(peer):
            chain: list[str] = []
            for key, value in scope.get("headers", ()):
                if key == self.header:
                    chain.extend(bytes(value).decode("latin-1").split(","))
            if len(chain) >= self.hops:
                forwarded = _normalise(chain[-self.hops])
                if forwarded is not None:
                    return forwarded
        return _normalise(peer) or peer or "unknown"
