"""The published segment model: prospects, label map, noise, bytes and digest."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from cible.config import FEATURE_NAMES
from cible.exceptions import SegmentationError
from cible.segmentation.model_artifact import SegmentModel
from cible.services.publish import check_publishable
from cible.store import ScoringModel


class Fixed:
    """An 'estimator' that returns the labels it is told (to test the label map)."""

    def __init__(self, labels: list[int]) -> None:
        self.labels = labels

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.labels[: len(x)])


def frame(freq: list[float]) -> pd.DataFrame:
    rows = {f: np.linspace(1.0, 2.0, len(freq)) for f in FEATURE_NAMES}
    rows["frequency"] = np.asarray(freq)
    return pd.DataFrame(rows, index=[f"c{i}" for i in range(len(freq))])


def model(
    labels: list[int], names: dict[int, str], features: tuple[str, ...] = ("monetary",)
) -> SegmentModel:
    data = frame([1.0] * 4)
    prep = Pipeline([("scale", StandardScaler())]).fit(data[["monetary"]])
    return SegmentModel(
        preparation=prep,
        estimator=Fixed(labels),
        label_map={0: 2, 1: 1},
        segment_names=names,
        features=features,
        cible_version="t",
    )


def test_prospects_are_zero_and_labels_map_to_segment_ids() -> None:
    m = model([0, 1, 0], {0: "Prospects", 1: "One", 2: "Two"})
    ids = m.predict(frame([0.0, 2.0, 1.0, 3.0, 0.0]))
    assert ids.tolist() == [0, 2, 1, 2, 0]
    assert m.predict(frame([0.0, 0.0])).tolist() == [0, 0]
    assert m.feature_names == ("monetary", "frequency")
    assert isinstance(m, ScoringModel)


def test_refund_only_non_buyers_get_the_refund_only_segment() -> None:
    names = {0: "Prospects", 1: "One", 2: "Two", 3: "Refund only - no purchase recorded"}
    data = frame([0.0, 0.0, 0.0, 1.0])
    data["monetary"] = [-5.0, 0.0, -0.01, -3.0]  # a buyer with a negative net stays clustered
    assert model([0], names).predict(data).tolist() == [3, 0, 3, 2]
    # a model without that segment keeps every non-buyer a prospect
    assert model([0], {0: "Prospects", 1: "One", 2: "Two"}).predict(data).tolist() == [0, 0, 0, 2]


def test_noise_goes_to_the_atypical_segment_and_unknown_labels_are_refused() -> None:
    names = {0: "Prospects", 1: "One", 2: "Two", 3: "Atypical - no clear segment"}
    assert model([-1, 1], names).predict(frame([1.0, 1.0])).tolist() == [3, 1]
    with pytest.raises(SegmentationError, match=r"gave labels \[-1\] that map to no segment"):
        model([-1], {0: "Prospects", 1: "One", 2: "Two"}).predict(frame([1.0]))


def test_missing_columns_are_named() -> None:
    with pytest.raises(SegmentationError, match=r"columns \['frequency'\] are missing"):
        model([0], {0: "P"}).predict(frame([1.0]).drop(columns=["frequency"]))


def test_bytes_round_trip_with_a_checked_digest(tmp_path: Path) -> None:
    data = frame([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    prep = Pipeline([("scale", StandardScaler())]).fit(data[["monetary", "tenure_days"]])
    km = KMeans(n_clusters=2, n_init=2, random_state=0).fit(
        prep.transform(data[["monetary", "tenure_days"]])
    )
    m = SegmentModel(
        preparation=prep,
        estimator=km,
        label_map={0: 1, 1: 2},
        segment_names={0: "P", 1: "A", 2: "B"},
        features=("monetary", "tenure_days"),
        cible_version="t",
    )
    raw = m.to_bytes()
    back = SegmentModel.from_bytes(raw, hashlib.sha256(raw).hexdigest())
    assert back.predict(data).tolist() == m.predict(data).tolist()
    with pytest.raises(SegmentationError, match="sha256 of the bytes does not match"):
        SegmentModel.from_bytes(raw, "0" * 64)
    path = m.save(tmp_path / "segment_model.joblib")
    digest = (tmp_path / "segment_model.joblib.sha256").read_text().strip()
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert SegmentModel.load(path).predict(data).tolist() == m.predict(data).tolist()
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(SegmentationError, match="corrupt or was replaced"):
        SegmentModel.load(path)
    with pytest.raises(SegmentationError, match="does not exist"):
        SegmentModel.load(tmp_path / "absent.joblib")


def test_publish_refuses_non_behavioural_features() -> None:
    m = model([0], {0: "P"}, features=("monetary", "churn_score", "clv_12m"))
    with pytest.raises(
        SegmentationError, match=r"\['churn_score', 'clv_12m'\] are not behavioural"
    ):
        check_publishable(m)
    families = model([0], {0: "P"}, features=("monetary", "age", "winter_share"))
    with pytest.raises(SegmentationError, match=r"\['age', 'winter_share'\] are not behavioural"):
        check_publishable(families)
    check_publishable(model([0], {0: "P"}))
