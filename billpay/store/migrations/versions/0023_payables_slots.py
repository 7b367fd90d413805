"""A company's places for payables requests in flight, shared by every replica

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0023"
down_revision = "0022"
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
    if op.get_bind().dialect.name == "postgresql":
        # Places live a request long: no WAL, so taking and giving one back never waits on a
        # disk flush. A crash of the database empties the table; the rows are added again.
        op.execute("ALTER TABLE payables_slots SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("payables_slots")
