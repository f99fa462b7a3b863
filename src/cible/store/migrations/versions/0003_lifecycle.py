"""The registry metadata of each published segment model: ``segment_models.metadata`` (JSON,
nullable: versions published before this migration have none). It holds the model's parameters,
selection metrics, feature schema, reference distributions (the drift module's histograms),
training data window, code version and, when ids were carried over, the stable-id match.

Revision ID: 0003_lifecycle
Revises: 0002_activation
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_lifecycle"
down_revision = "0002_activation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("segment_models") as batch:
        batch.add_column(sa.Column("metadata", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("segment_models") as batch:
        batch.drop_column("metadata")
