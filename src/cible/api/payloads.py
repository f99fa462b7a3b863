"""Request and response bodies of the REST service (what the OpenAPI schema documents)."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from cible.store import LiveEvent
from cible.store.values import storable_text as clean_text

ID_MAX = 200


Text = AfterValidator(clean_text)  # for path and query parameters


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return clean_text(value)


class EventIn(LiveEvent):
    """One event (the store's LiveEvent, whose strings are checked to be storable text)."""


# -- errors -------------------------------------------------------------------------------------
class FieldProblem(_Out):
    field: str = Field(description="dotted location, e.g. body.events.0.timestamp or limit")
    reason: str


class ErrorBody(_Out):
    """Every error response: a code, a readable message, and the fields at fault (422)."""

    error: str = Field(description="unauthorized, forbidden, not_found, conflict, invalid, ...")
    message: str
    fields: list[FieldProblem] = Field(default_factory=list)


# -- events -------------------------------------------------------------------------------------
class MembershipChangeOut(_Out):
    customer_id: str
    previous_segment_id: int | None
    segment_id: int
    segment_name: str
    model_version: int
    at: datetime
    event_id: str | None = Field(description="the event that caused it (null: a publish did)")


class EventOut(_Out):
    event_id: str
    status: Literal["applied", "duplicate"]
    changes: list[MembershipChangeOut]


class EventBatchIn(BaseModel):
    # not _In: each event is checked on its own (a bad one is rejected, not the batch)
    model_config = ConfigDict(extra="forbid", frozen=True)

    events: list[dict[str, Any]] = Field(
        description="event objects (the fields of POST /v1/events); each is checked on its own"
    )


class EventResultOut(_Out):
    index: int = Field(description="position of the event in the request")
    event_id: str | None
    status: Literal["applied", "duplicate", "rejected"]
    field: str | None = Field(default=None, description="for a rejected event: the bad field")
    reason: str | None = Field(default=None, description="for a rejected event: the rule")


class EventBatchOut(_Out):
    applied: int
    duplicates: int
    rejected: int
    results: list[EventResultOut]
    changes: list[MembershipChangeOut]


# -- customers ----------------------------------------------------------------------------------
class CustomerIn(_In):
    """A customer record (``cible.schemas.customers.Customer`` without its id, in the path)."""

    source: str = Field(default="api", min_length=1, max_length=ID_MAX)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    birth_date: date | None = None
    gender: Literal["female", "male", "other", "unknown"] | None = None
    city: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str | None = Field(default=None, max_length=100)
    organisation: str | None = Field(default=None, max_length=300)
    address_line: str | None = Field(default=None, max_length=300)
    created_at: datetime | None = None
    consent_email: bool | None = None
    consent_sms: bool | None = None
    consent_push: bool | None = None


class CustomerWithIdIn(CustomerIn):
    customer_id: str = Field(min_length=1, max_length=ID_MAX)


class CustomerBatchIn(_In):
    customers: list[CustomerWithIdIn]


class UpsertOut(_Out):
    written: int = Field(description="customer records inserted or updated")


# -- profiles and segments ----------------------------------------------------------------------
class SegmentRef(_Out):
    segment_id: int
    name: str


class HistoryOut(_Out):
    segment_id: int
    segment_name: str
    model_version: int
    valid_from: datetime
    valid_to: datetime | None


class ProfileOut(_Out):
    customer_id: str
    features: dict[str, float | None]
    scores: dict[str, float | None]
    aggregates: dict[str, Any]
    segment: SegmentRef | None
    model_version: int | None
    updated_at: datetime | None
    history: list[HistoryOut]


class SegmentOut(_Out):
    segment_id: int
    name: str
    size: int
    model_version: int


class SegmentsOut(_Out):
    model_version: int | None = Field(description="the current published model (null: none)")
    segments: list[SegmentOut]


class MembersOut(_Out):
    segment_id: int
    members: list[str] = Field(description="customer ids, ascending")
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: end")


# -- models and health --------------------------------------------------------------------------
class PublishIn(_In):
    run_dir: str = Field(
        min_length=1,
        max_length=1000,
        description="a batch run folder (`cible run --out DIR`), relative to CIBLE_MODELS_DIR",
    )


class PublishOut(_Out):
    model_version: int


class HealthOut(_Out):
    status: Literal["ok"] = "ok"


class ReadyOut(_Out):
    ready: bool
    database: str
    model_version: int | None
    reason: str | None = None


def finite(value: Any) -> float | None:
    """A float fit for JSON: NaN and infinities become null."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def jsonable(value: Any) -> Any:
    """Aggregates made JSON-safe: non-finite floats become null, nested containers walked."""
    if isinstance(value, float | Decimal):
        return finite(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value
