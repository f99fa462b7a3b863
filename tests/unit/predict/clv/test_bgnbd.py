"""BG/NBD: published golden numbers, brute-force integration, gradients, recovery, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special
from sklearn.exceptions import NotFittedError

from cible.exceptions import CLVError
from cible.predict.clv import (
    CDNOW_BGNBD,
    BetaGeoModel,
    bgnbd_log_likelihood,
    rfm_summary,
    simulate_transactions,
)
from cible.predict.clv.bgnbd import _negative_log_likelihood, _summary

R, ALPHA, A, B = CDNOW_BGNBD["r"], CDNOW_BGNBD["alpha"], CDNOW_BGNBD["a"], CDNOW_BGNBD["b"]


@pytest.fixture(scope="module")
def cdnow() -> BetaGeoModel:
    return BetaGeoModel.from_params(R, ALPHA, A, B)


# -- published values (Fader, Hardie & Lee 2005, CDNOW, weeks) -------------------------------------


def test_conditional_expectation_of_the_paper(cdnow: BetaGeoModel) -> None:
    # Section 5 of the paper: a customer with x = 2, t_x = 30.43, T = 38.86 is expected to make
    # 1.226 purchases in the next 39 weeks.
    assert cdnow.expected_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, abs=5e-4)


def test_unconditional_expectation_of_hardies_spreadsheet(cdnow: BetaGeoModel) -> None:
    # E[X(t)] from Hardie's BG/NBD spreadsheet (also the golden values of the lifetimes tests).
    # The spreadsheet uses unrounded estimates; the published 3-decimal ones move E[X(78)] by up
    # to 0.004 (checked: the spreadsheet values lie inside the range spanned by +-0.0005 on each
    # parameter), hence the tolerance.
    t = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    excel = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    np.testing.assert_allclose(cdnow.expected_purchases_new(t), excel, atol=4e-3)
    # and at the published parameters themselves, to 6 decimals (regression values):
    np.testing.assert_allclose(
        cdnow.expected_purchases_new([1.0, 78.0]), [0.053268, 1.860519], atol=1e-6
    )


def test_probability_alive_golden(cdnow: BetaGeoModel) -> None:
    # 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)), computed by hand for the paper's customer
    odds = A / (B + 1) * ((ALPHA + 38.86) / (ALPHA + 30.43)) ** (R + 2)
    assert cdnow.probability_alive(2, 30.43, 38.86)[0] == pytest.approx(1 / (1 + odds), rel=1e-12)
    assert cdnow.probability_alive(2, 30.43, 38.86)[0] == pytest.approx(0.726579, abs=1e-6)
    assert cdnow.probability_alive(0, 0, 38.86)[0] == 1.0


def test_euler_transform_matches_the_direct_formula(cdnow: BetaGeoModel) -> None:
    """Equation (10) as printed (no transformation), where scipy's hyp2f1 is accurate."""
    x, tx, big_t, t = np.array([0, 1, 2, 5, 10]), np.array([0, 5, 30.43, 20, 35]), 38.86, 39.0
    z = t / (ALPHA + big_t + t)
    hyp = special.hyp2f1(R + x, B + x, A + B + x - 1, z)
    top = (A + B + x - 1) / (A - 1) * (1 - ((ALPHA + big_t) / (ALPHA + big_t + t)) ** (R + x) * hyp)
    bottom = 1 + (x > 0) * A / (B + np.maximum(x, 1) - 1) * ((ALPHA + big_t) / (ALPHA + tx)) ** (
        R + x
    )
    np.testing.assert_allclose(cdnow.expected_purchases(t, x, tx, big_t), top / bottom, rtol=1e-10)


def test_heavy_buyers_and_long_horizons_stay_finite(cdnow: BetaGeoModel) -> None:
    # The printed form needs 2F1(r+x, b+x; a+b+x-1; z), which overflows here (inf * 0) ...
    z = 1e4 / (ALPHA + 38.86 + 1e4)
    assert np.isinf(special.hyp2f1(R + 300, B + 300, A + B + 299, z))
    # ... while the transformed one stays finite; values checked by integration further down
    values = cdnow.expected_purchases([39.0, 1e3, 1e4], 300, 38.0, 38.86)
    assert np.isfinite(values).all()
    assert 0 < values[0] < values[1] < values[2]


def test_purchase_count_distribution_is_consistent(cdnow: BetaGeoModel) -> None:
    n = np.arange(400)
    probs = cdnow.probability_of_purchases(39.0, n)
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    assert (probs >= 0).all()
    assert n @ probs == pytest.approx(cdnow.expected_purchases_new(39.0)[0], rel=1e-6)


# -- brute-force integration over the individual-level parameters ---------------------------------


def _integrate(fn) -> float:  # type: ignore[no-untyped-def]
    """Integral of fn(lam, p) over lambda ~ Gamma(r, alpha), p ~ Beta(a, b) by nested quad.

    The Beta and Gamma densities' singular factors are quad's algebraic weights; lambda is mapped
    to (0, 1) by lambda = s / (1 - s).
    """
    norm = ALPHA**R / special.gamma(R) / special.beta(A, B)

    def over_lambda(p: float) -> float:
        def g(s: float) -> float:
            lam = s / (1 - s)
            return float((1 - s) ** (-1 - R) * np.exp(-ALPHA * lam) * fn(lam, p))

        return integrate.quad(g, 0, 1, weight="alg", wvar=(R - 1, 0), limit=200)[0]

    return norm * integrate.quad(over_lambda, 0, 1, weight="alg", wvar=(A - 1, B - 1), limit=200)[0]


CUSTOMERS = [(0, 0.0, 38.86), (2, 30.43, 38.86), (7, 12.5, 30.0), (300, 38.0, 38.86)]


def _alive(x: int, big_t: float):  # type: ignore[no-untyped-def]
    """(1-p)^x lam^x exp(-lam T): still active at T (in logs: lam^300 overflows otherwise)."""

    def f(lam: float, p: float) -> float:
        if x == 0:
            return float(np.exp(-lam * big_t))
        if lam <= 0 or p >= 1 or not np.isfinite(lam):
            return 0.0
        return float(np.exp(x * np.log1p(-p) + x * np.log(lam) - lam * big_t))

    return f


def _individual(x: int, tx: float, big_t: float):  # type: ignore[no-untyped-def]
    """Equation (3) of the paper: likelihood of (x, t_x, T) given lambda and p."""
    alive = _alive(x, big_t)

    def f(lam: float, p: float) -> float:
        if x == 0 or p <= 0 or p >= 1 or lam <= 0 or not np.isfinite(lam):
            return alive(lam, p)
        dead = np.exp(np.log(p) + (x - 1) * np.log1p(-p) + x * np.log(lam) - lam * tx)
        return alive(lam, p) + float(dead)

    return f


@pytest.mark.parametrize(("x", "tx", "big_t"), CUSTOMERS[:3])
def test_likelihood_equals_numeric_integration(x: int, tx: float, big_t: float) -> None:
    expected = np.log(_integrate(_individual(x, tx, big_t)))
    assert bgnbd_log_likelihood([R, ALPHA, A, B], x, tx, big_t)[0] == pytest.approx(
        expected, abs=1e-7
    )


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize(("x", "tx", "big_t"), CUSTOMERS[1:])
def test_conditional_quantities_equal_numeric_integration(
    cdnow: BetaGeoModel, x: int, tx: float, big_t: float
) -> None:
    alive = _alive(x, big_t)

    def future(lam: float, p: float) -> float:  # alive, then E[X(39)] = (1 - exp(-lam p t)) / p
        spent = float(-np.expm1(-lam * p * 39.0) / p) if p > 0 else lam * 39.0
        return alive(lam, p) * spent

    evidence = _integrate(_individual(x, tx, big_t))
    assert cdnow.probability_alive(x, tx, big_t)[0] == pytest.approx(
        _integrate(alive) / evidence, abs=1e-7
    )
    assert cdnow.expected_purchases(39.0, x, tx, big_t)[0] == pytest.approx(
        _integrate(future) / evidence, rel=1e-6
    )


# -- fitting ---------------------------------------------------------------------------------------


def test_gradient_is_the_derivative_of_the_likelihood() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, 200).astype(float)
    big_t = rng.uniform(5, 40, 200)
    tx = np.where(x > 0, rng.uniform(0, 1, 200) * big_t, 0.0)
    data = _summary(x, tx, big_t, compress=True)
    for point in ([0.0, 0.0, 0.0, 0.0], np.log([R, ALPHA, A, B]), [-1.0, 2.0, 0.5, 1.5]):
        lp = np.asarray(point, dtype=float)
        numeric = optimize.approx_fprime(lp, lambda v: _negative_log_likelihood(v, data)[0], 1e-7)
        np.testing.assert_allclose(_negative_log_likelihood(lp, data)[1], numeric, rtol=1e-4)


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    sim = simulate_transactions(20_000, CDNOW_BGNBD, observation_days=546, random_state=7)
    return rfm_summary(sim.transactions, observation_end=sim.observation_end, time_unit="h")


def test_fit_recovers_parameters_within_four_standard_errors(simulated: pd.DataFrame) -> None:
    """Small-sample recovery (the 5% check on 800k customers is in tests/integration)."""
    s = simulated
    model = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    truth = dict(CDNOW_BGNBD, alpha=ALPHA * 168)  # alpha per hour
    for name, value in truth.items():
        assert abs(model.params_[name] - value) < 4 * model.standard_errors_[name], name
    assert model.n_customers_ == 20_000
    assert model.log_likelihood_ == pytest.approx(
        bgnbd_log_likelihood(
            list(model.params_.values()), s["frequency"], s["recency"], s["T"]
        ).sum(),
        rel=1e-12,
    )


def test_time_unit_only_rescales_alpha(simulated: pd.DataFrame) -> None:
    s = simulated
    hours = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    weeks = BetaGeoModel().fit(s["frequency"], s["recency"] / 168, s["T"] / 168)
    for name in ("r", "a", "b"):
        assert weeks.params_[name] == pytest.approx(hours.params_[name], rel=1e-5)
    assert weeks.params_["alpha"] * 168 == pytest.approx(hours.params_["alpha"], rel=1e-5)
    # densities in time: log L(weeks) = log L(hours) + sum(x) log(168)
    shift = s["frequency"].sum() * np.log(168)
    assert weeks.log_likelihood_ == pytest.approx(hours.log_likelihood_ + shift, rel=1e-9)


def test_penalizer_shrinks_parameters(simulated: pd.DataFrame) -> None:
    s = simulated.iloc[:3000]
    plain = BetaGeoModel().fit(s["frequency"], s["recency"] / 168, s["T"] / 168)
    shrunk = BetaGeoModel(penalizer=0.1).fit(s["frequency"], s["recency"] / 168, s["T"] / 168)
    assert sum(v**2 for v in shrunk.params_.values()) < sum(v**2 for v in plain.params_.values())
    assert shrunk.log_likelihood_ < plain.log_likelihood_


def test_fit_does_not_modify_its_input_and_returns_self() -> None:
    frame = pd.DataFrame({"x": [0.0, 1, 2, 3], "tx": [0.0, 2, 5, 9], "T": [10.0, 10, 10, 10]})
    before = frame.copy()
    model = BetaGeoModel(penalizer=0.01)
    assert model.fit(frame["x"], frame["tx"], frame["T"]) is model
    pd.testing.assert_frame_equal(frame, before)
    assert (model.penalizer, model.max_iter) == (0.01, 2000)
    assert not hasattr(BetaGeoModel(penalizer=0.01), "params_")


# -- errors ----------------------------------------------------------------------------------------


def test_not_fitted() -> None:
    with pytest.raises(NotFittedError):
        BetaGeoModel().probability_alive(1, 1, 2)


@pytest.mark.parametrize(
    ("x", "tx", "big_t", "message"),
    [
        ([1, -1], [1, 0], [2, 2], "frequency is negative"),
        ([1.5, 1], [1, 1], [2, 2], "not a whole number"),
        ([1, 1], [3, 1], [2, 2], "recency is larger than T .* position 0"),
        ([0, 1], [1, 1], [2, 2], "recency is not 0 while frequency is 0"),
        ([1, np.nan], [1, 1], [2, 2], "frequency has 1 missing"),
        ([1, 1, 1], [1, 1], [2, 2], "same length"),
    ],
)
def test_bad_summaries_are_refused(
    x: list[float], tx: list[float], big_t: list[float], message: str
) -> None:
    with pytest.raises(CLVError, match=message):
        BetaGeoModel().fit(x, tx, big_t)


def test_fit_needs_repeat_purchases() -> None:
    with pytest.raises(CLVError, match="one repeat purchase"):
        BetaGeoModel().fit([0, 0, 0], [0, 0, 0], [5, 6, 7])
    with pytest.raises(CLVError, match="penalizer must be >= 0"):
        BetaGeoModel(penalizer=-1).fit([1, 0], [1, 0], [2, 2])


def test_from_params_refuses_non_positive_values() -> None:
    with pytest.raises(CLVError, match=r"\{'a': 0\.0\}"):
        BetaGeoModel.from_params(0.2, 4.0, 0.0, 2.0)


def test_a_equal_to_one_has_a_finite_limit() -> None:
    """At a = 1 equations (9) and (10) are 0/0; the value is the limit, continuous in a: it
    equals the mean of the values at a = 1 -+ 1e-4 up to O(1e-8)."""
    at_one = BetaGeoModel.from_params(R, ALPHA, 1.0, B)
    lo, hi = (BetaGeoModel.from_params(R, ALPHA, 1.0 + d, B) for d in (-1e-4, 1e-4))
    x, tx, big_t = [0, 2, 7], [0.0, 30.43, 12.5], [38.86, 38.86, 30.0]
    np.testing.assert_allclose(
        at_one.expected_purchases(39.0, x, tx, big_t),
        (lo.expected_purchases(39.0, x, tx, big_t) + hi.expected_purchases(39.0, x, tx, big_t)) / 2,
        rtol=1e-7,
    )
    np.testing.assert_allclose(
        at_one.expected_purchases_new([1.0, 39.0]),
        (lo.expected_purchases_new([1.0, 39.0]) + hi.expected_purchases_new([1.0, 39.0])) / 2,
        rtol=1e-7,
    )
