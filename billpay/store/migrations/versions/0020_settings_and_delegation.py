"""Settings changed in Slack and decisions taken for someone away: a channel's policy names a
user group of approvers and its reminder interval, people named to change settings, delegates,
and the approver a decision was taken for

Revision ID: 0020
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store.db import UTCDateTime

revision = "0020"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("policies") as batch_op:
        batch_op.add_column(sa.Column("approver_group", sa.String(32), nullable=True))
        batch_op.add_column(sa.Column("reminder_hours", sa.Integer(), nullable=True))
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.add_column(sa.Column("on_behalf_of", sa.String(32), nullable=True))
    op.create_table(
        "settings_admins",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("added_by", sa.String(32), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "delegations",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("delegate_id", sa.String(32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("delegations")
    op.drop_table("settings_admins")
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.drop_column("on_behalf_of")
    with op.batch_alter_table("policies") as batch_op:
        batch_op.drop_column("reminder_hours")
        batch_op.drop_column("approver_group")
