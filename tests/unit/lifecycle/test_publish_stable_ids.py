"""Stable ids applied at publish (services.publish_lifecycle): a retrained SegmentModel is
renumbered through its label map onto the active version's ids, without a refit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from cible.exceptions import SegmentationError
from cible.segmentation.model_artifact import SegmentModel
from cible.services.publish import publish_run
from cible.services.publish_lifecycle import stable_model

CENTRES = np.array([[2, 10], [8, 10], [2, 16], [8, 16], [5, 22]], dtype=float)


def _features(centres: np.ndarray, n_per: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(len(centres)), n_per)
    x = centres[group] + rng.normal(0, 0.6, (len(group), 2))
    ids = [f"c{i:05d}" for i in range(len(group))] + [f"p{i:03d}" for i in range(40)]
    prospects = np.zeros((40, 2))  # no purchase: segment 0 whatever the model
    return pd.DataFrame(
        np.vstack([x, prospects]),
        index=pd.Index(ids, name="customer_id"),
        columns=["frequency", "monetary"],
    )


def _model(features: pd.DataFrame, k: int, seed: int) -> SegmentModel:
    buyers = features[features["frequency"] > 0]
    scaler = StandardScaler().fit(buyers)
    km = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(scaler.transform(buyers))
    return SegmentModel(
        preparation=scaler,
        estimator=km,
        label_map={j: j + 1 for j in range(k)},
        segment_names={0: "Prospects", **{j + 1: f"cluster {j} seed {seed}" for j in range(k)}},
        features=["frequency", "monetary"],
        cible_version="test",
    )


def _assign(model: SegmentModel, features: pd.DataFrame) -> pd.Series:
    return pd.Series(model.predict(features), index=features.index)


def _batch(model: SegmentModel, features: pd.DataFrame) -> pd.DataFrame:
    labels = _assign(model, features)
    return pd.DataFrame({"customer_id": labels.index, "segment_id": labels.to_numpy()})


def test_a_retrain_with_another_seed_keeps_every_id_through_the_label_map() -> None:
    features = _features(CENTRES)
    first, second = _model(features, 5, seed=1), _model(features, 5, seed=7)
    before = _assign(first, features)
    assert (_assign(second, features) != before).mean() > 0.5  # raw ids permuted
    out = stable_model(second, _batch(second, features), features, before.to_dict(), {0, 1, 2})
    assert out is not None
    after = _assign(out.model, features)
    assert (after == before).mean() > 0.995
    assert (after[before == 0] == 0).all()  # the prospects stay segment 0
    assert out.model.estimator is second.estimator  # no refit
    summary = out.summary(first.segment_names)
    assert [k["id"] for k in summary["kept"]] == [1, 2, 3, 4, 5]
    assert summary["new"] == [] and summary["vanished"] == []
    assert summary["split"] == {} and summary["merged"] == {}
    for label, stable in out.ids.items():  # each segment keeps its own name under its new id
        assert out.model.segment_names[stable] == second.segment_names[label]


def test_a_planted_new_segment_gets_an_id_never_used_before() -> None:
    features = _features(CENTRES)
    first = _model(features, 5, seed=1)
    before = _assign(first, features).to_dict()
    grown = pd.concat(
        [features, _features(np.array([[20.0, 40.0]]), seed=5).iloc[:300].rename(lambda c: f"n{c}")]
    )
    second = _model(grown, 6, seed=3)
    out = stable_model(second, _batch(second, grown), grown, before, {0, 1, 2, 3, 4, 5, 9})
    assert out is not None
    summary = out.summary(first.segment_names)
    assert [k["id"] for k in summary["kept"]] == [1, 2, 3, 4, 5]
    assert [n["id"] for n in summary["new"]] == [10]  # above 9, used by an older version
    newcomers = _assign(out.model, grown).loc[[f"nc{i:05d}" for i in range(300)]]
    assert (newcomers == 10).all()


def test_a_planted_vanished_segment_is_reported_and_its_id_not_reused() -> None:
    features = _features(CENTRES)
    first = _model(features, 5, seed=1)
    before = _assign(first, features)
    gone = before.index[before == before.loc["c01200"]]  # the fifth group leaves
    remaining = features.drop(gone)
    second = _model(remaining, 4, seed=2)
    out = stable_model(second, _batch(second, remaining), remaining, before.to_dict(), {0})
    assert out is not None
    summary = out.summary(first.segment_names)
    vanished = int(before.loc["c01200"])
    assert [v["id"] for v in summary["vanished"]] == [vanished]
    assert summary["vanished"][0]["name"] == first.segment_names[vanished]
    assert len(summary["kept"]) == 4 and summary["new"] == []
    assert vanished not in set(_assign(out.model, remaining).unique())


def test_nothing_to_match_without_a_previous_buyer() -> None:
    features = _features(CENTRES)
    model = _model(features, 5, seed=1)
    prospects_only = {f"p{i:03d}": 0 for i in range(40)}
    assert stable_model(model, _batch(model, features), features, prospects_only, {0}) is None


def test_publish_names_a_missing_features_table(tmp_path: Path) -> None:
    features = _features(CENTRES)
    model = _model(features, 5, seed=1)
    model.save(tmp_path / "segment_model.joblib")
    (tmp_path / "run.json").write_text('{"as_of": "2024-04-01"}')
    _batch(model, features).to_parquet(tmp_path / "segments.parquet")
    with pytest.raises(
        SegmentationError, match=r"features\.parquet does not exist: run `cible run"
    ):
        publish_run(tmp_path, f"sqlite:///{tmp_path / 'store.db'}")
    assert not (tmp_path / "store.db").exists()  # refused before the store is opened
