"""Bot tables: links, policies, bill cases, decisions, payments, messages, audit

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", store_db.UTCDateTime(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=True),
        sa.Column("bill_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_at"), ["at"], unique=False)

    op.create_table(
        "company_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=48), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("company_name", sa.String(length=255), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("linked_by", sa.String(length=32), nullable=False),
        sa.Column("linked_at", store_db.UTCDateTime(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_links")),
        sa.UniqueConstraint("team_id", "channel_id", name="uq_company_links_channel"),
    )
    op.create_table(
        "bill_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("approvals_required", sa.Integer(), nullable=False),
        sa.Column("supplier_name", sa.String(length=255), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_amount", store_db.Money(precision=30, scale=12), nullable=False),
        sa.Column("amount_due", store_db.Money(precision=30, scale=12), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("bill_status", sa.String(length=16), nullable=False),
        sa.Column("bill_modified", store_db.UTCDateTime(), nullable=True),
        sa.Column("base_amount", store_db.Money(precision=30, scale=12), nullable=True),
        sa.Column("rejected_by", sa.String(length=32), nullable=True),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", store_db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["company_links.id"],
            name=op.f("fk_bill_cases_link_id_company_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_cases")),
        sa.UniqueConstraint("link_id", "bill_id", name="uq_bill_cases_bill"),
    )
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_cases_link_id"), ["link_id"], unique=False)

    op.create_table(
        "bill_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=False),
        sa.Column("filter_text", sa.String(length=255), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("bill_ids", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("posted_by", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", store_db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["company_links.id"],
            name=op.f("fk_bill_messages_link_id_company_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_messages")),
        sa.UniqueConstraint("channel_id", "ts", name="uq_bill_messages_message"),
    )
    with op.batch_alter_table("bill_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_messages_link_id"), ["link_id"], unique=False)

    op.create_table(
        "policies",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("approvers", sa.JSON(), nullable=False),
        sa.Column("payers", sa.JSON(), nullable=False),
        sa.Column("dual_approval_threshold", store_db.Money(precision=30, scale=12), nullable=True),
        sa.Column("approver_may_pay", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", store_db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["company_links.id"],
            name=op.f("fk_policies_link_id_company_links"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_policies")),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", store_db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bill_cases.id"],
            name=op.f("fk_decisions_case_id_bill_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("case_id", "user_id", "kind", name="uq_decisions_once_per_person"),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", store_db.Money(precision=30, scale=12), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("account_name", sa.String(length=255), nullable=False),
        sa.Column("account_currency", sa.String(length=3), nullable=False),
        sa.Column("exchange_rate", store_db.Money(precision=30, scale=12), nullable=True),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("requested_by", sa.String(length=32), nullable=False),
        sa.Column("due_before", store_db.Money(precision=30, scale=12), nullable=False),
        sa.Column("payables_payment_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("outcome_unknown", sa.Boolean(), nullable=False),
        sa.Column("created_at", store_db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", store_db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bill_cases.id"],
            name=op.f("fk_payments_case_id_bill_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payments_idempotency_key")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_case_id"))

    op.drop_table("payments")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_case_id"))

    op.drop_table("decisions")
    op.drop_table("policies")
    with op.batch_alter_table("bill_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_messages_link_id"))

    op.drop_table("bill_messages")
    with op.batch_alter_table("bill_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_cases_link_id"))

    op.drop_table("bill_cases")
    op.drop_table("company_links")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_at"))

    op.drop_table("audit_events")
