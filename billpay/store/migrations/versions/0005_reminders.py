"""Bill cases: when the bill was first seen, last reminded about, escalated

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_at", store_db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reminded_at", store_db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", store_db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("reminded_at")
        batch_op.drop_column("opened_at")
