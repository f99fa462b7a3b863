"""Term-frequency adjustment, swapped fields, linkage between sources, prior over all pairs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cible.identity import FieldComparison, MatchingConfig, find_duplicates
from cible.identity.blocking import candidate_pairs
from cible.identity.compare import compare_pairs
from cible.identity.fellegi_sunter import FellegiSunter
from cible.identity.prepare import Prepared, prepare
from cible.identity.scoring import all_pairs
from cible.identity.term_frequency import MAX_LOG2_FACTOR, log_factors, value_frequencies

SURNAME = FieldComparison(column="surname", term_frequency=True)


def _prepared(values: list[str | None]) -> Prepared:
    ids = np.array([f"r{i}" for i in range(len(values))], dtype=object)
    return Prepared(ids=ids, values={"surname": np.array(values, dtype=object)})


def test_value_frequencies_on_a_tiny_table() -> None:
    share, agree = value_frequencies(np.array(["smith"] * 3 + ["jones"] * 2 + [None], object))
    assert share[:5].tolist() == [0.6, 0.6, 0.6, 0.4, 0.4]
    assert math.isnan(share[5])
    assert agree == pytest.approx(0.6**2 + 0.4**2)  # 0.52


def test_log_factors_exact_values() -> None:
    prepared = _prepared(["smith", "smith", "smith", "jones", "jones", None])
    left = np.array([0, 3, 0, 0])
    right = np.array([1, 4, 3, 5])
    gamma = np.array([[0], [0], [2], [-1]])  # exact, exact, different, missing
    factors = log_factors(prepared, [SURNAME], gamma, left, right)
    assert factors is not None
    assert factors[0] == pytest.approx(math.log(0.52 / 0.6))  # common name: below 1
    assert factors[1] == pytest.approx(math.log(0.52 / 0.4))  # rarer name: above 1
    assert factors[2] == 0.0 and factors[3] == 0.0


def test_log_factor_is_clipped_at_six_bits() -> None:
    """998 'a' and 2 'b': agreeing on 'b' is worth S / p_b = 0.996 / 0.002 = 498 > 64."""
    prepared = _prepared(["a"] * 998 + ["b"] * 2)
    factors = log_factors(prepared, [SURNAME], np.array([[0]]), np.array([998]), np.array([999]))
    assert factors is not None
    assert factors[0] == pytest.approx(MAX_LOG2_FACTOR * math.log(2))


def test_no_term_frequency_field_gives_no_factor() -> None:
    plain = FieldComparison(column="surname")
    assert (
        log_factors(_prepared(["a", "a"]), [plain], np.array([[0]]), np.array([0]), np.array([1]))
        is None
    )


def test_rare_surname_scores_higher_than_common_one() -> None:
    rows = [("smith", "ann")] * 30 + [("zabrowski", "ann"), ("zabrowski", "ann")]
    rows += [(f"other{i}", f"p{i}") for i in range(40)]
    records = pd.DataFrame(rows, columns=["surname", "first"])
    records.index = [f"r{i:03d}" for i in range(len(records))]
    config = MatchingConfig(
        fields=[SURNAME, FieldComparison(column="first")],
        blocking=[{"keys": ["first"]}],
        method="fellegi_sunter",
    )
    pairs = find_duplicates(records, config).pairs.set_index(["record_id_l", "record_id_r"])
    assert pairs.loc[("r030", "r031"), "score"] > pairs.loc[("r000", "r001"), "score"]


def test_swapped_first_and_last_names_take_the_crossed_similarity() -> None:
    records = pd.DataFrame(
        {"first": ["anna", "karlsson", "anna"], "last": ["karlsson", "anna", "berg"]},
        index=["a", "b", "c"],
    )
    config = MatchingConfig(
        fields=[
            FieldComparison(column="first", swap_with="last"),
            FieldComparison(column="last"),
        ],
        blocking=[{"keys": ["first"], "window": 3}],
    )
    prepared = prepare(records, config)
    left, right = np.array([0, 0]), np.array([1, 2])
    sims = compare_pairs(prepared, config.fields, left, right)
    assert sims["first"].tolist()[0] == 1.0 and sims["last"].tolist()[0] == 1.0
    assert sims["first"][1] == 1.0 and sims["last"][1] < 1.0  # a/c not swapped


def test_swap_with_must_name_another_field() -> None:
    with pytest.raises(ValueError, match="swap_with 'nope' must name another field"):
        MatchingConfig(
            fields=[FieldComparison(column="first", swap_with="nope")],
            blocking=[{"keys": ["first"]}],
        )


def test_link_column_keeps_only_cross_source_pairs() -> None:
    records = pd.DataFrame(
        {"name": ["x", "x", "x", "x"], "src": ["a", "a", "b", None]},
        index=["1", "2", "3", "4"],
    )
    config = MatchingConfig(
        fields=[FieldComparison(column="name")],
        blocking=[{"keys": ["name"]}],
        link_column="src",
    )
    prepared = prepare(records, config)
    candidates = candidate_pairs(prepared, config)
    pairs = set(zip(candidates.left.tolist(), candidates.right.tolist(), strict=True))
    # (0, 1) both from source a: dropped; a record without a source is its own source
    assert pairs == {(0, 2), (1, 2), (0, 3), (1, 3), (2, 3)}
    # all pairs that could match: 4 * 3 / 2 minus the one same-source pair
    assert all_pairs(prepared, config) == 5


def test_prior_over_all_pairs_is_the_match_share_among_them() -> None:
    gamma = np.array([[0, 0]] * 8 + [[1, 1]] * 2 + [[0, 1]] * 2)
    u = [[0.01, 0.99], [0.02, 0.98]]
    model = FellegiSunter(n_levels=(2, 2), u_fixed=u, total_pairs=10_000, tol=1e-10)
    model.fit(gamma)
    expected_matches = model.predict_proba(gamma)[:, 1].sum()
    assert model.lambda_ == pytest.approx(expected_matches / 10_000, rel=1e-6)
    assert model.lambda_ < 12 / 10_000


def test_total_pairs_below_the_candidates_is_refused() -> None:
    with pytest.raises(ValueError, match="total_pairs 5 is below the 12 pairs"):
        FellegiSunter(n_levels=(2,), u_fixed=[[0.1, 0.9]], total_pairs=5).fit(
            np.zeros((12, 1), dtype=int)
        )


def test_phone_tail_drops_country_code_and_trunk_zero() -> None:
    from cible.identity.prepare import standardizer

    tail = standardizer("phone_tail")
    assert tail("+33 6 12 34 56 78") == tail("06.12.34.56.78") == "612345678"
    assert tail("555-0142") == "5550142"
    assert tail("n/a") is None


def test_distinct_vectors_equal_numpy_unique_rows() -> None:
    from cible.identity.fellegi_sunter import distinct_vectors

    gamma = np.random.default_rng(0).integers(-1, 3, size=(5000, 4))
    patterns, counts = distinct_vectors(gamma, [3, 3, 3, 3])
    expected, expected_counts = np.unique(gamma, axis=0, return_counts=True)
    assert np.array_equal(patterns, expected) and np.array_equal(counts, expected_counts)


def _fitted(lam: float, m: list[float] | None = None) -> FellegiSunter:
    model = FellegiSunter(n_levels=(2,))
    model.lambda_ = lam
    model.m_ = [np.asarray(m or [0.9, 0.1])]
    return model


def test_population_model_kept_up_to_twice_the_candidate_matches() -> None:
    """Expected matches 200 (all pairs) against 100 (candidates): the ratio 2.0 is allowed;
    a hair above it, the candidate model is kept."""
    from cible.identity.scoring import MAX_MATCH_RATIO, cross_checked

    population, candidates = _fitted(200 / 1_000_000), _fitted(100 / 1000)
    chosen = cross_checked(population, candidates, 1_000_000, 1000)
    assert MAX_MATCH_RATIO == 2.0
    assert chosen is population and chosen.prior_ == "all_pairs"
    assert chosen.expected_matches_ == pytest.approx({"all_pairs": 200.0, "candidates": 100.0})
    assert chosen.m_distance_ == [0.0]
    over = cross_checked(_fitted(200.001 / 1_000_000), candidates, 1_000_000, 1000)
    assert over is candidates and over.prior_ == "candidates"


def test_population_model_refused_when_its_m_drifts_from_the_candidate_model() -> None:
    """The population model expects 101 matches, the candidate model 100; m [0.8, 0.2] against
    [0.9, 0.1] is a distance of exactly 0.1 (kept), [0.79, 0.21] is 0.11 (the candidate model is
    kept: the population model's matches disagree more than the candidates' own mixture says,
    and it expects more of them)."""
    from cible.identity.scoring import MAX_M_DISTANCE, cross_checked

    candidates = _fitted(100 / 1000, [0.9, 0.1])
    at = cross_checked(_fitted(101 / 1_000_000, [0.8, 0.2]), candidates, 1_000_000, 1000)
    assert MAX_M_DISTANCE == 0.1
    assert at.prior_ == "all_pairs" and at.m_distance_ == pytest.approx([0.1])
    drift = cross_checked(_fitted(101 / 1_000_000, [0.79, 0.21]), candidates, 1_000_000, 1000)
    assert drift is candidates and drift.prior_ == "candidates"
    assert drift.m_distance_ == pytest.approx([0.11])


def test_on_a_drift_the_model_expecting_fewer_matches_is_kept() -> None:
    """m far apart (distance 0.5): the population model is kept when it expects at most as many
    matches as the candidate model (100 against 100: a tie keeps it), refused above (100.5)."""
    from cible.identity.scoring import cross_checked

    candidates = _fitted(100 / 1000, [0.9, 0.1])
    fewer = cross_checked(_fitted(60 / 1_000_000, [0.4, 0.6]), candidates, 1_000_000, 1000)
    assert fewer.prior_ == "all_pairs" and fewer.m_distance_ == pytest.approx([0.5])
    tie = cross_checked(_fitted(100 / 1_000_000, [0.4, 0.6]), candidates, 1_000_000, 1000)
    assert tie.prior_ == "all_pairs"
    assert tie.expected_matches_ == pytest.approx({"all_pairs": 100.0, "candidates": 100.0})
    more = cross_checked(_fitted(100.5 / 1_000_000, [0.4, 0.6]), candidates, 1_000_000, 1000)
    assert more is candidates and more.prior_ == "candidates"
