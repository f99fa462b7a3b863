"""The profile store contract (/work/wt/CONTRACT.md): the same assertions on SQLite and on
PostgreSQL (marked ``postgresql``; fails, never skips, when the server is down)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from cible.store import CustomerRecord, ProfileStore, StoreError
from cible.store.aggregates import features_at, fold
from tests.conftest import POSTGRES_URL, fresh_schema_name
from tests.unit.store.fakes import ThresholdModel, at, ev

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
AS_OF = datetime(2024, 4, 1, tzinfo=UTC)
PG_URL = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)


def open_store(backend: str, tmp_path: Path) -> tuple[ProfileStore, str | None]:
    if backend == "sqlite":
        return ProfileStore.open(f"sqlite:///{tmp_path / 'store.db'}"), None
    schema = fresh_schema_name()
    try:
        return ProfileStore.open(PG_URL, schema=schema), schema
    except StoreError as e:
        pytest.fail(f"PostgreSQL at {PG_URL} unreachable ({e}); run `make services`", False)


def dispose(store: ProfileStore, schema: str | None) -> None:
    if schema is not None:
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    s, schema = open_store(request.param, tmp_path)
    try:
        yield s
    finally:
        dispose(s, schema)


def test_open_migrates_once_and_reports_health(store: ProfileStore) -> None:
    assert store.health() == {"database": "ok", "model_version": None}
    again = ProfileStore(store.engine, store.url)
    from cible.store.db import upgrade

    upgrade(store.engine)  # already at head: nothing to do
    assert again.health()["database"] == "ok"
    assert store.publish(ThresholdModel()) == 1
    assert store.publish(ThresholdModel()) == 2
    assert store.health() == {"database": "ok", "model_version": 2}


def test_unreachable_database_is_a_store_error_with_the_masked_url() -> None:
    url = "postgresql+psycopg://user:secret@127.0.0.1:1/test"
    with pytest.raises(StoreError, match=r"user:\*\*\*@127\.0\.0\.1:1") as info:
        ProfileStore.open(url)
    assert "secret" not in str(info.value)


def test_features_of_orders_lines_and_refunds(store: ProfileStore) -> None:
    events = [
        ev("a1", "c1", at(1, 10), "purchase", "30.25", "o1"),
        ev("a2", "c1", at(1, 9), "purchase", "19.75", "o1"),  # earlier line of the same order
        ev("a3", "c1", at(11, 9), "purchase", "100", None),  # no order id: its own order
        ev("a4", "c1", at(12), "refund", "-15.5", "o1"),
        ev("a5", "c1", at(13), "page_view"),
    ]
    result = store.apply_events(events, as_of=AS_OF)
    assert (result.applied, result.duplicates) == (5, 0)
    f = store.get_profile("c1").features  # type: ignore[union-attr]
    assert f["frequency"] == 2.0
    assert f["monetary"] == 134.5
    assert f["avg_basket"] == 75.0
    assert f["recency_days"] == pytest.approx((AS_OF - at(11, 9)).total_seconds() / 86400, 1e-12)
    assert f["mean_interpurchase_days"] == pytest.approx(10.0, 1e-12)
    assert f["refund_rate"] == pytest.approx(15.5 / 150, 1e-12)
    assert f["tenure_days"] == pytest.approx((AS_OF - at(1, 9)).total_seconds() / 86400, 1e-12)
    assert (f["events_30d"], f["events_90d"]) == (3.0, 5.0)  # 1 March is 31 days before


def test_the_as_of_boundaries(store: ProfileStore) -> None:
    events = [
        ev("b1", "c1", AS_OF, "purchase", "10", "late"),  # exactly at as_of: not counted yet
        ev("b2", "c1", AS_OF - timedelta(days=30), "page_view"),  # first second of the window
        ev("b3", "c1", AS_OF - timedelta(days=30, microseconds=1), "page_view"),
        ev("b4", "c1", AS_OF - timedelta(days=90), "page_view"),
        ev("b5", "c1", AS_OF - timedelta(days=90, microseconds=1), "page_view"),
    ]
    store.apply_events(events, as_of=AS_OF)
    f = store.get_profile("c1").features  # type: ignore[union-attr]
    assert (f["frequency"], f["monetary"], f["recency_days"]) == (0.0, 0.0, None)
    assert (f["events_30d"], f["events_90d"]) == (1.0, 3.0)
    later = AS_OF + timedelta(days=1)
    store.apply_events([ev("b6", "c1", AS_OF + timedelta(hours=1))], as_of=later)
    g = store.get_profile("c1").features  # type: ignore[union-attr]
    # the window moved on: b2 (as_of - 30 days) left it, b1 and b6 are in
    assert (g["frequency"], g["monetary"], g["events_30d"]) == (1.0, 10.0, 2.0)
    assert g["recency_days"] == 1.0


def test_ties_single_orders_and_refunds_above_gross(store: ProfileStore) -> None:
    store.apply_events(
        [
            ev("t1", "tie", at(5), "purchase", "10", "x"),
            ev("t2", "tie", at(5), "purchase", "20", "y"),
            ev("s1", "single", at(20, 6), "purchase", "42.424242", "only"),
            ev("r1", "refunder", at(2), "purchase", "10", "p"),
            ev("r2", "refunder", at(3), "refund", "-25", "p"),
        ],
        as_of=AS_OF,
    )
    tie = store.get_profile("tie").features  # type: ignore[union-attr]
    assert (tie["frequency"], tie["mean_interpurchase_days"]) == (2.0, 0.0)
    single = store.get_profile("single").features  # type: ignore[union-attr]
    assert single["mean_interpurchase_days"] == single["recency_days"] == 11.75
    assert single["monetary"] == 42.424242
    refunder = store.get_profile("refunder").features  # type: ignore[union-attr]
    assert (refunder["refund_rate"], refunder["monetary"]) == (1.0, -15.0)


def test_idempotent_by_event_id_in_and_across_batches(store: ProfileStore) -> None:
    e = ev("d1", "c1", at(1), "purchase", "10", "o")
    first = store.apply_events([e, e, ev("d2", "c1", at(2))], as_of=AS_OF)
    assert (first.applied, first.duplicates) == (2, 1)
    again = store.apply_events([e, ev("d3", "c1", at(3))], as_of=AS_OF)
    assert (again.applied, again.duplicates) == (1, 1)
    f = store.get_profile("c1").features  # type: ignore[union-attr]
    assert (f["frequency"], f["monetary"], f["events_90d"]) == (1.0, 10.0, 3.0)
    assert store.apply_events([e], as_of=AS_OF).duplicates == 1


def test_out_of_order_batches_equal_the_in_memory_reference(store: ProfileStore) -> None:
    rng = random.Random(7)
    kinds = ["purchase", "purchase", "refund", "page_view", "email_open"]
    events = []
    for i in range(300):
        kind = rng.choice(kinds)
        amount = None if kind not in ("purchase", "refund") else f"{rng.randint(1, 9999) / 100}"
        if kind == "refund":
            amount = f"-{amount}"
        when = AS_OF - timedelta(days=rng.randint(-3, 120), seconds=rng.randint(0, 86399))
        order = f"o{rng.randint(0, 30)}" if rng.random() < 0.8 else None
        events.append(ev(f"e{i}", f"c{i % 7}", when, kind, amount, order))
    shuffled = events[:]
    rng.shuffle(shuffled)
    for start in range(0, len(shuffled), 37):
        store.apply_events(shuffled[start : start + 37], as_of=AS_OF)
    for c in range(7):
        mine = [e for e in events if e.customer_id == f"c{c}"]
        expected = features_at(fold(mine, AS_OF), AS_OF)
        assert store.get_profile(f"c{c}").features == expected  # type: ignore[union-attr]


def test_memberships_history_and_outbox(store: ProfileStore) -> None:
    store.publish(ThresholdModel())
    first = store.apply_events([ev("m1", "c1", at(1))], as_of=AS_OF)
    assert [(c.previous_segment_id, c.segment_id, c.event_id) for c in first.changes] == [
        (None, 0, "m1")
    ]
    up = store.apply_events([ev("m2", "c1", at(2), "purchase", "50", "o")], as_of=AS_OF)
    assert [(c.previous_segment_id, c.segment_id, c.segment_name) for c in up.changes] == [
        (0, 1, "Small")
    ]
    same = store.apply_events([ev("m3", "c1", at(3), "purchase", "49.99", "p")], as_of=AS_OF)
    assert same.changes == []
    big = store.apply_events([ev("m4", "c1", at(4), "purchase", "0.01", "q")], as_of=AS_OF)
    assert [c.segment_id for c in big.changes] == [2]  # 100.00 is not under 100
    profile = store.get_profile("c1")
    assert profile is not None and (profile.segment_id, profile.segment_name) == (2, "Big")
    assert [h["segment_id"] for h in profile.history] == [0, 1, 2]
    assert [h["valid_to"] is None for h in profile.history] == [False, False, True]
    assert profile.history[0]["valid_to"] == profile.history[1]["valid_from"]
    pending = store.pending_notifications()
    assert [(n.kind, n.segment_id, n.segment_name, n.previous_segment_id) for n in pending] == [
        ("segment.entered", 0, "Prospects", None),
        ("segment.exited", 0, "Prospects", 0),
        ("segment.entered", 1, "Small", 0),
        ("segment.exited", 1, "Small", 1),
        ("segment.entered", 2, "Big", 1),
    ]
    assert b'"segment_name":"Big"' in pending[4].to_json()
    # what each apply returned is the outbox as stored, ids included (the consumer relays it)
    returned = [*first.notifications, *up.notifications, *same.notifications, *big.notifications]
    assert returned == pending
    assert len({n.event_id for n in pending[3:]}) == 1  # exit and entry of one event
    store.mark_notified([n.id for n in pending[:4]])
    assert [n.id for n in store.pending_notifications()] == [pending[4].id]
    assert [n.id for n in store.pending_notifications(limit=0)] == []


def test_republish_rescores_and_keeps_history(store: ProfileStore) -> None:
    store.publish(ThresholdModel())
    store.apply_events(
        [ev("p1", "a", at(1), "purchase", "60", "o"), ev("p2", "b", at(1), "purchase", "500", "o")],
        as_of=AS_OF,
    )
    assert store.publish(ThresholdModel(threshold=1000.0)) == 2
    sizes = {s.segment_id: (s.size, s.model_version) for s in store.list_segments()}
    assert sizes == {0: (0, 2), 1: (2, 2), 2: (0, 2)}
    b = store.get_profile("b")
    assert b is not None and (b.segment_id, b.model_version) == (1, 2)
    assert [(h["segment_id"], h["model_version"]) for h in b.history] == [(2, 1), (1, 2)]
    a = store.get_profile("a")
    assert a is not None and (a.model_version, len(a.history)) == (2, 1)
    assert len(store.pending_notifications()) == 2  # the publish itself notifies nobody
    explicit = store.publish(ThresholdModel(), memberships={"a": 2, "b": 2})
    assert [s.size for s in store.list_segments()] == [0, 0, 2]
    assert store.health()["model_version"] == explicit == 3


def test_segment_members_pages_by_cursor(store: ProfileStore) -> None:
    store.publish(ThresholdModel())
    store.apply_events([ev(f"v{i}", f"cust{i:02d}", at(1)) for i in range(7)], as_of=AS_OF)
    page, cursor = store.segment_members(0, limit=3)
    assert page == ["cust00", "cust01", "cust02"]
    page, cursor = store.segment_members(0, cursor=cursor, limit=3)
    assert page == ["cust03", "cust04", "cust05"]
    page, cursor = store.segment_members(0, cursor=cursor, limit=3)
    assert (page, cursor) == (["cust06"], None)
    assert store.segment_members(0, limit=7) == ([f"cust{i:02d}" for i in range(7)], None)
    assert store.segment_members(1) == ([], None)
    with pytest.raises(ValueError, match="limit 0 refused"):
        store.segment_members(0, limit=0)


def test_customers_consents_aliases_and_tenure(store: ProfileStore) -> None:
    created = at(1) - timedelta(days=10)
    n = store.upsert_customers(
        [
            CustomerRecord(customer_id="g1", created_at=created, consent_email=True),
            CustomerRecord(customer_id="g1", created_at=at(2), consent_email=False),
            CustomerRecord(customer_id="late", created_at=AS_OF + timedelta(days=1)),
        ]
    )
    assert n == 2
    store.load_history(alias_pairs=[("old", "g1")])
    store.apply_events([ev("x1", "old", at(1), "purchase", "5", "o")], as_of=AS_OF)
    g1 = store.get_profile("old")
    assert g1 is not None and g1.customer_id == "g1"
    assert g1.features["tenure_days"] == (AS_OF - created).total_seconds() / 86400
    store.refresh_profiles(AS_OF, ["late"])
    late = store.get_profile("late")
    assert late is not None and late.features["tenure_days"] == 0.0  # created after as_of
    from cible.store import tables as t

    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.consents.c.channel, t.consents.c.granted)).all()
    assert rows == [("email", False)]
    assert store.get_profile("nobody") is None


def test_api_keys_hash_scopes_and_revocation(store: ProfileStore) -> None:
    key = store.create_api_key(["read", "write"], name="ci")
    assert store.verify_api_key(key) == frozenset({"read", "write"})
    assert store.verify_api_key(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.verify_api_key("nonsense") is None
    from cible.store import tables as t

    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(t.api_keys.c.key_hash, t.api_keys.c.prefix)).one()
    secret = key.split("_", 2)[2]  # token_urlsafe may itself hold "_" (a flaky split before)
    assert len(secret) == 43 and secret not in stored.key_hash and len(stored.key_hash) == 64
    # the stored hash is the HMAC-SHA256 under the server secret (the dev fallback here),
    # not the bare SHA-256 of the key: a copy of the table alone cannot test a guess
    import hashlib
    import hmac

    dev = b"cible-development-api-key-secret"
    assert stored.key_hash == hmac.new(dev, key.encode(), hashlib.sha256).hexdigest()
    assert stored.key_hash != hashlib.sha256(key.encode()).hexdigest()
    assert store.revoke_api_key(key) is True
    assert store.verify_api_key(key) is None
    with pytest.raises(ValueError, match="scopes \\['root'\\] refused"):
        store.create_api_key(["root"])


def test_api_keys_depend_on_the_server_secret(
    store: ProfileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key made under one CIBLE_API_KEY_SECRET is refused under another (changing the secret
    invalidates every key); outside dev, no secret is an error naming the variable."""
    from cible.exceptions import ConfigError

    monkeypatch.setenv("CIBLE_API_KEY_SECRET", "first-server-secret-0001")
    key = store.create_api_key(["read"])
    assert store.verify_api_key(key) == frozenset({"read"})
    monkeypatch.setenv("CIBLE_API_KEY_SECRET", "second-server-secret-002")
    assert store.verify_api_key(key) is None
    monkeypatch.setenv("CIBLE_API_KEY_SECRET", "first-server-secret-0001")
    assert store.verify_api_key(key) == frozenset({"read"})
    monkeypatch.setenv("CIBLE_ENVIRONMENT", "prod")
    monkeypatch.setenv("CIBLE_API_KEY_SECRET", "")
    with pytest.raises(ConfigError, match="CIBLE_API_KEY_SECRET is empty, a default or shorter"):
        store.create_api_key(["read"])
    monkeypatch.setenv("CIBLE_API_KEY_SECRET", "first-server-secret-0001")
    assert store.verify_api_key(key) == frozenset({"read"})


def test_two_consumers_at_once_lose_and_double_nothing(store: ProfileStore) -> None:
    """Two threads apply interleaved batches concurrently: customers they share and event ids
    delivered to both (at-least-once redelivery) still give the in-memory reference."""
    import threading

    store.publish(ThresholdModel())
    rng = random.Random(5)
    events = [
        ev(
            f"k{i}",
            f"c{rng.randrange(12)}",
            AS_OF - timedelta(hours=rng.randint(1, 2000)),
            "purchase",
            f"{rng.randint(1, 500)}.25",
            f"o{rng.randrange(40)}",
        )
        for i in range(600)
    ]
    # every event goes to one consumer, a third of them to both
    lanes: list[list] = [[], []]
    for i, e in enumerate(events):
        lanes[i % 2].append(e)
        if i % 3 == 0:
            lanes[(i + 1) % 2].append(e)
    errors: list[BaseException] = []

    def consume(lane: list) -> None:
        try:
            for start in range(0, len(lane), 50):
                store.apply_events(lane[start : start + 50], as_of=AS_OF)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=consume, args=(lane,)) for lane in lanes]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    for c in range(12):
        mine = [e for e in events if e.customer_id == f"c{c}"]
        expected = features_at(fold(mine, AS_OF), AS_OF)
        assert store.get_profile(f"c{c}").features == expected  # type: ignore[union-attr]
    assert len(store.memberships()) == 12
