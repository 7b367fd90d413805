"""Payments held for an undo window: when they go out, and the modal that shows them

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_after", store_db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("view_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("view_id")
        batch_op.drop_column("send_after")
