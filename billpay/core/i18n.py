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

What the core says before it knows who reads it (an error, a notice, why a payment failed) is a
`Phrase`: a marked message and its named values, which `_(phrase)` translates for the reader.
Values are filled in for the reader too: `Money` and dates as Babel writes them in the reader's
locale, a nested `Phrase` translated. A phrase kept in the database is stored with `dump()` and
read back with `Phrase.load()`, so it is translated when shown, not when it happened.
"""

from __future__ import annotations

import functools
import gettext
import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from pathlib import Path
from typing import Any, TypeAlias

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_territory_currencies,
)
from babel.support import Translations

from billpay.core.mrkdwn import escape

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


def N_(message: str) -> str:
    """Marks `message` for the catalogs without translating it: it is translated when shown."""
    return message


@dataclass(frozen=True)
class Money:
    """An amount a phrase names, written in the reader's locale when shown."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Escaped:
    """A value made inert for mrkdwn once written out (a phrase of the platform's words, say)."""

    value: Value


Value: TypeAlias = "str | int | Decimal | Money | date | Phrase | Escaped"


class Phrase(str):
    """A marked message and its values, translated when shown: `_(phrase)`.

    As a `str` it is the English text, for the log and anything that has no reader."""

    message: str
    plural: str | None
    values: dict[str, Value]

    def __new__(cls, message: str, /, **values: Value) -> Phrase:
        return cls._made(message, None, values)

    @classmethod
    def ngettext(cls, singular: str, plural: str, n: int, /, **values: Value) -> Phrase:
        """A message with plural forms, the form chosen for `n` in the reader's language;
        `{n}` is filled in with `n`. (Named so that the catalogs extract it as a plural.)"""
        return cls._made(singular, plural, {"n": n, **values})

    @classmethod
    def _made(cls, message: str, plural: str | None, values: dict[str, Value]) -> Phrase:
        english = _render(message, plural, values, SOURCE_LANGUAGE, None)
        phrase = super().__new__(cls, english)
        phrase.message = message
        phrase.plural = plural
        phrase.values = values
        return phrase

    def say(self, words: Words) -> str:
        return _render(self.message, self.plural, self.values, words.locale, words)

    def dump(self) -> str:
        """The phrase as text to store: the message id and its values, not the words."""
        if not self.values and self.plural is None:
            return self.message
        stored: dict[str, Any] = {"m": self.message, "v": _dump_values(self.values)}
        if self.plural is not None:
            stored["p"] = self.plural
        return json.dumps(stored, sort_keys=True)

    @classmethod
    def load(cls, text: str) -> Phrase:
        """A stored phrase; text stored as words (older rows, the platform's own) is kept as it
        is, translated only if it is itself a message id."""
        if text.startswith('{"m": '):
            try:
                stored = json.loads(text)
                return cls._made(stored["m"], stored.get("p"), _load_values(stored["v"]))
            except (ValueError, KeyError, TypeError, AttributeError):
                pass
        return cls(text)


def _render(
    message: str,
    plural: str | None,
    values: dict[str, Value],
    locale: str,
    words: Words | None,
) -> str:
    if plural is not None:
        n = values.get("n")
        count = n if isinstance(n, int) else 0
        if words is not None:
            text = words.plural_form(message, plural, count)
        else:
            text = message if count == 1 else plural
    else:
        text = words.gettext(message) if words is not None else message
    if not values:
        return text
    return text.format(**{name: _shown(v, locale, words) for name, v in values.items()})


def _shown(value: Value, locale: str, words: Words | None) -> str:
    locale = locale.replace("-", "_")
    if locale == SOURCE_LANGUAGE:
        locale = "en_GB"
    match value:
        case Phrase():
            return value.say(words) if words is not None else str(value)
        case Escaped(inner):
            return escape(_shown(inner, locale, words))
        case Money(amount, currency):
            return write_money(amount, currency, locale)
        case date():
            return format_date(value, format="medium", locale=locale)
        case Decimal():
            return format_decimal(value, locale=locale, decimal_quantization=False)
        case _:
            return str(value)


# Languages whose finance teams write other currencies by their ISO code (`1 250,00 GBP`, not
# CLDR's `1 250,00 £GB`), keeping the euro's and the country's own symbol.
_ISO_CODE_LANGUAGES = frozenset({"fr"})


def write_money(amount: Decimal, currency: str, locale: str) -> str:
    """An amount rounded half-up to its currency's minor unit, as CLDR writes the number for
    `locale`: `£1,250.00` (en_GB), `1 250,00 €` and `1 250,00 GBP` (fr_FR)."""
    code = currency.upper()
    places = Decimal(1).scaleb(-int(get_currency_precision(code)))
    rounded = amount.quantize(places, rounding=ROUND_HALF_UP)
    pattern = _code_pattern(locale, code)
    if pattern is None:
        return format_currency(rounded, code, locale=locale)
    return format_currency(rounded, code, pattern, locale=locale, currency_digits=True)


@functools.cache
def _code_pattern(locale: str, currency: str) -> str | None:
    """The locale's currency pattern with the ISO code (`¤¤`) where its readers write the code
    for this currency; None where they write the symbol."""
    parsed = Locale.parse(locale)
    own = {"EUR", *(get_territory_currencies(parsed.territory) if parsed.territory else ())}
    if parsed.language not in _ISO_CODE_LANGUAGES or currency in own:
        return None
    pattern = parsed.currency_formats["standard"].pattern
    return pattern.replace("¤", "¤¤")


def _dump_values(values: dict[str, Value]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        match value:
            case Phrase():
                out[name] = {"phrase": value.dump()}
            case Escaped(inner):
                out[name] = {"escaped": _dump_values({"x": inner})["x"]}
            case Money(amount, currency):
                out[name] = {"money": [str(amount), currency]}
            case date():
                out[name] = {"date": value.isoformat()}
            case Decimal():
                out[name] = {"decimal": str(value)}
            case _:
                out[name] = value
    return out


def _load_values(stored: dict[str, Any]) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for name, value in stored.items():
        if isinstance(value, dict) and "escaped" in value:
            values[name] = Escaped(_load_values({"x": value["escaped"]})["x"])
        elif isinstance(value, dict) and "phrase" in value:
            values[name] = Phrase.load(value["phrase"])
        elif isinstance(value, dict) and "money" in value:
            values[name] = Money(Decimal(value["money"][0]), value["money"][1])
        elif isinstance(value, dict) and "date" in value:
            values[name] = date.fromisoformat(value["date"])
        elif isinstance(value, dict) and "decimal" in value:
            values[name] = Decimal(value["decimal"])
        elif isinstance(value, str | int):
            values[name] = value
        else:
            raise TypeError(f"not a phrase value: {value!r}")
    return values


class Words:
    """One reader's catalog: `_("text", name=value)` and `_.ngettext(singular, plural, n)`."""

    def __init__(self, locale: str, translations: gettext.NullTranslations) -> None:
        self.locale = locale
        self._translations = translations

    def __call__(self, message: str, /, **values: object) -> str:
        return self.gettext(message, **values)

    def gettext(self, message: str, /, **values: object) -> str:
        """The translation; a `Phrase` (as the message or a value) is translated too."""
        if isinstance(message, Phrase):
            return message.say(self)
        text = self._translations.gettext(message)
        return text.format(**self._said(values)) if values else text

    def plural_form(self, singular: str, plural: str, n: int) -> str:
        """The translation for `n`, placeholders not yet filled in."""
        return self._translations.ngettext(singular, plural, n)

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """The form for `n` in the reader's language; `{n}` is filled in with `n`."""
        return self._translations.ngettext(singular, plural, n).format(n=n, **self._said(values))

    def _said(self, values: dict[str, object]) -> dict[str, object]:
        return {k: v.say(self) if isinstance(v, Phrase) else v for k, v in values.items()}


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


def language_name(locale: str, *, in_locale: str) -> str:
    """A locale's language as a reader of `in_locale` names it ("French", "anglais")."""
    try:
        return Locale.parse(locale).get_language_name(Locale.parse(in_locale)) or locale
    except (UnknownLocaleError, ValueError):
        return locale


def spoken_locale(text: str, default: str) -> str | None:
    """The Babel locale a person means by `fr`, `fr-FR`, `en_US`, `French` or `français`,
    when the bot has words for its language; None otherwise. A language named alone takes the
    default's territory when it is the default's language (`en` → en_GB), else its most likely
    one (`fr` → fr_FR)."""
    wanted = text.strip().replace("-", "_")
    if not wanted:
        return None
    spoken = [SOURCE_LANGUAGE, *(lang for lang in languages() if lang != SOURCE_LANGUAGE)]
    for language in spoken:
        names = {language_name(language, in_locale=other).casefold() for other in spoken}
        if wanted.casefold() in names:
            wanted = language
            break
    try:
        locale = Locale.parse(wanted)
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    if locale.language not in spoken:
        return None
    if locale.territory:
        return f"{locale.language}_{locale.territory}"
    fallback = Locale.parse(default.replace("-", "_"))
    if fallback.language == locale.language and fallback.territory:
        return f"{locale.language}_{fallback.territory}"
    likely = str(get_global("likely_subtags").get(locale.language, locale.language))
    territory = Locale.parse(likely).territory
    return f"{locale.language}_{territory}" if territory else locale.language


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
