"""Matching what people type against names and references, as people search: case and accents
ignored (`Müller` ~ `muller`)."""

from __future__ import annotations

import unicodedata


def folded(text: str) -> str:
    """`text` with case and accents folded away, for matching."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
