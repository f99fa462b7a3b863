"""fit_clv / score_clv over a DuckDB warehouse holding a simulated purchase log."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pydantic
import pytest

from cible.predict.clv import (
    CDNOW_BGNBD,
    CDNOW_GAMMA_GAMMA,
    BetaGeoModel,
    CLVConfig,
    CLVResult,
    GammaGammaModel,
    clv_summary,
    customer_lifetime_value,
    fit_clv,
    score_clv,
    simulate_transactions,
)
from cible.predict.clv.clv_fit import fit_warnings
from cible.warehouse.duckdb import DuckDBWarehouse


@pytest.fixture(scope="module")
def warehouse_as_of() -> tuple[DuckDBWarehouse, date]:
    sim = simulate_transactions(
        4000, CDNOW_BGNBD, CDNOW_GAMMA_GAMMA, observation_days=546, random_state=5
    )
    warehouse = DuckDBWarehouse(":memory:")
    warehouse.append_events(sim.to_events())
    return warehouse, sim.as_of


@pytest.fixture(scope="module")
def result(warehouse_as_of: tuple[DuckDBWarehouse, date]) -> CLVResult:
    warehouse, as_of = warehouse_as_of
    return fit_clv(warehouse, as_of, CLVConfig(holdout_days=182, discount_rate_annual=0.08))


def test_customers_are_scored_with_the_fitted_models(
    warehouse_as_of: tuple[DuckDBWarehouse, date], result: CLVResult
) -> None:
    warehouse, as_of = warehouse_as_of
    s = clv_summary(warehouse, as_of, "D")
    x, tx, big_t, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]
    bg = BetaGeoModel().fit(x, tx, big_t)
    gg = GammaGammaModel().fit(x, m)
    # DuckDB sums in parallel, in no fixed order: summaries differ in the last bits between
    # queries and the optimiser stops within ~1e-8 of the optimum, hence rel=1e-6 below.
    assert result.bgnbd.params == pytest.approx(bg.params_, rel=1e-6)
    assert result.gamma_gamma.params == pytest.approx(gg.params_, rel=1e-6)
    c = result.customers
    assert list(c.index) == list(s.index)
    np.testing.assert_allclose(c["p_alive"], bg.probability_alive(x, tx, big_t), rtol=1e-6)
    np.testing.assert_allclose(
        c["expected_purchases"], bg.expected_purchases(365, x, tx, big_t), rtol=1e-6
    )
    np.testing.assert_allclose(c["expected_avg_value"], gg.expected_average_value(x, m), rtol=1e-6)
    clv = customer_lifetime_value(
        bg, gg, x, tx, big_t, m, horizon_days=365, discount_rate_annual=0.08, time_unit="D"
    )
    np.testing.assert_allclose(c["clv"], clv, rtol=1e-6)
    # discounting only lowers the value
    assert (c["clv"] <= c["expected_purchases"] * c["expected_avg_value"] + 1e-9).all()
    assert (c["clv"] > 0).all() and c["p_alive"].between(0, 1).all()


def test_scores_frame_for_the_predict_command(
    warehouse_as_of: tuple[DuckDBWarehouse, date], result: CLVResult
) -> None:
    warehouse, as_of = warehouse_as_of
    scores = score_clv(warehouse, as_of, CLVConfig(discount_rate_annual=0.08))
    assert list(scores.columns) == [
        "customer_id",
        "p_alive",
        "expected_purchases",
        "expected_avg_value",
        "clv",
    ]
    np.testing.assert_allclose(scores["clv"], result.customers["clv"], rtol=1e-6)
    assert scores["customer_id"].is_unique


def test_fit_checks(result: CLVResult) -> None:
    n = len(result.customers)
    ff = result.frequency_fit
    assert list(ff["frequency"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert ff["actual"].sum() == n
    assert ff["expected"].sum() == pytest.approx(n)
    assert ff["actual"].iloc[0] == (result.customers["frequency"] == 0).sum()
    # data drawn from the model: every bin within 5 Poisson standard deviations (+5 customers)
    assert (abs(ff["actual"] - ff["expected"]) < 5 * np.sqrt(ff["expected"]) + 5).all()
    hf = result.holdout_fit
    assert hf is not None and result.holdout_days == 182
    assert list(hf.columns) == ["frequency", "customers", "actual", "predicted"]
    # the holdout cohort: customers who bought before as_of - 182 days
    cohort = (result.customers["T"] >= 182).sum()
    assert hf["customers"].sum() == cohort
    assert (hf["predicted"].diff().iloc[1:] > 0).all()  # more past purchases, more expected


def test_result_to_dict_is_json(result: CLVResult) -> None:
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text)["bgnbd"]["params"]["r"] == pytest.approx(result.bgnbd.params["r"])
    assert data["totals"]["customers"] == len(result.customers)
    assert data["totals"]["clv"] == pytest.approx(result.customers["clv"].sum())
    assert "customers" not in data
    full = result.to_dict(include_customers=True)
    assert len(full["customers"]) == len(result.customers)
    json.dumps(full, allow_nan=False)


def test_config_is_strict() -> None:
    with pytest.raises(pydantic.ValidationError, match="horizon"):
        CLVConfig(horizon=365)  # type: ignore[call-arg]
    with pytest.raises(pydantic.ValidationError, match="time_unit"):
        CLVConfig(time_unit="M")  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="discount_rate_annual"):
        CLVConfig(discount_rate_annual=1.5)


def test_horizon_is_counted_in_days_whatever_the_unit(
    warehouse_as_of: tuple[DuckDBWarehouse, date],
) -> None:
    warehouse, as_of = warehouse_as_of
    weekly = fit_clv(warehouse, as_of, CLVConfig(time_unit="W", horizon_days=364))
    s = clv_summary(warehouse, as_of, "W")
    bg = BetaGeoModel().fit(s["frequency"], s["recency"], s["T"])
    np.testing.assert_allclose(
        weekly.customers["expected_purchases"],
        bg.expected_purchases(52.0, s["frequency"], s["recency"], s["T"]),
        rtol=1e-6,
    )
    assert weekly.time_unit == "W" and weekly.horizon_days == 364


def test_fit_warnings_name_vague_parameters_and_dependence(result: CLVResult) -> None:
    assert result.warnings == ()  # data drawn from the models: nothing to warn about
    rng = np.random.default_rng(0)
    # everybody keeps buying until T: nothing tells when customers drop out
    big_t = rng.uniform(20, 52, 500)
    x = rng.poisson(rng.gamma(2.0, 0.1, 500) * big_t).astype(float)
    tx = np.where(x > 0, big_t * rng.beta(20, 1, 500), 0.0)
    bg = BetaGeoModel().fit(x, tx, big_t)
    xg = rng.integers(1, 20, 500).astype(float)
    gg = GammaGammaModel().fit(xg, 5.0 * xg * rng.gamma(20.0, 1 / 20.0, 500))
    notes = fit_warnings(bg, gg)
    # a runs to 0: the likelihood is flat in it (undefined error); b is vague beside it
    assert bg.params_["a"] < 1e-3 and np.isnan(bg.standard_errors_["a"])
    assert bg.standard_errors_["r"] == pytest.approx(0.188, abs=0.01)  # r stays well defined
    assert notes[0].startswith("BG/NBD: parameter(s) a, b poorly determined")
    assert "P(alive) is near 1" in notes[0]
    assert notes[-1].startswith(
        "Gamma-Gamma: spend per purchase correlates with frequency (r = 0.91)"
    )
