"""The French catalogs are merged into one: a message translated in two files must be translated
the same way, or which one a page shows would depend on file names."""

from __future__ import annotations

from babel.messages.pofile import read_po

from northbound.web.i18n import TRANSLATIONS_DIR


def test_no_message_has_two_different_translations() -> None:
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po_file in sorted((TRANSLATIONS_DIR / "fr" / "LC_MESSAGES").glob("*.po")):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale="fr")
        for message in catalog:
            if not message.id or not message.string:
                continue
            key, text = str(message.id), str(message.string)
            if key in seen and seen[key][1] != text:
                clashes.append(
                    f"{key!r}: {seen[key][0]} says {seen[key][1]!r}, {po_file.name} says {text!r}"
                )
            seen.setdefault(key, (po_file.name, text))
    assert clashes == []
