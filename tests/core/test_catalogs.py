"""The gettext catalogs: every marked string is in the English and French catalogs, translated,
with the same placeholders, so a French reader never meets an English sentence we forgot."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Message

from billpay.core.catalogs import extract, read
from billpay.core.i18n import languages, words

PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def _ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def _strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


@pytest.fixture(scope="module")
def template() -> dict[str, Message]:
    return {_ids(m)[0]: m for m in extract() if m.id}


def test_english_and_french_catalogs_exist() -> None:
    assert {"en", "fr"} <= set(languages())


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_marked_string_is_translated(language: str, template: dict[str, Message]) -> None:
    catalog = {_ids(m)[0]: m for m in read(language) if m.id}
    missing = sorted(set(template) - set(catalog))
    assert not missing, f"not in the {language} catalog (run `make messages`): {missing[:20]}"
    stale = sorted(set(catalog) - set(template))
    assert not stale, f"in the {language} catalog but no longer in the code: {stale[:20]}"
    untranslated = sorted(k for k, m in catalog.items() if not all(_strings(m)) or m.fuzzy)
    assert not untranslated, f"untranslated or fuzzy in {language}: {untranslated[:20]}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_translations_keep_the_placeholders(language: str) -> None:
    wrong = []
    for message in read(language):
        if not message.id:
            continue
        expected = {name for text in _ids(message) for name in PLACEHOLDER.findall(text)}
        for text in _strings(message):
            found = set(PLACEHOLDER.findall(text))
            # A singular form may say "one" in words instead of `{n}`.
            if found != expected and found | {"n"} != expected:
                wrong.append((_ids(message)[0], text))
    assert not wrong, f"placeholders differ in {language}: {wrong[:10]}"


def test_the_reader_locale_picks_the_catalog() -> None:
    assert words("fr-FR")("due today") == "à payer aujourd’hui"
    assert words("fr_CA")("due today") == "à payer aujourd’hui"
    assert words("en_GB")("due today") == "due today"
    # A language without a catalog reads English rather than failing.
    assert words("de_DE")("due today") == "due today"
    assert words("fr_FR").ngettext("due in {n} day", "due in {n} days", 2) == "à payer dans 2 jours"
