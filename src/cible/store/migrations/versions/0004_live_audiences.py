"""Live audiences: the members of each audience as the stream path last computed them, and the
outbox of ``audience.entered`` / ``audience.exited`` notifications.

Revision ID: 0004_live_audiences
Revises: 0003_lifecycle
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cible.store.tables import UTCDateTime

revision = "0004_live_audiences"
down_revision = "0003_lifecycle"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "audience_members",
        sa.Column("audience", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("audience", "customer_id"),
    )
    op.create_index("ix_audience_members_customer", "audience_members", ["customer_id"])
    op.create_table(
        "audience_notifications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=False),
        sa.Column("audience", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_audience_notifications_pending", "audience_notifications", ["sent_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_audience_notifications_pending", table_name="audience_notifications")
    op.drop_table("audience_notifications")
    op.drop_index("ix_audience_members_customer", table_name="audience_members")
    op.drop_table("audience_members")
