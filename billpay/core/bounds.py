"""Bounds on text people type, checked before anything reaches the database or the payables
API: length, and no control characters (a NUL byte is refused by PostgreSQL and means nothing
to a person anyway)."""

from __future__ import annotations

import re

from billpay.core.i18n import N_, Phrase

MAX_REASON_LENGTH = 500
MIN_REASON_LENGTH = 3
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # tab and newline are allowed
_LINE_BREAK = re.compile(r"[\t\n]")


def text_problem(text: str, *, limit: int, multiline: bool = False) -> Phrase | None:
    """Why `text` can't be stored, in words for the person who typed it; None if it can."""
    if _CONTROL.search(text) or (not multiline and _LINE_BREAK.search(text)):
        return Phrase(N_("Remove the special characters (such as control codes) from this text."))
    if len(text) > limit:
        return Phrase(
            N_("Keep this to {limit} characters (it has {length})."), limit=limit, length=len(text)
        )
    return None


def reason_problem(reason: str) -> Phrase | None:
    """A rejection's reason: shown on the card to everyone, so short and readable."""
    if len(reason.strip()) < MIN_REASON_LENGTH:
        return Phrase(
            N_("Say briefly why, so the team knows ({least}+ characters)."),
            least=MIN_REASON_LENGTH,
        )
    return text_problem(reason, limit=MAX_REASON_LENGTH, multiline=True)


def shown(text: str, limit: int = 32) -> str:
    """Untrusted input quoted back to the person in an error: short, control characters gone."""
    text = _CONTROL.sub("", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# A question about a bill, posted in the card's thread.
MAX_QUESTION_LENGTH = 1000
# An invoice file, whether a new bill is made from it or it is attached to a card: the types
# every platform Bill Pay supports takes as a bill's attachment (the spec's table), by file
# extension, with the content type sent on upload.
MB = 1024 * 1024
INVOICE_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "csv": "text/csv",
    "txt": "text/plain",
}
# What each platform leaves out of those (the spec's Attachment table): QuickBooks Online lists
# TIF but not TIFF; NetSuite lists PJPG and PJPEG but not JPG or JPEG.
INVOICE_TYPES_REFUSED_BY = {
    "QuickBooks Online": frozenset({"tiff"}),
    "Oracle NetSuite": frozenset({"jpg", "jpeg"}),
    "NetSuite": frozenset({"jpg", "jpeg"}),
}
# The platforms' own limits (the spec's Attachment table: Xero 4 MB, QuickBooks Online and
# NetSuite 100 MB). A platform the table leaves out gets 100 MB, the most the bot reads of any
# file. `invoice_max_bytes` is the one limit the form's hint, its check and the upload all say.
INVOICE_MAX_BYTES_ON = {
    "Xero": 4 * MB,
    "QuickBooks Online": 100 * MB,
    "Oracle NetSuite": 100 * MB,
    "NetSuite": 100 * MB,
}
INVOICE_MAX_BYTES = 100 * MB


def invoice_max_bytes(platform: str | None) -> int:
    """The largest invoice file `platform` takes (unknown or unnamed: `INVOICE_MAX_BYTES`)."""
    return min(INVOICE_MAX_BYTES_ON.get(platform or "", INVOICE_MAX_BYTES), INVOICE_MAX_BYTES)
