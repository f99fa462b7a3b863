"""The live-audience methods of the profile store, on SQLite and PostgreSQL: the diff with the
stored members, the outbox rows (ids ascending, exited before entered, one per channel),
idempotence, the relay marks, and the migration's downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import pytest
import sqlalchemy as sa

from cible.store import Profile, ProfileStore
from tests.contract.test_store import BACKENDS, dispose, open_store
from tests.unit.store.fakes import at, ev

NOW = datetime(2024, 3, 10, tzinfo=UTC)
CHANNELS = {"big": ("email", "push"), "any": ("sms",)}


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    s, schema = open_store(request.param, tmp_path)
    try:
        yield s
    finally:
        dispose(s, schema)


def by_monetary(p: Profile) -> list[str]:
    """'big' at 100 or more (exclusive), else 'any'."""
    return ["big"] if (p.features.get("monetary") or 0) >= 100 else ["any"]


def _buy(store: ProfileStore, event_id: str, customer: str, amount: str) -> None:
    kind = "refund" if amount.startswith("-") else "purchase"
    store.apply_events([ev(event_id, customer, at(5), kind, amount, f"o-{event_id}")], as_of=NOW)


def test_the_diff_writes_members_and_one_outbox_row_per_channel(store: ProfileStore) -> None:
    _buy(store, "1", "A", "99")
    _buy(store, "2", "B", "100")
    notes = store.update_audiences(["B", "A", "B", "NOBODY"], by_monetary, CHANNELS, NOW)
    assert [(n.kind, n.customer_id, n.audience, n.channel) for n in notes] == [
        ("audience.entered", "A", "any", "sms"),
        ("audience.entered", "B", "big", "email"),
        ("audience.entered", "B", "big", "push"),
    ]
    ids = [n.id for n in notes]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert notes[0].at == NOW
    assert store.pending_audience_notifications() == notes
    assert store.audience_members() == {"any": frozenset({"A"}), "big": frozenset({"B"})}
    assert store.update_audiences(["A", "B"], by_monetary, CHANNELS, NOW) == []

    _buy(store, "3", "B", "-1")
    moved = store.update_audiences(["B"], by_monetary, CHANNELS, NOW)
    assert [(n.kind, n.audience, n.channel) for n in moved] == [
        ("audience.exited", "big", "email"),
        ("audience.exited", "big", "push"),
        ("audience.entered", "any", "sms"),
    ]
    assert moved[0].id > ids[-1]
    assert store.audience_members() == {"any": frozenset({"A", "B"})}


def test_the_profile_given_to_the_rules_is_the_stored_one(store: ProfileStore) -> None:
    _buy(store, "1", "A", "120.5")
    seen: list[Profile] = []
    store.update_audiences(["A"], lambda p: seen.append(p) or [], CHANNELS, NOW)
    assert [p.customer_id for p in seen] == ["A"]
    assert seen[0].features["monetary"] == 120.5
    assert seen[0].aggregates == store.get_profile("A").aggregates  # type: ignore[union-attr]


def test_marked_notifications_are_no_longer_pending(store: ProfileStore) -> None:
    _buy(store, "1", "A", "150")
    notes = store.update_audiences(["A"], by_monetary, CHANNELS, NOW)
    store.mark_audience_notified([notes[0].id])
    assert store.pending_audience_notifications() == notes[1:]
    store.mark_audience_notified([n.id for n in notes])
    store.mark_audience_notified([])
    assert store.pending_audience_notifications() == []
    assert notes[0].to_json().startswith(b'{"id":')


def test_erasure_removes_the_live_audience_rows(store: ProfileStore) -> None:
    from cible.store.exports import erase_customer

    _buy(store, "1", "A", "150")
    _buy(store, "2", "B", "150")
    store.update_audiences(["A", "B"], by_monetary, CHANNELS, NOW)
    erased = erase_customer(store.engine, ["A"])
    assert (erased["audience_members"], erased["audience_notifications"]) == (1, 2)
    assert store.audience_members() == {"big": frozenset({"B"})}
    assert {n.customer_id for n in store.pending_audience_notifications()} == {"B"}


def test_the_migration_downgrades_and_upgrades_again(store: ProfileStore) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("cible.store") / "migrations"))
    with store.engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003_lifecycle")  # below 0004_live_audiences
        conn.commit()
        names = set(sa.inspect(conn).get_table_names())
        assert "audience_members" not in names and "audience_notifications" not in names
        assert "export_members" in names
        command.upgrade(config, "head")
        conn.commit()
        assert {"audience_members", "audience_notifications"} <= set(
            sa.inspect(conn).get_table_names()
        )
