"""A message posted for one new bill is marked, so it is headed as that bill, never with a count
that would read as the company's whole position

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bill_messages") as batch_op:
        batch_op.add_column(
            sa.Column("new_bill", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("bill_messages") as batch_op:
        batch_op.drop_column("new_bill")
