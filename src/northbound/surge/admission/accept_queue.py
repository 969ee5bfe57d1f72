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

A depth alone says nothing about time: 64 connections are 40 ms of work for a fast page and
seconds for a slow one. So the monitor also measures how fast requests reach the app (the
drain rate) and answers ``wait`` = depth / drain rate, Little's law for this queue: about how
long a connection arriving now will sit in the kernel before the app sees it. (Requests on
kept-alive connections also count as drained, so with keep-alive clients ``wait`` errs low.
With several worker processes on one listening socket, each sees the whole queue but only its
own drain rate, so ``wait`` errs high, by up to the number of workers.)
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import struct
import sys
from collections.abc import Callable
from typing import Protocol

from northbound.surge.admission.limit import DEFAULT_CLOCK
from northbound.surge.admission.metrics import AdmissionMetrics
from northbound.surge.types import Clock


class BacklogSignal(Protocol):
    """What admission control reads of a queue in front of the app (:class:`AcceptQueueMonitor`
    is one), as :class:`~.loop_lag.LagSignal` for the event loop."""

    @property
    def wait(self) -> float:
        """Seconds a connection arriving now is likely to wait before the app sees it."""
        ...

    def arrived(self) -> None:
        """One request reached the app (feeds the signal's drain rate)."""
        ...


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
    because servers usually bind after the application has started. ``read_depth`` replaces the
    kernel reading (tests). The drain rate is a moving average over about ``rate_seconds``; a
    depth of ``quiet_depth`` or less never counts as waiting (one loop turn's worth of arrivals
    is not a queue, and a new server has no rate yet).
    """

    def __init__(
        self,
        *,
        refresh: float = 0.01,
        rediscover: float = 1.0,
        rate_seconds: float = 0.5,
        quiet_depth: int = 8,
        read_depth: Callable[[], int] | None = None,
        clock: Clock = DEFAULT_CLOCK,
        metrics: AdmissionMetrics | None = None,
    ) -> None:
        self._metrics = metrics
        self.refresh = refresh
        self.rediscover = rediscover
        self.rate_seconds = rate_seconds
        self.quiet_depth = quiet_depth
        self._read_depth = read_depth
        self._clock = clock
        self._sockets: list[socket.socket] = []
        self._read_at = -1e18
        self._searched_at = -1e18
        self._depth = 0
        self._arrivals = 0
        self._rate = 0.0
        self._rate_at = self._fresh_since = clock()
        self.supported = read_depth is not None or (
            sys.platform.startswith("linux") and hasattr(socket, "TCP_INFO")
        )

    def arrived(self) -> None:
        """One request reached the app (it left the accept queue, or came on a kept-alive
        connection)."""
        self._arrivals += 1

    @property
    def drain_rate(self) -> float:
        """Requests per second reaching the app, smoothed."""
        return self._rate

    @property
    def wait(self) -> float:
        """Seconds a connection arriving now is likely to wait before the app sees it.

        0 until the drain rate rests on ``rate_seconds`` of fresh data (after start-up or an
        idle spell with an empty queue): an average over the quiet minutes would read the
        first burst of a surge as a queue of many seconds and shed all of it.
        """
        depth = self.depth
        if depth <= self.quiet_depth or self._clock() - self._fresh_since < self.rate_seconds:
            return 0.0
        return depth / max(self._rate, 1.0)

    @property
    def depth(self) -> int:
        if not self.supported:
            return 0
        now = self._clock()
        if now - self._read_at < self.refresh:
            return self._depth
        self._read_at = now
        self._update_rate(now)
        self._depth = self._read_depth() if self._read_depth is not None else self._read(now)
        if self._metrics is not None:
            self._metrics.accept_queue.set(self._depth)
        return self._depth

    def _update_rate(self, now: float) -> None:
        elapsed = now - self._rate_at
        if elapsed <= 0:
            return
        if elapsed > self.rate_seconds and self._depth <= self.quiet_depth:
            # Idle, not stuck (the queue was empty when last seen): start measuring afresh.
            # A queue that was already deep and stopped draining keeps its growing wait.
            self._rate = self._arrivals / elapsed
            self._arrivals = 0
            self._rate_at = self._fresh_since = now
            return
        weight = 1.0 - math.exp(-elapsed / self.rate_seconds)
        self._rate += (self._arrivals / elapsed - self._rate) * weight
        self._arrivals = 0
        self._rate_at = now

    def _read(self, now: float) -> int:
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
        return depth

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets = []
