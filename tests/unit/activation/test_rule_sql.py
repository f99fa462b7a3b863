"""The SQL of an audience rule, run on a small DuckDB and SQLite profile relation: every operator
at its threshold and on each side, in / not in, and / or / not, missing values, timestamps (aware
and naive, N days before now) and text with quotes, with the exact ids each engine selects."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import duckdb
import pytest

from cible.activation.rule_sql import DIALECTS, rule_sql, sql_timestamp
from cible.activation.rules import FieldCatalogue, Rule, parse_rule

NOW = datetime(2026, 7, 1, 12, 30, 15, 250_000, tzinfo=UTC)
PLUS2 = timezone(timedelta(hours=2))
# Inserted out of id order: the query's ORDER BY gives the ids sorted.
PROFILES: list[tuple[str, float | None, str | None, datetime | None]] = [
    ("C3", 10.0, "O'Brien's", NOW - timedelta(days=7)),
    ("C1", 9.5, "Loyal", NOW - timedelta(days=7, microseconds=1)),
    ("C4", 10.5, "Champions", NOW),
    ("C2", None, None, None),
    ("C5", 0.1, "Loyal", NOW + timedelta(microseconds=1)),
    ("C0", -1.5, "At risk", NOW - timedelta(days=6)),
]
EVERYONE = ["C0", "C1", "C2", "C3", "C4", "C5"]


class Engines:
    """The profile relation ``p`` on DuckDB (TIMESTAMP) and SQLite (timestamps as text)."""

    def __init__(self, key: str = "customer_id") -> None:
        self.key = key
        self.duck = duckdb.connect()
        self.lite = sqlite3.connect(":memory:")
        ddl = 'CREATE TABLE p ("{k}" VARCHAR, "monetary" {d}, "segment" VARCHAR, "last_order" {t})'
        self.duck.execute(ddl.format(k=key, d="DOUBLE", t="TIMESTAMP"))
        self.lite.execute(ddl.format(k=key, d="REAL", t="TEXT"))
        for cid, monetary, segment, ts in PROFILES:
            naive = None if ts is None else ts.replace(tzinfo=None)
            text = None if ts is None else sql_timestamp(ts)
            self.duck.execute("INSERT INTO p VALUES (?, ?, ?, ?)", [cid, monetary, segment, naive])
            self.lite.execute("INSERT INTO p VALUES (?, ?, ?, ?)", (cid, monetary, segment, text))

    def members(self, rule: Rule, now: datetime = NOW) -> dict[str, list[str]]:
        duck = self.duck.execute(rule_sql(rule, "p", now, "duckdb", self.key)).fetchall()
        lite = self.lite.execute(rule_sql(rule, "p", now, "sqlite", self.key)).fetchall()
        return {"duckdb": [r[0] for r in duck], "sqlite": [r[0] for r in lite]}

    def close(self) -> None:
        self.duck.close()
        self.lite.close()


@pytest.fixture(scope="module")
def engines() -> Iterator[Engines]:
    e = Engines()
    yield e
    e.close()


def _rule(raw: dict[str, Any]) -> Rule:
    return parse_rule(raw, "rule", FieldCatalogue())


def _both(ids: list[str]) -> dict[str, list[str]]:
    return {"duckdb": ids, "sqlite": ids}


CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    # numbers at the threshold 10 (C3 exactly, C1 just below, C4 just above, C2 missing)
    ("eq", {"field": "monetary", "=": 10}, ["C3"]),
    ("ne", {"field": "monetary", "!=": 10}, ["C0", "C1", "C4", "C5"]),
    ("lt", {"field": "monetary", "<": 10}, ["C0", "C1", "C5"]),
    ("le", {"field": "monetary", "<=": 10}, ["C0", "C1", "C3", "C5"]),
    ("gt", {"field": "monetary", ">": 10}, ["C4"]),
    ("ge", {"field": "monetary", ">=": 10}, ["C3", "C4"]),
    ("negative", {"field": "monetary", "<": -1}, ["C0"]),
    ("between", {"field": "monetary", "between": [0.1, 10]}, ["C1", "C3", "C5"]),
    ("between_point", {"field": "monetary", "between": [10, 10]}, ["C3"]),
    ("in_numbers", {"field": "monetary", "in": [10, 0.1]}, ["C3", "C5"]),
    ("in_text", {"field": "segment", "in": ["O'Brien's", "Loyal"]}, ["C1", "C3", "C5"]),
    ("not_in", {"not": {"field": "segment", "in": ["Loyal", "Champions"]}}, ["C0", "C2", "C3"]),
    ("text_eq_quote", {"field": "segment", "=": "O'Brien's"}, ["C3"]),
    ("text_ne", {"field": "segment", "!=": "Loyal"}, ["C0", "C3", "C4"]),
    # a comparison with a missing value is false, its negation true
    ("not_gt", {"not": {"field": "monetary", ">": 10}}, ["C0", "C1", "C2", "C3", "C5"]),
    ("not_ne", {"not": {"field": "monetary", "!=": 10}}, ["C2", "C3"]),
    ("missing", {"field": "monetary", "missing": True}, ["C2"]),
    ("present", {"field": "monetary", "missing": False}, ["C0", "C1", "C3", "C4", "C5"]),
    ("not_missing", {"not": {"field": "segment", "missing": True}}, ["C0", "C1", "C3", "C4", "C5"]),
    # branches
    (
        "and",
        {"and": [{"field": "monetary", ">=": 10}, {"field": "segment", "=": "Champions"}]},
        ["C4"],
    ),
    (
        "or",
        {"or": [{"field": "monetary", "=": 10}, {"field": "segment", "=": "At risk"}]},
        ["C0", "C3"],
    ),
    (
        "or_inside_and",
        {
            "and": [
                {
                    "or": [
                        {"field": "segment", "=": "Loyal"},
                        {"field": "segment", "=": "Champions"},
                    ]
                },
                {"field": "monetary", ">": 9.5},
            ]
        },
        ["C4"],
    ),
    (
        "and_inside_or",
        {
            "or": [
                {"field": "segment", "=": "At risk"},
                {"and": [{"field": "monetary", "<": 10}, {"field": "monetary", ">": 1}]},
            ]
        },
        ["C0", "C1"],
    ),
    (
        "not_of_and",
        {"not": {"and": [{"field": "monetary", ">": 0}, {"field": "segment", "=": "Loyal"}]}},
        ["C0", "C2", "C3", "C4"],
    ),
    # timestamps: exactly 7 days before now is in, 1 µs older is out, the future is out
    ("within_7", {"field": "last_order", "within_days": 7}, ["C0", "C3", "C4"]),
    ("within_0", {"field": "last_order", "within_days": 0}, ["C4"]),
    ("within_6", {"field": "last_order", "within_days": 6}, ["C0", "C4"]),
    ("not_within", {"not": {"field": "last_order", "within_days": 7}}, ["C1", "C2", "C5"]),
    (
        "ts_ge",
        {"field": "last_order", ">=": (NOW - timedelta(days=7)).isoformat()},
        ["C0", "C3", "C4", "C5"],
    ),
    ("ts_gt_now", {"field": "last_order", ">": NOW.isoformat()}, ["C5"]),
    ("ts_eq_now", {"field": "last_order", "=": NOW.isoformat()}, ["C4"]),
    # the same instant written at +02:00 and naive (read as UTC)
    (
        "ts_lt_aware",
        {"field": "last_order", "<": NOW.astimezone(PLUS2).isoformat()},
        ["C0", "C1", "C3"],
    ),
    (
        "ts_le_naive",
        {"field": "last_order", "<=": "2026-07-01T12:30:15.250000"},
        ["C0", "C1", "C3", "C4"],
    ),
    (
        "ts_between",
        {
            "field": "last_order",
            "between": [(NOW - timedelta(days=7)).isoformat(), NOW.isoformat()],
        },
        ["C0", "C3", "C4"],
    ),
    ("ts_missing", {"field": "last_order", "missing": True}, ["C2"]),
]


@pytest.mark.parametrize(("raw", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_engine_selects_the_exact_ids(
    engines: Engines, raw: dict[str, Any], expected: list[str]
) -> None:
    assert engines.members(_rule(raw)) == _both(expected)


def test_within_days_counts_back_from_an_aware_now_in_any_zone(engines: Engines) -> None:
    """``now`` at +02:00 is the same instant: the window does not move."""
    rule = _rule({"field": "last_order", "within_days": 7})
    assert engines.members(rule, NOW.astimezone(PLUS2)) == _both(["C0", "C3", "C4"])
    later = NOW + timedelta(microseconds=1)
    assert engines.members(rule, later) == _both(["C0", "C4", "C5"])


def test_the_exact_sql_of_each_dialect() -> None:
    """Parentheses around every branch, COALESCE(..., FALSE) around every comparison, quotes
    doubled, timestamps cast on DuckDB and PostgreSQL and plain text on SQLite."""
    rule = _rule(
        {
            "and": [
                {"field": "monetary", ">=": 10},
                {"not": {"field": "segment", "in": ["O'Brien's", "Loyal"]}},
                {
                    "or": [
                        {"field": "last_order", "within_days": 1},
                        {"field": "segment", "missing": False},
                    ]
                },
            ]
        }
    )
    assert rule_sql(rule, "p", NOW) == (
        'SELECT "customer_id" FROM p WHERE (COALESCE(("monetary" >= CAST(10.0 AS DOUBLE)), FALSE) '
        "AND NOT (COALESCE((\"segment\" IN ('O''Brien''s', 'Loyal')), FALSE)) "
        "AND (COALESCE((\"last_order\" >= CAST('2026-06-30 12:30:15.250000' AS TIMESTAMP) "
        "AND \"last_order\" <= CAST('2026-07-01 12:30:15.250000' AS TIMESTAMP)), FALSE) "
        'OR NOT "segment" IS NULL)) ORDER BY "customer_id"'
    )
    assert rule_sql(rule, "main.p", NOW, "sqlite", key="id") == (
        'SELECT "id" FROM main.p WHERE (COALESCE(("monetary" >= CAST(10.0 AS REAL)), FALSE) '
        "AND NOT (COALESCE((\"segment\" IN ('O''Brien''s', 'Loyal')), FALSE)) "
        "AND (COALESCE((\"last_order\" >= '2026-06-30 12:30:15.250000' "
        "AND \"last_order\" <= '2026-07-01 12:30:15.250000'), FALSE) "
        'OR NOT "segment" IS NULL)) ORDER BY "id"'
    )
    between = _rule(
        {
            "and": [
                {"field": "last_order", "between": ["2026-01-01", "2026-02-01T00:00:00+01:00"]},
                {"field": "frequency", "missing": True},
                {"field": "monetary", "<": 0.1},
            ]
        }
    )
    assert rule_sql(between, "p", NOW, "postgres") == (
        'SELECT "customer_id" FROM p WHERE (COALESCE(("last_order" BETWEEN '
        "CAST('2026-01-01 00:00:00.000000' AS TIMESTAMP) AND "
        "CAST('2026-01-31 23:00:00.000000' AS TIMESTAMP)), FALSE) AND \"frequency\" IS NULL "
        'AND COALESCE(("monetary" < CAST(0.1 AS DOUBLE PRECISION)), FALSE)) '
        'ORDER BY "customer_id"'
    )


def test_the_key_column_is_quoted() -> None:
    """A key that is not a plain identifier works (quoted in the SELECT and the ORDER BY)."""
    e = Engines(key="customer id")
    try:
        assert e.members(_rule({"field": "monetary", ">": 9.5})) == _both(["C3", "C4"])
    finally:
        e.close()


def test_the_dialects() -> None:
    assert DIALECTS == ("duckdb", "postgres", "sqlite")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 7, 1, 12, 30, 15, 250_000, tzinfo=UTC), "2026-07-01 12:30:15.250000"),
        (datetime(2026, 7, 1, 0, 0, tzinfo=UTC), "2026-07-01 00:00:00.000000"),
        (datetime(2026, 7, 1, 1, 30, tzinfo=PLUS2), "2026-06-30 23:30:00.000000"),
        (datetime(2026, 7, 1, 1, 30, 0, 7), "2026-07-01 01:30:00.000007"),
        (datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "2026-12-31 23:59:59.999999"),
    ],
    ids=["utc", "midnight", "plus2", "naive", "last_microsecond"],
)
def test_sql_timestamp_text(value: datetime, text: str) -> None:
    assert sql_timestamp(value) == text


def test_timestamps_are_utc_whatever_the_machine_zone(
    engines: Engines, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a machine zone other than UTC, a naive timestamp is still read as UTC and an aware
    one is still written in UTC (never in the machine's zone)."""
    import time

    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        assert sql_timestamp(datetime(2026, 7, 1, 1, 30)) == "2026-07-01 01:30:00.000000"
        assert sql_timestamp(NOW) == "2026-07-01 12:30:15.250000"
        assert sql_timestamp(NOW.astimezone(PLUS2)) == "2026-07-01 12:30:15.250000"
        rule = _rule({"field": "last_order", "within_days": 7})
        assert engines.members(rule) == _both(["C0", "C3", "C4"])
    finally:
        monkeypatch.undo()
        time.tzset()
