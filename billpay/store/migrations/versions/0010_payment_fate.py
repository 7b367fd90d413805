"""A payment's fate: refused or in doubt instead of "failed" with an unknown outcome, what the
settler needs for a payment in doubt, estimated figures after a recorded payment, and each
link's accounting platform

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("doubt_since", store_db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("next_check_at", store_db.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("checks", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("readings", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("needs_person", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("settle_holder", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("settle_until", store_db.UTCDateTime(), nullable=True))
        batch_op.create_index("ix_payments_next_check_at", ["next_check_at"])
    payments = sa.table(
        "payments",
        sa.column("status", sa.String),
        sa.column("outcome_unknown", sa.Boolean),
        sa.column("reconciled", sa.String),
        sa.column("needs_person", sa.Boolean),
        sa.column("doubt_since", store_db.UTCDateTime()),
        sa.column("updated_at", store_db.UTCDateTime()),
    )
    # A payment whose answer was lost is in doubt: the bill's figures that had "moved" already
    # wait for a person; one read that showed no change proves nothing, so it is in doubt too.
    op.execute(
        payments.update()
        .where(payments.c.status == "failed", payments.c.outcome_unknown.is_(True))
        .values(
            status="in_doubt",
            doubt_since=payments.c.updated_at,
            needs_person=payments.c.reconciled == "moved",
        )
    )
    op.execute(payments.update().where(payments.c.status == "failed").values(status="refused"))
    cases = sa.table("bill_cases", sa.column("id", sa.Integer), sa.column("state", sa.String))
    payment_case = sa.table(
        "payments", sa.column("case_id", sa.Integer), sa.column("status", sa.String)
    )
    in_doubt = sa.select(payment_case.c.case_id).where(payment_case.c.status == "in_doubt")
    op.execute(
        cases.update()
        .where(cases.c.state == "failed", cases.c.id.in_(in_doubt))
        .values(state="in_doubt")
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("outcome_unknown")
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("figures_estimated", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("company_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_name", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("company_links", schema=None) as batch_op:
        batch_op.drop_column("platform_name")
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.drop_column("figures_estimated")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome_unknown", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    payments = sa.table(
        "payments", sa.column("status", sa.String), sa.column("outcome_unknown", sa.Boolean)
    )
    op.execute(
        payments.update()
        .where(payments.c.status == "in_doubt")
        .values(status="failed", outcome_unknown=True)
    )
    op.execute(payments.update().where(payments.c.status == "refused").values(status="failed"))
    cases = sa.table("bill_cases", sa.column("state", sa.String))
    op.execute(cases.update().where(cases.c.state == "in_doubt").values(state="failed"))
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_next_check_at")
        batch_op.drop_column("settle_until")
        batch_op.drop_column("settle_holder")
        batch_op.drop_column("needs_person")
        batch_op.drop_column("readings")
        batch_op.drop_column("checks")
        batch_op.drop_column("next_check_at")
        batch_op.drop_column("doubt_since")
