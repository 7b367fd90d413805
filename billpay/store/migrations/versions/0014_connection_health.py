"""The health of each company's connection to its accounting platform: its status, where it is
linked again, and whether its change was announced

Revision ID: 0014
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connection_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("link_url", sa.Text(), nullable=True),
        sa.Column("platform_name", sa.String(length=64), nullable=True),
        sa.Column("changed_at", store_db.UTCDateTime(), nullable=False),
        sa.Column("checked_at", store_db.UTCDateTime(), nullable=True),
        sa.Column("next_check_at", store_db.UTCDateTime(), nullable=True),
        sa.Column("check_failures", sa.Integer(), nullable=False),
        sa.Column("announced_paused", sa.Boolean(), nullable=False),
        sa.Column("announced_at", store_db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connection_health")),
        sa.UniqueConstraint("company_id", "connection_id", name="uq_connection_health_connection"),
    )
    with op.batch_alter_table("connection_health") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connection_health_next_check_at"), ["next_check_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("connection_health") as batch_op:
        batch_op.drop_index(batch_op.f("ix_connection_health_next_check_at"))
    op.drop_table("connection_health")
