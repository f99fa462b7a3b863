"""Canonical event record: every behaviour (purchase, refund, page view, e-mail open...) is one row."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from cible.schemas.fields import RAW_VALUES, RAW_VALUES_DESCRIPTION, FieldSpec, lazy_schema

EVENT_TYPES = (
    "purchase",
    "refund",
    "free_item",
    "page_view",
    "product_view",
    "cart_add",
    "cart_remove",
    "checkout",
    "search",
    "email_sent",
    "email_open",
    "email_click",
    "sms_sent",
    "sms_click",
    "push_open",
    "signup",
    "login",
)

EVENT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "event_id",
        "string",
        "Unique, stable id (a hash of source and row content if not mapped)",
        required=True,
    ),
    FieldSpec("customer_id", "string", "Customer the event belongs to", required=True),
    FieldSpec(
        "source",
        "string",
        "Name of the source the event came from (set by ingestion)",
        required=True,
    ),
    FieldSpec("event_type", "string", "Kind of event", required=True, allowed=EVENT_TYPES),
    FieldSpec("timestamp", "timestamp", "When it happened, UTC", required=True),
    FieldSpec("order_id", "string", "Order/invoice the line belongs to (purchases and refunds)"),
    FieldSpec(
        "amount",
        "float",
        "Signed revenue of the line: positive for purchases, negative for refunds",
    ),
    FieldSpec("currency", "string", "ISO 4217 currency code"),
    FieldSpec("quantity", "float", "Units on the line"),
    FieldSpec("product_id", "string", "Product/SKU identifier"),
    FieldSpec("category", "string", "Product category"),
    FieldSpec("channel", "string", "Channel: web, app, store, email, sms, push..."),
    FieldSpec("device", "string", "Device: desktop, mobile, tablet..."),
    FieldSpec("location", "string", "Where: country, region or store"),
    FieldSpec(
        "properties", "json", "Free properties: a JSON object of the unmapped columns asked for"
    ),
    FieldSpec(RAW_VALUES, "json", RAW_VALUES_DESCRIPTION, personal=True),
)

if TYPE_CHECKING:
    import pyarrow as pa

    EVENTS_SCHEMA: pa.Schema


__getattr__ = lazy_schema(__name__, "EVENTS_SCHEMA", EVENT_FIELDS)


class Event(BaseModel):
    """One canonical event, as stored in the warehouse table ``events``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(min_length=1)
    customer_id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    event_type: str
    timestamp: datetime
    order_id: str | None = None
    amount: float | None = None
    currency: str | None = None
    quantity: float | None = None
    product_id: str | None = None
    category: str | None = None
    channel: str | None = None
    device: str | None = None
    location: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    raw_values: dict[str, str] = Field(default_factory=dict)
