"""Where traffic comes from and where it may go.

Each virtual person sends from their own address on the loopback range, 127.a.b.c (Linux
routes all of 127.0.0.0/8 to ``lo``), so per-address rate limits see a crowd, not one
client, without the site having to trust a forwarded header. Addresses run 127.0.1.1,
127.0.1.2, ... skipping .0 and .255 in the last byte (network and broadcast look-alikes some
tools refuse) and all of 127.0.0.x (127.0.0.1 is the operator's own address).

Targets are loopback only unless the operator says ``--allow-remote``: a surge is an attack
on whoever receives it.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

_PER_BLOCK = 254  # .1 to .254
_BLOCKS = 256 * 256 - 1  # 127.0.1.x to 127.255.255.x


def person_address(index: int) -> str:
    """The source address of person ``index`` (0, 1, ...); wraps after ~16.6 million."""
    block, host = divmod(index % (_BLOCKS * _PER_BLOCK), _PER_BLOCK)
    block += 1  # skip 127.0.0.x
    return f"127.{block >> 8}.{block & 0xFF}.{host + 1}"


class RemoteTarget(ValueError):
    """The target is not on this machine and ``--allow-remote`` was not given."""


def is_loopback_host(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host == "localhost":
        return True
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def check_target(url: str, allow_remote: bool = False) -> str:
    """``url`` without its trailing slash, if it may receive a surge."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RemoteTarget(f"not an http(s) address: {url!r}")
    if not allow_remote and not is_loopback_host(parts.hostname):
        raise RemoteTarget(
            f"{parts.hostname} is not a loopback address: a surge is only sent to this machine "
            "unless --allow-remote is given (and you run the site you are about to flood)"
        )
    return url.rstrip("/")
