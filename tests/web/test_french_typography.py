"""French typography: a non-breaking space before ``:`` (narrow before ``;`` ``?`` ``!``),
inside ``« »``, and between groups of digits ("1 800"), in every French catalog and on the
French pages as people see them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po
from fastapi import FastAPI

from northbound.portal.content.site import ContentSite
from northbound.surge.waiting_room.wording import TRANSLATIONS as ROOM_TRANSLATIONS
from northbound.web.i18n import TRANSLATIONS_DIR, write_number
from tests.support.accounts import sign_up, start

BAD_SPACING = re.compile(
    r"(?P<plain> [:;?!»]|« )"  # an ordinary space, which a line can break at
    r"|(?P<none>(?<=[^\W\d_])[:;?!](?=\s|$))"  # no space at all after a word
    r"|(?P<grouping>\d[ ,]\d{3}(?!\d))"  # 1 800 with a breaking space, or 1,800
)
CATALOGS = [
    *sorted((TRANSLATIONS_DIR / "fr" / "LC_MESSAGES").glob("*.po")),
    ROOM_TRANSLATIONS / "fr" / "LC_MESSAGES" / "waiting_room.po",
]


def problems(text: str) -> list[str]:
    return [
        f"{match.lastgroup}: …{text[max(0, match.start() - 30) : match.end() + 10]}…"
        for match in BAD_SPACING.finditer(text)
    ]


def _french_strings(path: Path) -> list[str]:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    found: list[str] = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        found.extend(str(s) for s in strings if s)
    return found


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: p.name)
def test_french_catalogs_space_their_punctuation(catalog: Path) -> None:
    found = [problem for text in _french_strings(catalog) for problem in problems(text)]
    assert found == []


def test_the_check_finds_what_it_must() -> None:
    assert problems("Mot de passe oublié ?") and problems("Nouveau ici?")
    assert problems("« Envoyer »") and problems("il en faut 1 095.")
    assert problems("Numéro de reçu: CZ")
    assert not problems("Mot de passe oublié\u202f? Nouveau\u00a0: «\u00a0oui\u00a0» 1\u00a0095")
    assert not problems("à 18:00 sur https://example.com/?q=1")


def test_french_numbers_are_grouped_with_a_non_breaking_space() -> None:
    assert write_number("fr", 1800) == "1\u00a0800"
    assert write_number("fr", 1234567) == "1\u00a0234\u00a0567"
    assert write_number("en", 1800) == "1,800"


class _Text(HTMLParser):
    """The text a person reads on a page: no scripts, styles or attribute values."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def page_problems(html: str) -> list[str]:
    reader = _Text()
    reader.feed(html)
    # text split across tags ("Numéro de reçu" <strong>…) is read as one line, as seen
    return problems(re.sub(r"[ \t\r\n]+", " ", "".join(reader.parts)))


FRENCH_PAGES = (
    "/fr/compte/connexion",
    "/fr/compte/inscription",
    "/fr/admissibilite/",
    "/fr/admissibilite/calculateur-scg",
    "/fr/admissibilite/grille-travailleurs-qualifies",
    "/fr/admissibilite/presence-effective",
    "/fr/admissibilite/decouvrez",
    "/fr/recherche?q=citoyennet%C3%A9",
)


async def test_french_pages_space_their_punctuation(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    content: ContentSite = app.state.content
    paths = [page.path for (language, _), page in content.pages.items() if language == "fr"]
    found: dict[str, list[str]] = {}
    for path in [*paths, *FRENCH_PAGES]:
        response = await client.get(path)
        assert response.status_code == 200, path
        if listed := page_problems(response.text):
            found[path] = listed
    await sign_up(client, "typographie@example.com", "fr")
    base = await start(client, "citizenship", "fr")
    for path in ("/fr/compte/", "/fr/compte/demandes", base, f"{base}/residence"):
        response = await client.get(path)
        assert response.status_code == 200, path
        if listed := page_problems(response.text):
            found[path] = listed
    assert found == {}
