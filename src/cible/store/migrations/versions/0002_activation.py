"""Activation state: the members of each export at its last run, the runs, and the contacts
per channel that frequency caps count.

Revision ID: 0002_activation
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cible.store.tables import UTCDateTime

revision = "0002_activation"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "export_members",
        sa.Column("export_name", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("export_name", "customer_id"),
    )
    op.create_table(
        "export_runs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("export_name", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.Column("entered", sa.BigInteger(), nullable=False),
        sa.Column("left", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_export_runs_name", "export_runs", ["export_name", "id"])
    op.create_table(
        "contacts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("export_name", sa.String(length=255), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contacts_channel", "contacts", ["channel", "customer_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_contacts_channel", table_name="contacts")
    op.drop_table("contacts")
    op.drop_index("ix_export_runs_name", table_name="export_runs")
    op.drop_table("export_runs")
    op.drop_table("export_members")
