"""A new bill's invoice that did not reach the accounting platform: the card says so and
offers Retry upload until it does

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoice_pending", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.drop_column("invoice_pending")
