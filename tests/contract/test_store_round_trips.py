"""What one live batch costs the database, pinned on SQLite and PostgreSQL: the statements of
``apply_events`` and, on PostgreSQL, its round trips (psycopg's pipeline mode queues the writes
whose results are not read: BEGIN, claim, aggregates read, outbox insert, COMMIT, the pipeline's
last sync). Also the pipeline's error path and the ping of idle pooled connections."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from cible.store import ProfileStore, StoreError, db
from cible.store import tables as t
from tests.conftest import POSTGRES_URL
from tests.contract.test_store import AS_OF, BACKENDS, dispose, open_store
from tests.unit.store.fakes import ThresholdModel, ev
from tests.unit.store.trace import traced

SQLITE_BATCH = [
    "BEGIN IMMEDIATE",
    "SELECT customer_aliases.record_id, customer_aliases.customer_id",
    "INSERT INTO processed_events (event_id,",
    "INSERT INTO profiles (customer_id)",
    "INSERT INTO daily_events (customer_id,",
    "INSERT INTO orders (customer_id,",
    "SELECT profiles.customer_id, anon_1.freq, anon_1.gross,",
    "INSERT INTO profiles (customer_id,",
    "INSERT INTO memberships (customer_id,",
    "UPDATE membership_history SET valid_to=?",
    "INSERT INTO membership_history (customer_id,",
    "INSERT INTO notifications (kind,",
]
POSTGRESQL_BATCH = [
    "INSERT INTO processed_events (event_id,",  # aliases resolved in it: RETURNING, a sync
    "INSERT INTO profiles (customer_id)",  # the row locks: queued
    "INSERT INTO daily_events (customer_id,",  # queued
    "INSERT INTO orders (customer_id,",  # queued
    "SELECT pg_notify('cible_profiles_' || left(md5(current_schema()),",  # queued
    "SELECT p.customer_id, o.freq, o.gross,",  # + memberships + model key: a sync
    "INSERT INTO profiles (customer_id,",  # queued
    "INSERT INTO memberships (customer_id,",  # queued
    "UPDATE membership_history SET valid_to=%(valid_to)s::TIMESTAMP",  # queued
    "INSERT INTO membership_history (customer_id,",  # queued
    "INSERT INTO notifications (kind,",  # RETURNING id: a sync
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    s, schema = open_store(request.param, tmp_path)
    try:
        yield s
    finally:
        dispose(s, schema)


def batch(tag: str, customers: int, per_customer: int) -> list:
    """``customers`` x ``per_customer`` events: a purchase of 60 then page views."""
    out = []
    for c in range(customers):
        for i in range(per_customer):
            when = AS_OF - timedelta(days=3, minutes=i)
            if i == 0:
                out.append(ev(f"{tag}-{c}-{i}", f"c{c}", when, "purchase", "60", f"{tag}-o{c}"))
            else:
                out.append(ev(f"{tag}-{c}-{i}", f"c{c}", when))
    return out


def first_words(statements: list[str], like: list[str]) -> list[str]:
    return [s[: len(w)] for s, w in zip(statements, like, strict=True)]


def test_a_batch_of_40_events_of_8_customers_costs_a_fixed_number_of_statements(
    store: ProfileStore,
) -> None:
    store.publish(ThresholdModel())
    store.apply_events(batch("a", 8, 5), as_of=AS_OF)  # all "Small" (60 < 100)
    with traced(store.engine) as trace:
        result = store.apply_events(batch("b", 8, 5), as_of=AS_OF)  # 120: all move to "Big"
    assert (result.applied, len(result.changes), len(result.notifications)) == (40, 8, 16)
    expected = POSTGRESQL_BATCH if store.engine.dialect.name == "postgresql" else SQLITE_BATCH
    assert len(trace.statements) == len(expected)
    assert first_words(trace.statements, expected) == expected
    if store.engine.dialect.name == "postgresql":
        # BEGIN (psycopg syncs it), claim, aggregates, outbox, the pipeline's end, COMMIT;
        # 17 before the pipeline (one per statement, BEGIN, COMMIT and the pool's ping)
        assert trace.round_trips == 6
        assert trace.pings == 0  # used less than PING_IDLE_S ago


def test_a_batch_without_a_membership_change_writes_no_membership_row(
    store: ProfileStore,
) -> None:
    store.publish(ThresholdModel())
    store.apply_events(batch("a", 8, 5), as_of=AS_OF)
    with traced(store.engine) as trace:
        result = store.apply_events(
            [ev(f"v{c}", f"c{c}", AS_OF - timedelta(days=1)) for c in range(8)], as_of=AS_OF
        )
    assert (result.applied, result.changes) == (8, [])
    assert not any("memberships" in s or "notifications" in s for s in trace.statements)
    if store.engine.dialect.name == "postgresql":
        # claim, locks, days, notify, aggregates, profiles (page views only: no orders row)
        assert len(trace.statements) == 6
        assert trace.round_trips == 5  # BEGIN, claim, aggregates, the pipeline's end, COMMIT
    else:
        assert len(trace.statements) == 7  # BEGIN IMMEDIATE, aliases, claim, locks, days, ...


def test_a_batch_of_duplicates_only_is_one_claim(store: ProfileStore) -> None:
    store.publish(ThresholdModel())
    events = batch("a", 4, 3)
    store.apply_events(events, as_of=AS_OF)
    with traced(store.engine) as trace:
        result = store.apply_events(events, as_of=AS_OF)
    assert (result.applied, result.duplicates) == (0, 12)
    if store.engine.dialect.name == "postgresql":
        assert trace.statements == ["INSERT INTO processed_events (event_id,"]
        assert trace.round_trips == 4  # BEGIN, claim, the pipeline's end, COMMIT
    else:
        assert len(trace.statements) == 3  # BEGIN IMMEDIATE, aliases, claim


def test_aliases_are_resolved_in_the_claim(store: ProfileStore) -> None:
    store.publish(ThresholdModel())
    store.apply_events([ev("s1", "gold", AS_OF - timedelta(days=2), "purchase", "50", "o1")])
    result = store.stitch_identities([("anon", "gold")], as_of=AS_OF)
    assert result.merged == {"anon": "gold"}
    applied = store.apply_events(
        [ev("s2", "anon", AS_OF - timedelta(days=1), "purchase", "70", "o2")], as_of=AS_OF
    )
    assert applied.touched == ("gold",)
    with store.engine.connect() as conn:
        pe = t.processed_events.c
        owner = conn.execute(sa.select(pe.customer_id).where(pe.event_id == "s2")).scalar()
    assert owner == "gold"
    profile = store.get_profile("anon")
    assert profile is not None and profile.customer_id == "gold"
    assert profile.features["monetary"] == 120.0
    assert profile.segment_id == 2  # 120 >= 100: Big


@pytest.mark.postgresql
@pytest.mark.parametrize("call", ["apply_events", "get_profile"])
def test_a_connection_killed_by_the_server_within_the_ping_window_is_replaced(
    tmp_path: Path, call: str
) -> None:
    store, schema = open_store("postgresql", tmp_path)
    try:
        store.publish(ThresholdModel())
        store.apply_events(batch("a", 2, 2), as_of=AS_OF)
        with store.engine.connect() as conn:  # the pooled connection and its server process
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as other:  # not from the pool
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # the pooled connection is dead and was used less than PING_IDLE_S ago: no ping;
        # the transaction fails on it, the pool drops it, the batch runs again and commits
        with traced(store.engine) as trace:
            if call == "apply_events":
                result = store.apply_events(batch("b", 2, 2), as_of=AS_OF)
                assert (result.applied, result.duplicates) == (4, 0)
            profile = store.get_profile("c1")
        assert trace.pings == 0
        assert profile is not None
        assert profile.features["frequency"] == (2.0 if call == "apply_events" else 1.0)
    finally:
        dispose(store, schema)


@pytest.mark.postgresql
def test_an_error_of_a_queued_write_fails_the_transaction_and_rolls_back(
    tmp_path: Path,
) -> None:
    store, schema = open_store("postgresql", tmp_path)
    pe = t.processed_events
    row = {"event_id": "e1", "customer_id": "c1", "processed_at": AS_OF}
    try:
        duplicate = 'duplicate key value violates unique constraint "processed_events_pkey"'
        with (
            pytest.raises(StoreError, match=duplicate),
            db.transaction(store.engine, store.url, immediate=True, pipeline=True) as conn,
        ):
            conn.execute(sa.insert(t.customer_aliases).values(record_id="x", customer_id="y"))
            conn.execute(sa.insert(pe).values(**row))
            conn.execute(sa.insert(pe).values(**row))  # queued: no error yet
            conn.execute(sa.select(pe.c.event_id)).all()  # the sync: the error
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(pe)).scalar() == 0
            aliases = sa.select(sa.func.count()).select_from(t.customer_aliases)
            assert conn.execute(aliases).scalar() == 0
        assert store.health()["database"] == "ok"  # the connection is usable again
    finally:
        dispose(store, schema)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("idle_s", "pings"),
    [(db.PING_IDLE_S - 0.001, 0), (db.PING_IDLE_S, 1), (db.PING_IDLE_S + 5, 1)],
)
def test_a_pooled_connection_is_pinged_when_idle_for_the_window_or_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, idle_s: float, pings: int
) -> None:
    store, schema = open_store("postgresql", tmp_path)
    clock = _Clock()
    try:
        monkeypatch.setattr(db, "time", clock)
        store.health()  # checked in at clock.now
        clock.now += idle_s
        with traced(store.engine) as trace:
            assert store.health()["database"] == "ok"
        assert trace.pings == pings
    finally:
        monkeypatch.undo()
        dispose(store, schema)


@pytest.mark.postgresql
def test_the_statements_of_a_live_batch_are_built_once_per_connection(tmp_path: Path) -> None:
    store, schema = open_store("postgresql", tmp_path)
    try:
        store.publish(ThresholdModel())
        store.apply_events(batch("a", 3, 2), as_of=AS_OF)
        store.apply_events(batch("b", 3, 2), as_of=AS_OF)  # every step once at least
        with store.engine.connect() as conn:
            built = dict(conn.info["cible_statements"])
        names = sorted({key if isinstance(key, str) else key[0] for key in built})
        assert names == [
            "add_days",
            "add_orders",
            "claim_resolved",
            "current_membership",
            "history",
            "lateral_state",
            "lock_profiles",
            "outbox",
            "refresh_profile",
        ]
        result = store.apply_events(batch("c", 3, 2), as_of=AS_OF)  # 180: still Big
        assert (result.applied, result.changes) == (6, [])
        with store.engine.connect() as conn:
            again = conn.info["cible_statements"]
            assert again.keys() == built.keys()
            assert all(again[k] is built[k] for k in built)  # the same objects, reused
    finally:
        dispose(store, schema)
