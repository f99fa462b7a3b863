"""The profile store: customers, incremental aggregates, features, published segment models,
memberships (current and history), processed event ids, consents, API keys and the
notifications outbox, over SQLAlchemy 2 (SQLite embedded, PostgreSQL in production).

See docs/store.md and /work/wt/CONTRACT.md (the interface shared by api and stream)."""

from cible.store.aggregates import Aggregates, features_at, live_as_of
from cible.store.errors import InvalidEvent, StoreError
from cible.store.live_audiences import AudienceNotification
from cible.store.model import ScoringModel
from cible.store.profile_store import ProfileStore
from cible.store.values import (
    ApplyResult,
    CustomerRecord,
    LiveEvent,
    MembershipChange,
    Notification,
    Profile,
    SegmentInfo,
)

__all__ = [
    "Aggregates",
    "ApplyResult",
    "AudienceNotification",
    "CustomerRecord",
    "InvalidEvent",
    "LiveEvent",
    "MembershipChange",
    "Notification",
    "Profile",
    "ProfileStore",
    "ScoringModel",
    "SegmentInfo",
    "StoreError",
    "features_at",
    "live_as_of",
]
