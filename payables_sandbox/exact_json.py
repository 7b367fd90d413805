"""JSON with exact decimals, as the payables API reads and writes amounts.

Reading turns every number with a fraction or an exponent into a `Decimal`, so `0.1` is one
tenth and never a binary float. Writing puts a `Decimal` on the wire as a bare number in plain
digits (`1250.10`, never `1.2501E+3`): some clients read an exponent as a float.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any


def loads(text: str | bytes) -> Any:
    """The value of a JSON document, with non-integer numbers as `Decimal`."""
    return json.loads(text, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Compact JSON for `value`: dicts, lists and tuples, strings, numbers (`Decimal`
    included), booleans and None."""
    return "".join(_tokens(value))


def _tokens(value: Any) -> Iterator[str]:
    if isinstance(value, Decimal):
        yield _plain_digits(value)
    elif isinstance(value, Mapping):
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield ("," if index else "") + json.dumps(str(key)) + ":"
            yield from _tokens(item)
        yield "}"
    elif isinstance(value, list | tuple):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _tokens(item)
        yield "]"
    elif value is None or isinstance(value, str | int | float):
        yield json.dumps(value, allow_nan=False)
    else:
        raise TypeError(f"{type(value).__name__} has no JSON form in the sandbox")


def _plain_digits(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    text = f"{value:f}"
    return "0" if text == "-0" else text
