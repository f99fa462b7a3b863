"""Guards: a giant entity or a degenerate EM model is refused, at the limits exactly allowed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from cible.config import GuardsConfig
from cible.exceptions import GuardError
from cible.identity import FellegiSunter, MatchingConfig, find_duplicates, pairwise_metrics
from cible.identity.blocking import candidate_pairs
from cible.identity.clustering import cluster_frame, components
from cible.identity.compare import compare_pairs
from cible.identity.guards import (
    check_resolution,
    enforce,
    entity_findings,
    is_giant,
    largest_entity,
    model_findings,
)
from cible.identity.match import score_candidates
from cible.identity.prepare import prepare
from cible.identity.scoring import to_levels, train_model
from cible.synth.duplicates import planted_customers


def _clusters(sizes: list[int]) -> pd.DataFrame:
    rows = []
    for k, size in enumerate(sizes):
        rows += [(f"e{k:03d}-{i:03d}", f"e{k:03d}-000") for i in range(size)]
    return pd.DataFrame(rows, columns=["record_id", "entity_id"])


def test_giant_needs_both_limits_and_the_limit_itself_is_allowed() -> None:
    guards = GuardsConfig(max_entity_size=50, max_entity_share=0.01)
    assert not is_giant(50, 1000, guards)  # size exactly at the limit
    assert is_giant(51, 1000, guards)  # 51 > 50 and 5.1% > 1%
    assert not is_giant(51, 5100, guards)  # share exactly 1%
    assert is_giant(52, 5100, guards)
    assert not is_giant(60, 10_000, guards)  # 0.6% of the records


def test_entity_findings_name_the_entity_its_size_and_share() -> None:
    clusters = _clusters([51, *([1] * 949)])  # 1,000 records, one entity of 51
    (finding,) = entity_findings(clusters, GuardsConfig())
    assert finding.rule == "giant_entity"
    assert "entity e000-000 holds 51 of 1,000 records (5.1%)" in finding.message
    assert "1 entity is that large" in finding.message
    assert entity_findings(_clusters([50, *([1] * 950)]), GuardsConfig()) == []


def test_largest_entity_ties_go_to_the_smallest_id() -> None:
    assert largest_entity(_clusters([3, 3, 1])) == ("e000-000", 3)
    assert largest_entity(_clusters([])) == (None, 0)


def test_size_only_guard_with_share_zero() -> None:
    guards = GuardsConfig(max_entity_size=2, max_entity_share=0.0)
    assert is_giant(3, 1_000_000, guards)
    assert not is_giant(2, 3, guards)
    with pytest.raises(ValueError, match="cannot both be 0"):
        GuardsConfig(max_entity_size=0, max_entity_share=0.0)


def _model(m: list[list[float]], u: list[list[float]], lam: float) -> FellegiSunter:
    model = FellegiSunter(n_levels=tuple(len(x) for x in m))
    model.m_ = [np.asarray(x) for x in m]
    model.u_ = [np.asarray(x) for x in u]
    model.lambda_ = lam
    return model


def test_lambda_at_the_limit_is_degenerate_and_just_inside_is_not() -> None:
    guards = GuardsConfig(min_lambda=0.01)
    sharp = ([[0.9, 0.1]], [[0.1, 0.9]])
    rules = lambda lam: [f.rule for f in model_findings(_model(*sharp, lam), guards, ["a"])]  # noqa: E731
    assert rules(0.01) == ["em_lambda"]
    assert rules(0.0101) == []
    assert rules(0.99) == ["em_lambda"]
    assert rules(0.9899) == []


def test_m_equal_to_u_on_every_field_is_degenerate() -> None:
    guards = GuardsConfig(min_field_separation=0.05)
    # total variation 0.5 * (0.05 + 0.05) = 0.05: exactly at the limit on both fields
    flat = _model([[0.55, 0.45], [0.3, 0.7]], [[0.5, 0.5], [0.35, 0.65]], 0.2)
    (finding,) = model_findings(flat, guards, ["first_name", "city"])
    assert finding.rule == "em_no_separation"
    assert "first_name 0.050, city 0.050" in finding.message
    # one field that separates is enough
    one = _model([[0.55, 0.45], [0.9, 0.1]], [[0.5, 0.5], [0.35, 0.65]], 0.2)
    assert model_findings(one, guards, ["first_name", "city"]) == []


def test_enforce_raises_with_every_finding_or_only_reports_when_warned() -> None:
    clusters = _clusters([51, *([1] * 949)])
    report = check_resolution(clusters, GuardsConfig())
    assert report.largest_entity_size == 51 and report.largest_entity_share == 0.051
    with pytest.raises(GuardError, match=r"refused by dedup.guards:\n  - entity e000-000 holds 51"):
        enforce(report, GuardsConfig())
    enforce(report, GuardsConfig(on_violation="warn"))  # no raise
    summary = report.summary()
    assert (summary["largest_entity"], summary["largest_entity_id"]) == (51, "e000-000")
    assert summary["largest_entity_share"] == 0.051


def _collapse_config(u_from_random_pairs: bool) -> MatchingConfig:
    return MatchingConfig.model_validate(
        {
            "id_column": "record_id",
            "method": "fellegi_sunter",
            "threshold": 0.5,
            "fields": [
                {"column": "first_name", "standardize": "name"},
                {"column": "last_name", "standardize": "name"},
                {"column": "email", "standardize": "email", "levels": [1.0, 0.9]},
                {"column": "phone", "comparator": "levenshtein", "standardize": "phone",
                 "levels": [1.0, 0.75]},
                {"column": "birth_date", "comparator": "date", "standardize": "date"},
                {"column": "city", "standardize": "city", "levels": [1.0, 0.9]},
                {"column": "postal_code", "comparator": "exact", "standardize": "postal_code"},
            ],
            "blocking": [{"keys": ["postal_code"]}, {"keys": ["email"]}],
            "em": {"u_from_random_pairs": u_from_random_pairs},
        }
    )  # fmt: skip


def _plain_fixed_u(records: pd.DataFrame, config: MatchingConfig) -> tuple[pd.DataFrame, Any]:
    """The training as it was before em_sessions: one EM on every candidate pair with u fixed
    from random pairs (scoring.train_model), then the same scoring and clustering."""
    prepared = prepare(records, config)
    candidates = candidate_pairs(prepared, config)
    sims = compare_pairs(prepared, config.fields, candidates.left, candidates.right)
    model = train_model(prepared, config, to_levels(sims, config.fields))
    scored = score_candidates(prepared, config, candidates.left, candidates.right, model, sims)
    keep = scored.is_match
    clusters = cluster_frame(
        prepared.ids, components(len(prepared), scored.left[keep], scored.right[keep])
    )
    return clusters, model


def test_u_from_random_pairs_collapsed_generated_people_and_the_guard_fires() -> None:
    """The collapse of the issue, on 6,000 generated records (4,800 people): u fixed from random
    pairs says agreeing on a postcode is rare, but every candidate pair of the postcode rule
    agrees on it, so EM takes the candidate non-matches for matches (lambda -> 1) and people who
    share a postcode end up in one entity."""
    planted = planted_customers(6000, seed=1)
    records = planted.records
    sound = find_duplicates(records, _collapse_config(False))
    assert pairwise_metrics(sound.clusters, planted.truth)["f1"] == pytest.approx(0.9888, abs=1e-4)
    assert check_resolution(sound.clusters, GuardsConfig(), sound.model, ["x"] * 7).findings == ()
    collapsed, model = _plain_fixed_u(records, _collapse_config(True))
    assert model.lambda_ == pytest.approx(0.99986, abs=1e-5)
    metrics = pairwise_metrics(collapsed, planted.truth)
    assert metrics["precision"] == pytest.approx(0.0131, abs=1e-4)
    labels = [f.label for f in _collapse_config(True).fields]
    report = check_resolution(collapsed, GuardsConfig(), model, labels)
    assert report.largest_entity_size == 61  # > 50 records and > 1% of 6,000 (60)
    assert [f.rule for f in report.findings] == ["giant_entity"]
    with pytest.raises(GuardError, match="holds 61 of 6,000 records"):
        enforce(report, GuardsConfig())
    strict = GuardsConfig(min_lambda=1e-3)  # lambda 0.99986 >= 1 - 0.001
    rules = [f.rule for f in check_resolution(collapsed, strict, model).findings]
    assert rules == ["em_lambda", "giant_entity"]


def test_per_rule_sessions_remove_the_collapse() -> None:
    """The same data and settings through find_duplicates, which now trains m per blocking rule
    with the rule's own fields switched off (identity/em_sessions.py)."""
    planted = planted_customers(6000, seed=1)
    records = planted.records
    fixed = find_duplicates(records, _collapse_config(True))
    metrics = pairwise_metrics(fixed.clusters, planted.truth)
    assert metrics["f1"] == pytest.approx(0.9925, abs=1e-4)  # the default training: 0.9888
    assert int(fixed.clusters["cluster_size"].max()) == 4
    em = fixed.stats["em"]
    assert em["lambda"] == pytest.approx(6.93e-5, rel=1e-2)  # matches among all record pairs
    assert em["lambda_candidates"] == pytest.approx(0.0134, abs=1e-3)
    labels = [f.label for f in _collapse_config(True).fields]
    report = check_resolution(
        fixed.clusters, GuardsConfig(), fixed.model, labels, em["lambda_candidates"]
    )
    assert report.findings == ()
