"""One suite, two evaluators: the SQL of an audience rule (DuckDB, PostgreSQL, SQLite) selects
exactly the profiles that :func:`evaluate` accepts, over random rules and random profiles with
missing values, values exactly at the bounds and timestamps exactly N days before now."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cible.activation.evaluate import evaluate
from cible.activation.rule_sql import rule_sql, sql_timestamp
from cible.activation.rules import FieldCatalogue, Rule, parse_rule
from tests.conftest import POSTGRES_URL

NOW = datetime(2026, 7, 1, 12, 30, 15, 250_000, tzinfo=UTC)
NUMBERS = ("monetary", "frequency")
BOUNDS = (-1.5, 0.0, 0.1, 1.0, 2.0, 3.0, 10.0)
SEGMENTS = ("Champions", "Loyal", "At risk", "O'Brien's")
DAYS = (0, 1, 7, 30)
CATALOGUE = FieldCatalogue()


def _timestamps() -> st.SearchStrategy[datetime | None]:
    near = [NOW - timedelta(days=d) + timedelta(microseconds=e) for d in DAYS for e in (-1, 0, 1)]
    return st.one_of(st.none(), st.sampled_from([*near, NOW + timedelta(days=1)]))


PROFILE = st.fixed_dictionaries(
    {
        "monetary": st.one_of(st.none(), st.sampled_from(BOUNDS), st.floats(-5, 15)),
        "frequency": st.one_of(st.none(), st.sampled_from(BOUNDS)),
        "segment": st.one_of(st.none(), st.sampled_from(SEGMENTS)),
        "last_order": _timestamps(),
    }
)


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    number = st.sampled_from(NUMBERS)
    ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
    return st.one_of(
        st.builds(lambda f, o, v: {"field": f, o: v}, number, ops, st.sampled_from(BOUNDS)),
        st.builds(
            lambda f, a, b: {"field": f, "between": sorted([a, b])},
            number,
            st.sampled_from(BOUNDS),
            st.sampled_from(BOUNDS),
        ),
        st.builds(
            lambda f, vs: {"field": f, "in": vs},
            number,
            st.lists(st.sampled_from(BOUNDS), min_size=1, max_size=3),
        ),
        st.builds(
            lambda vs: {"field": "segment", "in": vs},
            st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=2),
        ),
        st.builds(
            lambda o, v: {"field": "segment", o: v},
            st.sampled_from(["=", "!="]),
            st.sampled_from(SEGMENTS),
        ),
        st.builds(lambda d: {"field": "last_order", "within_days": d}, st.sampled_from(DAYS)),
        st.builds(
            lambda f, m: {"field": f, "missing": m},
            st.sampled_from([*NUMBERS, "segment", "last_order"]),
            st.booleans(),
        ),
    )


RULES = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"and": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"or": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=6,
)

_COLUMNS = {"monetary": "DOUBLE", "frequency": "DOUBLE", "segment": "VARCHAR"}


def _rows(profiles: Sequence[Mapping[str, Any]], text_time: bool) -> list[tuple[Any, ...]]:
    out = []
    for i, p in enumerate(profiles):
        ts = p["last_order"]
        if ts is not None:
            ts = sql_timestamp(ts) if text_time else ts.replace(tzinfo=None)
        out.append((f"C{i:03d}", p["monetary"], p["frequency"], p["segment"], ts))
    return out


class Engines:
    def __init__(self) -> None:
        self.duck = duckdb.connect()
        self.lite = sqlite3.connect(":memory:")
        self.schema = f"cible_rules_{uuid.uuid4().hex[:12]}"
        import psycopg

        try:
            self.pg = psycopg.connect(POSTGRES_URL, autocommit=True)
        except psycopg.OperationalError as e:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} cannot be reached: {e}", pytrace=False)
        self.pg.execute(f'CREATE SCHEMA "{self.schema}"')
        self.pg.execute(f'SET search_path TO "{self.schema}"')

    def members(self, rule: Rule, profiles: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
        ddl = (
            'CREATE TABLE p ("customer_id" VARCHAR, "monetary" {d}, "frequency" {d}, '
            '"segment" VARCHAR, "last_order" {t})'
        )
        out = {}
        for name, conn, d, t, mark in (
            ("duckdb", self.duck, "DOUBLE", "TIMESTAMP", "?"),
            ("sqlite", self.lite, "REAL", "TEXT", "?"),
            ("postgres", self.pg, "DOUBLE PRECISION", "TIMESTAMP", "%s"),
        ):
            conn.execute("DROP TABLE IF EXISTS p")
            conn.execute(ddl.format(d=d, t=t))
            rows = _rows(profiles, text_time=name == "sqlite")
            insert = f"INSERT INTO p VALUES ({', '.join([mark] * 5)})"
            cursor = conn.cursor()
            cursor.executemany(insert, rows)
            sql = rule_sql(rule, "p", NOW, name)  # type: ignore[arg-type]
            out[name] = [r[0] for r in conn.execute(sql).fetchall()]
        return out

    def close(self) -> None:
        self.pg.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
        self.pg.close()
        self.duck.close()
        self.lite.close()


@pytest.fixture(scope="module")
def engines() -> Iterator[Engines]:
    e = Engines()
    yield e
    e.close()


@pytest.mark.postgresql
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=RULES, profiles=st.lists(PROFILE, min_size=1, max_size=12))
def test_sql_and_python_select_the_same_members(
    engines: Engines, raw: dict[str, Any], profiles: list[dict[str, Any]]
) -> None:
    rule = parse_rule(raw, "rule", CATALOGUE)
    expected = [f"C{i:03d}" for i, p in enumerate(profiles) if evaluate(rule, p, NOW)]
    got = engines.members(rule, profiles)
    assert got == {"duckdb": expected, "sqlite": expected, "postgres": expected}


@pytest.mark.postgresql
def test_boundaries_on_every_engine(engines: Engines) -> None:
    """Exactly at the bounds: between ends included, N days before now included, 1 µs older
    excluded, a future timestamp excluded, a missing value false under any comparison and true
    under its negation."""
    profiles = [
        {
            "monetary": 5.0,
            "frequency": None,
            "segment": None,
            "last_order": NOW - timedelta(days=7),
        },
        {
            "monetary": 10.0,
            "frequency": 1.0,
            "segment": "Loyal",
            "last_order": NOW - timedelta(days=7, microseconds=1),
        },
        {"monetary": 4.999, "frequency": 2.0, "segment": "x", "last_order": NOW},
        {"monetary": None, "frequency": 3.0, "segment": None, "last_order": NOW + timedelta(0, 1)},
    ]
    cases = {
        "between": ({"field": "monetary", "between": [5, 10]}, ["C000", "C001"]),
        "within": ({"field": "last_order", "within_days": 7}, ["C000", "C002"]),
        "not_eq_missing": ({"field": "frequency", "!=": 1}, ["C002", "C003"]),
        "not_of_missing": ({"not": {"field": "monetary", ">": 5}}, ["C000", "C002", "C003"]),
        "missing": ({"field": "segment", "missing": True}, ["C000", "C003"]),
    }
    for name, (raw, expected) in cases.items():
        rule = parse_rule(raw, name, CATALOGUE)
        assert [f"C{i:03d}" for i, p in enumerate(profiles) if evaluate(rule, p, NOW)] == expected
        assert engines.members(rule, profiles) == dict.fromkeys(
            ("duckdb", "sqlite", "postgres"), expected
        ), name


@settings(max_examples=150, deadline=None)
@given(
    rules=st.lists(RULES, min_size=1, max_size=4),
    flags=st.lists(
        st.tuples(st.integers(0, 3), st.booleans(), st.booleans()), min_size=4, max_size=4
    ),
    profiles=st.lists(PROFILE, min_size=1, max_size=12),
    suppressed=st.sets(st.integers(0, 11)),
)
def test_the_per_profile_waterfall_equals_the_batch_one(
    rules: list[dict[str, Any]],
    flags: list[tuple[int, bool, bool]],
    profiles: list[dict[str, Any]],
    suppressed: set[int],
) -> None:
    """The stream path (one customer at a time) puts each customer in the same audiences as
    the batch waterfall over everyone: priorities, ties, exclusivity and suppression."""
    from cible.activation.plan import parse_plan
    from cible.activation.waterfall import audiences_of, waterfall

    plan = parse_plan(
        {
            "suppression_lists": {"s": "s.csv"},
            "audiences": [
                {
                    "name": f"a{i}",
                    "channels": ["email"],
                    "priority": flags[i][0],
                    "exclusive": flags[i][1],
                    "suppress": ["s"] if flags[i][2] else [],
                    "rule": raw,
                }
                for i, raw in enumerate(rules)
            ],
        }
    )
    ids = [f"C{i:03d}" for i in range(len(profiles))]
    qualified = {
        a.name: {c for c, p in zip(ids, profiles, strict=True) if evaluate(a.rule, p, NOW)}
        for a in plan.audiences
    }
    blocked = {c for i, c in enumerate(ids) if i in suppressed}
    batch = waterfall(plan.audiences, qualified, {"s": blocked})
    for c, p in zip(ids, profiles, strict=True):
        lists = ["s"] if c in blocked else []
        expected = sorted(a.name for a in batch if c in a.members)
        assert sorted(audiences_of(plan.audiences, p, NOW, lists)) == expected
