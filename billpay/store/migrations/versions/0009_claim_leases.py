"""Claims with a lease: who holds each piece of the scheduler's work and until when, so a
replica takes over what a dead one left

Digest runs still `claimed` when this runs were left by a process that stopped: each gets a
claim whose lease has already passed, so the first replica to tick takes it over (and, that
late, records the day as missed rather than posting a morning digest in the evening).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

LEFT_BEFORE_LEASES = "unknown (before leases)"


def upgrade() -> None:
    claims = op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=96), nullable=False),
        sa.Column("claimed_at", store_db.UTCDateTime(), nullable=False),
        sa.Column("lease_until", store_db.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", store_db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("kind", "subject", name="uq_claims_once"),
    )
    op.create_index("ix_claims_open", "claims", ["done_at", "lease_until"], unique=False)
    runs = sa.table(
        "digest_runs",
        sa.column("subscription_id", sa.Integer()),
        sa.column("local_date", sa.Date()),
        sa.column("status", sa.String()),
        sa.column("created_at", store_db.UTCDateTime()),
    )
    left = op.get_bind().execute(
        sa.select(runs.c.subscription_id, runs.c.local_date, runs.c.created_at).where(
            runs.c.status == "claimed"
        )
    )
    rows = [
        {
            # As billpay.digest.store.run_subject writes it.
            "kind": "digest",
            "subject": f"{subscription_id}@{local_date.isoformat()}",
            "holder": LEFT_BEFORE_LEASES,
            "claimed_at": created_at or datetime.now(UTC),
            "lease_until": created_at or datetime.now(UTC),
            "attempts": 1,
        }
        for subscription_id, local_date, created_at in left
    ]
    if rows:
        op.bulk_insert(claims, rows)


def downgrade() -> None:
    op.drop_index("ix_claims_open", table_name="claims")
    op.drop_table("claims")
