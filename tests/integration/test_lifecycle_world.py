"""A planted shift in the generated world: the "loyal" persona lapses, and the migration matrix
of the run's own segment model shows exactly those movers (docs/lifecycle.md).

One demo run (2,000 customers, seed 7). The plant is made on its features: for every customer of
the ``loyal`` persona, 300 days pass without activity (recency and tenure + 300 days, no event in
the last 30/90 days; what they bought stays). Everyone else is left as they were. The published
model (``segment_model.joblib``) scores both feature tables.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd
import pytest

from cible.config import load_config
from cible.lifecycle.migration import migration_matrix
from cible.services.demo import write_demo_config
from cible.services.pipeline import run_pipeline
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
