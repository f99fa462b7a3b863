"""The MLflow mapping of a version's registry metadata (cible.lifecycle.tracking); the logging
itself against a real SQLite tracking store is in tests/integration/test_lifecycle_world.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cible.exceptions import OptionalDependencyError
from cible.lifecycle.tracking import (
    MAX_PARAM,
    MlflowTarget,
    log_version,
    version_metrics,
    version_params,
)

META = {
    "parameters": {
        "algorithm": "kmeans",
        "candidate": "kmeans k=5",
        "params": {"n_clusters": 5, "init": "k-means++"},
        "selection_rule": None,
        "features": ["recency_days", "frequency", "monetary"],
    },
    "metrics": {
        "silhouette": 0.41,
        "n_segments": 5,
        "gates_passed": True,
        "smallest_share": float("nan"),
        "note": "text",
    },
    "training_window": {"as_of": "2026-12-01", "first_event": None},
}


def test_parameters_flatten_the_candidate_and_the_window() -> None:
    assert version_params(META) == {
        "algorithm": "kmeans",
        "candidate": "kmeans k=5",
        "features": "recency_days,frequency,monetary",
        "param.n_clusters": "5",
        "param.init": "k-means++",
        "window.as_of": "2026-12-01",
    }


def test_metrics_keep_numbers_and_booleans_only() -> None:
    assert version_metrics(META) == {"silhouette": 0.41, "n_segments": 5.0, "gates_passed": 1.0}


def test_a_parameter_at_the_limit_is_kept_and_one_over_is_cut() -> None:
    at = {"parameters": {"params": {"a": "x" * MAX_PARAM, "b": "y" * (MAX_PARAM + 1)}}}
    params = version_params(at)
    assert params["param.a"] == "x" * MAX_PARAM
    assert len(params["param.b"]) == MAX_PARAM and params["param.b"].endswith("...")


def test_without_the_extra_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(OptionalDependencyError, match=r"pip install 'cible\[mlflow\]'"):
        log_version(MlflowTarget("sqlite:///x.db"), 1, META, tmp_path, dialect="sqlite")
