"""Pure-ASGI admission control: admit, queue briefly, or shed with a pre-rendered 503."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from northbound.surge.admission.accept_queue import AcceptQueueMonitor
from northbound.surge.admission.aside import CURRENT_PERMIT
from northbound.surge.admission.classify import Classifier, DefaultClassifier
from northbound.surge.admission.config import AdmissionSettings
from northbound.surge.admission.limiter import Limiter
from northbound.surge.admission.loop_lag import LoopLagMonitor
from northbound.surge.admission.metrics import admission_metrics
from northbound.surge.admission.permit import Permit
from northbound.surge.capacity import ADMITTED_SCOPE_KEY
from northbound.surge.shed_page import CannedResponse
from northbound.surge.types import PASS_SCOPE_KEY

PRIORITY_SCOPE_KEY = "surge.priority"


class AdmissionControlMiddleware:
    """Decides from the scope alone (method, path, headers), before any body byte is read.

    A shed request gets ``503`` + ``Retry-After`` with bytes rendered at construction. The slot
    of an admitted request is held until the wrapped app returns, i.e. until the last body
    chunk is sent. An exception from the app counts as a dropped sample (overload evidence)
    and is re-raised untouched; a cancelled request gives its slot back without a sample.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: Limiter,
        classify: Classifier | None = None,
        exempt_prefixes: Sequence[str] = (),
        retry_after: int = 5,
        retry_after_spread: int = 0,
        lag_monitor: LoopLagMonitor | None = None,
        site_name: str = "",
        info_links: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.classify = classify or DefaultClassifier()
        self.exempt_prefixes = tuple(exempt_prefixes)
        self.shed_response = CannedResponse(
            503, retry_after, site_name=site_name, info_links=info_links, spread=retry_after_spread
        )
        self.lag_monitor = lag_monitor

    @classmethod
    def from_settings(
        cls,
        app: ASGIApp,
        settings: AdmissionSettings,
        *,
        metric_namespace: str | None = None,
        **site: Any,
    ) -> AdmissionControlMiddleware:
        """The usual wiring, when nothing else needs the limiter (see :class:`AdmissionControl`);
        ``site``: what the site tells the layer, as for :meth:`AdmissionControl.options`."""
        admission = AdmissionControl.from_settings(settings, metric_namespace=metric_namespace)
        return cls(app, **admission.options(**site))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan" and self.lag_monitor is not None:
                await self.app(scope, self._watch_lifespan(receive), send)
                return
            await self.app(scope, receive, send)
            return
        if self.lag_monitor is not None and not self.lag_monitor.running:
            self.lag_monitor.start()
        path: str = scope["path"]
        if path.startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return

        priority = self.classify(scope)
        holder = scope.get(PASS_SCOPE_KEY) is not None  # let in by the waiting room
        outcome = (
            self.limiter.admit_committed(holder)
            if scope.get(ADMITTED_SCOPE_KEY)
            else await self.limiter.acquire(priority, holder)
        )
        if not isinstance(outcome, Permit):
            await self.shed_response.send(scope, send)
            return
        scope[PRIORITY_SCOPE_KEY] = priority
        current = CURRENT_PERMIT.set(outcome)
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            outcome.release(sample=False)
            raise
        except BaseException:
            outcome.release(dropped=True)
            raise
        finally:
            CURRENT_PERMIT.reset(current)
        outcome.release()

    def _watch_lifespan(self, receive: Receive) -> Receive:
        """Start the lag monitor with the app and stop it on shutdown."""
        monitor = self.lag_monitor
        assert monitor is not None

        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                monitor.start()
            elif message["type"] == "lifespan.shutdown":
                await monitor.stop()
            return message

        return wrapped


class ArrivalCounter:
    """Counts every HTTP request for the accept-queue drain rate, whoever answers it.

    Put it in front of every layer that can answer on its own (cached pages, the waiting room,
    rate limits): those requests leave the kernel's accept queue as surely as the ones that
    reach admission control, and a drain rate that missed them would read a short queue as a
    long wait.
    """

    def __init__(self, app: ASGIApp, *, monitor: AcceptQueueMonitor) -> None:
        self.app = app
        self.monitor = monitor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.monitor.arrived()
        await self.app(scope, receive, send)


@dataclass
class AdmissionControl:
    """Everything admission control is made of, built once from settings.

    Build it before the app so the same limiter can be handed to whoever reads the capacity
    signal (the waiting room's inlet) and to the middleware::

        admission = AdmissionControl.from_settings(settings.admission, metric_namespace="example")
        Middleware(AdmissionControlMiddleware, **admission.options(site_name="Example"))
        inlet = Inlet(capacity=admission.limiter, ...)
    """

    settings: AdmissionSettings
    limiter: Limiter
    lag_monitor: LoopLagMonitor
    accept_queue: AcceptQueueMonitor

    @classmethod
    def from_settings(
        cls,
        settings: AdmissionSettings,
        *,
        arrivals_counted_outside: bool = False,
        metric_namespace: str | None = None,
    ) -> AdmissionControl:
        """``arrivals_counted_outside``: an :class:`ArrivalCounter` in front of everything that
        answers requests feeds the accept-queue drain rate (see :mod:`.accept_queue`).
        ``metric_namespace``: the site's name for its Prometheus figures
        (``<namespace>_surge_limit``, ...); None exports none."""
        metrics = None if metric_namespace is None else admission_metrics(metric_namespace)
        lag_monitor = LoopLagMonitor(settings.loop_lag_interval_seconds, metrics=metrics)
        accept_queue = AcceptQueueMonitor(metrics=metrics)
        limiter = settings.build_limiter(
            lag_signal=lag_monitor,
            backlog_signal=accept_queue,
            count_arrivals=not arrivals_counted_outside,
            metrics=metrics,
        )
        return cls(settings, limiter, lag_monitor, accept_queue)

    def options(
        self,
        *,
        site_name: str = "",
        info_links: dict[str, str] | None = None,
        session_cookie: str = "session",
        exempt_prefixes: Sequence[str] = (),
        reads: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Keyword arguments for :class:`AdmissionControlMiddleware`.

        The site names itself, its session cookie (a request carrying it ranks as normal),
        the paths it always keeps open (the settings may add more of those) and the prefixes
        of pages that ask a question and store nothing (``reads``: see
        :class:`DefaultClassifier`).
        """
        return {
            "limiter": self.limiter,
            "classify": DefaultClassifier(session_cookie, reads),
            "exempt_prefixes": (*exempt_prefixes, *self.settings.exempt_prefixes),
            "retry_after": self.settings.retry_after_seconds,
            "retry_after_spread": self.settings.retry_after_spread_seconds,
            "lag_monitor": self.lag_monitor,
            "site_name": site_name,
            "info_links": info_links,
        }
