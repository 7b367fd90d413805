"""What `/billpay language <text>` reads as a language: a locale the bot has words for, or
nothing (then the person is told which it speaks); never an error, whatever is typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billpay.core.i18n import SOURCE_LANGUAGE, language_of, languages, spoken_locale


@pytest.mark.parametrize(
    ("typed", "default", "locale"),
    [
        ("fr", "en_GB", "fr_FR"),
        ("FR", "en_GB", "fr_FR"),
        ("fr-CA", "en_GB", "fr_CA"),
        ("French", "en_GB", "fr_FR"),
        ("français", "en_GB", "fr_FR"),
        (" anglais ", "fr_FR", "en_US"),
        ("en", "en_GB", "en_GB"),
        ("English", "en_GB", "en_GB"),
        ("de", "en_GB", None),
        ("Deutsch", "en_GB", None),
        ("", "en_GB", None),
    ],
)
def test_a_language_is_read_as_people_write_it(
    typed: str, default: str, locale: str | None
) -> None:
    assert spoken_locale(typed, default) == locale


TYPED = st.text(alphabet=st.sampled_from("enfrENFR_- çaisglhdtEGBUSCA0123456789«»é"), max_size=12)


@given(typed=st.one_of(TYPED, st.text(max_size=20)), default=st.sampled_from(["en_GB", "fr_FR"]))
def test_whatever_is_typed_gives_a_spoken_language_or_none(typed: str, default: str) -> None:
    locale = spoken_locale(typed, default)
    if locale is not None:
        assert language_of(locale) in {SOURCE_LANGUAGE, *languages()}
        assert language_of(locale) == locale.split("_")[0]
