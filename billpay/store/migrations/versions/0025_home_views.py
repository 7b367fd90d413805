"""The App Homes drawn, by any replica, and the redraws a change asks of them

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store.db import UTCDateTime

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "home_views",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("drawn_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("redraws", sa.Integer(), nullable=False),
    )
    op.create_index("ix_home_views_due", "home_views", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_home_views_due", table_name="home_views")
    op.drop_table("home_views")
