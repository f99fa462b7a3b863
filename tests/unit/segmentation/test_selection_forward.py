"""The forward measure in the selection: tie-break among tied candidates, gate at the RFM AUC."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cible.config import SegmentationConfig
from cible.segmentation.selection import (
    Candidate,
    CandidateScore,
    choose,
    select_segmentation,
)
from cible.segmentation.selection_forward import FORWARD_GATE, ForwardPreference


def _cand(k: int, sil: float, db: float = 1.0) -> CandidateScore:
    return CandidateScore(
        Candidate("kmeans", {"n_clusters": k}),
        n_segments=k,
        noise_share=0.0,
        largest_share=0.4,
        smallest_share=0.1,
        silhouette=sil,
        davies_bouldin=db,
        calinski_harabasz=10.0,
        gates={"max_largest_share": True},
        seconds=0.0,
    )


def test_tiebreak_prefers_the_higher_auc_among_tied_candidates_only() -> None:
    best, tied, behind = _cand(3, 0.50, db=0.5), _cand(4, 0.49, db=0.9), _cand(5, 0.4899)
    assert choose([best, tied, behind])[0] is best  # no preference: the Davies-Bouldin decides
    auc = {"kmeans(n_clusters=3)": 0.70, "kmeans(n_clusters=4)": 0.71, "kmeans(n_clusters=5)": 0.9}
    pref = ForwardPreference("tiebreak", auc, threshold=0.6)
    # k=4 is tied (exactly 0.01 behind) and predicts better; k=5 predicts best but is not tied
    assert choose([best, tied, behind], pref)[0] is tied
    # equal AUC: back to the usual order
    same = ForwardPreference("tiebreak", dict.fromkeys(auc, 0.7), threshold=0.6)
    assert choose([best, tied], same)[0] is best
    # an unmeasured candidate comes after the measured ones
    partial = ForwardPreference("tiebreak", {"kmeans(n_clusters=4)": 0.5}, threshold=0.6)
    assert choose([best, tied], partial)[0] is tied
    assert pref.gated(best) is best  # tiebreak adds no gate


@pytest.mark.parametrize(("auc", "passes"), [(0.6999, False), (0.70, True), (0.7001, True)])
def test_gate_is_at_least_the_rfm_auc(auc: float, passes: bool) -> None:
    pref = ForwardPreference("gate", {"kmeans(n_clusters=3)": auc}, threshold=0.70)
    gated = pref.gated(_cand(3, 0.5))
    assert gated.gates == {"max_largest_share": True, FORWARD_GATE: passes}
    assert gated.passed is passes


def test_gate_fails_a_candidate_without_a_measure_and_picks_the_one_that_passes() -> None:
    pref = ForwardPreference("gate", {"kmeans(n_clusters=4)": 0.8}, threshold=0.7)
    top, second = pref.gated(_cand(3, 0.6)), pref.gated(_cand(4, 0.3))
    assert math.isnan(pref.auc_of(top.candidate))
    assert top.gates[FORWARD_GATE] is False
    chosen, fallback = choose([top, second], pref)
    assert (chosen, fallback) == (second, False)
    d = pref.to_dict()
    assert d["mode"] == "gate" and d["rfm_auc"] == 0.7
    assert "at least the RFM-quintile segmentation's (0.7000)" in d["rule"]


def test_select_segmentation_applies_the_gate_and_reports_it() -> None:
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.1, size=(60, 2)) for c in ((0, 0), (3, 0), (0, 3))])
    config = SegmentationConfig(k_min=2, k_max=4, n_init=3, silhouette_sample=500)
    grid = [Candidate("kmeans", {"n_clusters": k, "n_init": 3}) for k in (2, 3, 4)]
    free = select_segmentation(X, config, candidates=grid)
    assert free.chosen.n_segments == 3
    pref = ForwardPreference(
        "gate", {"kmeans(n_clusters=4)": 0.9, "kmeans(n_clusters=3)": 0.6}, threshold=0.65
    )
    seen: list[str] = []
    sel = select_segmentation(
        X,
        config,
        candidates=grid,
        forward=pref,
        on_labels=lambda s, _l: seen.append(s.candidate.name),
    )
    assert seen == [c.name for c in grid]
    assert (sel.chosen.n_segments, sel.fallback) == (4, False)
    d = sel.to_dict()
    assert d["forward"]["mode"] == "gate"
    assert [c["gates"][FORWARD_GATE] for c in d["candidates"]] == [False, False, True]


def test_forward_config_defaults_and_refusals() -> None:
    from pydantic import ValidationError

    fwd = SegmentationConfig().forward
    assert (fwd.enabled, fwd.holdout_days, fwd.use_in_selection) == (True, 90, "none")
    assert SegmentationConfig(forward={"holdout_days": 1}).forward.holdout_days == 1
    with pytest.raises(ValidationError, match="holdout_days"):
        SegmentationConfig(forward={"holdout_days": 0})
    with pytest.raises(ValidationError, match="'none', 'tiebreak' or 'gate'"):
        SegmentationConfig(forward={"use_in_selection": "veto"})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        SegmentationConfig(forward={"holdout": 30})
