"""Who created each bill from Slack and who asked for it, so neither approves it; a channel's
own policy keeps approvers from paying unless it says otherwise

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bill_origins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("bill_id", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", store_db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_origins")),
        sa.UniqueConstraint("company_id", "bill_id", name="uq_bill_origins_bill"),
    )
    # Bills created before this revision have their creator in the audit trail.
    audit = sa.table(
        "audit_events",
        sa.column("at", store_db.UTCDateTime()),
        sa.column("actor", sa.String),
        sa.column("action", sa.String),
        sa.column("company_id", sa.String),
        sa.column("bill_id", sa.String),
    )
    first = (
        sa.select(
            audit.c.company_id,
            audit.c.bill_id,
            sa.func.min(audit.c.actor).label("created_by"),
            sa.func.min(audit.c.at).label("created_at"),
        )
        .where(
            audit.c.action == "bill_created",
            audit.c.company_id.is_not(None),
            audit.c.bill_id.is_not(None),
        )
        .group_by(audit.c.company_id, audit.c.bill_id)
    )
    origins = sa.table(
        "bill_origins",
        sa.column("company_id", sa.String),
        sa.column("bill_id", sa.String),
        sa.column("created_by", sa.String),
        sa.column("created_at", store_db.UTCDateTime()),
    )
    op.execute(
        origins.insert().from_select(["company_id", "bill_id", "created_by", "created_at"], first)
    )


def downgrade() -> None:
    op.drop_table("bill_origins")
