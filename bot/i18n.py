"""Words in the reader's language: the gettext catalogs in `bot/locale/` (kept by Babel), chosen
by the person's Slack locale.

Every string a person reads goes through `words(locale)`:

    _ = words(locale)
    _("Approve")
    _("Overdue by {days} days", days=3)
    _.ngettext("{n} bill", "{n} bills", count)

Placeholders are `str.format` names, so a translation may move them. Text that is chosen before
the reader is known (a table of error words, say) is marked with `N_()` and translated when it is
shown. The `.po` files are read and compiled in memory on first use, so there is no build step and
no compiled file to keep in step.
"""

from __future__ import annotations

import functools
import gettext
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:
    """Marks `message` for the catalogs without translating it: it is translated when shown."""
    return message


class Words:
    """One reader's catalog: `_("text", name=value)` and `_.ngettext(singular, plural, n)`."""

    def __init__(self, locale: str, translations: gettext.NullTranslations) -> None:
        self.locale = locale
        self._translations = translations

    def __call__(self, message: str, /, **values: object) -> str:
        return self.gettext(message, **values)

    def gettext(self, message: str, /, **values: object) -> str:
        text = self._translations.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The form for `n` in the reader's language; `{n}` is filled in with `n`."""
        return self._translations.ngettext(singular, plural, n).format(n=n, **values)


def words(locale: str) -> Words:
    """The catalog for a Babel locale (`fr_FR`, `en_GB`): its language's, else English's."""
    return Words(locale, _translations(language_of(locale)))


def language_of(locale: str) -> str:
    try:
        language = Locale.parse(locale.replace("-", "_")).language
    except (UnknownLocaleError, ValueError):
        return SOURCE_LANGUAGE
    return (
        language
        if (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").exists()
        else (SOURCE_LANGUAGE)
    )


def languages() -> list[str]:
    """The languages that have a catalog."""
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


@functools.cache
def _translations(language: str) -> gettext.NullTranslations:
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
