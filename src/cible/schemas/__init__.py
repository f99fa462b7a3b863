"""Canonical records: customers and events (pydantic models and Arrow schemas)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cible.schemas.customers import CUSTOMER_FIELDS, GENDERS, Customer
from cible.schemas.events import EVENT_FIELDS, EVENT_TYPES, Event
from cible.schemas.fields import FieldSpec

if TYPE_CHECKING:
    from cible.schemas.customers import CUSTOMERS_SCHEMA
    from cible.schemas.events import EVENTS_SCHEMA


def __getattr__(name: str) -> object:
    """The Arrow schemas are built on first use (they need pyarrow)."""
    from cible.schemas import customers, events

    if name in ("CUSTOMERS_SCHEMA", "EVENTS_SCHEMA"):
        return getattr(customers if name == "CUSTOMERS_SCHEMA" else events, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CUSTOMERS_SCHEMA",
    "CUSTOMER_FIELDS",
    "EVENTS_SCHEMA",
    "EVENT_FIELDS",
    "EVENT_TYPES",
    "GENDERS",
    "Customer",
    "Event",
    "FieldSpec",
]
