"""`/bills` messages: every bill their listing held, with the figures their summary line needs;
whether they are out of date; and which bills each shows, indexed by bill

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bill_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("listed", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("out_of_date", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.drop_column("summary")
    op.create_table(
        "bill_message_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["bill_messages.id"],
            name=op.f("fk_bill_message_cards_message_id_bill_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_message_cards")),
        sa.UniqueConstraint("message_id", "bill_id", name="uq_bill_message_cards_card"),
    )
    op.create_index(
        "ix_bill_message_cards_bill", "bill_message_cards", ["link_id", "bill_id"], unique=False
    )
    # Cards of messages posted before: from the bill ids each message kept.
    conn = op.get_bind()
    messages = sa.table(
        "bill_messages",
        sa.column("id", sa.Integer()),
        sa.column("link_id", sa.Integer()),
        sa.column("bill_ids", sa.JSON()),
    )
    cards = sa.table(
        "bill_message_cards",
        sa.column("message_id", sa.Integer()),
        sa.column("link_id", sa.Integer()),
        sa.column("bill_id", sa.String()),
    )
    rows = [
        {"message_id": message_id, "link_id": link_id, "bill_id": bill_id}
        for message_id, link_id, bill_ids in conn.execute(
            sa.select(messages.c.id, messages.c.link_id, messages.c.bill_ids)
        )
        for bill_id in dict.fromkeys(bill_ids or [])
    ]
    if rows:
        op.bulk_insert(cards, rows)


def downgrade() -> None:
    op.drop_index("ix_bill_message_cards_bill", table_name="bill_message_cards")
    op.drop_table("bill_message_cards")
    with op.batch_alter_table("bill_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("summary", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.drop_column("out_of_date")
        batch_op.drop_column("listed")
