"""A planted shift in the generated world: the "loyal" persona lapses, and the migration matrix
of the run's own segment model shows exactly those movers (docs/lifecycle.md).

One demo run (2,000 customers, seed 7). The plant is made on its features: for every customer of
the ``loyal`` persona, 300 days pass without activity (recency and tenure + 300 days, no event in
the last 30/90 days; what they bought stays). Everyone else is left as they were. The published
model (``segment_model.joblib``) scores both feature tables.

The same run then goes through ``cible refresh`` with a policy that retrains: the real pipeline
runs again and its model is published as version 2.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import pytest
import yaml
from sklearn.base import clone

from cible.config import load_config
from cible.config.refresh import load_refresh_config
from cible.lifecycle.migration import migration_matrix
from cible.segmentation.model_artifact import SegmentModel
from cible.services.demo import write_demo_config
from cible.services.pipeline import run_pipeline
from cible.services.publish import publish_run
from cible.services.refresh import run_refresh
from cible.store import ProfileStore
from cible.store.versions import VersionRegistry
from cible.synth.generate import generate_world

pytestmark = pytest.mark.integration
DAYS = 300.0


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lifecycle_world")
    generate_world(2_000, 7, out / "data")
    run_pipeline(load_config(write_demo_config(out)), out / "run")
    return out


def test_loyal_regulars_lapsing_show_in_the_migration_matrix(run: Path) -> None:
    features = pd.read_parquet(run / "run" / "features.parquet").set_index("customer_id")
    truth = pd.read_csv(run / "data" / "truth.csv").set_index("customer_id")["persona"]
    model = joblib.load(run / "run" / "segment_model.joblib")
    names = {int(k): v for k, v in model.segment_names.items()}
    loyal = features.index[features.index.map(truth.get) == "loyal"]
    assert len(loyal) > 100
    shifted = features.copy()
    shifted.loc[loyal, ["recency_days", "tenure_days"]] += DAYS
    shifted.loc[loyal, ["events_30d", "events_90d"]] = 0.0

    before = pd.Series(model.predict(features), index=features.index)
    after = pd.Series(model.predict(shifted), index=features.index)
    matrix = migration_matrix(before, after)

    others = features.index.difference(loyal)
    assert (before.loc[others] == after.loc[others]).all()  # nobody else moves
    regulars = next(s for s, n in names.items() if n == "Loyal regulars")
    lapsed = next(s for s, n in names.items() if n == "At risk - lapsed")
    assert (before.loc[loyal] == regulars).mean() > 0.8  # the persona is its segment
    top = matrix.moves()
    movers = [m for m in top if m["from"] != m["to"]]
    assert movers[0]["from"] == regulars and movers[0]["to"] == lapsed
    planted = int(((before.loc[loyal] == regulars) & (after.loc[loyal] == lapsed)).sum())
    assert matrix.flow(regulars, lapsed) == planted
    assert planted > 0.7 * len(loyal)
    assert matrix.moved == int((before.loc[loyal] != after.loc[loyal]).sum())


def test_refresh_retrains_with_the_real_pipeline_and_publishes_a_new_version(run: Path) -> None:
    store_url = f"sqlite:///{run / 'store.db'}"
    assert publish_run(run / "run", store_url).version == 1
    spend = (
        "(SELECT customer_id, count(*) AS orders, sum(amount) AS spend FROM events "
        "WHERE event_type = 'purchase' AND timestamp {} TIMESTAMPTZ '2025-07-01' "
        "GROUP BY customer_id)"
    )
    refresh = {
        "store": store_url,
        "warehouse": "run/warehouse.duckdb",
        "reference": spend.format("<"),
        "current": spend.format(">="),
        "numeric": ["orders", "spend"],
        "policy": {"on_quiet": "retrain", "on_drift": "retrain", "on_major_drift": "retrain"},
        "pipeline": "cible.yaml",
        "out": "refresh",
    }
    path = run / "refresh.yaml"
    path.write_text(yaml.safe_dump(refresh))
    result = run_refresh(load_refresh_config(path))
    assert (result.decision.action, result.new_version) == ("retrain", 2)
    assert (run / "refresh" / "run" / "segment_model.joblib").is_file()
    with ProfileStore.open(store_url) as store:
        assert store.health()["model_version"] == 2
        assert len(store.memberships()) >= 1_900
    written = json.loads((run / "refresh" / "refresh.json").read_text())
    assert written["new_version"] == 2 and written["action"] == "retrain"
    meta = _metadata(store_url, 2)
    assert meta is not None  # the deterministic retrain keeps every segment's id
    chosen_k = json.loads((run / "run" / "run.json").read_text())["chosen_k"]
    ids = meta["stable_ids"]
    assert ids["new"] == [] and ids["vanished"] == [] and len(ids["kept"]) == chosen_k


def _metadata(url: str, version: int) -> dict[str, Any] | None:
    with ProfileStore.open(url) as store:
        meta = VersionRegistry(store.engine, store.url).show(version).metadata
    return dict(meta) if meta is not None else None


def test_publishing_the_same_run_twice_keeps_every_id_and_records_the_metadata(
    run: Path, tmp_path: Path
) -> None:
    store_url = f"sqlite:///{tmp_path / 'twice.db'}"
    first = publish_run(run / "run", store_url)
    assert (first.version, first.segments, first.previous_version) == (1, None, None)
    with ProfileStore.open(store_url) as store:
        v1 = store.memberships()
    second = publish_run(run / "run", store_url)
    assert second.version == 2 and second.previous_version == 1
    assert second.segments is not None
    n_segments = len(pd.read_parquet(run / "run" / "segments.parquet")["segment_id"].unique())
    assert len(second.segments["kept"]) == n_segments
    assert second.segments["new"] == second.segments["vanished"] == []
    with ProfileStore.open(store_url) as store:
        assert store.memberships() == v1
    migration = json.loads((run / "run" / "migration.json").read_text())
    assert (migration["from_version"], migration["to_version"]) == (1, 2)
    assert migration["matrix"]["moved"] == 0 and migration["matrix"]["total"] == len(v1)

    meta = _metadata(store_url, 2)
    assert meta is not None
    selection = json.loads((run / "run" / "selection.json").read_text())
    chosen = next(c for c in selection["candidates"] if c["chosen"])
    assert meta["parameters"]["candidate"] == chosen["name"]
    assert meta["parameters"]["params"] == chosen["params"]
    assert meta["metrics"]["silhouette"] == chosen["silhouette"]
    run_json = json.loads((run / "run" / "run.json").read_text())
    assert meta["training_window"]["as_of"] == run_json["as_of"]
    assert meta["training_window"]["first_event"] < meta["training_window"]["last_event"]
    features = pd.read_parquet(run / "run" / "features.parquet")
    refs = meta["reference_distributions"]["features"]
    assert set(refs) >= {"frequency", "monetary", "recency_days"}
    for name, h in refs.items():
        assert sum(h["counts"]) + h["nulls"] == len(features), name
        assert len(h["edges"]) == len(h["counts"]) - 1
    assert meta["code_version"]["trained_by"] == run_json["cible_version"]


def _retrained(run_dir: Path, out: Path, seed: int) -> dict[int, int]:
    """A copy of the run whose estimator is refitted with another seed (same prepared data);
    returns the raw label map of the retrain."""
    shutil.copytree(run_dir, out)
    model = SegmentModel.load(out / "segment_model.joblib")
    features = pd.read_parquet(out / "features.parquet").set_index("customer_id")
    buyers = features[features["frequency"] > 0]
    prepared = model._prepare(buyers[list(model.features)])
    estimator = clone(model.estimator).set_params(random_state=seed, n_init=1).fit(prepared)
    k = len(model.label_map)
    label_map = {j: j + 1 for j in range(k)}
    retrained = SegmentModel(
        preparation=model.preparation,
        estimator=estimator,
        label_map=label_map,
        segment_names={**{0: "Prospects"}, **{j + 1: f"retrain {j}" for j in range(k)}},
        features=model.features,
        cible_version=model.cible_version,
        algorithm=model.algorithm,
    )
    retrained.save(out / "segment_model.joblib")
    labels = retrained.predict(features)
    pd.DataFrame({"customer_id": features.index, "segment_id": labels}).to_parquet(
        out / "segments.parquet", index=False
    )
    return label_map


def test_a_retrain_with_another_seed_published_keeps_every_segment_id(
    run: Path, tmp_path: Path
) -> None:
    store_url = f"sqlite:///{tmp_path / 'seed.db'}"
    publish_run(run / "run", store_url)
    with ProfileStore.open(store_url) as store:
        v1 = pd.Series(store.memberships())
    _retrained(run / "run", tmp_path / "retrain", seed=12345)
    raw = pd.read_parquet(tmp_path / "retrain" / "segments.parquet").set_index("customer_id")
    assert (raw["segment_id"].reindex(v1.index) != v1).mean() > 0.3  # raw ids permuted
    result = publish_run(tmp_path / "retrain", store_url)
    assert result.segments is not None and result.segments["new"] == []
    assert result.segments["vanished"] == [] and result.differ_from_batch == 0
    with ProfileStore.open(store_url) as store:
        v2 = pd.Series(store.memberships())
    assert (v2.reindex(v1.index) == v1).mean() > 0.98
    migration = json.loads((tmp_path / "retrain" / "migration.json").read_text())
    assert migration["matrix"]["moved"] == int((v2.reindex(v1.index) != v1).sum())


def test_publishing_with_mlflow_logs_each_version_as_a_run(run: Path, tmp_path: Path) -> None:
    import mlflow

    from cible.lifecycle.tracking import MlflowTarget

    store_url = f"sqlite:///{tmp_path / 'tracked.db'}"
    target = MlflowTarget(f"sqlite:///{tmp_path / 'mlflow.db'}", "segments")
    first = publish_run(run / "run", store_url, tracking=target)
    second = publish_run(run / "run", store_url, tracking=target)
    assert first.mlflow_run_id is not None and second.mlflow_run_id is not None
    client = mlflow.MlflowClient(tracking_uri=target.tracking_uri)
    experiment = client.get_experiment_by_name("segments")
    assert experiment.artifact_location == (tmp_path / "mlartifacts").as_uri()
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time"])
    assert [r.info.run_name for r in runs] == ["cible-v1", "cible-v2"]
    logged = client.get_run(second.mlflow_run_id)
    meta = _metadata(store_url, 2)
    assert meta is not None
    assert logged.data.params["algorithm"] == meta["parameters"]["algorithm"]
    assert logged.data.params["candidate"] == meta["parameters"]["candidate"]
    assert logged.data.params["window.as_of"] == meta["training_window"]["as_of"]
    assert logged.data.metrics["silhouette"] == pytest.approx(meta["metrics"]["silhouette"])
    assert logged.data.tags["cible.model_version"] == "2"
    assert logged.data.tags["cible.store_dialect"] == "sqlite"
    assert store_url not in json.dumps(logged.data.tags)  # no store URL (passwords) in tags
    assert logged.info.status == "FINISHED"
    names = {a.path for a in client.list_artifacts(second.mlflow_run_id)}
    assert {"metadata.json", "segment_model.joblib", "selection.json", "run.json"} <= names
    artefacts = Path(logged.info.artifact_uri.removeprefix("file://"))
    saved = json.loads((artefacts / "metadata.json").read_text())
    assert saved["parameters"] == meta["parameters"]
