from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from northbound.portal.content.loader import PAGES_DIR, ContentError, load_pages
from northbound.settings import LANGUAGES
from tests.support.apps import FIXTURE_CONTENT


def copy_fixture(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, folder)
    return folder


def test_loads_pages_with_twins_and_metadata() -> None:
    pages = load_pages(FIXTURE_CONTENT)
    guide_en, guide_fr = pages["en", "guide"], pages["fr", "guide"]
    assert guide_en.path == "/en/guide"
    assert guide_fr.path == "/fr/guide-pratique"
    assert guide_en.updated == date(2026, 1, 3)
    assert guide_en.parent == "home"
    assert "<h2>Who can sponsor</h2>" in guide_en.body_html
    assert pages["en", "home"].path == "/en/"


def test_raw_html_in_markdown_is_escaped(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    page = folder / "guide.en.md"
    page.write_text(page.read_text() + "\n<script>alert(1)</script>\n")
    html = load_pages(folder)["en", "guide"].body_html
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("slug: guide\n", "slug: ../etc\n"), "slug"),
        (lambda t: t.replace("slug: guide\n", "slug: Guide Page\n"), "slug"),
        (lambda t: t.replace("title: Sponsorship guide\n", ""), "missing front matter title"),
        (lambda t: t.replace("updated: 2026-01-03", "updated: yesterday"), "updated"),
        (lambda t: t.replace("parent: home", "parent: nowhere"), "unknown parent"),
        (lambda t: t.replace("id: guide", "id: other"), "does not match"),
        (lambda t: t.replace("---\nid", "---\nid: [unclosed\nid", 1), "front matter"),
    ],
)
def test_broken_content_is_refused_with_a_clear_message(
    tmp_path: Path, edit: object, message: str
) -> None:
    folder = copy_fixture(tmp_path)
    page = folder / "guide.en.md"
    page.write_text(edit(page.read_text()))  # type: ignore[operator]
    with pytest.raises(ContentError, match=message):
        load_pages(folder)


def test_a_page_without_its_twin_is_refused(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    (folder / "guide.fr.md").unlink()
    with pytest.raises(ContentError, match="no fr version"):
        load_pages(folder)


def test_duplicate_slug_is_refused(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    text = (folder / "guide.en.md").read_text().replace("id: guide", "id: again")
    (folder / "again.en.md").write_text(text)
    (folder / "again.fr.md").write_text(
        (folder / "guide.fr.md")
        .read_text()
        .replace("id: guide", "id: again")
        .replace("slug: guide-pratique", "slug: encore")
    )
    with pytest.raises(ContentError, match="already used"):
        load_pages(folder)


def test_packaged_content_is_complete_and_consistent() -> None:
    pages = load_pages(PAGES_DIR)
    required = {
        "home",
        "express-entry",
        "family-sponsorship",
        "provincial-nominees",
        "work-permits",
        "study-permits",
        "visitor-visas",
        "citizenship",
        "processing-times",
        "help",
        "news",
    }
    ids = {page_id for _, page_id in pages}
    assert required <= ids
    for language in LANGUAGES:
        for page_id in ids:
            page = pages[language, page_id]
            assert page.title and page.summary
            assert "<h1" not in page.body_html, f"{page_id}.{language} repeats the h1"
