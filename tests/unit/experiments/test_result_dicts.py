"""The JSON form of the Welch and the sequential test results: exact dicts."""

from __future__ import annotations

import json

from cible.experiments.sequential import SequentialLook, SequentialTest
from cible.experiments.welch import WelchTest


def test_welch_to_dict() -> None:
    result = WelchTest(
        n_control=10,
        n_treatment=12,
        mean_control=1.5,
        mean_treatment=2.0,
        difference=0.5,
        t=2.25,
        dof=19.5,
        p_value=0.036,
        ci_low=0.04,
        ci_high=0.96,
        alpha=0.05,
        significant=True,
    )
    assert result.to_dict() == {
        "test": "Welch t-test (scipy.stats.ttest_ind, equal_var=False)",
        "n_control": 10,
        "n_treatment": 12,
        "mean_control": 1.5,
        "mean_treatment": 2.0,
        "difference": 0.5,
        "t": 2.25,
        "dof": 19.5,
        "p_value": 0.036,
        "ci_low": 0.04,
        "ci_high": 0.96,
        "alpha": 0.05,
        "significant": True,
    }
    assert next(iter(result.to_dict())) == "test"


def test_sequential_to_dict() -> None:
    look = SequentialLook(
        n_control=100,
        n_treatment=110,
        difference=0.02,
        likelihood_ratio=float("inf"),
        p_value=0.5,
        cs_low=-0.1,
        cs_high=0.14,
        rejected=False,
    )
    result = SequentialTest(tau=0.01, alpha=0.05, looks=(look,), first_rejection=None)
    expected = {
        "test": "mSPRT, normal mixture (always-valid p-value)",
        "tau": 0.01,
        "alpha": 0.05,
        "looks": [
            {
                "n_control": 100,
                "n_treatment": 110,
                "difference": 0.02,
                "likelihood_ratio": None,
                "p_value": 0.5,
                "cs_low": -0.1,
                "cs_high": 0.14,
                "rejected": False,
            }
        ],
        "first_rejection": None,
    }
    assert result.to_dict() == expected
    assert json.loads(json.dumps(result.to_dict())) == expected
