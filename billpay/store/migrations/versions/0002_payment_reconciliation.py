"""Payments: base currency, the bill as reserved, attempts, when sent, reconciliation

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_currency", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("status_before", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("retry_of", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sent_at", store_db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("reconciled", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_payments_retry_of_payments"),
            "payments",
            ["retry_of"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_payments_retry_of_payments"), type_="foreignkey")
        batch_op.drop_column("reconciled")
        batch_op.drop_column("sent_at")
        batch_op.drop_column("retry_of")
        batch_op.drop_column("attempt")
        batch_op.drop_column("status_before")
        batch_op.drop_column("base_currency")
