"""Jinja2 environments, one per language, with translations and site-wide helpers installed.

Pages call :meth:`Templates.render` with the language and a context; the helpers every layout
needs (static URLs, the notice banner, the twin-language link) are filled in here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from northbound.settings import LANGUAGES, Language
from northbound.web.assets import StaticAssets
from northbound.web.i18n import translations

TEMPLATES_DIR = Path(__file__).with_name("templates")


@dataclass(frozen=True, slots=True)
class Notice:
    """The operator's banner in both languages; empty text means no banner."""

    en: str = ""
    fr: str = ""
    level: str = "info"

    def text(self, language: Language) -> str:
        return self.en if language == "en" else self.fr


@dataclass(frozen=True, slots=True)
class Crumb:
    title: str
    href: str


# Paths every layout links to, per language.
SITE_LINKS: dict[Language, dict[str, str]] = {
    "en": {
        "home": "/en/",
        "search": "/en/search",
        "help": "/en/help",
        "news": "/en/news",
        "processing": "/en/processing-times",
        "account": "/en/account/",
    },
    "fr": {
        "home": "/fr/",
        "search": "/fr/recherche",
        "help": "/fr/aide",
        "news": "/fr/nouvelles",
        "processing": "/fr/delais-de-traitement",
        "account": "/fr/compte/",
    },
}


class Templates:
    def __init__(self, assets: StaticAssets, directories: list[Path] | None = None) -> None:
        self.assets = assets
        self.notice = Notice()
        folders = [str(d) for d in (directories or [])] + [str(TEMPLATES_DIR)]
        self.environments: dict[Language, Environment] = {}
        for language in LANGUAGES:
            env = Environment(
                loader=FileSystemLoader(folders),
                autoescape=select_autoescape(["html", "xml"]),
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            catalog = translations(language)
            env.install_gettext_callables(  # type: ignore[attr-defined]
                catalog.gettext, catalog.ngettext, newstyle=True
            )
            env.globals.update(static_url=assets.url, lang=language, links=SITE_LINKS[language])
            self.environments[language] = env

    def render(
        self,
        language: Language,
        template: str,
        *,
        title: str,
        twin_href: str,
        breadcrumbs: list[Crumb] | None = None,
        **context: Any,
    ) -> str:
        """Render a full page. ``twin_href`` is the same page in the other language."""
        env = self.environments[language]
        values: Mapping[str, Any] = {
            "title": title,
            "twin_href": twin_href,
            "twin_lang": "fr" if language == "en" else "en",
            "breadcrumbs": breadcrumbs or [],
            "notice": self.notice.text(language),
            "notice_level": self.notice.level,
            **context,
        }
        return env.get_template(template).render(values)
