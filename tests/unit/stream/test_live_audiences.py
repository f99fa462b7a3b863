"""Audiences kept live by the consumer, on the in-process bus and a SQLite store: one
``audience.entered`` when a customer crosses a rule's bound (exactly at it included), nothing
while he stays, ``audience.exited`` when he leaves, nothing new on redelivery or after a crash
between the apply commit and the audience commit, the exclusive waterfall and suppression."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cible.activation.plan import parse_plan
from cible.services.consume import bus_notifier, process_batch, relay_outbox
from cible.services.live_audiences import LiveAudiences
from cible.store import ProfileStore
from cible.stream import InProcessBus

AS_OF = datetime(2024, 3, 10, tzinfo=UTC)
PLAN = {
    "suppression_lists": {"blocked": "blocked.csv"},
    "audiences": [
        {
            "name": "vip",
            "channels": ["email", "push"],
            "priority": 1,
            "exclusive": True,
            "suppress": ["blocked"],
            "rule": {"field": "monetary", ">=": 100},
        },
        {
            "name": "buyers",
            "channels": ["sms"],
            "priority": 2,
            "rule": {"field": "frequency", ">=": 1},
        },
    ],
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProfileStore]:
    s = ProfileStore.open(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


@pytest.fixture
def live(tmp_path: Path) -> LiveAudiences:
    (tmp_path / "blocked.csv").write_text("customer_id\nZ\n", encoding="utf-8")
    return LiveAudiences(parse_plan(PLAN, base=tmp_path))


def body(event_id: str, customer: str, kind: str = "purchase", amount: str | None = None) -> bytes:
    obj: dict[str, Any] = {
        "event_id": event_id,
        "customer_id": customer,
        "event_type": kind,
        "timestamp": "2024-03-05T12:00:00+00:00",
    }
    if amount is not None:
        obj.update(amount=amount, order_id=f"o-{event_id}")
    return json.dumps(obj).encode()


def run(
    store: ProfileStore, live: LiveAudiences, bus: InProcessBus, *bodies: bytes
) -> list[tuple[str, ...]]:
    """One batch of ``bodies``; the audience notifications published, as (kind, customer,
    audience, channel)."""
    for b in bodies:
        bus.put(b)
    before = len(bus.published)
    process_batch(
        store, bus, bus.receive(100, 0.1), notify=bus_notifier(bus), as_of=AS_OF, audiences=live
    )
    return _audience_notes(bus.published[before:])


def _audience_notes(published: list[bytes]) -> list[tuple[str, ...]]:
    notes = [json.loads(b) for b in published]
    return [
        (n["kind"], n["customer_id"], n["audience"], n["channel"])
        for n in notes
        if n["kind"].startswith("audience.")
    ]


def test_crossing_the_bound_enters_once_staying_emits_nothing_leaving_exits(
    store: ProfileStore, live: LiveAudiences
) -> None:
    bus = InProcessBus()
    notes = run(
        store,
        live,
        bus,
        body("a", "A", amount="99"),
        body("b", "B", amount="100"),
        body("c", "C", amount="101"),
    )
    # 99 is one unit under the bound: only 'buyers'; 100 (exactly at it) and 101 are 'vip', an
    # exclusive audience of higher priority, so not 'buyers'; one row per channel
    assert notes == [
        ("audience.entered", "A", "buyers", "sms"),
        ("audience.entered", "B", "vip", "email"),
        ("audience.entered", "B", "vip", "push"),
        ("audience.entered", "C", "vip", "email"),
        ("audience.entered", "C", "vip", "push"),
    ]
    assert run(store, live, bus, body("b2", "B", kind="page_view")) == []
    # a refund of 1 takes B to 99: out of 'vip', and the exclusive waterfall now lets him in 'buyers'
    assert run(store, live, bus, body("b3", "B", kind="refund", amount="-1")) == [
        ("audience.exited", "B", "vip", "email"),
        ("audience.exited", "B", "vip", "push"),
        ("audience.entered", "B", "buyers", "sms"),
    ]
    assert store.audience_members() == {"buyers": frozenset({"A", "B"}), "vip": frozenset({"C"})}
    assert store.pending_audience_notifications() == []


def test_a_redelivered_batch_emits_nothing_new(store: ProfileStore, live: LiveAudiences) -> None:
    bus = InProcessBus()
    assert len(run(store, live, bus, body("a", "A", amount="150"))) == 2
    assert run(store, live, bus, body("a", "A", amount="150")) == []
    assert store.audience_members() == {"vip": frozenset({"A"})}


def test_a_crash_between_the_apply_commit_and_the_audience_commit_is_repaired_on_redelivery(
    store: ProfileStore, live: LiveAudiences
) -> None:
    bus = InProcessBus()
    bus.put(body("a", "A", amount="150"))
    messages = bus.receive(10, 0.1)

    class Dies(Exception):
        pass

    def crash(*_a: Any, **_k: Any) -> Any:
        raise Dies

    real = live.update
    live.update = crash  # type: ignore[method-assign]
    with pytest.raises(Dies):
        process_batch(store, bus, messages, notify=bus_notifier(bus), as_of=AS_OF, audiences=live)
    live.update = real  # type: ignore[method-assign]
    assert bus.acked == 0 and store.audience_members() == {}
    assert bus.recover() == 1
    # the events are duplicates now, their customers are recomputed all the same
    assert run(store, live, bus) == [
        ("audience.entered", "A", "vip", "email"),
        ("audience.entered", "A", "vip", "push"),
    ]
    assert bus.acked == 1


def test_a_suppressed_customer_takes_no_place_in_the_exclusive_audience(
    store: ProfileStore, live: LiveAudiences
) -> None:
    bus = InProcessBus()
    assert run(store, live, bus, body("z", "Z", amount="500")) == [
        ("audience.entered", "Z", "buyers", "sms")
    ]


def test_pending_audience_notifications_are_relayed_at_start_then_marked(
    store: ProfileStore, live: LiveAudiences
) -> None:
    bus = InProcessBus()
    bus.put(body("a", "A", amount="150"))
    process_batch(store, bus, bus.receive(10, 0.1), as_of=AS_OF, audiences=live)  # no notifier
    assert [n.kind for n in store.pending_audience_notifications()] == ["audience.entered"] * 2
    assert relay_outbox(store, bus_notifier(bus), audiences=True) == 2
    assert _audience_notes(bus.published) == [
        ("audience.entered", "A", "vip", "email"),
        ("audience.entered", "A", "vip", "push"),
    ]
    assert store.pending_audience_notifications() == []
    assert relay_outbox(store, bus_notifier(bus), audiences=True) == 0
