"""Experiments: A/B assignment and analysis, uplift targeting, cohorts.

One module per statistical test, each a pure function returning a frozen, typed result with a
``to_dict`` for JSON (:mod:`._result`); the tests check every figure against scipy/statsmodels on
the same numbers. :data:`~cible.experiments.registry.TESTS` is the explicit registry of the
tests an analysis runs.

Modules: ``assignment`` (deterministic hash assignment, stratified, holdout), ``proportions``
(two-proportion z-test), ``chisquare``, ``welch`` (revenue), ``bootstrap``, ``bayes``
(Beta-Binomial probability to beat control), ``cuped``, ``srm`` (sample-ratio mismatch),
``power`` (power and sample size), ``sequential`` (mSPRT, always-valid confidence sequence),
``corrections`` (Holm, Benjamini-Hochberg), ``heterogeneity`` (per-segment table and interaction
likelihood-ratio test), ``uplift_models`` and ``uplift_metrics`` (T-learner, class
transformation, X-learner; Qini and uplift curves), ``cohorts`` (acquisition-month matrices).
"""

from __future__ import annotations

DEFAULT_ALPHA = 0.05


def rejects(p_value: float, alpha: float = DEFAULT_ALPHA) -> bool:
    """The decision rule every test shares: the null is rejected when ``p <= alpha`` (a p-value
    exactly at ``alpha`` is significant); NaN never rejects."""
    return bool(p_value <= alpha)


__all__ = ["DEFAULT_ALPHA", "rejects"]
