"""Online centroid updates in apply_events (cible consume --online-centroids): the batch scored
by the current centroids, then absorbed; the state kept in the store; the guard freezes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

from cible.cli.main import app
from cible.exceptions import LifecycleError
from cible.lifecycle.online_centroids import OnlineCentroids
from cible.segmentation.model_artifact import SegmentModel
from cible.services.consume import enable_online_centroids
from cible.store import ProfileStore
from cible.store.centroid_state import current_state
from tests.conftest import fresh_schema_name
from tests.unit.api.conftest import STORE_PG_URL, drop_schema
from tests.unit.store.fakes import ThresholdModel, at, ev

AS_OF = datetime(2024, 4, 1, tzinfo=UTC)


def _model() -> SegmentModel:
    """k-means on (frequency, monetary): 100 small buyers around 50, 100 big around 500."""
    rng = np.random.default_rng(0)
    monetary = np.concatenate([rng.normal(50, 5, 100), rng.normal(500, 50, 100)])
    frequency = np.concatenate([rng.integers(1, 3, 100), rng.integers(1, 3, 100)])
    train = pd.DataFrame({"frequency": frequency.astype(float), "monetary": monetary})
    scaler = StandardScaler().fit(train)
    km = KMeans(n_clusters=2, n_init=1, random_state=0).fit(scaler.transform(train))
    probe = pd.DataFrame({"frequency": [1.0], "monetary": [50.0]})
    small = int(km.predict(scaler.transform(probe))[0])
    return SegmentModel(
        preparation=scaler,
        estimator=km,
        label_map={small: 1, 1 - small: 2},
        segment_names={0: "Prospects", 1: "Small", 2: "Big"},
        features=["frequency", "monetary"],
        cible_version="test",
        algorithm="kmeans",
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProfileStore]:
    if request.param == "sqlite":
        s = ProfileStore.open(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        schema = fresh_schema_name()
        s = ProfileStore.open(STORE_PG_URL, schema=schema)
    s.publish(_model())
    yield s
    s.close()
    if request.param == "postgresql":
        drop_schema(schema)


def _state(store: ProfileStore) -> dict:
    with store.engine.connect() as conn:
        state = current_state(conn, 1)
    assert state is not None
    return state


def _purchases(prefix: str, amounts: list[str], day: int = 2) -> list:
    return [
        ev(f"{prefix}{i}", f"{prefix}-c{i}", at(day), "purchase", a, f"{prefix}-o{i}")
        for i, a in enumerate(amounts)
    ]


def test_a_batch_is_scored_then_absorbed_by_the_mini_batch_rule(store: ProfileStore) -> None:
    model = _model()
    enable_online_centroids(store, 10.0)
    result = store.apply_events(_purchases("a", ["80", "90"]), as_of=AS_OF)
    assert {c.customer_id: c.segment_id for c in result.changes} == {"a-c0": 1, "a-c1": 1}
    state = _state(store)
    assert state["batches"] == 1 and state["alert"] is None
    # the expected centroids, computed with the library piece from the published ones
    expected = OnlineCentroids(
        model.estimator.cluster_centers_, np.bincount(model.estimator.labels_), max_shift_per_day=10
    )
    rows = model.preparation.transform(
        pd.DataFrame({"frequency": [1.0, 1.0], "monetary": [80.0, 90.0]})
    )
    expected.update(rows, AS_OF.date())
    assert np.allclose(state["state"]["centroids"], expected.centroids_, atol=1e-12)
    assert state["state"]["counts"] == expected.counts_.tolist()
    moved = int(
        np.argmax(
            np.abs(np.asarray(state["state"]["centroids"]) - model.estimator.cluster_centers_).sum(
                axis=1
            )
        )
    )
    assert state["state"]["counts"][moved] == int(np.bincount(model.estimator.labels_)[moved]) + 2


def test_a_redelivered_batch_moves_nothing_twice(store: ProfileStore) -> None:
    enable_online_centroids(store, 10.0)
    batch = _purchases("a", ["80", "90"])
    store.apply_events(batch, as_of=AS_OF)
    before = _state(store)
    again = store.apply_events(batch, as_of=AS_OF)
    assert again.applied == 0 and _state(store) == before


def test_a_batch_beyond_the_daily_guard_is_refused_and_updates_freeze(
    store: ProfileStore, caplog: pytest.LogCaptureFixture
) -> None:
    enable_online_centroids(store, 0.05)  # a twentieth of a standard deviation per day
    with caplog.at_level(logging.WARNING, logger="cible.online"):
        store.apply_events(_purchases("f", ["300"] * 40), as_of=AS_OF)
    state = _state(store)
    assert state["batches"] == 0 and state["state"]["frozen"] is True
    assert "batch refused, online updates frozen" in state["alert"]
    assert "online centroids of version 1: centroid" in caplog.text
    assert "f-c" not in caplog.text  # no customer id in the log
    frozen = state["state"]["centroids"]
    store.apply_events(_purchases("g", ["60"]), as_of=AS_OF)
    assert _state(store)["state"]["centroids"] == frozen and _state(store)["batches"] == 0


def test_moved_centroids_score_the_next_batch_and_the_batch_rescore_keeps_them(
    store: ProfileStore,
) -> None:
    from cible.store.versions import VersionRegistry

    model = _model()
    boundary = pd.DataFrame({"frequency": [1.0], "monetary": [265.0]})
    assert model.predict(boundary).tolist() == [2]  # Big for the published centroids
    enable_online_centroids(store, 10.0)
    store.apply_events(_purchases("a", ["220"] * 30), as_of=AS_OF)  # Small moves up
    result = store.apply_events(_purchases("b", ["265"]), as_of=AS_OF)
    assert [(c.customer_id, c.segment_id) for c in result.changes] == [("b-c0", 1)]
    streamed = store.memberships()
    scored, changed = VersionRegistry(store.engine, store.url).rescore(AS_OF)
    assert (scored, changed) == (31, 0) and store.memberships() == streamed


def test_only_a_k_means_model_can_move(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    with ProfileStore.open(url) as s:
        with pytest.raises(LifecycleError, match="need a published model"):
            enable_online_centroids(s, 0.25)
        s.publish(ThresholdModel(100.0))
        with pytest.raises(LifecycleError, match="need a k-means model; version 1 is"):
            enable_online_centroids(s, 0.25)
    out = CliRunner().invoke(
        app, ["consume", "--store", url, "--online-centroids", "--idle-exit-s", "0.1"]
    )
    assert out.exit_code == 2 and "need a k-means model" in out.output


def test_a_guard_of_zero_is_refused(store: ProfileStore) -> None:
    with pytest.raises(LifecycleError, match=r"max shift per day 0\.0: give a distance > 0"):
        enable_online_centroids(store, 0.0)


def _second(store: ProfileStore) -> ProfileStore:
    """Another process's store over the same database (schema on PostgreSQL)."""
    schema = None
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    return ProfileStore.open(store.engine.url.render_as_string(False), schema=schema)


def test_a_plain_consumer_caches_the_model_and_sees_another_ones_moved_centroids(
    store: ProfileStore,
) -> None:
    plain = _second(store)  # a consumer without --online-centroids
    try:
        first = plain.apply_events(_purchases("p", ["265"]), as_of=AS_OF)
        assert [(c.customer_id, c.segment_id) for c in first.changes] == [("p-c0", 2)]
        plain.apply_events(_purchases("q", ["40"]), as_of=AS_OF)
        cache = plain._models
        assert (cache.loads, cache.refreshes) == (1, 0)  # nothing moved: no state read
        enable_online_centroids(store, 10.0)
        store.apply_events(_purchases("a", ["220"] * 30), as_of=AS_OF)  # Small moves up
        moved = plain.apply_events(_purchases("b", ["265"]), as_of=AS_OF)
        assert [(c.customer_id, c.segment_id) for c in moved.changes] == [("b-c0", 1)]
        plain.apply_events(_purchases("c", ["40"]), as_of=AS_OF)
        assert (cache.loads, cache.refreshes) == (1, 1)  # one state read, then cached again
        store.publish(_model())  # version 2: its own (published) centroids
        again = plain.apply_events(_purchases("d", ["265"]), as_of=AS_OF)
        assert [(c.customer_id, c.segment_id, c.model_version) for c in again.changes] == [
            ("d-c0", 2, 2)
        ]
        assert (cache.loads, cache.refreshes) == (2, 1)
    finally:
        plain.close()
