"""The waiting page and its JSON twin, assembled from byte fragments rendered at start-up.

Per request only numbers, a duration and the escaped address of the page the visitor asked
for are formatted; everything else is bytes prepared once per language. No template engine,
no database. The page works without JavaScript (meta refresh), says on the page that it
refreshes and how often, and offers a view without automatic refresh (WCAG 2.2.1).
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from urllib.parse import quote

from .room import WaitView

Lang = Literal["en", "fr"]

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

_TEXT: dict[Lang, dict[str, str]] = {
    "en": {
        "title": "You are in line",
        "title_pre": "The line opens soon",
        "skip": "Skip to main content",
        "other": "Français",
        "other_lang": "fr",
        "lang_nav": "Language",
        "place": "Your place in line: ",
        "ahead": "People ahead of you: ",
        "next": "You are at the front of the line: you will be let in at the next check.",
        "wait": "Estimated wait: ",
        "about": "about ",
        "between": " (between {low} and {high})",
        "basis": ", based on how fast the line moved in the last {minutes} minutes.",
        "no_eta": "Estimated wait: we will show an estimate as soon as the line starts moving.",
        "paused": "The line is paused for the moment: nobody is being let in. You keep your "
        "place, and this page will tell you as soon as the line moves again.",
        "refresh": "This page checks your place by itself about every {seconds} seconds: you "
        "do not need to reload it. Keep it open. If you leave for more than {grace}, "
        "your place goes to the next person.",
        "refresh_off_link": "Turn off automatic updates",
        "refresh_off": "Automatic updates are off. ",
        "check_now": "Check my place now",
        "rejoined": "You were away for more than {grace}, so your earlier place went to "
        "the next person. You have a new place at the end of the line.",
        "meanwhile": "While you wait",
        "info": "Information pages stay open: ",
        "info_link": "read about programs, rules and how to apply",
        "turn": "When your turn comes, this page takes you to the page you asked for.",
        "one_tab": "Use one tab and keep your cookies: your place is kept in this browser. "
        "Opening more tabs does not move you forward.",
        "pre_when": "The service opens at {time} UTC (in {until}). ",
        "pre_fair": "Everyone who arrives before the opening gets a place drawn at random "
        "when it opens, so there is no need to hurry or to reload. People who arrive after "
        "the opening join the line behind them.",
        "footer": "Waiting room: the site lets people in in order, at the pace it can serve.",
        "seconds": "{n} seconds",
        "minutes": "{n} minutes",
        "hours": "{h} h {m:02d} min",
        "and": " and ",
    },
    "fr": {
        "title": "Vous êtes dans la file d’attente",
        "title_pre": "La file ouvre bientôt",
        "skip": "Passer au contenu principal",
        "other": "English",
        "other_lang": "en",
        "lang_nav": "Langue",
        "place": "Votre place dans la file : ",
        "ahead": "Personnes devant vous : ",
        "next": "Vous êtes en tête de file : vous entrerez à la prochaine vérification.",
        "wait": "Attente estimée : ",
        "about": "environ ",
        "between": " (entre {low} et {high})",
        "basis": ", selon la vitesse à laquelle la file a avancé pendant les {minutes} "
        "dernières minutes.",
        "no_eta": "Attente estimée : nous afficherons une estimation dès que la file "
        "commencera à avancer.",
        "paused": "La file est en pause pour le moment : personne n’entre. Vous gardez votre "
        "place, et cette page vous dira dès que la file avancera de nouveau.",
        "refresh": "Cette page vérifie votre place d’elle-même environ toutes les {seconds} "
        "secondes : inutile de la recharger. Gardez-la ouverte. Si vous partez plus de "
        "{grace}, votre place passe à la personne suivante.",
        "refresh_off_link": "Arrêter les mises à jour automatiques",
        "refresh_off": "Les mises à jour automatiques sont arrêtées. ",
        "check_now": "Vérifier ma place maintenant",
        "rejoined": "Vous vous êtes absenté plus de {grace} : votre ancienne place est "
        "passée à la personne suivante. Vous avez une nouvelle place à la fin de la file.",
        "meanwhile": "Pendant l’attente",
        "info": "Les pages d’information restent accessibles : ",
        "info_link": "renseignez-vous sur les programmes, les règles et la façon de présenter "
        "une demande",
        "turn": "Quand votre tour viendra, cette page vous mènera à la page demandée.",
        "one_tab": "Utilisez un seul onglet et gardez vos témoins (cookies) : votre place est "
        "gardée dans ce navigateur. Ouvrir d’autres onglets ne vous fait pas avancer.",
        "pre_when": "Le service ouvre à {time} UTC (dans {until}). ",
        "pre_fair": "Toutes les personnes arrivées avant l’ouverture reçoivent une place tirée "
        "au sort à l’ouverture : inutile de vous presser ou de recharger la page. Les "
        "personnes qui arrivent après l’ouverture prennent place derrière elles.",
        "footer": "Salle d’attente : le site laisse entrer les gens dans l’ordre, au rythme "
        "qu’il peut servir.",
        "seconds": "{n} secondes",
        "minutes": "{n} minutes",
        "hours": "{h} h {m:02d}",
        "and": " et ",
    },
}


def format_number(value: int, lang: Lang) -> str:
    text = f"{value:,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def _shown(seconds: int) -> int:
    """The wait as it is worded, in seconds: to 5 s under two minutes, to 30 s under ten, to
    the minute beyond. The step stays under a tenth of the wait: a page that could only say
    "less than a minute" or "3 minutes" was off by a fifth or more on every short wait, and
    short waits are where people decide whether to stay."""
    if seconds < 120:
        return max(5, 5 * round(seconds / 5))
    if seconds < 600:
        return 30 * round(seconds / 30)
    return 60 * round(seconds / 60)


def format_duration(seconds: int, lang: Lang) -> str:
    return _format_shown(_shown(seconds), lang)


@lru_cache(maxsize=4096)
def _format_shown(seconds: int, lang: Lang) -> str:
    text = _TEXT[lang]
    if seconds < 120:
        return text["seconds"].format(n=seconds)
    minutes, rest = divmod(seconds, 60)
    if minutes < 120:
        worded = text["minutes"].format(n=minutes)
        return worded + text["and"] + text["seconds"].format(n=rest) if rest else worded
    return text["hours"].format(h=minutes // 60, m=minutes % 60)


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


@dataclass(frozen=True, slots=True)
class _Fragments:
    head_start: bytes  # up to the meta refresh
    head_end: bytes  # after it, through the opening of the header's language link
    after_switch: bytes  # the rest of the header and the opening of main
    info: bytes  # "while you wait" section
    tail: bytes
    # the common page (in line, refreshing) as bytes around its five variable parts
    # (the refresh notice comes right after the heading, before anything else can change)
    line_start: bytes  # .. the meta refresh interval
    line_head: bytes  # title .. opening of the language link
    line_open: bytes  # .. the refresh interval
    refresh_after: bytes  # .. the no-refresh link
    line_place: bytes  # .. the place number
    line_between: bytes  # .. the number ahead
    line_after: bytes  # .. the estimate sentence
    line_end: bytes  # the rest of the page


class WaitingPage:
    """Renders the waiting page (HTML) and the JSON twin for one room."""

    def __init__(
        self,
        *,
        room_path: str,
        grace_seconds: int,
        eta_window_seconds: float,
        site_names: dict[Lang, str],
        info_links: Mapping[str, str],
    ) -> None:
        self.room_path = room_path
        self.grace_seconds = grace_seconds
        self.window_minutes = max(1, round(eta_window_seconds / 60))
        self._fragments = {
            lang: self._prepare(lang, site_names[lang], info_links[lang]) for lang in _TEXT
        }
        # the same few pages are asked for again and again: escape their links once
        self._links = lru_cache(maxsize=4096)(self._links_uncached)
        self._line_links = lru_cache(maxsize=4096)(self._line_links_uncached)

    def _prepare(self, lang: Lang, site: str, info_link: str) -> _Fragments:
        t = _TEXT[lang]
        head_start = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<meta name="robots" content="noindex">'
        )
        head_end = (
            f"<style>{_CSS}</style></head><body>"
            f'<a class="skip" href="#main">{t["skip"]}</a>'
            f"<header><p>{html.escape(site)}</p>"
            f'<nav aria-label="{t["lang_nav"]}"><a lang="{t["other_lang"]}" '
            f'hreflang="{t["other_lang"]}" href="'
        )
        after_switch = f'">{t["other"]}</a></nav></header><main id="main">'
        info = (
            f"<h2>{t['meanwhile']}</h2><ul><li>{t['info']}"
            f'<a href="{html.escape(info_link)}">{t["info_link"]}</a>.</li>'
            f"<li>{t['turn']}</li><li>{t['one_tab']}</li></ul>"
        )
        tail = f"</main><footer><p>{t['footer']}</p></footer></body></html>"
        grace = format_duration(self.grace_seconds, lang)
        notice_before, notice_after = t["refresh"].format(seconds="\0", grace=grace).split("\0")
        return _Fragments(
            head_start=head_start.encode(),
            head_end=head_end.encode(),
            after_switch=after_switch.encode(),
            info=info.encode(),
            tail=tail.encode(),
            line_start=f'{head_start}<meta http-equiv="refresh" content="'.encode(),
            line_head=f'"><title>{t["title"]}</title>{head_end}'.encode(),
            line_open=f"{after_switch}<h1>{t['title']}</h1><p>{notice_before}".encode(),
            refresh_after=f'{notice_after} <a href="'.encode(),
            line_place=(
                f'">{t["refresh_off_link"]}</a></p><p class="place">{t["place"]}<strong>'
            ).encode(),
            line_between=f"</strong><br>{t['ahead']}<strong>".encode(),
            line_after=b"</strong></p><p>",
            line_end=f"</p>{info}{tail}".encode(),
        )

    def room_link(self, lang: Lang, next_path: str, *, refresh: bool = True) -> str:
        query = f"?lang={lang}&next={quote(next_path, safe='/')}"
        return self.room_path + query + ("" if refresh else "&refresh=off")

    def _links_uncached(self, lang: Lang, next_path: str, refresh: bool) -> tuple[bytes, str]:
        """(escaped link to the other language, escaped link to the no-refresh view)."""
        other: Lang = "fr" if lang == "en" else "en"
        switch = html.escape(self.room_link(other, next_path, refresh=refresh)).encode()
        return switch, html.escape(self.room_link(lang, next_path, refresh=False))

    def _line_page(self, view: WaitView, lang: Lang, next_path: str) -> bytes:
        """The page almost everyone sees: in line, refreshing. Joins bytes, formats numbers."""
        f = self._fragments[lang]
        switch, quiet = self._line_links(lang, next_path)
        seconds = b"%d" % view.refresh_seconds
        position = view.position or 0
        ahead = view.ahead
        return b"".join((
            f.line_start, seconds, f.line_head, switch, f.line_open, seconds, f.refresh_after,
            quiet, f.line_place,
            b"%d" % position if position < 1000 else format_number(position, lang).encode(),
            f.line_between,
            b"%d" % ahead if ahead < 1000 else format_number(ahead, lang).encode(),
            f.line_after, self._eta_bytes(view, lang), f.line_end,
        ))  # fmt: skip

    def _line_links_uncached(self, lang: Lang, next_path: str) -> tuple[bytes, bytes]:
        switch, quiet = self._links(lang, next_path, True)
        return switch, quiet.encode()

    def _eta_bytes(self, view: WaitView, lang: Lang) -> bytes:
        estimate = view.estimate
        if view.paused:
            # neither "you will be let in at the next check" nor an estimate is true now
            return _TEXT[lang]["paused"].encode()
        if view.ahead == 0 or estimate is None:
            return self._eta_cached(lang, view.ahead == 0, None)
        shown = (
            _shown(estimate.seconds), _shown(estimate.low_seconds),
            _shown(estimate.high_seconds),
        )  # fmt: skip
        return self._eta_cached(lang, False, shown)

    def html(
        self, view: WaitView, *, lang: Lang, next_path: str, refresh: bool = True,
        now: float | None = None,
    ) -> bytes:  # fmt: skip
        if refresh and view.position is not None and not view.rejoined:
            return self._line_page(view, lang, next_path)
        t = _TEXT[lang]
        fragments = self._fragments[lang]
        switch, quiet = self._links(lang, next_path, refresh)
        title = t["title"] if view.position is not None else t["title_pre"]
        parts: list[bytes] = [fragments.head_start]
        if refresh:
            parts.append(f'<meta http-equiv="refresh" content="{view.refresh_seconds}">'.encode())
        parts.append(f"<title>{title}</title>".encode())
        parts.append(fragments.head_end)
        parts.append(switch)
        parts.append(fragments.after_switch)
        body = [f"<h1>{title}</h1>"]
        if refresh:
            notice = t["refresh"].format(
                seconds=view.refresh_seconds, grace=format_duration(self.grace_seconds, lang)
            )
            body.append(f'<p>{notice} <a href="{quiet}">{t["refresh_off_link"]}</a></p>')
        else:
            body.append(f'<p>{t["refresh_off"]}<a href="{quiet}">{t["check_now"]}</a></p>')
        if view.rejoined:
            rejoined = t["rejoined"].format(grace=format_duration(self.grace_seconds, lang))
            body.append(f'<p class="note">{rejoined}</p>')
        if view.position is None:
            opens_at = view.opens_at or 0.0
            until = max(0, round(opens_at - (time.time() if now is None else now)))
            clock = time.strftime("%H:%M", time.gmtime(opens_at))
            body.append(
                f"<p>{t['pre_when'].format(time=clock, until=format_duration(until, lang))}"
                f"{t['pre_fair']}</p>"
            )
        else:
            body.append(
                f'<p class="place">{t["place"]}<strong>{format_number(view.position, lang)}'
                f"</strong><br>{t['ahead']}<strong>{format_number(view.ahead, lang)}</strong></p>"
            )
            body.append(f"<p>{self._eta_bytes(view, lang).decode()}</p>")
        parts.append("".join(body).encode())
        parts.append(fragments.info)
        parts.append(fragments.tail)
        return b"".join(parts)

    @lru_cache(maxsize=4096)  # noqa: B019  (one page object per room, for the process)
    def _eta_cached(
        self, lang: Lang, at_front: bool, shown: tuple[int, int, int] | None
    ) -> bytes:
        t = _TEXT[lang]
        if at_front:
            return t["next"].encode()
        if shown is None:
            return t["no_eta"].encode()
        about, low, high = (_format_shown(m, lang) for m in shown)
        sentence = f"{t['wait']}<strong>{t['about']}{about}</strong>"
        if low != high:
            sentence += t["between"].format(low=low, high=high)
        return (sentence + t["basis"].format(minutes=self.window_minutes)).encode()

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
