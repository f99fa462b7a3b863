"""Forward-looking measures: planted truth with hand-computed AUC and variance explained, the
holdout boundary (an order exactly at the cutoff belongs to the next period), the comparison."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cible.config import SegmentationConfig
from cible.features import build_features
from cible.schemas.events import EVENTS_SCHEMA
from cible.segmentation.forward import (
    backtest_candidates,
    compare_forward,
    future_outcomes,
    holdout_cutoff,
    measure,
    purchase_rate_auc,
    revenue_variance_explained,
)
from cible.segmentation.selection import Candidate
from cible.warehouse.duckdb import DuckDBWarehouse

US = timedelta(microseconds=1)


def test_auc_of_two_planted_segments() -> None:
    # A: 100 customers, 80 buy; B: 100, 20 buy. Scores 0.8 / 0.2. Of the 100 x 100 (buyer,
    # non-buyer) pairs, 80 x 80 are ordered right, 80 x 20 + 20 x 80 tie (half each), 20 x 20
    # wrong: AUC = (6400 + 1600) / 10000 = 0.8.
    seg = np.array(["A"] * 100 + ["B"] * 100)
    bought = np.array([True] * 80 + [False] * 20 + [True] * 20 + [False] * 80)
    assert purchase_rate_auc(seg, bought) == pytest.approx(0.8)
    # relabelling the segments changes nothing
    assert purchase_rate_auc(np.where(seg == "A", 7, 3), bought) == pytest.approx(0.8)


def test_auc_is_one_half_for_segments_that_say_nothing_and_nan_without_contrast() -> None:
    seg = np.array([1, 1, 2, 2])
    assert purchase_rate_auc(seg, [True, False, True, False]) == 0.5
    assert purchase_rate_auc(seg, [True, True, False, False]) == 1.0
    assert np.isnan(purchase_rate_auc(seg, [True] * 4))
    assert np.isnan(purchase_rate_auc(seg, [False] * 4))
    with pytest.raises(ValueError, match="3 segment labels for 4 outcomes"):
        purchase_rate_auc([1, 2, 3], [True] * 4)


def test_revenue_variance_explained_by_hand() -> None:
    # grand mean 5; A = (0, 2) mean 1, B = (8, 10) mean 9.
    # between 2 x 16 + 2 x 16 = 64; total 25 + 9 + 9 + 25 = 68.
    seg = ["A", "A", "B", "B"]
    assert revenue_variance_explained(seg, [0.0, 2.0, 8.0, 10.0]) == pytest.approx(64 / 68)
    assert revenue_variance_explained(seg, [1.0, 9.0, 1.0, 9.0]) == 0.0  # same means
    assert np.isnan(revenue_variance_explained(seg, [3.0] * 4))


def test_measure_table_orders_segments_by_rate() -> None:
    outcomes = pd.DataFrame(
        {"purchased": [True, False, True, True], "revenue": [10.0, 0.0, 30.0, 50.0]}
    )
    m = measure("x", ["low", "low", "high", "high"], outcomes)
    assert (m.n_segments, m.auc) == (2, pytest.approx(5 / 6))
    # grand mean 22.5; means 5 and 40: between 4 x 17.5^2 = 1225; total 1475
    assert m.variance_explained == pytest.approx(1225 / 1475)
    assert m.segments.to_dict("list") == {
        "segment": ["high", "low"],
        "customers": [2, 2],
        "purchase_rate": [1.0, 0.5],
        "mean_revenue": [40.0, 5.0],
    }


def _events(rows: list[dict[str, object]]) -> pa.Table:
    cols: dict[str, list[object]] = {f.name: [] for f in EVENTS_SCHEMA}
    for i, row in enumerate(rows):
        values = {"event_id": f"e{i}", "source": "t", **row}
        for name in cols:
            cols[name].append(values.get(name))
    return pa.table(cols, schema=EVENTS_SCHEMA)


def _buy(cid: str, ts: datetime, amount: float, order: str, kind: str = "purchase") -> dict:
    return {
        "customer_id": cid,
        "event_type": kind,
        "timestamp": ts,
        "amount": amount,
        "order_id": order,
    }


def test_an_order_exactly_at_the_cutoff_belongs_to_the_next_period() -> None:
    as_of = date(2025, 4, 1)
    cutoff = holdout_cutoff(as_of, 90)
    assert cutoff == date(2025, 1, 1)
    c = datetime(2025, 1, 1, tzinfo=UTC)
    end = datetime(2025, 4, 1, tzinfo=UTC)
    wh = DuckDBWarehouse(":memory:")
    wh.append_events(
        _events(
            [
                _buy("A", c - timedelta(days=10), 5.0, "a0"),
                _buy("A", c - US, 7.0, "a1"),  # last instant of the past
                _buy("A", c, 100.0, "a2"),  # exactly at the cutoff: next period
                _buy("A", c + timedelta(days=3), -20.0, "a2", kind="refund"),
                _buy("B", c - timedelta(days=40), 9.0, "b0"),
                _buy("B", end - US, 50.0, "b1"),  # last instant of the period
                _buy("C", c - timedelta(days=5), 4.0, "c0"),
                _buy("C", end, 70.0, "c1"),  # at as_of: after the period
                {"customer_id": "C", "event_type": "page_view", "timestamp": c},
            ]
        )
    )
    past = build_features(wh, cutoff)
    assert past.loc["A", ["frequency", "monetary"]].tolist() == [2.0, 12.0]
    assert past.loc["C", "frequency"] == 1.0
    out = future_outcomes(wh, pd.Index(["A", "B", "C", "Z"]), cutoff, as_of)
    assert out["purchased"].tolist() == [True, True, False, False]
    assert out["revenue"].tolist() == [80.0, 50.0, 0.0, 0.0]
    # one day more of holdout moves A's order at c into the past
    earlier = future_outcomes(wh, pd.Index(["A"]), cutoff + timedelta(days=1), as_of)
    assert earlier["revenue"].tolist() == [-20.0]


def _planted(n_per: int = 120, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two groups of buyers before the cutoff: recent frequent buyers who (80%) buy again, and
    old one-order buyers who (10%) do."""
    rng = np.random.default_rng(seed)
    rows, bought, revenue = [], [], []
    for freq, rec, rate, spend, events in (
        (12.0, 8.0, 0.8, 400.0, 6.0),
        (1.0, 300.0, 0.1, 60.0, 0.0),
    ):
        for i in range(n_per):
            noise = rng.lognormal(0.0, 0.05, size=3)
            f = max(1.0, round(freq * noise[0]))
            rows.append(
                {
                    "recency_days": rec * noise[1],
                    "frequency": f,
                    "monetary": f * 30.0 * noise[2],
                    "avg_basket": 30.0 * noise[2],
                    "tenure_days": 500.0,
                    "mean_interpurchase_days": 400.0 / f,
                    "refund_rate": 0.0,
                    "events_30d": events / 3,
                    "events_90d": events,
                }
            )
            buys = i < int(rate * n_per)
            bought.append(buys)
            revenue.append(spend if buys else 0.0)
    index = pd.Index([f"C{i:04d}" for i in range(len(rows))], name="customer_id")
    past = pd.DataFrame(rows, index=index)
    outcomes = pd.DataFrame({"purchased": bought, "revenue": revenue}, index=index)
    return past, outcomes


CONFIG = SegmentationConfig(k_min=2, k_max=4, n_init=3, silhouette_sample=500, random_state=0)


def test_planted_groups_give_the_planted_auc_and_variance() -> None:
    past, outcomes = _planted()
    result = compare_forward(
        past,
        outcomes,
        CONFIG,
        Candidate("kmeans", {"n_clusters": 2, "n_init": 3}),
        as_of=date(2025, 4, 1),
        cutoff=date(2025, 1, 1),
    )
    # segments = the planted groups: rates 0.8 and 0.1 of 120 each.
    # buyers 96 + 12, non-buyers 24 + 108; AUC = (96*108 + 0.5*(96*24 + 12*108)) / (108*132)
    assert result.cible.auc == pytest.approx((96 * 108 + 0.5 * (96 * 24 + 12 * 108)) / (108 * 132))
    assert result.cible.auc == pytest.approx(0.8535, abs=1e-4)
    # revenue: loyal 96 x 400, gone 12 x 60; means 320 and 6; the variance explained follows
    rev = outcomes["revenue"].to_numpy()
    grand = rev.mean()
    between = 120 * (320 - grand) ** 2 + 120 * (6 - grand) ** 2
    assert result.cible.variance_explained == pytest.approx(between / ((rev - grand) ** 2).sum())
    assert result.cible.segments["purchase_rate"].tolist() == [0.8, 0.1]
    # named from their profiles at the cutoff (recency 300 days > 2 x the 33-day cycle)
    assert result.cible.segments["segment"].tolist() == ["Champions", "At risk - lapsed"]
    assert (result.n_customers, result.purchase_rate) == (240, pytest.approx(108 / 240))
    assert result.rfm.n_segments <= 11
    assert result.holdout_days == 90
    d = result.to_dict()
    assert d["cutoff"] == "2025-01-01" and d["cible"]["segments"] == 2
    assert d["cible_beats_rfm_with_no_more_segments"] == (result.cible.auc > result.rfm.auc)


def test_backtest_measures_every_candidate_and_prefers_by_auc() -> None:
    past, outcomes = _planted()
    grid = [Candidate("kmeans", {"n_clusters": k, "n_init": 3}) for k in (2, 3)]
    bt = backtest_candidates(past, outcomes, CONFIG, grid)
    assert sorted(bt.measures) == ["kmeans(n_clusters=2)", "kmeans(n_clusters=3)"]
    assert bt.measures["kmeans(n_clusters=2)"].auc == pytest.approx(0.8535, abs=1e-4)
    pref = bt.preference("gate")
    assert pref.threshold == bt.rfm.auc
    assert pref.auc["kmeans(n_clusters=2)"] == bt.measures["kmeans(n_clusters=2)"].auc
    best = bt.preference("best")
    assert (best.mode, best.rfm_segments) == ("best", bt.rfm.n_segments)
    assert best.segments == {"kmeans(n_clusters=2)": 2, "kmeans(n_clusters=3)": 3}
    with pytest.raises(ValueError, match="'tiebreak', 'gate' or 'best'"):
        bt.preference("none")
