"""The warehouse contract: the same assertions on every backend.

Each test runs once per engine of :func:`cible.warehouse.registry.backends` (the PostgreSQL run is
marked ``postgresql`` and needs the server of ``.ci/services``; it fails, never skips, when the
server is down; the Spark run is marked ``spark`` and ``integration`` and shares one local Spark
session, started once per test session). Expected values are written once, so every backend gives the same answer:
exactly for counts and ids, to 1e-9 (relative) for floats. :func:`test_backends_agree` also
compares the backends with each other on generated data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cible.config import DuckDBWarehouseConfig, PostgreSQLWarehouseConfig, SparkWarehouseConfig
from cible.exceptions import WarehouseError
from cible.features import build_context, build_features, default_as_of
from cible.identity import build_golden, undo_merge
from cible.predict.clv.rfm import clv_summary, holdout_purchases
from cible.predict.labels import positives_sql
from cible.predict.pointintime import PointInTimeView
from cible.predict.predict_features import build_predict_features, point_in_time_features
from cible.schemas.customers import CUSTOMER_FIELDS, CUSTOMERS_SCHEMA
from cible.schemas.events import EVENT_FIELDS
from cible.warehouse import LoadCounts, Warehouse, open_warehouse
from cible.warehouse.registry import backends
from tests.conftest import POSTGRES_URL, SPARK_MASTER, fresh_schema_name
from tests.unit.identity.frames import family, family_clusters, family_pairs
from tests.unit.predict.data import events_table, planted_events, purchase

SPARK = pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.integration])
ENGINES = ["duckdb", pytest.param("postgresql", marks=pytest.mark.postgresql), SPARK]
REL = 1e-9


def _open(engine: str, tmp_path: Path) -> Warehouse:
    config: DuckDBWarehouseConfig | PostgreSQLWarehouseConfig | SparkWarehouseConfig
    if engine == "duckdb":
        config = DuckDBWarehouseConfig(path=Path("w.duckdb"))
    elif engine == "spark":
        config = SparkWarehouseConfig(engine="spark", path=Path("w.spark"), master=SPARK_MASTER)
    else:
        config = PostgreSQLWarehouseConfig(
            engine="postgresql", url=POSTGRES_URL, schema=fresh_schema_name()
        )
    try:
        return open_warehouse(config, tmp_path)
    except WarehouseError as e:
        pytest.fail(
            f"the {engine} warehouse cannot be opened ({e}); for PostgreSQL at {POSTGRES_URL} "
            "run `make services` (.ci/services)",
            pytrace=False,
        )


def _dispose(wh: Warehouse) -> None:
    drop = getattr(wh, "drop_schema", None)
    if drop is not None:
        drop()
    wh.close()


@pytest.fixture(params=ENGINES)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Warehouse]:
    wh = _open(request.param, tmp_path)
    try:
        yield wh
    finally:
        _dispose(wh)


def test_every_engine_is_covered() -> None:
    assert sorted(backends()) == ["duckdb", "postgresql", "spark"]


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def _customers(rows: list[dict[str, object]]) -> pa.Table:
    return pa.Table.from_pylist([{"source": "crm", **r} for r in rows], schema=CUSTOMERS_SCHEMA)


def _ids(events: pa.Table, prefix: str) -> pa.Table:
    ids = pa.array([f"{prefix}{i}" for i in range(events.num_rows)])
    return events.set_column(events.schema.get_field_index("event_id"), "event_id", ids)


# -- schema ------------------------------------------------------------------------------------
def test_schema_is_the_canonical_one(warehouse: Warehouse) -> None:
    warehouse.ensure_schema()  # a second time changes nothing
    for table, specs in (("customers", CUSTOMER_FIELDS), ("events", EVENT_FIELDS)):
        schema = warehouse.fetch_arrow(f"SELECT * FROM {table} LIMIT 0").schema
        assert schema.names == [s.name for s in specs]
        assert [f.type for f in schema] == [s.arrow_type for s in specs], table
    identity = warehouse.fetch_arrow("SELECT * FROM customer_identity LIMIT 0").schema
    assert [(f.name, f.type) for f in identity] == [
        ("record_id", pa.string()),
        ("surviving_id", pa.string()),
    ]
    assert (warehouse.count("customers"), warehouse.count("events")) == (0, 0)
    assert warehouse.last_event_time() is None


def test_keys_and_required_fields_are_enforced(warehouse: Warehouse) -> None:
    row = (
        "INSERT INTO events (event_id, customer_id, source, event_type, timestamp) "
        "VALUES ('e1', {cid}, 's', 'page_view', TIMESTAMPTZ '2025-01-01T00:00:00+00:00')"
    )
    warehouse.execute(row.format(cid="'A'"))
    with pytest.raises(WarehouseError):
        warehouse.execute(row.format(cid="'B'"))  # the same event_id
    with pytest.raises(WarehouseError):
        warehouse.execute(row.replace("'e1'", "'e2'").format(cid="NULL"))
    assert warehouse.fetch_arrow("SELECT event_id, customer_id FROM events").to_pylist() == [
        {"event_id": "e1", "customer_id": "A"}
    ]


# -- loading -----------------------------------------------------------------------------------
def test_loading_is_idempotent(warehouse: Warehouse) -> None:
    day = datetime(2025, 1, 1, tzinfo=UTC)
    first = events_table([purchase("A", day), purchase("B", day + timedelta(days=1))])
    again = events_table(
        [
            {**purchase("B", day + timedelta(days=1)), "event_id": "e1"},  # already there
            {**purchase("C", day + timedelta(days=2)), "event_id": "e2"},
        ]
    )
    assert warehouse.append_events(first) == LoadCounts(2, 0)
    assert warehouse.append_events(first) == LoadCounts(0, 2)
    assert warehouse.append_events(again) == LoadCounts(1, 1)
    assert warehouse.append_events(first.slice(0, 0)) == LoadCounts(0, 0)
    assert warehouse.count("events") == 3
    assert warehouse.last_event_time() == day + timedelta(days=2)

    assert warehouse.upsert_customers(
        _customers([{"customer_id": "A", "city": "Lyon"}, {"customer_id": "B", "city": "Nantes"}])
    ) == LoadCounts(2, 0)
    assert warehouse.upsert_customers(
        _customers([{"customer_id": "A", "city": "Paris", "email": "a@example.org"}])
    ) == LoadCounts(0, 1)
    rows = warehouse.fetch_arrow(
        "SELECT customer_id, city, email FROM customers ORDER BY customer_id"
    ).to_pylist()
    assert rows == [
        {"customer_id": "A", "city": "Paris", "email": "a@example.org"},
        {"customer_id": "B", "city": "Nantes", "email": None},
    ]


def test_a_failed_transaction_loads_nothing(warehouse: Warehouse) -> None:
    day = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(RuntimeError, match="boom"), warehouse.transaction():
        warehouse.append_events(events_table([purchase("A", day)]))
        warehouse.upsert_customers(_customers([{"customer_id": "A"}]))
        assert warehouse.count("events") == 1  # visible inside the transaction
        raise RuntimeError("boom")
    assert (warehouse.count("events"), warehouse.count("customers")) == (0, 0)
    with warehouse.transaction():
        warehouse.append_events(events_table([purchase("A", day)]))
    assert warehouse.count("events") == 1


def test_values_round_trip(warehouse: Warehouse) -> None:
    ts = datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC)
    row = {
        "customer_id": "A",
        "email": "é@example.org",
        "birth_date": date(1980, 2, 29),
        "created_at": ts,
        "consent_email": True,
        "consent_sms": False,
        "attributes": '{"tier": "gold"}',
    }
    warehouse.upsert_customers(_customers([row]))
    got = warehouse.fetch_arrow(f"SELECT {', '.join(row)} FROM customers").to_pylist()
    assert got == [row]
    events = events_table([{**purchase("A", ts, amount=0.1 + 0.2), "quantity": 3}])
    warehouse.append_events(events)
    assert warehouse.fetch_arrow("SELECT timestamp, amount, quantity FROM events").to_pylist() == [
        {"timestamp": ts, "amount": 0.1 + 0.2, "quantity": 3}
    ]


# -- the feature queries -----------------------------------------------------------------------
def _feature_events() -> pa.Table:
    rows = [
        # A: two orders (one of two lines), one partial refund, a page view in the last 30 days
        ("A", "purchase", "2025-01-01", "o1", 60.0, "web"),
        ("A", "purchase", "2025-01-01", "o1", 40.0, "web"),
        ("A", "purchase", "2025-01-21", "o2", 50.0, "store"),
        ("A", "refund", "2025-01-25", "o2", -30.0, "store"),
        ("A", "page_view", "2025-01-30", None, None, "app"),
        # B: one order long ago, then nothing
        ("B", "purchase", "2024-10-03", "o3", 20.0, "web"),
        # C: only browsing, half a day before as_of
        ("C", "page_view", "2025-01-31 12:00:00", None, None, None),
        # after as_of: must be ignored
        ("A", "purchase", "2025-02-05", "o9", 999.0, "app"),
    ]
    return events_table(
        [
            {
                "customer_id": c,
                "event_type": t,
                "timestamp": _at(ts),
                "order_id": o,
                "amount": a,
                "channel": ch,
                "product_id": o and f"p-{o}",
                "location": "FR",
            }
            for c, t, ts, o, a, ch in rows
        ]
    )


@pytest.fixture
def features_warehouse(warehouse: Warehouse) -> Warehouse:
    warehouse.append_events(_feature_events())
    warehouse.upsert_customers(
        _customers(
            [
                {"customer_id": "A", "country": "BE", "created_at": _at("2024-12-01")},
                {"customer_id": "K", "country": "DE"},  # known, never active
                {"customer_id": "L", "created_at": _at("2025-03-01")},  # created after as_of
            ]
        )
    )
    return warehouse


def test_feature_query(features_warehouse: Warehouse) -> None:
    f = build_features(features_warehouse, date(2025, 2, 1))
    assert list(f.index) == ["A", "B", "C", "K"]
    assert f.loc["A"].to_dict() == pytest.approx(
        {
            "recency_days": 11.0,
            "frequency": 2.0,
            "monetary": 120.0,
            "avg_basket": 75.0,
            "tenure_days": 62.0,  # the customer record is older than the first event
            "mean_interpurchase_days": 20.0,
            "refund_rate": 0.2,
            "events_30d": 3.0,
            "events_90d": 5.0,
        },
        rel=REL,
    )
    b, c, k = f.loc["B"], f.loc["C"], f.loc["K"]
    assert (b["recency_days"], b["mean_interpurchase_days"], b["monetary"]) == (121.0, 121.0, 20.0)
    assert c["frequency"] == 0.0 and np.isnan(c["recency_days"])
    assert c["tenure_days"] == pytest.approx(0.5, rel=REL)
    assert (k["tenure_days"], k["events_90d"]) == (0.0, 0.0)
    assert default_as_of(features_warehouse) == date(2025, 2, 6)


def test_context_query(features_warehouse: Warehouse) -> None:
    ctx = build_context(features_warehouse, date(2025, 2, 1))
    ctx = ctx.astype(object).where(ctx.notna(), None)
    # A: web twice, store twice, app once: the tie goes to the smaller value
    assert ctx.to_dict("index") == {
        "A": {"channel": "store", "country": "BE"},
        "B": {"channel": "web", "country": "FR"},
        "C": {"channel": None, "country": "FR"},
        "K": {"channel": None, "country": "DE"},
        "L": {"channel": None, "country": None},
    }


def test_prediction_features(features_warehouse: Warehouse) -> None:
    f = build_predict_features(features_warehouse, date(2025, 2, 1))
    assert list(f.index) == ["A", "B", "C", "K"]
    assert f.loc["A", "orders_30d":].to_dict() == pytest.approx(  # type: ignore[misc]
        {
            "orders_30d": 1.0,
            "orders_90d": 2.0,
            "orders_180d": 2.0,
            "revenue_90d": 150.0,
            "revenue_180d": 150.0,
            "active_months": 1.0,
            "distinct_products": 2.0,
        },
        rel=REL,
    )
    assert f.loc["B", ["orders_90d", "orders_180d", "revenue_180d"]].tolist() == [0.0, 1.0, 20.0]


@pytest.mark.parametrize(
    ("unit", "a", "b"),
    [
        ("D", {"frequency": 1.0, "recency": 20.0, "T": 30.0, "monetary_value": 50.0}, 120.0),
        # W: the same day counts over 7 (7-day periods from the first purchase, Fader-Hardie-Lee)
        ("W", {"frequency": 1.0, "recency": 20 / 7, "T": 30 / 7, "monetary_value": 50.0}, 120 / 7),
        ("h", {"frequency": 1.0, "recency": 480.0, "T": 743.0, "monetary_value": 50.0}, 2903.0),
    ],
)
def test_rfm_summary(
    features_warehouse: Warehouse, unit: str, a: dict[str, float], b: float
) -> None:
    s = clv_summary(features_warehouse, date(2025, 2, 1), unit)  # type: ignore[arg-type]
    assert list(s.index) == ["A", "B"]
    assert s.loc["A"].to_dict() == pytest.approx(a, rel=REL)
    assert s.loc["B"].to_dict() == {"frequency": 0.0, "recency": 0.0, "T": b, "monetary_value": 0.0}
    holdout = holdout_purchases(features_warehouse, date(2025, 1, 10), date(2025, 2, 6), unit)  # type: ignore[arg-type]
    assert holdout.to_dict() == {"A": 2.0, "B": 0.0}  # o2 and o9


def test_rfm_periods_before_1970(warehouse: Warehouse) -> None:
    """Floor division below the origin (negative microseconds) agrees on every engine."""
    old = datetime(1969, 12, 31, 12, 0, tzinfo=UTC)
    warehouse.append_events(
        events_table([purchase("A", old, order="o1"), purchase("A", old + timedelta(days=3))])
    )
    s = clv_summary(warehouse, date(1970, 1, 10))
    assert s.loc["A"].to_dict() == {
        "frequency": 1.0,
        "recency": 3.0,
        "T": 9.0,
        "monetary_value": 10.0,
    }


# -- identity ----------------------------------------------------------------------------------
def _owned_events(warehouse: Warehouse) -> None:
    events = events_table([purchase(c, _at(f"2025-01-0{i + 1}")) for i, c in enumerate("ABCD")])
    events = events_table(
        [
            *events.to_pylist(),
            {
                "customer_id": "anonymous",
                "event_type": "page_view",
                "timestamp": _at("2025-01-09"),
                "event_id": "e4",
            },
        ]
    )
    warehouse.append_events(events)


def _owners(warehouse: Warehouse) -> list[tuple[str, str | None]]:
    t = warehouse.fetch_arrow(
        "SELECT customer_id, original_customer_id FROM events ORDER BY event_id"
    )
    return list(zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True))


def test_identity_rekeying_and_undo(warehouse: Warehouse) -> None:
    _owned_events(warehouse)
    records = family()
    result = build_golden(records, family_clusters(), family_pairs())
    assert warehouse.rekey_customers(result.id_map) == 2
    assert _owners(warehouse) == [
        ("A", None),
        ("A", "B"),
        ("A", "C"),
        ("D", None),
        ("anonymous", None),
    ]
    assert warehouse.rekey_customers(result.id_map) == 0  # idempotent
    assert warehouse.scalar("SELECT count(DISTINCT customer_id) FROM events") == 3

    undone = undo_merge(result, records, "C")
    assert warehouse.rekey_customers(pa.Table.from_pandas(undone.id_map)) == 1
    assert _owners(warehouse)[1:3] == [("A", "B"), ("C", None)]
    assert warehouse.restore_customer_ids(["B"]) == 1
    assert _owners(warehouse)[1] == ("B", None)
    assert warehouse.restore_customer_ids() == 0
    assert warehouse.count("events") == 5


def test_a_failed_rekey_changes_nothing(warehouse: Warehouse) -> None:
    _owned_events(warehouse)
    with pytest.raises(RuntimeError), warehouse.transaction():
        warehouse.rekey_customers(pd.DataFrame({"record_id": ["B"], "surviving_id": ["A"]}))
        raise RuntimeError("boom")
    # even the bookkeeping column added on first use is rolled back
    assert "original_customer_id" not in warehouse.fetch_arrow("SELECT * FROM events").column_names
    owners = warehouse.fetch_arrow("SELECT customer_id FROM events ORDER BY event_id")
    assert owners.column(0).to_pylist() == ["A", "B", "C", "D", "anonymous"]


def test_identity_map_merges_customer_records(warehouse: Warehouse) -> None:
    _owned_events(warehouse)
    warehouse.upsert_customers(
        _customers(
            [
                {"customer_id": c, "country": k}
                for c, k in zip("ABE", ("FR", "FR", "IT"), strict=True)
            ]
        )
    )
    id_map = pd.DataFrame({"record_id": ["A", "B", "E"], "surviving_id": ["A", "A", "E"]})
    assert warehouse.replace_identity(id_map) == 1  # only B is merged away
    warehouse.rekey_customers(id_map)
    resolved = warehouse.fetch_arrow(
        f"SELECT customer_id, country FROM {warehouse.resolved_customers_sql()} r "
        "ORDER BY customer_id, country"
    ).to_pylist()
    assert resolved == [
        {"customer_id": "A", "country": "FR"},
        {"customer_id": "A", "country": "FR"},
        {"customer_id": "E", "country": "IT"},
    ]
    assert list(build_features(warehouse, date(2025, 2, 1)).index) == [
        "A",
        "C",
        "D",
        "E",
        "anonymous",
    ]
    assert warehouse.clear_identity() == 1
    assert warehouse.count("customer_identity") == 0
    assert [owner for owner, _ in _owners(warehouse)] == ["A", "B", "C", "D", "anonymous"]


# -- point in time -----------------------------------------------------------------------------
def test_point_in_time_cutoffs(warehouse: Warehouse) -> None:
    midnight = datetime(2025, 1, 1, tzinfo=UTC)
    just_before = midnight - timedelta(microseconds=1)
    warehouse.append_events(
        events_table(
            [
                purchase("A", just_before, 10.0),
                purchase("A", midnight, 1000.0),  # at the cutoff: not seen
                purchase("B", midnight + timedelta(days=30), 5.0),
                purchase("C", midnight + timedelta(days=90), 7.0),  # at the window end: out
            ]
        )
    )
    warehouse.upsert_customers(
        _customers(
            [
                {"customer_id": "OLD", "created_at": just_before},
                {"customer_id": "NEW", "created_at": midnight},
            ]
        )
    )
    view = PointInTimeView(warehouse, date(2025, 1, 1))
    assert view.count("events") == 1
    assert view.last_event_time() == just_before
    assert view.scalar("SELECT count(*) FROM customers") == 1
    features = point_in_time_features(warehouse, date(2025, 1, 1))
    assert list(features.index) == ["A", "OLD"]
    assert features.loc["A", ["monetary", "frequency"]].tolist() == [10.0, 1.0]
    assert features.loc["A", "recency_days"] == pytest.approx(1 / 86_400_000_000, rel=1e-6)

    from cible.config.predict import PredictConfig

    sql = positives_sql(warehouse, PredictConfig(horizon_days=90), date(2025, 1, 1))
    assert sorted(warehouse.fetch_arrow(sql).column(0).to_pylist()) == ["A", "B"]


# -- the backends compared ---------------------------------------------------------------------
def _frames(wh: Warehouse) -> dict[str, pd.DataFrame | pd.Series]:
    as_of, cutoff = date(2025, 4, 1), date(2025, 1, 1)
    return {
        "features": build_features(wh, as_of),
        "predict": build_predict_features(wh, as_of),
        "context": build_context(wh, as_of),
        "pit": point_in_time_features(wh, cutoff),
        **{f"rfm_{u}": clv_summary(wh, as_of, u) for u in ("h", "D", "W")},  # type: ignore[arg-type]
        "holdout": holdout_purchases(wh, cutoff, as_of),
    }


@pytest.mark.parametrize("other", [pytest.param("postgresql", marks=pytest.mark.postgresql), SPARK])
def test_backends_agree(other: str, tmp_path: Path) -> None:
    events = planted_events(150, seed=11).to_pylist()
    rng = np.random.default_rng(4)
    for e in events:
        e["channel"] = str(rng.choice(["web", "app", "store"]))
        e["location"] = str(rng.choice(["FR", "BE"]))
    table = _ids(events_table(events), "ev")
    customers = _customers(
        [
            {
                "customer_id": f"C{i:04d}",
                "country": str(rng.choice(["FR", "DE", None])),
                "created_at": datetime(2023, 6, 1, tzinfo=UTC)
                + timedelta(days=int(rng.integers(0, 700))),
            }
            for i in range(0, 170, 2)
        ]
    )
    id_map = pd.DataFrame({"record_id": ["C0001", "C0003"], "surviving_id": ["C0000", "C0000"]})
    results = {}
    for engine in ("duckdb", other):
        wh = _open(engine, tmp_path)
        try:
            assert wh.append_events(table) == LoadCounts(table.num_rows, 0)
            wh.upsert_customers(customers)
            assert wh.rekey_customers(id_map) > 0
            results[engine] = _frames(wh)
        finally:
            _dispose(wh)
    duck, pg = results["duckdb"], results[other]
    assert len(duck["features"]) == 158  # 150 active + 10 only known - 2 merged away
    for name, d in duck.items():
        p = pg[name]
        assert list(p.index) == list(d.index), name
        if name == "context":
            pd.testing.assert_frame_equal(p, d)
            continue
        np.testing.assert_allclose(p.to_numpy(), d.to_numpy(), rtol=REL, atol=0, err_msg=name)
