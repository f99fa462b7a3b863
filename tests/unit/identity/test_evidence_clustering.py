"""Evidence clustering: groups join on the Bayes factors of every pair compared between them."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from cible.config.matching import MatchingConfig
from cible.identity import find_duplicates, pairwise_metrics
from cible.identity.clustering import cluster_frame, components, evidence_components
from cible.identity.fellegi_sunter import FellegiSunter

PRIOR = 1e-3


def _two_people_and_a_bridge(
    cross: float, bridge: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Records 0-2 are one person, 3-5 another; every pair is compared. Within a person pairs
    score 0.99; across, the bridge 2-3 scores ``bridge`` and the 8 other pairs ``cross``."""
    pairs = list(combinations(range(6), 2))
    left = np.array([a for a, _ in pairs])
    right = np.array([b for _, b in pairs])
    same = (left < 3) == (right < 3)
    score = np.where(same, 0.99, cross)
    score[(left == 2) & (right == 3)] = bridge
    return left, right, score


def _f1(representative: np.ndarray) -> dict[str, float]:
    ids = np.array([f"r{i}" for i in range(6)], dtype=object)
    truth = pd.Series(["a", "a", "a", "b", "b", "b"], index=ids)
    return pairwise_metrics(cluster_frame(ids, representative), truth)


def test_one_bridge_does_not_chain_two_people() -> None:
    # the 8 other cross pairs score 1e-6, far under the prior: about 10 bits against each
    left, right, score = _two_people_and_a_bridge(cross=1e-6)
    match = score >= 0.9
    chained = components(6, left[match], right[match])
    assert chained.tolist() == [0] * 6
    assert _f1(chained)["precision"] == pytest.approx(6 / 15)
    kept = evidence_components(6, left, right, score, match, PRIOR, 0.9)
    assert kept.tolist() == [0, 0, 0, 3, 3, 3]
    assert _f1(kept)["f1"] == 1.0


def test_groups_whose_cross_pairs_agree_do_join() -> None:
    # the 8 other cross pairs are weakly positive (0.5, above the prior of 1e-3): one person
    left, right, score = _two_people_and_a_bridge(cross=0.5)
    kept = evidence_components(6, left, right, score, score >= 0.9, PRIOR, 0.9)
    assert kept.tolist() == [0] * 6


def test_the_evidence_of_the_cross_pairs_adds_up() -> None:
    """Record 2 joins {0, 1} when its two pairs together reach 0.9.

    With log2 BF(s) = logit2(s) - logit2(prior), pairs (0, 2) at 0.95 and (1, 2) at q join when
    logit2(prior) + BF(0.95) + BF(q) >= logit2(0.9), i.e. logit2(q) >= logit2(0.9) -
    logit2(0.95) + logit2(prior): at that q the group joins, just under it it does not.
    """
    logit = lambda p: np.log2(p) - np.log2(1 - p)  # noqa: E731
    needed = logit(0.9) - logit(0.95) + logit(PRIOR)  # logit2 of q
    q = float(1 / (1 + 2.0 ** (-needed)))
    assert q == pytest.approx(4.737e-4, rel=1e-3)
    left, right = np.array([0, 0, 1]), np.array([1, 2, 2])
    for cross, expected in ((q, [0, 0, 0]), (q * 0.99, [0, 0, 2])):
        score = np.array([0.99, 0.95, cross])
        kept = evidence_components(3, left, right, score, score >= 0.9, PRIOR, 0.9)
        assert kept.tolist() == expected


def test_a_single_pair_joins_exactly_at_the_threshold() -> None:
    left, right = np.array([0, 2]), np.array([1, 3])
    score = np.array([0.9, np.nextafter(0.9, 0)])
    kept = evidence_components(4, left, right, score, score >= 0.9, PRIOR, 0.9)
    assert kept.tolist() == [0, 0, 2, 3]


def test_exact_key_pairs_always_join() -> None:
    left, right, score = _two_people_and_a_bridge(cross=1e-6)
    forced = (left == 2) & (right == 3)
    score[forced] = 1.0
    kept = evidence_components(6, left, right, score, score >= 0.9, PRIOR, 0.9, forced=forced)
    # 2 and 3 are joined first whatever the evidence; 4 and 5 match 3 but have about 60 bits
    # against the three records of the other person, now in the same group: they stay apart
    assert kept.tolist() == [0, 0, 0, 0, 4, 4]
    assert (
        evidence_components(0, left[:0], right[:0], score[:0], score[:0] > 0, PRIOR, 0.9).size == 0
    )


def test_evidence_clustering_needs_fellegi_sunter() -> None:
    with pytest.raises(ValueError, match="clustering 'evidence' weighs Bayes factors"):
        MatchingConfig(
            fields=[{"column": "name"}], blocking=[{"keys": ["name"]}], clustering="evidence"
        )


def _siblings(n_families: int = 40, seed: int = 0) -> pd.DataFrame:
    """Planted truth: two siblings per family, three records each, same surname, first names
    one letter apart, different birth dates; one record of the first sibling has no date."""
    rng = np.random.default_rng(seed)
    names = [("ann", "anne"), ("jon", "john"), ("mark", "marc"), ("sara", "sarah")]
    rows = []
    for f in range(n_families):
        for s, first in enumerate(names[f % len(names)]):
            dob = f"19{rng.integers(40, 99)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
            for r in range(3):
                rows.append(
                    {
                        "rec": f"f{f:02d}-{s}-{r}",
                        "person": f"f{f}-{s}",
                        "first_name": first,
                        "surname": f"family{f:02d}",
                        "dob": None if (s, r) == (0, 2) else dob,
                    }
                )
    return pd.DataFrame(rows).set_index("rec")


def _sibling_model() -> FellegiSunter:
    """A birth-date disagreement weighs -19.9 bits, a near first name +4.3, the surname +9.9."""
    model = FellegiSunter(n_levels=[4, 2, 5])
    model.m_ = [
        np.array([0.7, 0.2, 0.05, 0.05]),
        np.array([0.95, 0.05]),
        np.array([0.9, 0.04, 0.04, 0.019999, 1e-6]),
    ]
    model.u_ = [
        np.array([0.01, 0.01, 0.02, 0.96]),
        np.array([0.001, 0.999]),
        np.array([0.001, 0.0001, 0.005, 0.01, 0.9839]),
    ]
    model.lambda_, model.n_iter_, model.converged_, model.n_features_in_ = 1e-3, 0, True, 3
    return model


def test_planted_siblings_are_kept_apart_by_their_birth_dates() -> None:
    records = _siblings()
    truth = records.pop("person")
    config = MatchingConfig.model_validate(
        {
            "method": "fellegi_sunter",
            "threshold": 0.9,
            "fields": [
                {"column": "first_name", "comparator": "jaro_winkler", "standardize": "name"},
                {"column": "surname", "comparator": "exact", "standardize": "name"},
                {"column": "dob", "comparator": "date", "standardize": "date"},
            ],
            "blocking": [{"keys": ["surname"]}],
        }
    )
    model = _sibling_model()
    figures = {}
    for clustering in ("components", "evidence"):
        chosen = config.model_copy(update={"clustering": clustering})
        result = find_duplicates(records, chosen, model=model)
        figures[clustering] = pairwise_metrics(result.clusters, truth)
        bridge = result.pairs.set_index(["record_id_l", "record_id_r"]).loc[
            ("f00-0-2", "f00-1-0"), "score"
        ]
        # the dateless record matches the other sibling (0.950), so components chain them
        assert bridge == pytest.approx(0.950048, abs=1e-6)
    # components: every family is one entity of 6 (240 true pairs + 30 x 9 wrong ones)
    assert figures["components"]["predicted_pairs"] == 510
    assert figures["components"]["f1"] == pytest.approx(0.64)
    # evidence: 3 bridging pairs (+14.2 bits each) against 6 pairs with different birth dates
    # (-5.7 each) and the prior (-10.0): the siblings stay apart, but in family 09 whose dates
    # are two typos apart (1987-12-11, 1980-12-19), weak evidence against
    assert figures["evidence"]["predicted_pairs"] == 249
    assert figures["evidence"]["precision"] == pytest.approx(240 / 249)
    assert figures["evidence"]["recall"] == 1.0
