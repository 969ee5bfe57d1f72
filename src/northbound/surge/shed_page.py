"""Pre-rendered answers for turned-away requests: 503 (site busy) and 429 (too many requests).

Every byte is built once, when the middleware is constructed, so refusing a request costs a
header scan and two ``send`` calls: far less than serving any real page. People get a short
bilingual page (English and French side by side; French first under ``/fr/`` or when the browser
prefers French); API clients get RFC 9457 problem details in their language.

A refused page is not a dead end: it names the site, links to the information pages (served
from memory, they stay open however busy the site is), offers "try again" and, for a page
that was only being looked at (GET), tries again by itself after ``Retry-After`` seconds. A
refused form post gets no automatic retry: reloading would fetch the empty form and lose
what the person typed, so the page tells them to go back and send it again.
"""

from __future__ import annotations

import html
import itertools
import json
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from starlette.types import Scope, Send

from northbound.surge.language import request_language


class Variant(Enum):
    HTML_EN = "html-en"
    HTML_FR = "html-fr"
    JSON_EN = "json-en"
    JSON_FR = "json-fr"


@dataclass(frozen=True)
class _Wording:
    title: str
    lead: str
    advice: str


_BUSY = {
    "en": _Wording(
        "We are very busy right now",
        "Too many people are using this site at the same time, so we could not open this page.",
        "Please wait a moment and try again. Nothing you already submitted has been lost.",
    ),
    "fr": _Wording(
        "Nous sommes très occupés en ce moment",
        "Trop de personnes utilisent ce site en même temps : nous n'avons pas pu ouvrir "
        "cette page.",
        "Veuillez patienter un instant, puis réessayer. Rien de ce que vous avez déjà "
        "soumis n'a été perdu.",
    ),
}
_TOO_MANY = {
    "en": _Wording(
        "Too many requests",
        "We received too many requests from your connection in a short time.",
        "Please wait a moment before trying again.",
    ),
    "fr": _Wording(
        "Trop de demandes",
        "Nous avons reçu trop de demandes de votre connexion en peu de temps.",
        "Veuillez patienter un instant avant de réessayer.",
    ),
}
_RETRY = {
    "en": "You can try again in about {seconds} seconds.",
    "fr": "Vous pourrez réessayer dans environ {seconds} secondes.",
}
_AUTO = {
    "en": "This page will try again by itself.",
    "fr": "Cette page réessaiera d'elle-même.",
}
_RESEND = {
    "en": "If you were sending a form, go back and send it again: it was not received.",
    "fr": "Si vous envoyiez un formulaire, revenez en arrière et envoyez-le de nouveau : "
    "il n'a pas été reçu.",
}
_TRY_NOW = {"en": "Try again now", "fr": "Réessayer maintenant"}
_INFO = {
    "en": "Information pages stay open: read about programs, rules and how to apply.",
    "fr": "Les pages d'information restent accessibles : renseignez-vous sur les programmes, "
    "les règles et la façon de présenter une demande.",
}


def _section(
    lang: str, wording: _Wording, retry_after: int | None, *, auto: bool, info_link: str
) -> str:
    advice = wording.advice
    if retry_after is not None:
        advice = f"{advice} {_RETRY[lang].format(seconds=retry_after)}"
    follow = _AUTO[lang] if auto else _RESEND[lang]
    # href="" is this very address: a plain GET of the page, never a re-sent form
    links = f'<p><a href="">{html.escape(_TRY_NOW[lang])}</a></p>' if auto else ""
    if info_link:
        links += f'<p><a href="{html.escape(info_link)}">{html.escape(_INFO[lang])}</a></p>'
    return (
        f'<section lang="{lang}">'
        f"<h1>{html.escape(wording.title)}</h1>"
        f"<p>{html.escape(wording.lead)}</p>"
        f"<p>{html.escape(advice)} {html.escape(follow)}</p>"
        f"{links}</section>"
    )


def render_html(
    status: int,
    retry_after: int,
    *,
    french_first: bool,
    site_name: str = "",
    info_links: dict[str, str] | None = None,
    auto_retry: bool = True,
) -> bytes:
    """A small, self-contained, accessible page in both official languages.

    Only the 503 page names a number of seconds and retries by itself: a 429's wait differs
    per client, so it lives in the ``Retry-After`` header alone.
    """
    texts = _BUSY if status == 503 else _TOO_MANY
    order = ("fr", "en") if french_first else ("en", "fr")
    shown = retry_after if status == 503 else None
    auto = auto_retry and status == 503
    links = info_links or {}
    sections = "".join(
        _section(lang, texts[lang], shown, auto=auto, info_link=links.get(lang, ""))
        for lang in order
    )
    title = " / ".join(texts[lang].title for lang in order)
    if site_name:
        title = f"{title} – {site_name}"
    refresh = f'<meta http-equiv="refresh" content="{retry_after}">' if auto else ""
    header = ""
    if site_name:
        header = f"<header><p><strong>{html.escape(site_name)}</strong></p></header>"
    page = (
        f'<!DOCTYPE html><html lang="{order[0]}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{refresh}<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;color:#1b1b1b;line-height:1.5}main{display:flex;flex-wrap:wrap;"
        "gap:2rem}section{flex:1 1 20rem}h1{font-size:1.5rem}a{color:#284162}"
        "header{border-bottom:4px solid #26374a;margin-bottom:1rem}</style></head>"
        f"<body>{header}<main>{sections}</main></body></html>"
    )
    return page.encode("utf-8")


def render_problem(status: int, retry_after: int, *, lang: str) -> bytes:
    """RFC 9457 problem details; ``retry_after`` repeats the header for clients that lose it."""
    wording = (_BUSY if status == 503 else _TOO_MANY)[lang]
    body: dict[str, str | int] = {
        "type": "about:blank",
        "title": wording.title,
        "status": status,
        "detail": f"{wording.lead} {wording.advice}",
    }
    if status == 503:
        body["retry_after"] = retry_after
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return b""


def choose_variant(scope: Scope) -> Variant:
    """JSON for ``/api/`` or a client that asks for JSON; French under ``/fr`` or when the
    browser weights French above English."""
    path: str = scope.get("path", "")
    accept = _header(scope, b"accept")
    wants_json = path.startswith("/api/") or (b"json" in accept and b"text/html" not in accept)
    header = _header(scope, b"accept-language").decode("latin-1")
    french = request_language(path, header) == "fr"
    if wants_json:
        return Variant.JSON_FR if french else Variant.JSON_EN
    return Variant.HTML_FR if french else Variant.HTML_EN


_Answers = dict[tuple[Variant, bool], tuple[bytes, list[tuple[bytes, bytes]]]]


class _Table(NamedTuple):
    """Everything one Retry-After value answers with, built once."""

    bodies: dict[Variant, bytes]  # a GET's body per variant
    answers: _Answers  # (variant, is a form post) -> body and its headers
    retry: tuple[bytes, bytes]  # the Retry-After header


def retry_after_range(retry_after: int, spread: int) -> range:
    """The waits a 503 names in turn (see :class:`CannedResponse`): every whole second from
    ``retry_after - spread`` (at least 1) to ``retry_after + spread``."""
    return range(max(1, retry_after - spread), retry_after + spread + 1)


class CannedResponse:
    """One status with its four pre-rendered bodies and header sets.

    ``spread``: a 503 names, in turn, every whole number of seconds from ``retry_after -
    spread`` to ``retry_after + spread`` (at least 1), in its header, its text and the page's
    own refresh. Why: people refused in the same overloaded moment all came back together
    ``Retry-After`` later, saturating the site again, and were refused together again. In the
    lab's election night the site swung between full (refusing) and a quarter busy every five
    seconds, the Retry-After, at any concurrency limit. Handed out in turn, the waits of a
    burst of refusals spread evenly over the range; the mean stays ``retry_after``.
    """

    def __init__(
        self,
        status: int,
        retry_after: int,
        *,
        site_name: str = "",
        info_links: dict[str, str] | None = None,
        spread: int = 0,
    ) -> None:
        if status not in (429, 503):
            raise ValueError("canned responses exist for 429 and 503 only")
        self.status = status
        seconds = retry_after_range(retry_after, spread)
        # all built here, none per request
        tables = [self._table(wait, site_name, info_links) for wait in seconds]
        self._turn = itertools.cycle(tables)
        self.bodies = tables[retry_after - seconds.start].bodies  # those of ``retry_after``

    def _table(self, retry_after: int, site_name: str, info_links: dict[str, str] | None) -> _Table:
        status = self.status

        def page(french: bool, auto_retry: bool) -> bytes:
            return render_html(
                status, retry_after, french_first=french, site_name=site_name,
                info_links=info_links, auto_retry=auto_retry,
            )  # fmt: skip

        # ``bodies`` answers a GET; a refused form post gets ``posted`` (no auto retry)
        bodies: dict[Variant, bytes] = {
            Variant.HTML_EN: page(False, True),
            Variant.HTML_FR: page(True, True),
            Variant.JSON_EN: render_problem(status, retry_after, lang="en"),
            Variant.JSON_FR: render_problem(status, retry_after, lang="fr"),
        }
        posted = {
            **bodies,
            Variant.HTML_EN: page(False, False),
            Variant.HTML_FR: page(True, False),
        }
        answers: _Answers = {}
        for is_post, chosen in ((False, bodies), (True, posted)):
            for variant, body in chosen.items():
                is_json = variant in (Variant.JSON_EN, Variant.JSON_FR)
                french = variant in (Variant.HTML_FR, Variant.JSON_FR)
                if is_json:
                    content_type = b"application/problem+json"
                    language = b"fr" if french else b"en"
                else:
                    content_type, language = b"text/html; charset=utf-8", b"en, fr"
                answers[variant, is_post] = (body, [
                    (b"content-type", content_type),
                    (b"content-length", b"%d" % len(body)),
                    (b"content-language", language),
                    (b"cache-control", b"no-store"),
                    (b"vary", b"accept, accept-language"),
                ])  # fmt: skip
        return _Table(bodies, answers, (b"retry-after", str(retry_after).encode()))

    async def send(
        self,
        scope: Scope,
        send: Send,
        *,
        retry_after: int | None = None,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        """Write the whole response. The body is never read: callers decide before that."""
        is_post = scope.get("method", "GET") not in ("GET", "HEAD")
        table = next(self._turn)
        body, fixed = table.answers[choose_variant(scope), is_post]
        retry = table.retry
        if retry_after is not None:
            retry = (b"retry-after", str(max(1, retry_after)).encode())
        headers = [*fixed, retry]
        if extra_headers:
            headers.extend(extra_headers)
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
