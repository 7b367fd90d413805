"""A company's places for payables requests in flight, shared by every replica

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payables_slots",
        sa.Column("company_id", sa.String(64), primary_key=True),
        sa.Column("slot", sa.Integer(), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=True),
        sa.Column("lease_until", store_db.UTCDateTime(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("payables_slots")
