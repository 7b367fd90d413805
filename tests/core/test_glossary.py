"""The French catalog follows `docs/glossary-fr.md`: no entry uses a word the glossary retires,
and Undo, Cancel and a voided bill never read alike."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from billpay.core.catalogs import read
from billpay.core.i18n import words

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "glossary-fr.md"


def retired_terms(glossary: str) -> dict[str, str]:
    """Each retired word or phrase of the glossary's table, with the term it gave way to."""
    terms: dict[str, str] = {}
    for line in glossary.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("Term", "---"):
            continue
        for word in filter(None, (w.strip() for w in cells[3].split(","))):
            terms[word] = cells[1]
    return terms


def uses(text: str, term: str) -> bool:
    """True when `text` has `term` as whole words (any case, any space between them)."""
    pattern = r"\b" + r"\s+".join(map(re.escape, term.split())) + r"\b"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def entries_using_retired_terms(entries: list[tuple[str, str]], terms: dict[str, str]) -> list[str]:
    return [
        f"{msgid!r}: “{term}” (write “{chosen}”)"
        for msgid, text in entries
        for term, chosen in terms.items()
        if uses(text, term)
    ]


def _french_entries() -> list[tuple[str, str]]:
    entries = []
    for message in read("fr"):
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        entries.extend((msgid, text) for text in strings)
    return entries


def test_the_glossary_retires_the_words_a_french_accountant_does_not_use() -> None:
    terms = retired_terms(GLOSSARY.read_text(encoding="utf-8"))
    for retired in ("logiciel comptable", "carte", "lier", "paiement", "pièce jointe"):
        assert retired in terms, retired
    assert terms["paiement"].startswith("règlement") and terms["carte"] == "fiche"


def test_no_french_entry_uses_a_retired_term() -> None:
    terms = retired_terms(GLOSSARY.read_text(encoding="utf-8"))
    found = entries_using_retired_terms(_french_entries(), terms)
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("Facture approuvée par Ana", "approuvée"),
        ("Voir la pièce\u00a0jointe", "pièce jointe"),
        ("l’approbation de Ana", "approbation"),
        ("Ce canal est relié à Larkspur", None),  # relier is the chosen word, lier retired
        ("Particulier", None),
    ],
)
def test_a_retired_term_is_caught_as_a_word_not_inside_another(
    text: str, caught: str | None
) -> None:
    terms = {t: "" for t in ("approuvée", "pièce jointe", "approbation", "lié", "lier")}
    found = entries_using_retired_terms([("x", text)], terms)
    assert found == ([f"'x': “{caught}” (write “”)"] if caught else [])


def test_undo_cancel_and_a_voided_bill_share_no_word_in_french() -> None:
    _ = words("fr_FR")
    said = {key: set(re.findall(r"\w+", _(key).casefold())) for key in ("Undo", "Cancel", "Void")}
    assert not said["Undo"] & said["Cancel"]
    assert not said["Undo"] & said["Void"] and not said["Cancel"] & said["Void"]
