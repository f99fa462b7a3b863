"""A profile store that keeps the contract of ``cible.store.ProfileStore`` for what the consumer
calls (apply_events idempotent by event_id, an outbox), and a parser standing for LiveEvent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cible.exceptions import CibleError


class FakeInvalid(CibleError):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field, self.reason = field_name, reason


@dataclass(frozen=True)
class FakeEvent:
    event_id: str
    customer_id: str
    amount: float


def parse(body: bytes) -> FakeEvent:
    try:
        obj = json.loads(body)
    except ValueError:
        raise FakeInvalid("body", "not JSON") from None
    if not isinstance(obj, dict) or "customer_id" not in obj:
        raise FakeInvalid("customer_id", "missing")
    return FakeEvent(str(obj["event_id"]), str(obj["customer_id"]), float(obj.get("amount", 0)))


@dataclass(frozen=True)
class FakeNotification:
    id: int
    kind: str
    customer_id: str

    def to_json(self) -> bytes:
        return json.dumps(
            {"id": self.id, "kind": self.kind, "customer_id": self.customer_id}
        ).encode()


@dataclass(frozen=True)
class FakeResult:
    applied: int
    duplicates: int
    changes: list[str]
    notifications: tuple[FakeNotification, ...] = ()


@dataclass
class FakeStore:
    """Totals per customer; a customer whose total crosses 100 'enters' segment 1."""

    totals: dict[str, float] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    outbox: list[FakeNotification] = field(default_factory=list)
    notified: set[int] = field(default_factory=set)
    log: list[str] = field(default_factory=list)
    fail_next: bool = False
    as_of: list[datetime | None] = field(default_factory=list)

    def apply_events(
        self, events: Sequence[FakeEvent], *, as_of: datetime | None = None
    ) -> FakeResult:
        if self.fail_next:
            self.fail_next = False
            raise CibleError("database went away")
        self.as_of.append(as_of)
        applied = duplicates = 0
        changes = []
        written = len(self.outbox)
        for e in events:
            if e.event_id in self.seen:
                duplicates += 1
                continue
            self.seen.add(e.event_id)
            before = self.totals.get(e.customer_id, 0.0)
            self.totals[e.customer_id] = before + e.amount
            applied += 1
            if before < 100 <= before + e.amount:
                changes.append(e.customer_id)
                self.outbox.append(
                    FakeNotification(len(self.outbox) + 1, "segment.entered", e.customer_id)
                )
        self.log.append(f"commit {applied}")
        return FakeResult(applied, duplicates, changes, tuple(self.outbox[written:]))

    def pending_notifications(self, limit: int = 1000) -> list[FakeNotification]:
        return [n for n in self.outbox if n.id not in self.notified][:limit]

    def mark_notified(self, ids: Sequence[int]) -> None:
        self.notified.update(ids)


def event(i: int, customer: str = "C1", amount: float = 10.0) -> bytes:
    return json.dumps({"event_id": f"e{i}", "customer_id": customer, "amount": amount}).encode()
