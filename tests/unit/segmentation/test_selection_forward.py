"""The forward measure in the selection: tie-break among tied candidates, gate at the RFM AUC,
and ``best`` (the highest AUC with no more segments than RFM) on planted truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from cible.config import SegmentationConfig
from cible.reporting.narrative import choice_text
from cible.segmentation.forward import SegmentationForward, measure
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
    assert SegmentationConfig(forward={"use_in_selection": "best"}).forward.use_in_selection == (
        "best"
    )
    with pytest.raises(ValidationError, match="'none', 'tiebreak', 'gate' or 'best'"):
        SegmentationConfig(forward={"use_in_selection": "veto"})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        SegmentationConfig(forward={"holdout": 30})


def _best(auc: dict[int, float], rfm_segments: int | None = 4) -> ForwardPreference:
    return ForwardPreference(
        "best",
        {f"kmeans(n_clusters={k})": a for k, a in auc.items()},
        threshold=0.7,
        segments={f"kmeans(n_clusters={k})": k for k in auc},
        rfm_segments=rfm_segments,
    )


def test_best_takes_the_highest_auc_with_no_more_segments_than_rfm() -> None:
    two, three, four, five = _cand(2, 0.6), _cand(3, 0.5, db=0.4), _cand(4, 0.3), _cand(5, 0.2)
    scores = [two, three, four, five]
    assert choose(scores)[0] is two  # the silhouette's choice
    # k=5 predicts best but has more segments than RFM's 4; k=4 (exactly RFM's count) may win
    assert choose(scores, _best({2: 0.60, 3: 0.70, 4: 0.72, 5: 0.90}))[0] is four
    assert choose(scores, _best({2: 0.60, 3: 0.70, 4: 0.72, 5: 0.90}, rfm_segments=3))[0] is three
    assert choose(scores, _best({2: 0.60, 3: 0.70, 4: 0.72, 5: 0.90}, None))[0] is five
    # equal AUCs: the silhouette rule orders them (k=3 before k=4: higher silhouette)
    assert choose(scores, _best({2: 0.60, 3: 0.72, 4: 0.72}))[0] is three
    # unmeasured (NaN or absent) candidates are never preferred; none measured: the silhouette
    assert choose(scores, _best({2: math.nan, 4: 0.61}))[0] is four
    assert choose(scores, _best({5: 0.9}))[0] is two
    pref = _best({3: 0.7})
    assert pref.picked(three) and not pref.picked(two)
    assert pref.to_dict()["rfm_segments"] == 4
    assert "no more segments than the RFM-quintile segmentation (4)" in pref.to_dict()["rule"]


def test_best_ignores_failed_gates_and_the_fallback() -> None:
    fails = CandidateScore(**{**_cand(4, 0.9).__dict__, "gates": {"max_largest_share": False}})
    two = _cand(2, 0.5)
    assert choose([fails, two], _best({2: 0.6, 4: 0.99}))[0] is two
    # nothing passes: the fallback's rule (fewest failed gates) stands, the AUC is not used
    alone = CandidateScore(**{**_cand(3, 0.2).__dict__, "gates": {"max_largest_share": False}})
    chosen, fallback = choose([fails, alone], _best({3: 0.99, 4: 0.5}))
    assert (chosen, fallback) == (fails, True)


def _planted() -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Three planted groups: A far from B and C, B and C close (the silhouette merges them) but
    buying at 20% and 90% in the next period (A: 10%)."""
    rng = np.random.default_rng(0)
    centers, sizes, rates = [(0, 0), (5, 0), (5, 1.2)], [200, 100, 100], [0.1, 0.2, 0.9]
    X = np.vstack([rng.normal(c, 0.3, size=(n, 2)) for c, n in zip(centers, sizes, strict=True)])
    truth = np.repeat([0, 1, 2], sizes)
    bought = np.concatenate(
        [rng.permutation(np.arange(n) < int(r * n)) for n, r in zip(sizes, rates, strict=True)]
    )
    return X, truth, pd.DataFrame({"purchased": bought, "revenue": bought * 50.0})


def test_best_recovers_the_planted_groups_the_silhouette_merges() -> None:
    X, truth, outcomes = _planted()
    config = SegmentationConfig(k_min=2, k_max=4, n_init=3, silhouette_sample=500)
    grid = [Candidate("kmeans", {"n_clusters": k, "n_init": 3}) for k in (2, 3, 4)]
    measured: dict[str, SegmentationForward] = {}

    def keep(score: CandidateScore, labels: np.ndarray) -> None:
        measured[score.candidate.name] = measure(score.candidate.name, labels, outcomes)

    free = select_segmentation(X, config, candidates=grid, on_labels=keep)
    assert free.chosen.n_segments == 2  # silhouette 0.860 against 0.722 for the planted 3
    planted = measure("truth", truth, outcomes)
    # rates 0.1 / 0.2 / 0.9: AUC of the planted groups by hand (ties count one half)
    pos, neg = np.array([20, 20, 90]), np.array([180, 80, 10])
    wins = pos[2] * (neg[0] + neg[1]) + pos[1] * neg[0]
    ties = (pos * neg).sum() / 2
    assert planted.auc == pytest.approx((wins + ties) / (pos.sum() * neg.sum()))
    auc = {name: m.auc for name, m in measured.items()}
    assert auc["kmeans(n_clusters=2)"] < planted.auc - 0.09  # merging B and C loses the signal

    def chosen_with(rfm_segments: int) -> tuple[int, float]:
        pref = ForwardPreference(
            "best",
            auc,
            threshold=planted.auc,
            segments={n: m.n_segments for n, m in measured.items()},
            rfm_segments=rfm_segments,
        )
        sel = select_segmentation(X, config, candidates=grid, forward=pref)
        assert "It was chosen for what it predicts" in choice_text(sel)
        return sel.chosen.n_segments, float(adjusted_rand_score(truth, sel.labels))

    k, ari = chosen_with(rfm_segments=3)
    assert k == 3 and ari >= 0.98
    # the AUC is measured in-sample: a 4th segment cutting a group adds a little (0.8548 ->
    # 0.8588), which is why the preference never allows more segments than RFM's
    assert auc["kmeans(n_clusters=4)"] > auc["kmeans(n_clusters=3)"]
    assert chosen_with(rfm_segments=4)[0] == 4
