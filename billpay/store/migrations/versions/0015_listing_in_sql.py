"""`/bills` counted, summed and paged by the database: mirrored bills keep their supplier's name
and reference folded for search and order and what is still owed as integers (exact sums on
every database), with an index in the listing's order (and one by
supplier and total, for the bills a page's bills may duplicate); messages keep
their filter and page only (no longer every bill their listing held), and say when their summary
counts only their cards

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

from billpay.core.search import folded
from billpay.store import db as store_db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

CHUNK = 1000


def upgrade() -> None:
    with op.batch_alter_table("mirrored_bills") as batch_op:
        batch_op.add_column(
            sa.Column("supplier_folded", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("reference_folded", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("owed_units", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("owed_fraction", sa.BigInteger(), nullable=False, server_default="0")
        )
    conn = op.get_bind()
    bills = sa.table(
        "mirrored_bills",
        sa.column("id", sa.Integer()),
        sa.column("supplier_name", sa.String()),
        sa.column("reference", sa.String()),
        sa.column("supplier_folded", sa.String()),
        sa.column("reference_folded", sa.String()),
        sa.column("amount_due", store_db.Money()),
        sa.column("total_amount", store_db.Money()),
        sa.column("owed_units", sa.BigInteger()),
        sa.column("owed_fraction", sa.BigInteger()),
    )
    rows = conn.execute(
        sa.select(
            bills.c.id,
            bills.c.supplier_name,
            bills.c.reference,
            bills.c.amount_due,
            bills.c.total_amount,
        )
    ).all()
    for start in range(0, len(rows), CHUNK):
        conn.execute(
            bills.update()
            .where(bills.c.id == sa.bindparam("row_id"))
            .values(
                supplier_folded=sa.bindparam("supplier"),
                reference_folded=sa.bindparam("ref"),
                owed_units=sa.bindparam("units"),
                owed_fraction=sa.bindparam("fraction"),
            ),
            [
                _backfill(row_id, name, reference, due if due is not None else total)
                for row_id, name, reference, due, total in rows[start : start + CHUNK]
            ],
        )
    # The bills a bill may duplicate are found by supplier and total.
    op.drop_index("ix_mirrored_bills_supplier", table_name="mirrored_bills")
    op.create_index(
        "ix_mirrored_bills_supplier",
        "mirrored_bills",
        ["company_id", "connection_id", "supplier_id", "total_amount"],
        unique=False,
    )
    op.create_index(
        "ix_mirrored_bills_listing",
        "mirrored_bills",
        [
            "company_id",
            "connection_id",
            "due_date",
            "supplier_folded",
            "reference_folded",
            "bill_id",
            "status",
            "currency",
            "owed_units",
            "owed_fraction",
        ],
        unique=False,
    )

    with op.batch_alter_table("bill_messages") as batch_op:
        batch_op.add_column(
            sa.Column("cards_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # A message whose listing held only bills on its cards (a new bill's own card) keeps
    # counting only those.
    messages = sa.table(
        "bill_messages",
        sa.column("id", sa.Integer()),
        sa.column("bill_ids", sa.JSON()),
        sa.column("listed", sa.JSON()),
        sa.column("cards_only", sa.Boolean()),
    )
    only_cards = [
        row_id
        for row_id, bill_ids, listed in conn.execute(
            sa.select(messages.c.id, messages.c.bill_ids, messages.c.listed)
        )
        if _cards_only(bill_ids, listed)
    ]
    for start in range(0, len(only_cards), CHUNK):
        conn.execute(
            messages.update()
            .where(messages.c.id.in_(only_cards[start : start + CHUNK]))
            .values(cards_only=True)
        )
    with op.batch_alter_table("bill_messages") as batch_op:
        batch_op.drop_column("listed")


def _backfill(row_id: int, name: str | None, reference: str | None, owed: Any) -> dict[str, Any]:
    units, fraction = owed_parts(owed)
    return {
        "row_id": row_id,
        "supplier": folded(name or ""),
        "ref": folded(reference or ""),
        "units": units,
        "fraction": fraction,
    }


def owed_parts(amount: Decimal) -> tuple[int, int]:
    """`billpay.mirror.store.owed_parts` as it was when this migration was written."""
    return divmod(int(Decimal(amount).scaleb(12)), 10**12)


def _cards_only(bill_ids: Any, listed: Any) -> bool:
    if not listed or not bill_ids:
        return False
    return {item.get("b") for item in listed} <= set(bill_ids)


def downgrade() -> None:
    with op.batch_alter_table("bill_messages") as batch_op:
        batch_op.add_column(
            sa.Column("listed", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.drop_column("cards_only")
    op.drop_index("ix_mirrored_bills_listing", table_name="mirrored_bills")
    op.drop_index("ix_mirrored_bills_supplier", table_name="mirrored_bills")
    op.create_index(
        "ix_mirrored_bills_supplier",
        "mirrored_bills",
        ["company_id", "connection_id", "supplier_id"],
        unique=False,
    )
    with op.batch_alter_table("mirrored_bills") as batch_op:
        batch_op.drop_column("owed_fraction")
        batch_op.drop_column("owed_units")
        batch_op.drop_column("reference_folded")
        batch_op.drop_column("supplier_folded")
