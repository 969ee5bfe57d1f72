"""The gate: a pure-ASGI middleware in front of everything dynamic.

Requests on paths that need a pass (see :class:`~.paths.PathPolicy`) get through only with a
valid pass while the room is on; without one the visitor is placed in line (once: the ticket
they carry keeps the place) and gets the waiting page, or its JSON twin.

JSON clients (``Accept: application/json`` or paths under ``/api/``) receive **429 Too Many
Requests** with ``Retry-After: <refreshSeconds>`` and a body
``{"inWaitingRoom": true, "position", "ahead", "estimatedWaitSeconds",
"estimatedWaitRangeSeconds", "refreshSeconds"}``: poll again after ``Retry-After`` seconds with
the cookies received; the request succeeds once the visitor's turn comes. 429 because the
request was refused for now and must be retried later, not because it failed; people get the
same page with 200 (a browser page that reloads itself), ``Cache-Control: no-store``.

While the room is off, a JSON request without cookies goes straight through, without a place
or a pass: a browser's own API calls carry the pass its pages received, so a cookie-less one
is a script or an app, which keeps no cookie and would cost a place, a signature (and, with
Redis, a round trip) on every call for nothing. It is counted by admission control like any
request without a pass; once the room is on it queues like everyone (a 429 and a ticket).

A verified pass is put in ``scope[PASS_SCOPE_KEY]`` (a :class:`~.tokens.Claims`) for admission
control to rank the request, and renewed with ``Set-Cookie`` when half its lifetime is gone.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from urllib.parse import parse_qs, quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..capacity import ADMITTED_SCOPE_KEY
from ..language import Lang, negotiate_language, path_language, request_language
from ..types import PASS_SCOPE_KEY
from .page import UNAVAILABLE_HTML, WaitingPage, safe_next
from .paths import PathPolicy, normalise
from .request import cookie_value, header_value
from .room import Admitted, Waiting, WaitingRoom, WaitView
from .tokens import Claims, Kind, PassSigner

log = logging.getLogger(__name__)

SCOPE_KEY = PASS_SCOPE_KEY
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
# Verified Cookie headers remembered: ~4 MB with 200-char headers, < 8 MB at most (a fixed
# bound, not per visitor); longer headers are verified every time
_CACHED_HEADERS = 4096
_CACHED_HEADER_MAX = 1024


def pass_cookie_name(cookie_prefix: str, room: str) -> str:
    """The cookie that carries a visitor's ticket or pass for ``room``."""
    return f"{cookie_prefix}room_{room}"


class WaitingRoomMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        room: WaitingRoom,
        exempt_prefixes: Sequence[str] = (),
        include_prefixes: Sequence[str] | None = None,
        json_prefixes: Sequence[str] = ("/api/",),
        pass_through: Callable[[Scope], bool] | None = None,
        site_name: str = "",
        cookie_prefix: str = "",
        twin: Callable[[str, Lang], str] | None = None,
        tool_links: Mapping[Lang, str] | None = None,
    ) -> None:
        self.app = app
        self.room = room
        # The site's pages in the other language: ``twin(path, lang)`` is the address of the
        # page at ``path`` (query included) in ``lang``. Someone who switches language on the
        # waiting page is let in to that page, not to the one in the language they left.
        self.twin = twin
        # Requests the gate must never turn into a waiting page, e.g. a form POST by someone
        # signed in before the room turned on: its body would be lost. Admission control
        # behind the gate still bounds them.
        self.pass_through = pass_through
        settings = room.settings
        include = include_prefixes if include_prefixes is not None else settings.include_prefixes
        self.policy = PathPolicy(
            include, [*settings.exclude_prefixes, *exempt_prefixes, settings.path]
        )
        self.room_path = normalise(settings.path)
        self._room_marker = self.room_path.rsplit("/", 1)[-1]
        self._json_policy = PathPolicy(json_prefixes, ())
        # the site names its cookies (``cookie_prefix``, e.g. its brand): the gate only says
        # what each one holds, a visitor id and this room's pass or ticket
        self.visitor_cookie = f"{cookie_prefix}vid"
        self.pass_cookie = pass_cookie_name(cookie_prefix, settings.name)
        secure = "; Secure" if settings.cookie_secure else ""
        self._cookie_tail = f"; Path=/; HttpOnly; SameSite=Lax{secure}"
        self.page = WaitingPage(
            room_path=settings.path,
            grace_seconds=settings.abandon_grace_seconds,
            eta_window_seconds=settings.eta_window_seconds,
            site_names={
                "en": settings.site_name_en or site_name,
                "fr": settings.site_name_fr or site_name,
            },
            info_links=settings.info_link,
            # the site's tools the room leaves open (``exempt_prefixes``), offered in line
            tool_links=tool_links,
        )
        # the few addresses visitors wait on repeat: work out their link and language once
        self._poll_target = lru_cache(maxsize=4096)(self._poll_target_uncached)
        self._verified: OrderedDict[str, tuple[str, Claims, PassSigner]] = OrderedDict()

    # -- cookies ------------------------------------------------------------------------

    def _set_cookie(self, name: str, value: str, max_age: int) -> tuple[bytes, bytes]:
        return b"set-cookie", f"{name}={value}; Max-Age={max_age}{self._cookie_tail}".encode()

    def _pass_cookie(self, token: str, kind: Kind) -> tuple[bytes, bytes]:
        settings = self.room.settings
        max_age = settings.session_seconds if kind is Kind.PASS else settings.ticket_seconds
        return self._set_cookie(self.pass_cookie, token, max_age)

    # -- dispatch -----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await self._websocket(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        # One pass over the headers: a waiting visitor's poll needs all three of them
        cookie_header = ""
        accept = accept_language = b""
        for name, value in scope["headers"]:
            if name == b"cookie":  # HTTP/2 may split cookies over several headers
                text = value.decode("latin-1")
                cookie_header = f"{cookie_header}; {text}" if cookie_header else text
            elif name == b"accept":
                accept = value
            elif name == b"accept-language":
                accept_language = value
        visitor_id, claims = self._identify(cookie_header)
        if self._room_marker in path.lower() and self._is_room_page(path):
            await self._room_page(scope, send, claims, visitor_id)
            return
        if claims is not None and claims.kind is Kind.PASS:
            await self._with_pass(scope, receive, send, claims)
            return
        if not self._gated(scope):
            await self.app(scope, receive, send)
            return
        if (
            not cookie_header
            and not self.room.is_on()
            and self._wants_json(path, accept.decode("latin-1"))
        ):
            await self.app(scope, receive, send)  # see the module docstring
            return
        if claims is not None:
            view = self.room.poll(claims)  # the hot path: a waiting visitor polling
            if view is not None:
                if self._wants_json(path, accept.decode("latin-1")):
                    await self._waiting(scope, send, view, [], next_path=None, refresh=True)
                    return
                query: bytes = scope.get("query_string", b"")
                body = self._poll_page(view, path, query, accept_language)
                await self._respond(send, scope, 200, body, b"text/html; charset=utf-8", [])
                return
        await self._gate(scope, receive, send, claims, visitor_id)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        cookie_header = "; ".join(
            value.decode("latin-1") for name, value in scope["headers"] if name == b"cookie"
        )
        _, claims = self._identify(cookie_header)
        if claims is not None and claims.kind is Kind.PASS:
            await self._with_pass(scope, receive, send, claims)
            return
        if self._gated(scope) and self.room.is_on():
            await send({"type": "websocket.close", "code": 1013})  # try again later
            return
        await self.app(scope, receive, send)

    def _gated(self, scope: Scope) -> bool:
        """Whether this request needs a pass while the room is on."""
        if not self.policy.needs_pass(scope["path"], scope.get("raw_path")):
            return False
        return self.pass_through is None or not self.pass_through(scope)

    def _identify(self, cookie_header: str) -> tuple[str, Claims | None]:
        """The visitor id and the verified claims of the pass or ticket they hold, if any.

        Verifying a token costs more than the rest of a poll, and a visitor polls with the
        same cookies each time: claims verified from one exact Cookie header are remembered
        (a bounded table, oldest out first). Everything about a verification that could
        change later (expiry, revocation, the room's signer and so its key ring) is checked
        again on every use; the rest is a function of the header's exact text.
        """
        cached = self._verified.get(cookie_header)
        if cached is not None:
            if cached[2] is self.room.signer and self.room.still_valid(cached[1]):
                return cached[0], cached[1]
            del self._verified[cookie_header]  # the full check below counts the failure
        visitor_id, token = self._visitor_cookies(cookie_header)
        claims = self.room.check_pass(token, visitor_id) if token else None
        if claims is not None and len(cookie_header) <= _CACHED_HEADER_MAX:
            verified = self._verified
            if len(verified) >= _CACHED_HEADERS:
                verified.popitem(last=False)  # O(1); a dict's oldest-out scans dead slots
            verified[cookie_header] = (visitor_id, claims, self.room.signer)
        return visitor_id, claims

    def _visitor_cookies(self, cookie_header: str) -> tuple[str, str]:
        """(visitor id, pass or ticket) from the Cookie header; '' for what is absent or bad."""
        if not cookie_header:
            return "", ""
        visitor_id = cookie_value(cookie_header, self.visitor_cookie)
        if not visitor_id or not _VISITOR_ID.match(visitor_id):
            return "", ""  # a pass is bound to a visitor id: without one it is worthless
        return visitor_id, cookie_value(cookie_header, self.pass_cookie)

    async def _with_pass(self, scope: Scope, receive: Receive, send: Send, claims: Claims) -> None:
        scope[SCOPE_KEY] = claims
        self.room.note_active(claims)
        if scope["type"] == "http":  # a websocket has no headers to carry a renewed pass
            renewed = self.room.renewal(claims)
            if renewed is not None:
                send = self._with_headers(send, [self._pass_cookie(renewed, Kind.PASS)])
        await self.app(scope, receive, send)

    def _poll_page(self, view: WaitView, path: str, query: bytes, accept_language: bytes) -> bytes:
        """The waiting page for a poll: what depends on the address alone is looked up once."""
        next_path, path_lang = self._poll_target(path, query)
        lang = path_lang or negotiate_language(accept_language.decode("latin-1"))
        return self.page.html(view, lang=lang, next_path=next_path)

    def _poll_target_uncached(self, path: str, query: bytes) -> tuple[str, Lang | None]:
        next_path = safe_next(f"{path}?{query.decode('latin-1')}" if query else path)
        return next_path, path_language(normalise(path))

    def _is_room_page(self, path: str) -> bool:
        # callers test `_room_marker in path.lower()` first: almost no request mentions it
        return normalise(path) == self.room_path

    def _wants_json(self, path: str, accept: str) -> bool:
        return self._json_policy.needs_pass(path) or (
            "application/json" in accept and "text/html" not in accept
        )

    async def _gate(
        self, scope: Scope, receive: Receive, send: Send, ticket: Claims | None, visitor_id: str
    ) -> None:
        headers: list[tuple[bytes, bytes]] = []
        if not visitor_id:
            visitor_id = secrets.token_urlsafe(16)
            headers.append(self._set_cookie(self.visitor_cookie, visitor_id, 400 * 24 * 3600))
        try:
            outcome = await self.room.visit(ticket, visitor_id)
        except Exception:
            log.exception("waiting room store unavailable")
            if not self.room.is_on():
                await self.app(scope, receive, send)  # fail open while the room is off
                return
            await self._unavailable(scope, send)
            return
        if isinstance(outcome, Admitted):
            scope[SCOPE_KEY] = outcome.claims
            if outcome.ended_wait:  # they waited in line for this: see ADMITTED_SCOPE_KEY
                scope[ADMITTED_SCOPE_KEY] = True
            headers.append(self._pass_cookie(outcome.token, Kind.PASS))
            await self.app(scope, receive, self._with_headers(send, headers))
            return
        if outcome.token is not None:
            headers.append(self._pass_cookie(outcome.token, Kind.TICKET))
        await self._waiting(scope, send, outcome.view, headers, next_path=None, refresh=True)

    async def _waiting(
        self,
        scope: Scope,
        send: Send,
        view: WaitView,
        headers: list[tuple[bytes, bytes]],
        *,
        next_path: str | None,
        refresh: bool,
        lang: Lang | None = None,
        status_json: bool = False,
    ) -> None:
        if self._wants_json(scope["path"], header_value(scope, b"accept")):
            headers.append((b"retry-after", str(view.refresh_seconds).encode()))
            status = 200 if status_json else 429
            await self._respond(send, scope, status, self.page.json(view),
                                b"application/json", headers)  # fmt: skip
            return
        path = scope["path"]
        if next_path is None:
            query = scope.get("query_string", b"").decode("latin-1")
            next_path = safe_next(path + ("?" + query if query else ""))
        if lang is None:
            lang = request_language(normalise(path), header_value(scope, b"accept-language"))
        body = self.page.html(view, lang=lang, next_path=next_path, refresh=refresh)
        await self._respond(send, scope, 200, body, b"text/html; charset=utf-8", headers)

    async def _room_page(
        self, scope: Scope, send: Send, claims: Claims | None, visitor_id: str
    ) -> None:
        """The room's own page: status for JSON clients, and the view without auto refresh."""
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        next_path = safe_next(query.get("next", ["/"])[0])
        refresh = query.get("refresh", ["on"])[0] != "off"
        requested = query.get("lang", [""])[0]
        lang: Lang
        if requested == "en" or requested == "fr":
            lang = requested
            if self.twin is not None:
                next_path = safe_next(self.twin(next_path, lang))
        else:
            lang = request_language(normalise(next_path), header_value(scope, b"accept-language"))
        headers: list[tuple[bytes, bytes]] = []
        outcome: Admitted | Waiting
        if claims is not None and claims.kind is Kind.PASS:
            outcome = Admitted("", claims)  # already holds a pass: nothing to renew here
        else:
            if not visitor_id:
                visitor_id = secrets.token_urlsafe(16)
                headers.append(self._set_cookie(self.visitor_cookie, visitor_id, 400 * 24 * 3600))
            try:
                outcome = await self.room.visit(claims, visitor_id)
            except Exception:
                log.exception("waiting room store unavailable")
                await self._unavailable(scope, send)
                return
        if isinstance(outcome, Waiting):
            if outcome.token is not None:
                headers.append(self._pass_cookie(outcome.token, Kind.TICKET))
            await self._waiting(scope, send, outcome.view, headers, next_path=next_path,
                                refresh=refresh, lang=lang, status_json=True)  # fmt: skip
            return
        if outcome.token:
            headers.append(self._pass_cookie(outcome.token, Kind.PASS))
        if self._wants_json(scope["path"], header_value(scope, b"accept")):
            await self._respond(send, scope, 200, b'{"inWaitingRoom":false}',
                                b"application/json", headers)  # fmt: skip
            return
        location = quote(next_path, safe="/?&=%:;+,@!$'()*~-._")
        headers.append((b"location", location.encode()))
        await self._respond(send, scope, 303, b"", b"text/plain", headers)

    async def _unavailable(self, scope: Scope, send: Send) -> None:
        await self._respond(send, scope, 503, UNAVAILABLE_HTML, b"text/html; charset=utf-8",
                            [(b"retry-after", b"30")])  # fmt: skip

    # -- plumbing -----------------------------------------------------------------------

    @staticmethod
    def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
        if not extra:
            return send

        async def sender(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        return sender

    @staticmethod
    async def _respond(
        send: Send,
        scope: Scope,
        status: int,
        body: bytes,
        content_type: bytes,
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        head = scope.get("method") == "HEAD"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", b"%d" % len(body)),
                    (b"cache-control", b"no-store"),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"" if head else body})
