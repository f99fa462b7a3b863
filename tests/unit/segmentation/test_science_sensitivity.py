"""The weight sensitivity of run_science on a seeded sample of the rows, its reference the
configured weights refitted on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans

import cible.segmentation.science as science
from cible.config import SegmentationConfig
from cible.segmentation.maps import sample_rows


def _prepared(n: int) -> science.Prepared:
    rng = np.random.default_rng(0)
    centres = np.repeat([[0.0, 0.0], [4.0, 4.0], [0.0, 4.0]], n // 3 + 1, axis=0)[:n]
    frame = pd.DataFrame(centres + rng.normal(0, 0.4, (n, 2)), columns=["monetary", "recency_days"])
    config = SegmentationConfig(
        features=["monetary", "recency_days"],
        criteria={"value": ["monetary"], "engagement": ["recency_days"]},
    )
    return science.prepare(frame, config)


class _Fit:
    def __init__(self) -> None:
        self.rows: list[int] = []

    def __call__(self, X: np.ndarray) -> np.ndarray:
        self.rows.append(len(X))
        return np.asarray(KMeans(n_clusters=3, n_init=2, random_state=0).fit_predict(X))


def test_a_large_base_is_measured_on_a_sample_against_the_refit_of_those_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(science, "SENSITIVITY_SAMPLE", 90)
    prep = _prepared(300)
    labels = _Fit()(prep.weighted)
    fit = _Fit()
    report = science._sensitivity(prep, labels, fit, random_state=3)
    assert fit.rows == [90] * 5  # the reference, then 2 x 2 criteria, each on the 90 rows
    assert len(report) == 4
    assert report["ari"].tolist() == pytest.approx([1.0] * 4)  # the planted groups hold
    np.testing.assert_array_equal(sample_rows(300, 90, 3), sample_rows(300, 90, 3))


def test_a_base_within_the_sample_is_measured_on_every_row_against_its_labels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(science, "SENSITIVITY_SAMPLE", 300)
    prep = _prepared(300)  # exactly the sample size: no sampling, no reference refit
    labels = _Fit()(prep.weighted)
    fit = _Fit()
    report = science._sensitivity(prep, labels, fit, random_state=3)
    assert fit.rows == [300] * 4
    assert report["ari"].tolist() == pytest.approx([1.0] * 4)
