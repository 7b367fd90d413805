"""The exact money column reads back plain digits on every database."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.dialects import postgresql, sqlite

from billpay.store.db import Money


def test_whole_numbers_read_back_without_an_exponent() -> None:
    column = Money()
    read = column.process_result_value(Decimal("100.000000000000"), postgresql.dialect())
    assert str(read) == "100"
    assert str(column.process_result_value(Decimal("0.861200000000"), postgresql.dialect())) == (
        "0.8612"
    )
    assert str(column.process_result_value("1250.10", sqlite.dialect())) == "1250.10"
