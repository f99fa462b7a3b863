"""Identity stitching in the store (``ProfileStore.stitch_identities``, ``store/stitch.py``):
what moves to the survivor, what the merged id keeps, and the pairs refused; each result is
checked against applying the same events to the survivor directly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from cible.store import CustomerRecord, ProfileStore
from cible.store import tables as t
from tests.unit.store.fakes import ThresholdModel, at, ev

AS_OF = datetime(2024, 4, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    opened = ProfileStore.open(f"sqlite:///{tmp_path / 'store.db'}")
    opened.publish(ThresholdModel())
    return opened


def rows(store: ProfileStore, table: sa.Table, customer_id: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(table).where(table.c.customer_id == customer_id).order_by(*table.c)
            )
        ]


def test_the_anonymous_activity_is_added_to_the_users(tmp_path: Path, store: ProfileStore) -> None:
    events = [
        ev("a1", "anon", at(3, 10), "purchase", "30", "O1"),
        ev("a2", "anon", at(5), "page_view"),
        ev("u1", "user", at(3, 18), "purchase", "40", "O2"),  # same day as a1: one day row
    ]
    store.apply_events(events, as_of=AS_OF)
    result = store.stitch_identities([("anon", "user")], as_of=AS_OF)
    assert (result.merged, result.refused) == ({"anon": "user"}, {})
    # the same events applied to "user" directly, in another store
    direct = ProfileStore.open(f"sqlite:///{tmp_path / 'direct.db'}")
    direct.publish(ThresholdModel())
    direct.apply_events([e.model_copy(update={"customer_id": "user"}) for e in events], as_of=AS_OF)
    stitched, expected = store.get_profile("user"), direct.get_profile("user")
    assert stitched is not None and expected is not None
    assert stitched.aggregates == expected.aggregates
    assert stitched.features == expected.features
    assert stitched.aggregates["frequency"] == 2
    assert stitched.aggregates["gross_micros"] == 70_000_000
    assert (stitched.segment_id, stitched.segment_name) == (1, "Small")
    day = rows(store, t.daily_events, "user")
    assert [(r[1].isoformat(), r[2]) for r in day] == [("2024-03-03", 2), ("2024-03-05", 1)]
    for table in (t.daily_events, t.orders, t.profiles, t.memberships):
        assert rows(store, table, "anon") == []
    # the merged id's history entry is closed, the alias resolves, a later event lands there
    history = rows(store, t.membership_history, "anon")
    assert len(history) == 1 and history[0][5] is not None
    assert store.get_profile("anon").customer_id == "user"  # type: ignore[union-attr]
    store.apply_events([ev("a3", "anon", at(6), "purchase", "100", "O3")], as_of=AS_OF)
    assert store.get_profile("user").aggregates["frequency"] == 3  # type: ignore[union-attr]
    # a replayed event of the merged id is still a duplicate
    again = store.apply_events([ev("a1", "anon", at(3, 10), "purchase", "30", "O1")], as_of=AS_OF)
    assert (again.applied, again.duplicates) == (0, 1)
    direct.close()
    store.close()


def test_records_and_consents_move_only_to_a_survivor_without_them(store: ProfileStore) -> None:
    store.upsert_customers(
        [
            CustomerRecord(customer_id="anon", email="anon@example.com", consent_email=True),
            CustomerRecord(customer_id="user", email="user@example.com", consent_sms=False),
            CustomerRecord(customer_id="lead", first_name="Lee", consent_push=True),
        ]
    )
    store.stitch_identities([("anon", "user"), ("lead", "fresh")])
    records = store.customer_records(["user", "fresh", "anon", "lead"])
    assert records["user"]["email"] == "user@example.com"  # the survivor's own record wins
    assert records["fresh"]["first_name"] == "Lee"  # moved: "fresh" had none
    assert records["fresh"]["customer_id"] == "fresh"
    assert records["anon"]["customer_id"] == "user"  # asked by the merged id: the survivor's
    consents = {(r[0], r[1], r[2]) for r in rows(store, t.consents, "user")}
    assert consents == {("user", "email", True), ("user", "sms", False)}  # email came from anon
    assert rows(store, t.consents, "anon") == [] and rows(store, t.customers, "anon") == []
    store.close()


def test_plan_chains_refusals_and_no_ops(store: ProfileStore) -> None:
    store.apply_events([ev("e1", "a", at(3), "purchase", "10", "O1")], as_of=AS_OF)
    # a -> b, then b -> c in the same call: a ends on c
    first = store.stitch_identities([("a", "b"), ("b", "c")], as_of=AS_OF)
    assert first.merged == {"a": "c", "b": "c"}
    assert store.get_profile("a").customer_id == "c"  # type: ignore[union-attr]
    # a is c's now: identified as d, it is refused; a -> c again and c -> c are no-ops
    second = store.stitch_identities([("a", "d"), ("a", "c"), ("c", "c")], as_of=AS_OF)
    assert second.merged == {}
    assert second.refused == {"a": "already merged into another customer; 'd' not applied"}
    # a survivor that is itself an alias is replaced by its own survivor
    third = store.stitch_identities([("x", "b")], as_of=AS_OF)
    assert third.merged == {"x": "c"}
    # merging c (a survivor with aliases) into e re-points the aliases
    store.stitch_identities([("c", "e")], as_of=AS_OF)
    for old in ("a", "b", "c", "x"):
        assert store.get_profile(old).customer_id == "e"  # type: ignore[union-attr]
    assert store.get_profile("e").aggregates["frequency"] == 1  # type: ignore[union-attr]
    store.close()


def test_no_pairs_is_nothing(store: ProfileStore) -> None:
    result = store.stitch_identities([])
    assert (result.merged, result.refused, result.changes) == ({}, {}, [])
    store.close()


def test_a_merged_id_in_a_segment_sends_segment_exited(store: ProfileStore) -> None:
    """anon (net revenue 60) and user (40) are both in Small (1). After the stitch the outbox
    holds: anon exits Small (the segment it was in, with its name), then the survivor moves
    Small -> Big (its re-score: 60 + 40 = 100, exactly the model's threshold, is Big)."""
    store.apply_events([ev("a1", "anon", at(3), "purchase", "60", "O1")], as_of=AS_OF)
    store.apply_events([ev("u1", "user", at(4), "purchase", "40", "O2")], as_of=AS_OF)
    before = {n.id for n in store.pending_notifications()}
    assert [(n.customer_id, n.kind, n.segment_id) for n in store.pending_notifications()] == [
        ("anon", "segment.entered", 1),
        ("user", "segment.entered", 1),
    ]
    store.stitch_identities([("anon", "user")], as_of=AS_OF)
    new = [n for n in store.pending_notifications() if n.id not in before]
    assert [(n.customer_id, n.kind, n.segment_id, n.segment_name) for n in new] == [
        ("anon", "segment.exited", 1, "Small"),
        ("user", "segment.exited", 1, "Small"),
        ("user", "segment.entered", 2, "Big"),
    ]
    assert new[0].previous_segment_id == 1 and new[0].event_id is None
    assert new[0].model_version == 1


def test_a_merged_id_without_membership_sends_nothing(store: ProfileStore) -> None:
    """An anonymous id never scored (only a customer record) leaves no segment."""
    store.upsert_customers([CustomerRecord(customer_id="anon", first_name="Ann")])
    store.apply_events([ev("u1", "user", at(4), "purchase", "40", "O2")], as_of=AS_OF)
    before = {n.id for n in store.pending_notifications()}
    store.stitch_identities([("anon", "user")], as_of=AS_OF)
    assert [n for n in store.pending_notifications() if n.id not in before] == []
