"""JSON encoding and decoding that keeps money exact.

The payables API carries amounts as JSON numbers. Decoding parses every number with a fraction
as `Decimal`; encoding writes a `Decimal` as a bare JSON number with its own digits, never through
a binary float, so `1250.10` leaves this process as `1250.10`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def loads(text: str | bytes) -> Any:
    """Parse JSON, turning numbers with a fraction or exponent into `Decimal`."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialise `value` to compact JSON; `Decimal` becomes a JSON number with the same digits."""
    return "".join(_encode(value))


def _encode(value: Any) -> list[str]:
    out: list[str] = []
    _write(value, out)
    return out


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot encode {value} as a JSON number")
        out.append(_decimal_text(value))
    elif value is None or isinstance(value, bool | int | float | str):
        out.append(json.dumps(value, allow_nan=False))
    elif isinstance(value, datetime | date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(json.dumps(str(key)))
            out.append(":")
            _write(item, out)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def _decimal_text(value: Decimal) -> str:
    # Fixed-point text: JSON allows exponents, but some readers turn them into floats.
    text = format(value, "f")
    return "0" if text in ("-0", "") else text
