"""Turns the content folder into ready-to-send responses and keeps them current.

Everything an information page shows (body, banner, navigation) is rendered here once per
change, so serving a page never renders a template or touches the database.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from pathlib import Path

from northbound.portal.content.loader import PAGES_DIR, Page, content_signature, load_pages
from northbound.portal.content.search import SearchIndex
from northbound.settings import Language
from northbound.web.cached_response import CachedResponse
from northbound.web.fastpath import CachedTable
from northbound.web.i18n import gettext
from northbound.web.templating import Crumb, Notice, Templates

log = logging.getLogger(__name__)

HTML = "text/html; charset=utf-8"


class ContentSite:
    def __init__(
        self,
        templates: Templates,
        table: CachedTable,
        folder: Path | None = None,
        max_age: int = 60,
    ) -> None:
        self.templates = templates
        self.table = table
        self.folder = folder or PAGES_DIR
        # Browsers and CDNs may reuse a page briefly, and keep showing it if we fail.
        self.cache_control = (
            f"public, max-age={max_age}, stale-while-revalidate={max_age * 10}, "
            "stale-if-error=86400"
        )
        self.pages: dict[tuple[Language, str], Page] = {}
        self.search_index = SearchIndex([])
        self._signature: tuple[tuple[str, int, int], ...] = ()
        self._notice_time = datetime(2000, 1, 1, tzinfo=UTC)

    # -- building ---------------------------------------------------------------------------
    def build(self) -> None:
        """Load and render everything, then swap the served table in one step."""
        signature = content_signature(self.folder)
        pages = load_pages(self.folder)
        responses: dict[str, CachedResponse] = dict(self.templates.assets.responses)
        for page in pages.values():
            html = self._render_page(page, pages)
            responses[page.path] = CachedResponse.build(
                html.encode(),
                HTML,
                self.cache_control,
                self._last_modified(page),
                route="/{lang}/" if not page.slug else "/{lang}/{page}",
            )
        splash = self.templates.environments["en"].get_template("splash.html").render()
        responses["/"] = CachedResponse.build(
            splash.encode(), HTML, self.cache_control, self._notice_time, route="/"
        )
        self.pages = pages
        self.search_index = SearchIndex(pages.values())
        self.table.replace(responses)
        self._signature = signature
        log.info("content built", extra={"pages": len(pages)})

    def reload_if_changed(self) -> bool:
        """Rebuild when a content file changed; a broken edit keeps the last good site."""
        signature = content_signature(self.folder)
        if signature == self._signature:
            return False
        try:
            self.build()
        except Exception:
            log.exception("content reload failed; still serving the previous version")
            self._signature = signature  # retry on the next edit, not on every poll
            return False
        return True

    def set_notice(self, notice: Notice, updated: datetime) -> None:
        if notice == self.templates.notice:
            return
        self.templates.notice = notice
        self._notice_time = updated
        self.build()

    # -- helpers ----------------------------------------------------------------------------
    def page(self, language: Language, page_id: str) -> Page:
        return self.pages[language, page_id]

    def twin(self, page: Page) -> Page:
        other: Language = "fr" if page.language == "en" else "en"
        return self.pages[other, page.id]

    def breadcrumbs(
        self,
        language: Language,
        parent_id: str | None,
        pages: dict[tuple[Language, str], Page] | None = None,
    ) -> list[Crumb]:
        """Ancestors from the home page down to ``parent_id`` (the current page excluded).

        ``pages`` defaults to the pages being served; a build passes the set it is rendering.
        """
        pages = self.pages if pages is None else pages
        chain: list[Crumb] = []
        seen: set[str] = set()
        current = parent_id
        while current and current not in seen and (language, current) in pages:
            seen.add(current)
            ancestor = pages[language, current]
            # the home page is "Home" in a trail, as on every other page of the site
            chain.append(
                Crumb(ancestor.title if ancestor.slug else gettext(language, "Home"), ancestor.path)
            )
            current = ancestor.parent
        if not chain or chain[-1].href != f"/{language}/":
            chain.append(Crumb(gettext(language, "Home"), f"/{language}/"))
        return list(reversed(chain))

    def _render_page(self, page: Page, pages: dict[tuple[Language, str], Page]) -> str:
        other: Language = "fr" if page.language == "en" else "en"
        children = sorted(
            (p for p in pages.values() if p.language == page.language and p.parent == page.id),
            key=lambda p: (p.order, p.title),
        )
        return self.templates.render(
            page.language,
            "page.html",
            title=page.title,
            twin_href=pages[other, page.id].path,
            breadcrumbs=self.breadcrumbs(
                page.language, page.parent if page.slug else "home", pages
            ),
            body_html=page.body_html,
            description=page.summary,
            updated=page.updated.isoformat(),
            children=[{"href": c.path, "title": c.title, "summary": c.summary} for c in children],
        )

    def _last_modified(self, page: Page) -> datetime:
        return max(datetime.combine(page.updated, time(), tzinfo=UTC), self._notice_time)
