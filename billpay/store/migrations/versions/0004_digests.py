"""Daily digests: subscriptions per linked channel, and one claimed run per day

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("look_ahead_days", sa.Integer(), nullable=False),
        sa.Column("post_when_empty", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", store_db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", store_db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["company_links.id"],
            name=op.f("fk_digest_subscriptions_link_id_company_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscriptions")),
        sa.UniqueConstraint("link_id", name="uq_digest_subscriptions_link"),
    )
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("blocks", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", store_db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", store_db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscriptions.id"],
            name=op.f("fk_digest_runs_subscription_id_digest_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_runs")),
        sa.UniqueConstraint("subscription_id", "local_date", name="uq_digest_runs_once_a_day"),
    )


def downgrade() -> None:
    op.drop_table("digest_runs")
    op.drop_table("digest_subscriptions")
