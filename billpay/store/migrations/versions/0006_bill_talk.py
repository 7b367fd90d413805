"""Bill cases: attachments, possible duplicate, the invoice shared in the thread; questions

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("invoice_share", sa.JSON(), nullable=True))
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("asked_by", sa.String(length=32), nullable=False),
        sa.Column("asked_of", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("asked_at", store_db.UTCDateTime(), nullable=False),
        sa.Column("resolved_by", sa.String(length=32), nullable=True),
        sa.Column("resolved_at", store_db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bill_cases.id"],
            name=op.f("fk_questions_case_id_bill_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_questions_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_questions_case_id"))
    op.drop_table("questions")
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.drop_column("invoice_share")
        batch_op.drop_column("duplicate_of")
        batch_op.drop_column("attachment_count")
