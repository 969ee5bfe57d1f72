"""The waiting page and its JSON twin, from one template compiled at start-up into byte slots.

The page is written once, in :data:`_PAGE` and its optional :data:`_SECTIONS`. At start-up it
is compiled, per language and per kind of page (refreshing or not, in line or in the
pre-queue, rejoined or not), into fixed bytes around the only things that change per visitor
(:data:`SLOTS`): the refresh interval, the two links back to the room, the place, the number
ahead and the wait sentence (or, in the pre-queue, the opening time). A poll formats a few
numbers and joins bytes: no template engine, no database. The page works without JavaScript
(meta refresh), says on the page that it refreshes and how often, and offers a view without
automatic refresh (WCAG 2.2.1).

The words are English in this module (the source language, as everywhere in the project) and
French in the gettext catalog beside it, ``translations/fr/LC_MESSAGES/waiting_room.po``, read
with Babel at start-up like the site's own catalogs. Why the room carries its own catalog
instead of being handed the site's translator: the surge layers know nothing of the site, and
the room must render a complete bilingual page with no site behind it (its tests, the
benchmark, another site), the way a reusable package ships its own ``locale/``.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from urllib.parse import quote

from ..language import LANGUAGES, Lang
from .line import WaitView
from .wording import _, format_duration, format_shown, number_bytes, shown_seconds

_ENDONYMS: dict[Lang, str] = {"en": "English", "fr": "Français"}  # never translated

# What the gate answers when it cannot reach the line's store (a 503): one fixed page in both
# languages, which costs nothing to send however many ask while the store is failing, and
# tries again by itself.
UNAVAILABLE_HTML = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta http-equiv="refresh" content="30"><title>Please wait – Veuillez patienter</title>'
    "</head><body><main><h1>Please wait</h1><p>The line is unreachable for a moment. This page "
    'tries again by itself in 30 seconds.</p><h2 lang="fr">Veuillez patienter</h2>'
    '<p lang="fr">La file est momentanément inaccessible. Cette page réessaiera d’elle-même '
    "dans 30 secondes.</p></main></body></html>"
).encode()


_CSS = (
    "body{margin:0;font:1.125rem/1.5 system-ui,-apple-system,'Segoe UI',Roboto,"
    "'Helvetica Neue',Arial,sans-serif;color:#333;background:#fff}"
    "header{background:#26374a;color:#fff;padding:.75rem 1rem;display:flex;"
    "justify-content:space-between;align-items:center;flex-wrap:wrap}"
    "header a{color:#fff}header p{margin:0;font-weight:700}"
    "main{max-width:42rem;margin:0 auto;padding:1rem}a{color:#284162}"
    "h1{font-size:2rem;margin:.5rem 0 1rem}h2{font-size:1.4rem;margin-top:2rem}"
    ".place{font-size:1.25rem}.note{border-left:.3rem solid #26374a;padding:.25rem 1rem}"
    ".skip{position:absolute;left:-10000px}.skip:focus{left:1rem;top:1rem;background:#fff;"
    "color:#284162;padding:.5rem}"
    "footer{border-top:1px solid #767676;margin-top:2rem;padding:1rem;font-size:1rem}"
)


# The page, once. {name}: words and fixed parts filled at start-up; {@name}: a slot filled per
# request. Sections are in the page or not depending on its kind (see WaitingPage._compile).
_PAGE = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width,initial-scale=1">'
    '<meta name="robots" content="noindex">{meta_refresh}<title>{title}</title>'
    "<style>{css}</style></head><body>"
    '<a class="skip" href="#main">{skip}</a>'
    "<header><p>{site}</p>"
    '<nav aria-label="{language}"><a lang="{other}" hreflang="{other}" href="{@switch}">'
    "{other_name}</a></nav></header>"
    '<main id="main"><h1>{title}</h1>{updates}{rejoined}{standing}'
    "<h2>{meanwhile}</h2><ul><li>{info}"
    '<a href="{info_href}">{info_link}</a>.</li>{tools}'
    "<li>{turn}</li><li>{one_tab}</li></ul>"
    "</main><footer><p>{footer}</p></footer></body></html>"
)
_SECTIONS = {
    "meta_refresh": '<meta http-equiv="refresh" content="{@refresh}">',
    # the refresh notice comes right after the heading, before anything else can change
    "updates_on": '<p>{refresh_notice} <a href="{@quiet}">{refresh_off_link}</a></p>',
    "updates_off": '<p>{refresh_off}<a href="{@quiet}">{check_now}</a></p>',
    "rejoined": '<p class="note">{rejoined_notice}</p>',
    "in_line": (
        '<p class="place">{place}<strong>{@place}</strong><br>{ahead}<strong>{@ahead}</strong>'
        "</p><p>{@eta}</p>"
    ),
    "pre_queue": "<p>{pre_when}{pre_fair}</p>",
    "tools": '<li>{tools_open}<a href="{tools_href}">{tools_link}</a>.</li>',
}
_FIELD = re.compile(r"\{(@?)(\w+)\}")
_SLOT = "\0{}\0"  # a per-request slot while the page is still text
# Every page is filled from one tuple of slot values, in this order (b"" where a kind of page
# has no such slot): the request builds one tuple, whatever the kind of page.
SLOTS = ("refresh", "switch", "quiet", "place", "ahead", "eta", "time", "until")


def _fill(template: str, words: Mapping[str, str]) -> str:
    """``template`` with its words in place and its slots marked (inserted words are not
    read again: the CSS and the texts may hold braces of their own)."""

    def one(field: re.Match[str]) -> str:
        slot, name = field.groups()
        return _SLOT.format(name) if slot else words[name]

    return _FIELD.sub(one, template)


@dataclass(frozen=True, slots=True)
class _Form:
    """One kind of page, compiled: its fixed bytes, and how to interleave them with slots.

    ``pick`` takes ``fixed + slot values`` and returns the pieces in page order, so a page is
    one tuple concatenation, one C-level ``itemgetter`` call and one ``bytes.join``: cheaper
    than ``bytes % mapping``, which parses its 2 KB format on every call (about twice the
    cost, measured), and no Python-level loop over the slots.
    """

    fixed: tuple[bytes, ...]
    pick: Callable[[tuple[bytes, ...]], tuple[bytes, ...]]

    @classmethod
    def compile(cls, page: str) -> _Form:
        pieces = page.split("\0")  # fixed, slot name, fixed, ..., fixed
        fixed = tuple(piece.encode() for piece in pieces[::2])
        order: list[int] = []
        for index, name in enumerate(pieces[1::2]):
            order += [index, len(fixed) + SLOTS.index(name)]
        order.append(len(fixed) - 1)
        return cls(fixed, itemgetter(*order))

    def render(self, slots: tuple[bytes, ...]) -> bytes:
        return b"".join(self.pick(self.fixed + slots))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@lru_cache(maxsize=16_384)
def safe_next(path: str | None) -> str:
    """A local path to return to; anything else (other sites, odd bytes) becomes ``/``."""
    if (
        not path
        or len(path) > 2000
        or not path.startswith("/")
        or path.startswith(("//", "/\\"))
        or _CONTROL.search(path)
    ):
        return "/"
    return path


Form = tuple[Lang, bool, bool, bool]  # language, refreshing, in line (not pre-queue), rejoined


class WaitingPage:
    """Renders the waiting page (HTML) and the JSON twin for one room."""

    def __init__(
        self,
        *,
        room_path: str,
        grace_seconds: int,
        eta_window_seconds: float,
        site_names: Mapping[str, str],
        info_links: Mapping[str, str],
        tool_links: Mapping[Lang, str] | None = None,
    ) -> None:
        """``info_links``: the information pages to offer people in line, by language;
        ``tool_links``: the site's tools that stay open to them too (none: not offered)."""
        self.room_path = room_path
        self.grace_seconds = grace_seconds
        self.window_minutes = max(1, round(eta_window_seconds / 60))
        self._forms: dict[Form, _Form] = {
            (lang, refresh, in_line, rejoined): self._compile(
                lang,
                site_names[lang],
                info_links[lang],
                (tool_links or {}).get(lang, ""),
                refresh,
                in_line,
                rejoined,
            )
            for lang in LANGUAGES
            for refresh in (True, False)
            for in_line in (True, False)
            for rejoined in (True, False)
        }
        # the same few pages are asked for again and again: escape their links once
        self._links = lru_cache(maxsize=4096)(self._links_uncached)

    def _compile(
        self, lang: Lang, site: str, info_link: str, tool_link: str, refresh: bool,
        in_line: bool, rejoined: bool,
    ) -> _Form:  # fmt: skip
        """One kind of page in one language: :data:`_PAGE` with its words, compiled."""
        grace = format_duration(self.grace_seconds, lang)
        other: Lang = "fr" if lang == "en" else "en"
        words = {
            "lang": lang,
            "title": _(lang, "You are in line" if in_line else "The line opens soon"),
            "css": _CSS,
            "skip": _(lang, "Skip to main content"),
            "site": html.escape(site),
            "language": _(lang, "Language"),
            "other": other,
            "other_name": _ENDONYMS[other],
            "refresh_notice": _(
                lang,
                "This page checks your place by itself about every {seconds} seconds: you do "
                "not need to reload it. Keep it open. If you leave for more than {grace}, your "
                "place goes to the next person.",
            ).format(seconds="{@refresh}", grace=grace),
            "refresh_off_link": _(lang, "Turn off automatic updates"),
            "refresh_off": _(lang, "Automatic updates are off. "),
            "check_now": _(lang, "Check my place now"),
            "rejoined_notice": _(
                lang,
                "You were away for more than {grace}, so your earlier place went to the next "
                "person. You have a new place at the end of the line.",
            ).format(grace=grace),
            "place": _(lang, "Your place in line: "),
            "ahead": _(lang, "People ahead of you: "),
            "pre_when": _(lang, "The service opens at {time} UTC (in {until}). ").format(
                time="{@time}", until="{@until}"
            ),
            "pre_fair": _(
                lang,
                "Everyone who arrives before the opening gets a place drawn at random when it "
                "opens, so there is no need to hurry or to reload. People who arrive after the "
                "opening join the line behind them.",
            ),
            "meanwhile": _(lang, "While you wait"),
            "info": _(lang, "Information pages stay open: "),
            "info_href": html.escape(info_link),
            "info_link": _(lang, "read about programs, rules and how to apply"),
            # the line is for the site's stateful part: someone waiting to apply can check
            # their eligibility or score meanwhile, and should be told so
            "tools_open": _(lang, "The eligibility tools stay open too: "),
            "tools_href": html.escape(tool_link),
            "tools_link": _(lang, "check what you may apply for and work out your score"),
            "turn": _(lang, "When your turn comes, this page takes you to the page you asked for."),
            "one_tab": _(
                lang,
                "Use one tab and keep your cookies: your place is kept in this browser. Opening "
                "more tabs does not move you forward.",
            ),
            "footer": _(
                lang, "Waiting room: the site lets people in in order, at the pace it can serve."
            ),
        }
        # the words that hold slots ({@refresh}, {@time}) are sections of a kind: fill them too
        for name in ("refresh_notice", "pre_when"):
            words[name] = _FIELD.sub(lambda f: _SLOT.format(f[2]), words[name])
        sections = {name: _fill(section, words) for name, section in _SECTIONS.items()}
        words |= {
            "meta_refresh": sections["meta_refresh"] if refresh else "",
            "updates": sections["updates_on" if refresh else "updates_off"],
            "rejoined": sections["rejoined"] if rejoined else "",
            "standing": sections["in_line" if in_line else "pre_queue"],
            "tools": sections["tools"] if tool_link else "",
        }
        return _Form.compile(_fill(_PAGE, words))

    def room_link(self, lang: Lang, next_path: str, *, refresh: bool = True) -> str:
        query = f"?lang={lang}&next={quote(next_path, safe='/')}"
        return self.room_path + query + ("" if refresh else "&refresh=off")

    def _links_uncached(self, lang: Lang, next_path: str, refresh: bool) -> tuple[bytes, bytes]:
        """(escaped link to the other language, escaped link to the no-refresh view)."""
        other: Lang = "fr" if lang == "en" else "en"
        switch = html.escape(self.room_link(other, next_path, refresh=refresh)).encode()
        return switch, html.escape(self.room_link(lang, next_path, refresh=False)).encode()

    def html(
        self, view: WaitView, *, lang: Lang, next_path: str, refresh: bool = True,
        now: float | None = None,
    ) -> bytes:  # fmt: skip
        switch, quiet = self._links(lang, next_path, refresh)
        position = view.position
        refresh_seconds = b"%d" % view.refresh_seconds
        if position is None:  # the pre-queue: when it opens, and how long until then
            opens_at = view.opens_at or 0.0
            until = max(0, round(opens_at - (time.time() if now is None else now)))
            return self._forms[lang, refresh, False, view.rejoined].render((
                refresh_seconds, switch, quiet, b"", b"", b"",
                time.strftime("%H:%M", time.gmtime(opens_at)).encode(),
                format_duration(until, lang).encode(),
            ))  # fmt: skip
        ahead = view.ahead
        return self._forms[lang, refresh, True, view.rejoined].render((
            refresh_seconds, switch, quiet,
            b"%d" % position if position < 1000 else number_bytes(position, lang),
            b"%d" % ahead if ahead < 1000 else number_bytes(ahead, lang),
            self._eta_bytes(view, lang), b"", b"",
        ))  # fmt: skip

    def _eta_bytes(self, view: WaitView, lang: Lang) -> bytes:
        estimate = view.estimate
        if view.paused:
            # neither "you will be let in at the next check" nor an estimate is true now
            return self._eta_cached(lang, False, None, True)
        if view.ahead == 0 or estimate is None:
            return self._eta_cached(lang, view.ahead == 0, None, False)
        shown = (
            shown_seconds(estimate.seconds), shown_seconds(estimate.low_seconds),
            shown_seconds(estimate.high_seconds),
        )  # fmt: skip
        return self._eta_cached(lang, False, shown, False)

    @lru_cache(maxsize=4096)  # noqa: B019  (one page object per room, for the process)
    def _eta_cached(
        self, lang: Lang, at_front: bool, shown: tuple[int, int, int] | None, paused: bool
    ) -> bytes:
        if paused:
            return _(
                lang,
                "The line is paused for the moment: nobody is being let in. You keep your "
                "place, and this page will tell you as soon as the line moves again.",
            ).encode()
        if at_front:
            return _(
                lang, "You are at the front of the line: you will be let in at the next check."
            ).encode()
        if shown is None:
            return _(
                lang,
                "Estimated wait: we will show an estimate as soon as the line starts moving.",
            ).encode()
        about, low, high = (format_shown(m, lang) for m in shown)
        sentence = f"{_(lang, 'Estimated wait: ')}<strong>{_(lang, 'about ')}{about}</strong>"
        if low != high:
            sentence += _(lang, " (between {low} and {high})").format(low=low, high=high)
        basis = _(lang, ", based on how fast the line moved in the last {minutes} minutes.")
        return (sentence + basis.format(minutes=self.window_minutes)).encode()

    @staticmethod
    def json(view: WaitView) -> bytes:
        """The JSON twin; ``estimatedWaitSeconds`` is null until the line has moved."""
        estimate = view.estimate
        document: dict[str, object] = {
            "inWaitingRoom": True,
            "position": view.position,
            "ahead": view.ahead,
            "estimatedWaitSeconds": estimate.seconds if estimate else None,
            "estimatedWaitRangeSeconds": (
                [estimate.low_seconds, estimate.high_seconds] if estimate else None
            ),
            "refreshSeconds": view.refresh_seconds,
        }
        if view.position is None:
            document["preQueue"] = True
            document["opensAt"] = time.strftime(
                "%Y-%m-%dT%H:%M:%SZ", time.gmtime(view.opens_at or 0)
            )
        if view.rejoined:
            document["rejoined"] = True
        if view.paused:
            document["paused"] = True
        return json.dumps(document, separators=(",", ":")).encode()
