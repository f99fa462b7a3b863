"""The tables of the profile store (SQLAlchemy Core); Alembic migrations create them.

Amounts are exact integers of micro-units (``amount * 10**6``, the DECIMAL(38, 6) of the batch
features): sums are exact on SQLite too, which has no decimal type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite keeps naive UTC text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused by the store: give a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()
Str = sa.String(255)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("customer_id", Str, primary_key=True),
    sa.Column("source", Str, nullable=False),
    sa.Column("created_at", UTCDateTime()),
    sa.Column("record", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
customer_aliases = sa.Table(
    "customer_aliases",
    metadata,
    sa.Column("record_id", Str, primary_key=True),
    sa.Column("customer_id", Str, nullable=False),
)
profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column("customer_id", Str, primary_key=True),
    sa.Column("as_of", UTCDateTime()),
    sa.Column("features", sa.JSON),
    sa.Column("aggregates", sa.JSON),
    sa.Column("updated_at", UTCDateTime()),
)
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("customer_id", Str, primary_key=True),
    sa.Column("order_id", Str, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("first_ts", UTCDateTime(), nullable=False),
    sa.Column("amount_micros", sa.BigInteger, nullable=False),
)
daily_events = sa.Table(
    "daily_events",
    metadata,
    sa.Column("customer_id", Str, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("events", sa.BigInteger, nullable=False),
    sa.Column("refunded_micros", sa.BigInteger, nullable=False),
    sa.Column("first_ts", UTCDateTime(), nullable=False),
    sa.Column("last_ts", UTCDateTime(), nullable=False),
)
segment_models = sa.Table(
    "segment_models",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("artifact", sa.LargeBinary, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("features", sa.JSON, nullable=False),
    sa.Column("names", sa.JSON, nullable=False),
    sa.Column("cible_version", sa.String(32), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("metadata", sa.JSON),  # registry metadata (migration 0003_lifecycle)
)
segments = sa.Table(
    "segments",
    metadata,
    sa.Column("model_version", sa.Integer, primary_key=True),
    sa.Column("segment_id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
)
memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("customer_id", Str, primary_key=True),
    sa.Column("segment_id", sa.Integer, nullable=False),
    sa.Column("model_version", sa.Integer, nullable=False),
    sa.Column("valid_from", UTCDateTime(), nullable=False),
    sa.Index("ix_memberships_segment", "segment_id", "customer_id"),
)
membership_history = sa.Table(
    "membership_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("customer_id", Str, nullable=False),
    sa.Column("segment_id", sa.Integer, nullable=False),
    sa.Column("model_version", sa.Integer, nullable=False),
    sa.Column("valid_from", UTCDateTime(), nullable=False),
    sa.Column("valid_to", UTCDateTime()),
    sa.Column("event_id", Str),
    sa.Index("ix_membership_history_customer", "customer_id", "valid_from"),
)
processed_events = sa.Table(
    "processed_events",
    metadata,
    sa.Column("event_id", Str, primary_key=True),
    sa.Column("customer_id", Str, nullable=False),
    sa.Column("processed_at", UTCDateTime(), nullable=False),
)
consents = sa.Table(
    "consents",
    metadata,
    sa.Column("customer_id", Str, primary_key=True),
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("granted", sa.Boolean, nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("source", Str, nullable=False),
)
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("prefix", sa.String(32), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
)
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("customer_id", Str, nullable=False),
    sa.Column("segment_id", sa.Integer, nullable=False),
    sa.Column("segment_name", sa.String(255), nullable=False),
    sa.Column("previous_segment_id", sa.Integer),
    sa.Column("model_version", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("event_id", Str),
    sa.Column("sent_at", UTCDateTime()),
    sa.Index("ix_notifications_pending", "sent_at", "id"),
)

# -- activation (migration 0002_activation) ---------------------------------------------------
export_members = sa.Table(
    "export_members",
    metadata,
    sa.Column("export_name", Str, primary_key=True),
    sa.Column("customer_id", Str, primary_key=True),
    sa.Column("since", UTCDateTime(), nullable=False),
)
export_runs = sa.Table(
    "export_runs",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("export_name", Str, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(8), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("members", sa.BigInteger, nullable=False),
    sa.Column("entered", sa.BigInteger, nullable=False),
    sa.Column("left", sa.BigInteger, nullable=False),
    sa.Index("ix_export_runs_name", "export_name", "id"),
)
contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("customer_id", Str, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("export_name", Str, nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Index("ix_contacts_channel", "channel", "customer_id", "at"),
)

# -- live audiences (migration 0004_live_audiences) -------------------------------------------
audience_members = sa.Table(
    "audience_members",
    metadata,
    sa.Column("audience", Str, primary_key=True),
    sa.Column("customer_id", Str, primary_key=True),
    sa.Column("since", UTCDateTime(), nullable=False),
    sa.Index("ix_audience_members_customer", "customer_id"),
)
audience_notifications = sa.Table(
    "audience_notifications",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("customer_id", Str, nullable=False),
    sa.Column("audience", Str, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("at", UTCDateTime(), nullable=False),
    sa.Column("sent_at", UTCDateTime()),
    sa.Index("ix_audience_notifications_pending", "sent_at", "id"),
)

# -- online centroid updates (migration 0005_centroid_state) ------------------------------------
centroid_state = sa.Table(
    "centroid_state",
    metadata,
    sa.Column("model_version", sa.Integer, primary_key=True),
    sa.Column("state", sa.JSON, nullable=False),  # OnlineCentroids.to_state()
    sa.Column("batches", sa.BigInteger, nullable=False),
    sa.Column("alert", sa.Text),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
