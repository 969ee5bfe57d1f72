"""Reads the information pages: Markdown files with YAML front matter, one per language.

A page's twin in the other language shares its ``id``. Loading fails loudly (``ContentError``)
on a missing field, a bad slug, a duplicate or a page without its twin, so a broken content
change is caught at start-up or reload, never shown half-built to visitors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import frontmatter
from markdown_it import MarkdownIt

from northbound.settings import LANGUAGES, Language

PAGES_DIR = Path(__file__).with_name("pages")
SLUG_PATTERN = re.compile(r"^(|[a-z0-9]+(?:-[a-z0-9]+)*)$")
FILE_PATTERN = re.compile(r"^(?P<id>[a-z0-9-]+)\.(?P<lang>en|fr)\.md$")


class ContentError(ValueError):
    """The content folder cannot be turned into a consistent site."""


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    language: Language
    title: str
    slug: str
    summary: str
    updated: date
    order: int
    parent: str | None
    body_html: str
    text: str  # plain words for search

    @property
    def path(self) -> str:
        return f"/{self.language}/{self.slug}" if self.slug else f"/{self.language}/"


def _markdown() -> MarkdownIt:
    # "commonmark" with tables; raw HTML stays off so content cannot inject markup.
    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable("table")


def _plain_text(markdown_source: str) -> str:
    return re.sub(r"[#*_`>\[\]()|-]+", " ", markdown_source)


def load_pages(folder: Path = PAGES_DIR) -> dict[tuple[Language, str], Page]:
    """Every page keyed by (language, id)."""
    md = _markdown()
    pages: dict[tuple[Language, str], Page] = {}
    slugs: dict[tuple[Language, str], str] = {}
    for file in sorted(folder.glob("*.md")):
        match = FILE_PATTERN.match(file.name)
        if not match:
            raise ContentError(f"{file.name}: name must be <id>.<en|fr>.md")
        language: Language = match["lang"]  # type: ignore[assignment]
        try:
            post = frontmatter.loads(file.read_text(encoding="utf-8"))
        except Exception as exc:  # YAML errors come in many types
            raise ContentError(f"{file.name}: front matter does not parse: {exc}") from exc
        meta = post.metadata
        missing = [k for k in ("id", "title", "slug", "summary", "updated") if k not in meta]
        if missing:
            raise ContentError(f"{file.name}: missing front matter {', '.join(missing)}")
        page_id = str(meta["id"])
        if page_id != match["id"]:
            raise ContentError(f"{file.name}: id {page_id!r} does not match the file name")
        slug = str(meta["slug"] or "")
        if not SLUG_PATTERN.match(slug):
            raise ContentError(f"{file.name}: slug {slug!r} must be lowercase words and hyphens")
        if (language, slug) in slugs:
            raise ContentError(
                f"{file.name}: slug {slug!r} already used by {slugs[language, slug]}"
            )
        slugs[language, slug] = page_id
        updated = meta["updated"]
        if not isinstance(updated, date):
            try:
                updated = date.fromisoformat(str(updated))
            except ValueError as exc:
                raise ContentError(f"{file.name}: updated must be YYYY-MM-DD") from exc
        parent = meta.get("parent")
        pages[language, page_id] = Page(
            id=page_id,
            language=language,
            title=str(meta["title"]),
            slug=slug,
            summary=str(meta["summary"]),
            updated=updated,
            order=int(str(meta.get("order", 100))),
            parent=str(parent) if parent else None,
            body_html=md.render(post.content),
            text=_plain_text(f"{meta['title']} {meta['summary']} {post.content}"),
        )
    _check_consistency(pages)
    return pages


def _check_consistency(pages: dict[tuple[Language, str], Page]) -> None:
    ids = {page_id for _, page_id in pages}
    for page_id in ids:
        for language in LANGUAGES:
            if (language, page_id) not in pages:
                raise ContentError(f"page {page_id!r} has no {language} version")
    for page in pages.values():
        if page.parent and (page.language, page.parent) not in pages:
            raise ContentError(f"page {page.id!r} names unknown parent {page.parent!r}")
    if ids and "home" not in ids:
        raise ContentError("there must be a page with id 'home'")


def content_signature(folder: Path = PAGES_DIR) -> tuple[tuple[str, int, int], ...]:
    """Cheap fingerprint of the folder (names, sizes, mtimes) to notice edits without reading."""
    return tuple(
        (f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(folder.glob("*.md"))
    )
