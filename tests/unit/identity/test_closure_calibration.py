"""Thresholds judged on entities after transitive closure, on a hand-made labelled set.

Candidate pairs: a-b 0.9, b-c 0.6, a-c 0.4, c-d 0.3 (fuzzy) and d-e exact (score 1). True
entities: {a, b, c}, {d, e}, {f} (f is in no pair). a-c scores below 0.5 but is merged through b.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cible.exceptions import ReviewFileError
from cible.identity import calibrate
from cible.identity.closure_calibration import ClosureGrid, cluster_scores

PAIRS = pd.DataFrame(
    {
        "record_id_l": ["a", "b", "a", "c", "d"],
        "record_id_r": ["b", "c", "c", "d", "e"],
        "score": [0.9, 0.6, 0.4, 0.3, 1.0],
        "rule": ["fuzzy", "fuzzy", "fuzzy", "fuzzy", "exact:email"],
    }
)
LABELLED = pd.DataFrame(
    {
        "record_id_l": ["a", "b", "c", "a", "d"],
        "record_id_r": ["b", "c", "d", "c", "e"],
        "score": [0.9, 0.6, 0.3, 0.4, 1.0],
        "label": [1, 1, 0, 1, 1],
        "weight": [1.0, 1.0, 1.0, 2.0, 3.0],
    }
)
TRUTH = pd.Series(["P1", "P1", "P1", "P2", "P2", "P3"], index=list("abcdef"))
GRID = [0.3, 0.5, 0.6, 0.61, 0.95]


def _row(grid: pd.DataFrame, t: float) -> pd.Series:
    return grid.set_index("threshold").loc[t]


def test_a_pair_scored_exactly_at_the_threshold_is_merged() -> None:
    grid = ClosureGrid(PAIRS, LABELLED).grid(GRID)
    at = _row(grid, 0.6)  # b-c scores exactly 0.6: {a, b, c} and {d, e}
    assert at[["closure_tp", "closure_fp", "closure_fn", "closure_tn"]].tolist() == [4, 0, 0, 1]
    assert at["closure_f1"] == 1.0 and at["entities"] == 2 and at["largest_entity"] == 3
    above = _row(grid, 0.61)  # b-c drops out: {a, b}, {c}, {d, e}
    assert above[["closure_tp", "closure_fn"]].tolist() == [2, 2]
    assert above["closure_recall"] == 0.5 and above["closure_f1"] == pytest.approx(2 / 3)


def test_low_thresholds_chain_everything_and_exact_pairs_always_hold() -> None:
    grid = ClosureGrid(PAIRS, LABELLED).grid(GRID)
    low = _row(grid, 0.3)  # one entity a..e: c-d is a false merge
    assert low[["closure_tp", "closure_fp"]].tolist() == [4, 1]
    assert low["closure_precision"] == 0.8 and low["closure_f1"] == pytest.approx(8 / 9)
    assert low["largest_entity"] == 5
    high = _row(grid, 0.95)  # only the exact pair d-e
    assert high[["closure_tp", "closure_fn"]].tolist() == [1, 3]
    assert high["closure_f1"] == pytest.approx(0.4)


def test_weights_scale_the_strata_back() -> None:
    at = _row(ClosureGrid(PAIRS, LABELLED).grid(GRID), 0.61)
    # true same-entity kept: a-b (1) + d-e (3); missed: b-c (1) + a-c (2)
    assert at["weighted_precision"] == 1.0
    assert at["weighted_recall"] == pytest.approx(4 / 7)
    assert at["weighted_f1"] == pytest.approx(8 / 11)


def test_truth_gives_pairwise_and_exact_cluster_f1() -> None:
    grid = ClosureGrid(PAIRS, LABELLED, TRUTH).grid(GRID)
    exact = _row(grid, 0.6)
    assert exact[["pairwise_f1", "cluster_precision", "cluster_recall"]].tolist() == [1, 1, 1]
    low = _row(grid, 0.3)  # {a..e}, {f}: 10 predicted pairs, 4 true
    assert low["pairwise_precision"] == pytest.approx(0.4) and low["pairwise_recall"] == 1.0
    assert low["pairwise_f1"] == pytest.approx(4 / 7)
    assert low["cluster_precision"] == 0.5  # {f} of 2 predicted entities
    assert low["cluster_recall"] == pytest.approx(1 / 3)
    assert low["cluster_f1"] == pytest.approx(0.4)


def test_cluster_scores_of_identical_labelings() -> None:
    assert cluster_scores(pd.Series(list("xxy")).to_numpy(), pd.Series(list("ppq")).to_numpy()) == {
        "cluster_precision": 1.0,
        "cluster_recall": 1.0,
        "cluster_f1": 1.0,
    }


def test_calibrate_suggests_on_entities_where_pairs_alone_would_chain() -> None:
    """Per pair, 0.3 looks best (F1 8/9: a-c at 0.4 is only caught that low); on entities a-c
    is merged through b from 0.6 down, so 0.5 and 0.6 are perfect and 0.3 is a false merge."""
    pairs_only = calibrate(LABELLED.drop(columns="weight"), thresholds=GRID)
    assert pairs_only.suggested_threshold == 0.3 and pairs_only.basis == "pairs"
    report = calibrate(LABELLED, thresholds=GRID, pairs=PAIRS, current_threshold=0.61)
    assert report.basis == "closure_f1" and report.suggested_pair_threshold == 0.3
    assert report.suggested_threshold == 0.5  # ties 0.5 / 0.6: the middle (lower) of the run
    data = report.to_dict()
    assert data["current_threshold"] == 0.61
    assert data["at_current"]["closure_f1"] == pytest.approx(2 / 3)
    assert data["at_current"]["f1"] == pytest.approx(2 / 3)  # pairs: a-b, d-e of 4 positives
    assert [r["threshold"] for r in data["closure_grid"]] == GRID
    with_truth = calibrate(LABELLED, thresholds=GRID, pairs=PAIRS, truth=TRUTH)
    assert with_truth.basis == "pairwise_f1" and with_truth.suggested_threshold == 0.5


def test_entity_level_needs_ids_weights_and_known_records() -> None:
    with pytest.raises(ReviewFileError, match=r"no column\(s\) \['record_id_r'\]"):
        calibrate(LABELLED.drop(columns="record_id_r"), pairs=PAIRS)
    bad = LABELLED.assign(weight=[1.0, 0.0, 1.0, 1.0, 1.0])
    with pytest.raises(ReviewFileError, match=r"weight '0\.0' of labelled pair 2"):
        calibrate(bad, pairs=PAIRS)
    with pytest.raises(ReviewFileError, match=r"have no true entity, e\.g\. 'e'"):
        calibrate(LABELLED, pairs=PAIRS, truth=TRUTH.drop("e"))
    with pytest.raises(ReviewFileError, match=r"no column\(s\) \['score'\]"):
        calibrate(LABELLED, pairs=PAIRS.drop(columns="score"))
