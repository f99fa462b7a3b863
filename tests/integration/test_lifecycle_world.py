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
from pathlib import Path

import joblib
import pandas as pd
import pytest
import yaml

from cible.config import load_config
from cible.config.refresh import load_refresh_config
from cible.lifecycle.migration import migration_matrix
from cible.services.demo import write_demo_config
from cible.services.pipeline import run_pipeline
from cible.services.publish import publish_run
from cible.services.refresh import run_refresh
from cible.store import ProfileStore
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
