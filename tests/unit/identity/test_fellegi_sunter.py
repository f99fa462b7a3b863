"""The Fellegi-Sunter estimator: EM recovers known parameters; probabilities by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from cible.identity import FellegiSunter

TRUE_M = [np.array([0.9, 0.07, 0.03]), np.array([0.85, 0.15]), np.array([0.8, 0.1, 0.1])]
TRUE_U = [np.array([0.05, 0.15, 0.8]), np.array([0.1, 0.9]), np.array([0.02, 0.08, 0.9])]


def simulate(n: int, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    is_match = rng.uniform(size=n) < share
    gamma = np.empty((n, len(TRUE_M)), dtype=np.int64)
    for f, (m, u) in enumerate(zip(TRUE_M, TRUE_U, strict=True)):
        gamma[is_match, f] = rng.choice(len(m), size=int(is_match.sum()), p=m)
        gamma[~is_match, f] = rng.choice(len(u), size=int((~is_match).sum()), p=u)
    gamma[rng.uniform(size=gamma.shape) < 0.05] = -1  # missing values say nothing
    return gamma, is_match


def test_em_recovers_known_m_u_and_lambda() -> None:
    gamma, _ = simulate(200_000, 0.2, seed=0)
    model = FellegiSunter(n_levels=(3, 2, 3)).fit(gamma)
    assert model.converged_
    assert model.lambda_ == pytest.approx(0.2, abs=0.01)
    for fitted, true in zip(model.m_, TRUE_M, strict=True):
        np.testing.assert_allclose(fitted, true, atol=0.02)
    for fitted, true in zip(model.u_, TRUE_U, strict=True):
        np.testing.assert_allclose(fitted, true, atol=0.02)


def test_em_with_fixed_u_keeps_it() -> None:
    gamma, _ = simulate(50_000, 0.3, seed=1)
    model = FellegiSunter(n_levels=(3, 2, 3), u_fixed=[u.tolist() for u in TRUE_U]).fit(gamma)
    for fitted, true in zip(model.u_, TRUE_U, strict=True):
        np.testing.assert_allclose(fitted, true)
    assert model.lambda_ == pytest.approx(0.3, abs=0.02)


def test_probabilities_follow_bayes_rule() -> None:
    gamma, _ = simulate(20_000, 0.2, seed=2)
    model = FellegiSunter(n_levels=(3, 2, 3)).fit(gamma)
    probe = np.array([[0, 0, 0], [2, 1, 2], [-1, -1, -1], [0, -1, 2]])
    m = np.array([[model.m_[f][g] if g >= 0 else 1.0 for f, g in enumerate(row)] for row in probe])
    u = np.array([[model.u_[f][g] if g >= 0 else 1.0 for f, g in enumerate(row)] for row in probe])
    bayes = m.prod(axis=1) / u.prod(axis=1)
    lam = model.lambda_
    expected = lam * bayes / (lam * bayes + 1 - lam)
    proba = model.predict_proba(probe)
    np.testing.assert_allclose(proba[:, 1], expected, rtol=1e-9)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(model.match_weight(probe), np.log2(bayes))
    assert proba[2, 1] == pytest.approx(lam)  # nothing known: the prior
    assert model.predict(probe).tolist() == [True, False, False, proba[3, 1] >= 0.5]


def test_classifies_simulated_pairs() -> None:
    gamma, is_match = simulate(20_000, 0.2, seed=3)
    model = FellegiSunter(n_levels=(3, 2, 3)).fit(gamma)
    accuracy = (model.predict(gamma) == is_match).mean()
    assert accuracy > 0.95


def test_estimator_protocol() -> None:
    model = FellegiSunter(n_levels=(3, 2), max_iter=5)
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        model.predict_proba(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="2 columns"):
        model.fit(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"field 1: levels must be -1 \(missing\) or 0..1; got 2"):
        model.fit(np.array([[0, 2]]))
    with pytest.raises(ValueError, match="zero pairs"):
        model.fit(np.zeros((0, 2)))
    fitted = model.fit(np.array([[0, 0], [2, 1], [1, 1]]))
    assert fitted is model and model.n_iter_ <= 5 and model.n_features_in_ == 2
