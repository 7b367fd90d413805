"""The mirror of each linked company's payables data: bills (whatever their status), suppliers,
mapping options, and how far each dataset has been read

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from billpay.store import db as store_db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirrored_bills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("bill_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("supplier_id", sa.String(length=64), nullable=True),
        sa.Column("supplier_name", sa.String(length=255), nullable=True),
        sa.Column("reference", sa.String(length=255), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_amount", store_db.Money(), nullable=False),
        sa.Column("amount_due", store_db.Money(), nullable=True),
        sa.Column("source_modified", sa.String(length=40), nullable=True),
        sa.Column("source_modified_at", store_db.UTCDateTime(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("read_at", store_db.UTCDateTime(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("attachments_for", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirrored_bills")),
        sa.UniqueConstraint(
            "company_id", "connection_id", "bill_id", name="uq_mirrored_bills_bill"
        ),
    )
    op.create_index(
        "ix_mirrored_bills_due",
        "mirrored_bills",
        ["company_id", "connection_id", "status", "due_date"],
    )
    op.create_index(
        "ix_mirrored_bills_supplier",
        "mirrored_bills",
        ["company_id", "connection_id", "supplier_id"],
    )
    op.create_index(
        "ix_mirrored_bills_reference",
        "mirrored_bills",
        ["company_id", "connection_id", "reference"],
    )
    op.create_table(
        "mirrored_suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("supplier_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=True),
        sa.Column("balance", store_db.Money(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("source_modified", sa.String(length=40), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("read_at", store_db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirrored_suppliers")),
        sa.UniqueConstraint(
            "company_id", "connection_id", "supplier_id", name="uq_mirrored_suppliers_supplier"
        ),
    )
    op.create_index(
        "ix_mirrored_suppliers_name", "mirrored_suppliers", ["company_id", "connection_id", "name"]
    )
    op.create_table(
        "mirrored_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("read_at", store_db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirrored_options")),
        sa.UniqueConstraint("company_id", "connection_id", "kind", name="uq_mirrored_options_kind"),
    )
    op.create_table(
        "mirror_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("connection_id", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=16), nullable=False),
        sa.Column("watermark", store_db.UTCDateTime(), nullable=True),
        sa.Column("last_full_sync", store_db.UTCDateTime(), nullable=True),
        sa.Column("last_incremental_sync", store_db.UTCDateTime(), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=True),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", store_db.UTCDateTime(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("wanted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mirror_state")),
        sa.UniqueConstraint(
            "company_id", "connection_id", "dataset", name="uq_mirror_state_dataset"
        ),
    )


def downgrade() -> None:
    op.drop_table("mirror_state")
    op.drop_table("mirrored_options")
    op.drop_table("mirrored_suppliers")
    op.drop_table("mirrored_bills")
