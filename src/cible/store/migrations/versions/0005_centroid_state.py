"""Online centroid updates: per model version, the centroids the stream has moved (the state of
``lifecycle.online_centroids.OnlineCentroids``), how many batches moved them, the last alert.

Revision ID: 0005_centroid_state
Revises: 0004_live_audiences
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cible.store.tables import UTCDateTime

revision = "0005_centroid_state"
down_revision = "0004_live_audiences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "centroid_state",
        sa.Column("model_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("batches", sa.BigInteger(), nullable=False),
        sa.Column("alert", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("model_version"),
    )


def downgrade() -> None:
    op.drop_table("centroid_state")
