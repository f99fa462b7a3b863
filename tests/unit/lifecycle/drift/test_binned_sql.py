"""The histograms counted in DuckDB SQL equal the ones counted in memory on the same rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pytest

from cible.exceptions import LifecycleError
from cible.lifecycle.drift import DriftPolicy, detect_drift, histogram_of, numeric_histograms
from cible.lifecycle.drift.binned_sql import edges_and_points, robust_scale
from cible.warehouse.duckdb import DuckDBWarehouse

if TYPE_CHECKING:
    from cible.warehouse.postgresql import PostgreSQLWarehouse


@pytest.fixture
def warehouse() -> DuckDBWarehouse:
    rng = np.random.default_rng(7)
    ref = rng.gamma(2.0, 10.0, 5_000)
    cur = rng.gamma(2.0, 12.0, 4_000)
    wh = DuckDBWarehouse(":memory:")
    for name, x, cats in (
        ("ref", ref, ["uk"] * 4_000 + ["fr"] * 1_000),
        ("cur", cur, ["uk"] * 2_000 + ["fr"] * 1_500 + ["de"] * 500),
    ):
        values = x.tolist()
        values[3] = None  # one null per population
        wh.register(
            f"__{name}", pa.table({"spend": values, "country": cats, "n": np.arange(len(x)) % 3})
        )
        wh.execute(f"CREATE TABLE {name} AS SELECT * FROM __{name}")
    return wh


def test_sql_counts_equal_numpy_counts_over_the_same_edges(warehouse: DuckDBWarehouse) -> None:
    found = numeric_histograms(warehouse, "ref", "cur", ["spend"], bins=10)
    ref, cur = found["spend"]
    assert len(ref.counts) == 10 and len(ref.edges) == 9
    assert (ref.total, ref.nulls, cur.total, cur.nulls) == (4_999, 1, 3_999, 1)
    raw = warehouse.fetch_arrow("SELECT spend FROM cur").column(0).to_numpy(zero_copy_only=False)
    again = histogram_of(raw.astype(float), cur.edges)
    assert again.counts == cur.counts
    # 5,000 rows < the 50,000 of the edge sample: the quartiles are those of every row
    iqr = warehouse.scalar(
        "SELECT quantile_disc(spend, 0.75) - quantile_disc(spend, 0.25) FROM ref"
    )
    assert ref.scale == pytest.approx(iqr / 1.3489795003921634, rel=1e-12)
    assert cur.scale == ref.scale  # both are divided by the reference spread


def test_robust_scale_is_iqr_over_1_349_else_the_standard_deviation() -> None:
    assert robust_scale(1.0, 2.349, 9.0) == pytest.approx(1.349 / 1.3489795003921634)
    assert robust_scale(1.0, 1.0, 0.4) == 0.4  # a count that is mostly one value


def test_tied_quantiles_merge_into_one_edge_and_points_stay_inside_their_bins() -> None:
    q = [0, 0, 0, 1, 1, 1, 2, 3, 5]  # even levels (edges): 0, 1, 1, 3 -> 0, 1, 3
    edges, points = edges_and_points(q)
    assert edges == [0.0, 1.0, 3.0]
    assert points == [0.0, 1.0, 2.0, 5.0]


def test_an_integer_column_is_binned_as_double(warehouse: DuckDBWarehouse) -> None:
    ref, _ = numeric_histograms(warehouse, "ref", "cur", ["n"], bins=4)["n"]
    assert ref.edges == (0.0, 1.0, 2.0)
    assert sum(ref.counts) == 5_000 and ref.counts[-1] == 0


def test_detect_drift_reports_numeric_and_categorical(warehouse: DuckDBWarehouse) -> None:
    report = detect_drift(
        warehouse, "ref", "cur", numeric=["spend"], categorical=["country"], policy=DriftPolicy()
    )
    assert report.drifted_features == ["spend", "country"]
    country = report.feature("country")
    assert country.reference_rows == 5_000 and country.current_rows == 4_000
    same = detect_drift(warehouse, "ref", "(SELECT * FROM ref)", numeric=["spend"])
    assert same.feature("spend").effect == 0.0 and same.drifted_features == []


def test_bad_requests_name_the_problem(warehouse: DuckDBWarehouse) -> None:
    with pytest.raises(LifecycleError, match="at least one"):
        detect_drift(warehouse, "ref", "cur")
    with pytest.raises(LifecycleError, match=r"more than once: \['spend'\]"):
        detect_drift(warehouse, "ref", "cur", numeric=["spend"], categorical=["spend"])
    with pytest.raises(LifecycleError, match="cannot be quoted"):
        detect_drift(warehouse, "ref", "cur", numeric=['x"; DROP'])
    with pytest.raises(LifecycleError, match="'spend': the reference has no non-null value"):
        detect_drift(warehouse, "(SELECT * FROM ref WHERE spend IS NULL)", "cur", numeric=["spend"])
    empty = "(SELECT * FROM cur WHERE spend IS NULL)"
    with pytest.raises(LifecycleError, match="'spend': ks: the current population has no non-null"):
        detect_drift(warehouse, "ref", empty, numeric=["spend"])


class _Portable:
    """The DuckDB warehouse seen as an engine without ``histogram`` or reservoir samples."""

    class dialect:
        name = "other"

    def __init__(self, wh: DuckDBWarehouse) -> None:
        self.wh = wh

    def fetch_arrow(self, sql: str) -> pa.Table:
        assert "histogram(" not in sql and "USING SAMPLE" not in sql
        return self.wh.fetch_arrow(sql)


def test_the_portable_counts_equal_duckdb_histogram(warehouse: DuckDBWarehouse) -> None:
    native = numeric_histograms(warehouse, "ref", "cur", ["spend", "n"], bins=10)
    portable = numeric_histograms(_Portable(warehouse), "ref", "cur", ["spend", "n"], bins=10)
    assert portable == native  # 5,000 rows < the sample size: same edges, same counts


@pytest.mark.postgresql
def test_postgresql_gives_the_same_histograms_and_decision(
    warehouse: DuckDBWarehouse, postgresql_warehouse: PostgreSQLWarehouse
) -> None:
    for name in ("ref", "cur"):
        postgresql_warehouse.register(name, warehouse.fetch_arrow(f"SELECT * FROM {name}"))
    native = numeric_histograms(warehouse, "ref", "cur", ["spend"], bins=10)
    on_pg = numeric_histograms(postgresql_warehouse, "ref", "cur", ["spend"], bins=10)
    assert on_pg["spend"][0].counts == native["spend"][0].counts
    assert on_pg["spend"][1].counts == native["spend"][1].counts
    assert on_pg["spend"][0].scale == pytest.approx(native["spend"][0].scale, rel=1e-12)
    report = detect_drift(
        postgresql_warehouse, "ref", "cur", numeric=["spend"], categorical=["country"]
    )
    assert report.drifted_features == ["spend", "country"]
    assert report.feature("country").reference_rows == 5_000


def test_detect_drift_applies_the_policy_it_is_given(warehouse: DuckDBWarehouse) -> None:
    strict = DriftPolicy(min_effect=5.0, min_psi=5.0, edge_sample_rows=50)
    report = detect_drift(
        warehouse, "ref", "cur", numeric=["spend"], categorical=["country"], policy=strict
    )
    assert report.policy is strict and report.drifted_features == []
    # the edges come from a 50-row sample: the same histograms as numeric_histograms(..., 50)
    found = numeric_histograms(warehouse, "ref", "cur", ["spend"], strict.bins, 50)
    assert report.feature("spend").tests["ks"].score == pytest.approx(
        decide_ks(found["spend"][0], found["spend"][1])
    )
    full = detect_drift(warehouse, "ref", "cur", numeric=["spend"])
    assert full.feature("spend").tests["ks"].score != report.feature("spend").tests["ks"].score


def decide_ks(ref: object, cur: object) -> float:
    from cible.lifecycle.drift import drift_tests

    return drift_tests()["ks"](ref, cur).score  # type: ignore[arg-type]
