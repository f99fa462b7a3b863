"""Canonical records: customers and events (pydantic models and Arrow schemas)."""

from cible.schemas.customers import CUSTOMER_FIELDS, CUSTOMERS_SCHEMA, GENDERS, Customer
from cible.schemas.events import EVENT_FIELDS, EVENT_TYPES, EVENTS_SCHEMA, Event
from cible.schemas.fields import FieldSpec

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
