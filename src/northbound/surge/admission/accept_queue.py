"""Accept-queue depth: connections the kernel has completed but the server has not accepted yet.

When the server's CPU is the bottleneck, the queue that grows is not inside the application:
in-flight stays at one or two, each request is as fast as ever and the event loop runs its timers
on time, yet people wait seconds, because new connections pile up in the kernel's accept queue
(the server accepts about one per loop turn). Only the kernel can see that queue, and it tells us
cheaply: on Linux, ``getsockopt(TCP_INFO)`` on a *listening* socket reports the queue's current
length in ``tcpi_unacked``. One syscall per reading.

The listening sockets are found in ``/proc/self/fd`` (whatever server runs the app, e.g. uvicorn,
hypercorn or gunicorn's workers). On other systems, or if none is found, the depth reads 0 and
the signal simply stays quiet.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import sys

from northbound.surge.admission import metrics
from northbound.surge.admission.limit import DEFAULT_CLOCK, Clock

_TCP_INFO_SIZE = 104
_UNACKED_OFFSET = 24  # 8 one-byte fields, then u32 rto, ato, snd_mss, rcv_mss, unacked


def _listening_sockets() -> list[socket.socket]:
    """Duplicates of this process's listening TCP sockets."""
    found: list[socket.socket] = []
    seen: set[str] = set()  # one socket may sit behind several descriptors
    fd_dir = "/proc/self/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return found
    for name in names:
        try:
            target = os.readlink(f"{fd_dir}/{name}")
            if not target.startswith("socket:") or target in seen:
                continue
            seen.add(target)
            sock = socket.socket(fileno=os.dup(int(name)))
        except (OSError, ValueError):
            continue
        keep = False
        with contextlib.suppress(OSError):
            keep = (
                sock.family in (socket.AF_INET, socket.AF_INET6)
                and sock.type == socket.SOCK_STREAM
                and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
            )
        if keep:
            found.append(sock)
        else:
            sock.close()  # our duplicate only
    return found


def _queue_depth(sock: socket.socket) -> int:
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
    return int(struct.unpack_from("I", info, _UNACKED_OFFSET)[0])


class AcceptQueueMonitor:
    """Reads the accept-queue depth at most every ``refresh`` seconds (cached in between).

    Listening sockets are looked for again every ``rediscover`` seconds while none is known,
    because servers usually bind after the application has started.
    """

    def __init__(
        self, *, refresh: float = 0.01, rediscover: float = 1.0, clock: Clock = DEFAULT_CLOCK
    ) -> None:
        self.refresh = refresh
        self.rediscover = rediscover
        self._clock = clock
        self._sockets: list[socket.socket] = []
        self._read_at = -1e18
        self._searched_at = -1e18
        self._depth = 0
        self.supported = sys.platform.startswith("linux") and hasattr(socket, "TCP_INFO")

    @property
    def depth(self) -> int:
        if not self.supported:
            return 0
        now = self._clock()
        if now - self._read_at < self.refresh:
            return self._depth
        self._read_at = now
        if not self._sockets and now - self._searched_at >= self.rediscover:
            self._searched_at = now
            self._sockets = _listening_sockets()
        depth = 0
        for sock in list(self._sockets):
            try:
                depth += _queue_depth(sock)
            except OSError:  # the server closed it; look again later
                self._sockets.remove(sock)
                sock.close()
        self._depth = depth
        metrics.ACCEPT_QUEUE.set(depth)
        return depth

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets = []
