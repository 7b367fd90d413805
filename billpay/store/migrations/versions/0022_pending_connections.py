"""Connections `/billpay connect` created and that wait to be authorised, with the channel
each links once Linked

Revision ID: 0019
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store.db import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_connections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(48), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("connection_id", sa.String(64), nullable=False),
        sa.Column("company_name", sa.String(255), nullable=False),
        sa.Column("platform_name", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("next_check_at", UTCDateTime(), nullable=True),
        sa.Column("checks", sa.Integer, nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint(
            "company_id", "connection_id", name="uq_pending_connections_connection"
        ),
    )
    op.create_index(
        "ix_pending_connections_next_check_at", "pending_connections", ["next_check_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_pending_connections_next_check_at", "pending_connections")
    op.drop_table("pending_connections")
