"""With one workspace, the workspace that uninstalled the app, until it is back

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store.db import UTCDateTime

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_departures",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("slack_departures")
