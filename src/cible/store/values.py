"""Value types of the profile store: live events, results, profiles, notifications."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator

from cible.schemas.customers import Customer
from cible.schemas.events import EVENT_TYPES, Event
from cible.store.errors import InvalidEvent

AMOUNT_QUANTUM = Decimal("0.000001")  # DECIMAL(38, 6) of the batch features


def storable_text(value: Any) -> Any:
    """``value`` when every string in it is storable text: no NUL character (PostgreSQL refuses
    it) and no lone surrogate (not UTF-8); a ValueError naming the rule otherwise."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("contains a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not valid Unicode text (a lone surrogate)") from None
    elif isinstance(value, dict):
        for k, v in value.items():
            storable_text(k)
            storable_text(v)
    elif isinstance(value, list | tuple):
        for v in value:
            storable_text(v)
    return value


class LiveEvent(Event):
    """One event of the stream: the fields of :class:`cible.schemas.events.Event`, with an exact
    ``amount`` and a ``timestamp`` that must carry a time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(default="stream", min_length=1)
    amount: Decimal | None = None  # type: ignore[assignment]

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable_text(value)

    @field_validator("event_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"{value!r} is not one of {', '.join(EVENT_TYPES)}")
        return value

    @field_validator("timestamp")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a naive timestamp is refused: give a time zone (e.g. +00:00 or Z)")
        return value.astimezone(UTC)

    @field_validator("amount", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return None if value is None else _bad_amount(value)
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
        except InvalidOperation:
            return _bad_amount(value)
        if not number.is_finite():
            return _bad_amount(value)
        return number.quantize(AMOUNT_QUANTUM)

    @classmethod
    def parse(cls, obj: Mapping[str, Any] | bytes | str) -> LiveEvent:
        """A LiveEvent from a JSON message or a mapping; :class:`InvalidEvent` otherwise."""
        if isinstance(obj, bytes | str):
            try:
                obj = json.loads(obj)
            except (ValueError, UnicodeDecodeError) as e:
                raise InvalidEvent("$", f"not a UTF-8 JSON object ({e.__class__.__name__})") from e
        if not isinstance(obj, Mapping):
            raise InvalidEvent("$", f"a JSON object is expected, got {type(obj).__name__}")
        try:
            return cls.model_validate(obj)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "$"
            raise InvalidEvent(where, first["msg"]) from e


def _bad_amount(value: Any) -> Any:
    raise ValueError(f"{type(value).__name__} is not a finite decimal amount")


class CustomerRecord(Customer):
    """A customer record pushed to the store: the fields of :class:`cible.schemas.customers.Customer`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(default="api", min_length=1)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable_text(value)

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError("a naive created_at is refused: give a time zone (e.g. +00:00 or Z)")
        return None if value is None else value.astimezone(UTC)


@dataclass(frozen=True)
class MembershipChange:
    customer_id: str
    previous_segment_id: int | None
    segment_id: int
    segment_name: str
    model_version: int
    at: datetime
    event_id: str | None  # the event that caused it (None when a publish did)


@dataclass(frozen=True)
class ApplyResult:
    applied: int
    duplicates: int
    changes: list[MembershipChange] = field(default_factory=list)
    # the event ids applied by this call (the others were duplicates): per-event answers of
    # POST /v1/events/batch
    applied_event_ids: tuple[str, ...] = ()
    # the outbox rows written by this call (``segment.exited`` / ``segment.entered``), with
    # their ids: the consumer relays them without reading the outbox back
    notifications: tuple[Notification, ...] = ()
    # the customers whose profile changed, aliases resolved (what a profile cache must drop)
    touched: tuple[str, ...] = ()
    # milliseconds of the transaction's statements and of its COMMIT (latency breakdown)
    statements_ms: float = 0.0
    commit_ms: float = 0.0


@dataclass(frozen=True)
class StitchResult:
    """What :meth:`ProfileStore.stitch_identities` did: merged id -> survivor for each merge
    made, merged id -> reason for each pair refused, and the survivors' membership changes."""

    merged: dict[str, str]
    refused: dict[str, str]
    changes: list[MembershipChange] = field(default_factory=list)


NotificationKind = Literal["segment.entered", "segment.exited"]


@dataclass(frozen=True)
class Notification:
    """One outbox row. ``segment.entered``: the customer entered ``segment_id`` (leaving
    ``previous_segment_id``, None for a first membership); ``segment.exited``: the customer left
    ``segment_id`` (the entered row of the same event follows it)."""

    id: int
    kind: NotificationKind
    customer_id: str
    segment_id: int
    segment_name: str
    model_version: int
    at: datetime
    event_id: str | None
    previous_segment_id: int | None = None

    def to_json(self) -> bytes:
        body = {
            "id": self.id,
            "kind": self.kind,
            "customer_id": self.customer_id,
            "segment_id": self.segment_id,
            "segment_name": self.segment_name,
            "previous_segment_id": self.previous_segment_id,
            "model_version": self.model_version,
            "at": self.at.isoformat(),
            "event_id": self.event_id,
        }
        return json.dumps(body, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Profile:
    customer_id: str
    features: dict[str, float | None]
    aggregates: dict[str, Any]
    segment_id: int | None
    segment_name: str | None
    model_version: int | None
    updated_at: datetime | None
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SegmentInfo:
    segment_id: int
    name: str
    size: int
    model_version: int
