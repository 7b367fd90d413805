"""Keeps the gettext catalogs in step with the source (`make messages`, and the catalog test).

`extract()` finds every string marked for translation in `billpay/`;
`update()` writes the template and merges it into each language's catalog, keeping existing
translations. The English catalog is complete by construction (each text is its own
translation), so wording can be changed there without touching the code; other languages need a
person: new entries are left empty and the catalog test fails until they are translated.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po, write_po

from billpay.core.i18n import DOMAIN, LOCALE_DIR, SOURCE_LANGUAGE, languages

# The project folder: catalog locations are written relative to it (`billpay/...`).
ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("billpay",)
METHOD_MAP = [("**.py", "python")]
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
PROJECT = "slack-billpay"


def extract() -> Catalog:
    """The template: every marked string in the source, with where it is used."""
    template = Catalog(project=PROJECT, domain=DOMAIN, fuzzy=False)
    for directory in SOURCE_DIRS:
        for filename, lineno, message, comments, context in _extracted(ROOT / directory):
            template.add(
                message,
                locations=[(f"{directory}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return template


def _extracted(
    directory: Path,
) -> Iterator[tuple[str, int, str | tuple[str, ...], list[str], str | None]]:
    yield from extract_from_dir(
        directory,
        method_map=METHOD_MAP,
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    with catalog_path(language).open("rb") as po:
        return read_po(po, locale=language, domain=DOMAIN)


def write(catalog: Catalog, path: Path) -> None:
    """Writes `catalog`, keeping the header dates of the file it replaces so that running
    `make messages` twice changes nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with path.open("rb") as po:
            before = read_po(po)
        catalog.creation_date = before.creation_date
        catalog.revision_date = before.revision_date
    with path.open("wb") as po:
        write_po(po, catalog, width=100, sort_output=True, include_lineno=False)


def update(
    new_languages: tuple[str, ...] = (), merge_from: tuple[Path, ...] = ()
) -> dict[str, int]:
    """Writes the template and every catalog; returns each language's untranslated count.

    `merge_from` names other copies of the catalogs (another checkout's `.po` files): their
    translations fill entries this catalog has left empty, which is how two lines of work that
    both added strings are brought together."""
    template = extract()
    write(template, LOCALE_DIR / f"{DOMAIN}.pot")
    untranslated: dict[str, int] = {}
    for language in sorted({*languages(), SOURCE_LANGUAGE, *new_languages}):
        path = catalog_path(language)
        if path.exists():
            catalog = read(language)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project=PROJECT, fuzzy=False)
        catalog.update(extract(), no_fuzzy_matching=True)
        catalog.obsolete.clear()
        for other in merge_from:
            _fill_from(catalog, other, language)
        if language == SOURCE_LANGUAGE:
            for message in catalog:
                if message.id and not _translated(message.string):
                    message.string = message.id
        write(catalog, path)
        untranslated[language] = len([m for m in catalog if m.id and not _translated(m.string)])
    return untranslated


def _fill_from(catalog: Catalog, path: Path, language: str) -> None:
    with path.open("rb") as po:
        other = read_po(po)
    if other.locale is None or other.locale.language != language:
        return
    for message in catalog:
        if message.id and not _translated(message.string):
            found = other.get(message.id, message.context)
            if found is not None and _translated(found.string) and not found.fuzzy:
                message.string = found.string


def _translated(string: str | tuple[str, ...] | list[str] | None) -> bool:
    return all(string) if isinstance(string, tuple | list) else bool(string)


def main() -> int:
    parser = argparse.ArgumentParser(description="Extract marked strings and update catalogs.")
    parser.add_argument("languages", nargs="*", help="new languages to start a catalog for")
    parser.add_argument(
        "--merge-from", nargs="*", type=Path, default=[], help="other .po files to take from"
    )
    args = parser.parse_args()
    counts = update(tuple(args.languages), tuple(args.merge_from))
    for language, missing in counts.items():
        state = "complete" if missing == 0 else f"{missing} to translate"
        print(f"{catalog_path(language).relative_to(ROOT)}: {state}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
