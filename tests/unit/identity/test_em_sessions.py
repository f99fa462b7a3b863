"""Training with u from random pairs: one EM session per blocking rule, its own fields off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cible.identity import MatchingConfig, find_duplicates, load_matching_config, pairwise_metrics
from cible.identity.blocking import candidate_pairs
from cible.identity.compare import compare_pairs
from cible.identity.em_sessions import MIN_SESSION_PAIRS, random_u, train_sessions
from cible.identity.fellegi_sunter import FellegiSunter
from cible.identity.prepare import prepare
from cible.identity.scoring import n_levels, random_pair_levels, to_levels
from cible.synth.duplicates import planted_customers

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "customers_dedup.yaml"


def _random_u_config(data: dict[str, object] | None = None) -> MatchingConfig:
    config = load_matching_config(EXAMPLE) if data is None else MatchingConfig.model_validate(data)
    return config.model_copy(
        update={"em": config.em.model_copy(update={"u_from_random_pairs": True})}
    )


def _train(records, config):  # type: ignore[no-untyped-def]
    prepared = prepare(records, config)
    cand = candidate_pairs(prepared, config)
    gamma = to_levels(compare_pairs(prepared, config.fields, cand.left, cand.right), config.fields)
    u = random_u(random_pair_levels(prepared, config), n_levels(config.fields))
    return train_sessions(prepared, config, gamma, cand.left, cand.right, u), gamma, u


def test_one_session_per_rule_with_its_key_fields_off() -> None:
    planted = planted_customers(2000, seed=0)
    config = _random_u_config()
    (model, sessions), gamma, u = _train(planted.records, config)
    assert [(s.rule, s.pairs, s.off) for s in sessions] == [
        ("email", 340, (2,)),
        ("phone", 250, (3,)),
        ("birth_date", 415, (4,)),
        ("postal_code+metaphone(last_name)", 393, (1, 6)),  # last_name and postal_code
        ("metaphone(first_name)+metaphone(last_name)", 424, (0, 1)),
    ]
    assert len(gamma) == 692
    # prior over all 1,999,000 record pairs: the postcode session finds the most matches
    best = max(s.lambda_ * s.pairs for s in sessions)
    assert best == pytest.approx(sessions[3].lambda_ * 393) == pytest.approx(321.05, abs=0.01)
    assert model.lambda_ == pytest.approx(best / 1_999_000)
    for fitted, fixed in zip(model.u_, u, strict=True):
        np.testing.assert_allclose(fitted, fixed)
    result = find_duplicates(planted.records, config)
    metrics = pairwise_metrics(result.clusters, planted.truth)
    assert (metrics["precision"], metrics["agreed_pairs"], metrics["true_pairs"]) == (1.0, 444, 445)
    assert result.stats["em"]["lambda"] == pytest.approx(model.lambda_)


def test_a_field_blocked_on_in_every_rule_and_small_rules_fall_back() -> None:
    planted = planted_customers(300, seed=2)
    config = _random_u_config(
        {
            "id_column": "record_id",
            "method": "fellegi_sunter",
            "fields": [
                {"column": "last_name", "standardize": "name"},
                {"column": "email", "standardize": "email"},
            ],
            "blocking": [
                {"keys": [{"column": "last_name", "transform": "metaphone"}]},
                {"keys": ["last_name", "email"]},  # every field off: no session
            ],
        }
    )
    (model, sessions), gamma, _ = _train(planted.records, config)
    assert [s.rule for s in sessions] == ["metaphone(last_name)"]
    assert sessions[0].pairs >= MIN_SESSION_PAIRS
    fallback = FellegiSunter(n_levels=n_levels(config.fields), tol=config.em.tol).fit(gamma)
    np.testing.assert_allclose(model.m_[0], fallback.m_[0])  # last_name is off in every session
    np.testing.assert_allclose(model.m_[1], sessions[0].m[1])


def test_refit_prior_is_the_fixed_point_over_all_pairs() -> None:
    from cible.identity.em_sessions import refit_prior

    # one field, two levels: agreeing is 90,000 times likelier for a match (m 0.9, u 1e-5);
    # 100 candidate pairs agree, 900 disagree, out of 100,000 record pairs
    model = FellegiSunter(n_levels=(2,), tol=1e-12, max_iter=10_000)
    model.m_ = [np.array([0.9, 0.1])]
    model.u_ = [np.array([1e-5, 1 - 1e-5])]
    model.lambda_ = 1e-2
    gamma = np.array([[0]] * 100 + [[1]] * 900)
    lam = refit_prior(model, gamma, total=100_000.0)
    post_agree = lam * 0.9 / (lam * 0.9 + (1 - lam) * 1e-5)
    post_differ = lam * 0.1 / (lam * 0.1 + (1 - lam) * (1 - 1e-5))
    assert lam == pytest.approx((100 * post_agree + 900 * post_differ) / 100_000, rel=1e-6)
    # the 100 agreeing pairs are matches, the 900 others nearly all not
    assert 100 * post_agree == pytest.approx(98.9, abs=0.05)
    assert lam * 100_000 == pytest.approx(100 * post_agree + 900 * post_differ, rel=1e-6)
    # weak evidence (agreeing only 90 times likelier): no match at all is the fixed point
    model.u_ = [np.array([0.01, 0.99])]
    assert refit_prior(model, gamma, total=100_000.0) == 1e-12


def test_sessions_with_the_prior_over_all_pairs_count_every_match() -> None:
    planted = planted_customers(2000, seed=0)
    config = _random_u_config()
    config = config.model_copy(
        update={
            "em": config.em.model_copy(
                update={"prior_over_all_pairs": True, "m_from_rule_sessions": True}
            )
        }
    )
    result = find_duplicates(planted.records, config)
    (_, sessions), _, _ = _train(planted.records, config)
    best_session = max(s.lambda_ * s.pairs for s in sessions)
    expected = result.stats["em"]["lambda"] * 1_999_000
    # every candidate pair counts, not only the most productive rule's: 445 true pairs
    assert best_session == pytest.approx(321.05, abs=0.01)
    assert expected == pytest.approx(445, abs=5)
    metrics = pairwise_metrics(result.clusters, planted.truth)
    assert metrics["precision"] == 1.0
