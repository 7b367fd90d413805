"""Where a company's periodic re-read of its outstanding bills, taken in slices, has got to

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store.db import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mirror_state") as batch:
        batch.add_column(sa.Column("cycle_ends", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("cycle_slices", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cycle_read", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sliced_to", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mirror_state") as batch:
        batch.drop_column("sliced_to")
        batch.drop_column("cycle_read")
        batch.drop_column("cycle_slices")
        batch.drop_column("cycle_ends")
