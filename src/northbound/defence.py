"""The surge defence in front of the portal: rate limits, waiting room, admission control.

Built once per app from settings. The layers themselves (``northbound.surge``) know nothing
about immigration; this module is where the site tells them its name, its cookie names, the
namespace of its metrics, its exempt paths and who counts as staff. Order on the request path,
outermost first::

    observe → cached pages → rate limit → waiting room → admission control → gzip → routes

The cached pages come first: serving one from memory costs about what refusing it would (a
few microseconds either way), so a rate limit in front of them would only add its own cost to
every page. They also stay open to everyone while people wait in line. Rate limits guard what
is dearer: every dynamic page, form and API call. The room queues the stateful part of the
site only (see :data:`STATELESS` for what it leaves to admission control, and why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Scope

from northbound.ops.console.paths import ROOM_EXEMPT_PREFIXES
from northbound.ops.metrics import METRIC_NAMESPACE
from northbound.portal.accounts.paths import ACCOUNT_PATHS
from northbound.portal.accounts.sessions import COOKIE_NAME as SESSION_COOKIE
from northbound.portal.accounts.sessions import is_signed
from northbound.portal.applications.api import SESSION_PATH
from northbound.portal.content.routes import pages as content_pages
from northbound.portal.eligibility.api import api_router as eligibility_api
from northbound.portal.eligibility.page_parts import PATHS as ELIGIBILITY_PATHS
from northbound.portal.processing.routes import API_PATH as PROCESSING_API
from northbound.portal.processing.routes import TOOL_PATHS as PROCESSING_PATHS
from northbound.settings import Language, Settings
from northbound.surge.admission import AdmissionControl, AdmissionControlMiddleware
from northbound.surge.admission.classify import UNSAFE_METHODS
from northbound.surge.admission.middleware import ArrivalCounter
from northbound.surge.ratelimit.middleware import RateLimitMiddleware, store_from_settings
from northbound.surge.ratelimit.routes import RouteClass
from northbound.surge.ratelimit.store import RateLimitStore
from northbound.surge.waiting_room import (
    Authorize,
    WaitingRoom,
    WaitingRoomMiddleware,
    any_of,
    bearer_authorizer,
    build_admin_app,
)

SITE_NAME = "Northbound"
COOKIE_PREFIX = "nb_"  # the site's cookies: nb_session (the portal's), nb_vid, nb_room_<room>
ROOM_ADMIN_PATH = "/api/v1/admin/room"
# Health checks, metrics and static files: no layer ever limits, queues or sheds them.
OPERATIONAL = ("/static/", "/healthz", "/readyz", "/metrics")
# The room's operator API and console are open too: the room must never queue the person who
# runs it (the console's pages answer 404 to anyone but signed-in staff). Rate limits and
# admission control still guard them: they are dynamic pages like any other.
ALWAYS_OPEN = (*OPERATIONAL, ROOM_ADMIN_PATH, *ROOM_EXEMPT_PREFIXES)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Pages worked out from the request and from memory alone, a few milliseconds of the event
# loop each: the eligibility tools, processing times and search. They store nothing, so a
# POST to one (a calculator's question) is paced by the rate limits as a read, and the room
# does not queue them.
# What the line rations is the site's dearer, stateful part (accounts, applications, enquiries,
# the lottery): a sign-in is a 25 ms password hash, an application step a database write. With
# every dynamic page behind the line, the lab's election night at twice capacity kept readers
# and tool users waiting a median 62 s for pages the unprotected site served them within 2 s
# (all of them, while it hashed passwords for the applicants it could not serve), and 1,660
# of the 6,623 people in line gave up there. Admission control still guards these pages: they
# rank with the people the room let in (``reads`` of :class:`DefaultClassifier`), below form
# submissions and the request that ends a wait, and the inlet, which steers by the
# concurrency it sees, lets fewer people into the stateful part while they take their share.
# Ranked below the people inside instead, they starved at the peak (18,828 shed in one run at
# twice capacity, a tool user's median journey 19 s; ranked with them, 5,175 and 3 s). Rate
# limits pace each client.
STATELESS = (
    eligibility_api.prefix + "/",
    *ELIGIBILITY_PATHS["index"].values(),
    *PROCESSING_PATHS.values(),
    PROCESSING_API,
    *content_pages.paths["search"].values(),
)
OUTSIDE_THE_ROOM = (*ALWAYS_OPEN, *STATELESS)


def sign_in_classes(settings: Settings) -> list[RouteClass]:
    """One bucket per client for every way of signing in (both pages and the API).

    Password guessing across many accounts from one address is paced here, by the same
    client key as every other limit (so behind a trusted proxy each person has their own
    bucket); guessing at one account is the per-address lockout's business.
    """
    accounts = settings.accounts
    attempts = accounts.sign_in_attempts_per_client
    rate = attempts / accounts.sign_in_window_seconds
    paths = [*ACCOUNT_PATHS["sign_in"].values(), SESSION_PATH]
    return [RouteClass("sign-in", path, rate, attempts, frozenset({"POST"})) for path in paths]


def signed_in_form_post(secret: bytes) -> Callable[[Scope], bool]:
    """A browser form sent with a session cookie this site signed: the gate must not swallow
    its body (someone signed in typed it, perhaps before the room turned on).

    Only HTML forms of the portal (not the API, whose clients retry on 429), and only with a
    session token whose signature checks out, so a made-up cookie buys nothing: the request
    waits in line like any other. A genuine token that has since ended gets no further than
    the portal's own session and CSRF checks, behind admission control.
    """

    def passes(scope: Scope) -> bool:
        if scope.get("method", "GET") not in UNSAFE_METHODS or scope["path"].startswith("/api/"):
            return False
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type not in FORM_TYPES:
            return False
        token = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE, "")
        return is_signed(token, secret)

    return passes


@dataclass
class SurgeDefence:
    settings: Settings
    admission: AdmissionControl
    room: WaitingRoom
    rate_limit_store: RateLimitStore

    @classmethod
    def from_settings(cls, settings: Settings) -> SurgeDefence:
        admission = AdmissionControl.from_settings(
            settings.admission, arrivals_counted_outside=True, metric_namespace=METRIC_NAMESPACE
        )
        room = WaitingRoom.from_settings(
            settings.waiting_room,
            site_secret=settings.secret_key.get_secret_value(),
            redis_url=settings.redis_url,
            capacity=admission.limiter,
            metric_namespace=METRIC_NAMESPACE,
        )
        store = store_from_settings(
            settings.rate_limit, settings.redis_url, metric_namespace=METRIC_NAMESPACE
        )
        return cls(settings, admission, room, store)

    @property
    def secret(self) -> bytes:
        return self.settings.secret_key.get_secret_value().encode("utf-8")

    @property
    def active(self) -> bool:
        return self.settings.protected

    @property
    def room_active(self) -> bool:
        return self.active and self.settings.waiting_room.enabled

    def front(self, app: ASGIApp) -> ASGIApp:
        """What goes in front of the cached pages: counting every request that arrives."""
        if not self.active:
            return app
        return ArrivalCounter(app, monitor=self.admission.accept_queue)

    def layers(self, twin: Callable[[str, Language], str] | None = None) -> list[Middleware]:
        """What goes behind the cached pages, in front of the routes, outermost first.

        ``twin`` gives the address of a page in the other language (the site's
        :class:`~northbound.web.bilingual.Twins`): someone who switches language while in
        line is let in to the page they asked for, in that language.
        """
        if not self.active:
            return []
        layers = [
            # from_settings leaves the layer out when rate limits are turned off
            Middleware(
                RateLimitMiddleware.from_settings,
                settings=self.settings.rate_limit,
                store=self.rate_limit_store,
                site_name=SITE_NAME,
                extra_classes=sign_in_classes(self.settings),
                reads=STATELESS,
                exempt_prefixes=OPERATIONAL,
                metric_namespace=METRIC_NAMESPACE,
            )
        ]
        if self.room_active:
            layers.append(
                Middleware(
                    WaitingRoomMiddleware,
                    room=self.room,
                    exempt_prefixes=OUTSIDE_THE_ROOM,
                    pass_through=signed_in_form_post(self.secret),
                    twin=twin,
                    site_name=SITE_NAME,
                    cookie_prefix=COOKIE_PREFIX,
                    tool_links=ELIGIBILITY_PATHS["index"],
                )
            )
        layers.append(
            Middleware(
                AdmissionControlMiddleware,
                **self.admission.options(
                    site_name=SITE_NAME,
                    info_links=self.settings.waiting_room.info_link,
                    session_cookie=SESSION_COOKIE,
                    exempt_prefixes=OPERATIONAL,
                    reads=STATELESS,
                ),
            )
        )
        return layers

    def admin_app(self, *staff_checks: Authorize) -> ASGIApp:
        """The room's operator API: staff signed in, or the configured bearer token."""
        token = self.settings.waiting_room.admin_token
        return build_admin_app(self.room, any_of(bearer_authorizer(token), *staff_checks))

    async def start(self) -> None:
        if self.room_active:
            await self.room.start()

    async def stop(self) -> None:
        try:
            if self.room_active:
                await self.room.stop()
        finally:
            # Our duplicates of the listening sockets would otherwise keep the kernel
            # completing connections after the server has closed its own.
            self.admission.accept_queue.close()
            await self.rate_limit_store.close()
