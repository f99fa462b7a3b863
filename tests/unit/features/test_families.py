"""``features.families``: validated at load, behaviour alone by default (the feature table is then
exactly the behaviour features), the schema marks categorical columns, the pipeline's features
step builds the configured families and refuses to cluster on a categorical one."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from cible.config import FEATURE_NAMES, FeaturesConfig, load_config
from cible.exceptions import ConfigError, FeatureError, SegmentationError
from cible.features import FeatureSpec, build_feature_table, build_features, feature_schema
from cible.services.progress import NullProgress
from cible.services.steps import (
    FeatureSet,
    Run,
    check_segmentation_features,
    features_step,
    ingest_step,
    segment_categories,
)
from cible.warehouse.base import Warehouse
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import ORDERS_CSV, WriteConfig, orders_source
from tests.unit.features.world import MIDNIGHT, buy, load, view

ALL = ["behaviour", "demographic", "contextual"]


def _config(write_config: WriteConfig, tmp_path: Path, features: object) -> Path:
    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    return write_config({"sources": [orders_source()], "features": features})


def test_an_unknown_family_is_refused_at_load_naming_the_known_ones(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    path = _config(write_config, tmp_path, {"families": ["behaviour", "psychographic"]})
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert "features.families" in str(e.value)
    assert "unknown feature family 'psychographic'" in str(e.value)
    assert "known families: behaviour, demographic, contextual" in str(e.value)


@pytest.mark.parametrize(
    ("features", "message"),
    [
        ({"families": ["demographic"]}, "families must include 'behaviour'"),
        ({"families": ["behaviour", "behaviour"]}, "listed more than once"),
        ({"contextual": {"time_zone": "Europe/Pariss"}}, "'Europe/Pariss' is not an IANA"),
        ({"contextual": {"holiday_country": "XX"}}, "holiday_country 'XX' has no public-holiday"),
        ({"contextual": {"holiday_window_days": -1}}, "greater than or equal to 0"),
        ({"demographic": {"attributes": {"age": {"key": "Age"}}}}, "['age'] are names of built-in"),
        ({"demographic": {"attributes": {"kids": {"key": "a.b"}}}}, "attribute key 'a.b'"),
        ({"demographic": {"attributes": {"Kids": {"key": "k"}}}}, "name(s) ['Kids']"),
    ],
)
def test_bad_feature_options_are_refused_at_load(
    write_config: WriteConfig, tmp_path: Path, features: object, message: str
) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(_config(write_config, tmp_path, features))
    assert message in str(e.value)


def test_behaviour_is_the_default_and_its_table_is_unchanged() -> None:
    config = FeaturesConfig()
    assert config.families == ["behaviour"]
    assert [s.name for s in feature_schema(config)] == list(FEATURE_NAMES)
    wh = load(DuckDBWarehouse(":memory:"), [buy("A", MIDNIGHT - timedelta(days=2), "o1")])
    pd.testing.assert_frame_equal(
        build_feature_table(wh, date(2025, 2, 1), config), build_features(wh, date(2025, 2, 1))
    )


def test_the_schema_marks_categorical_features_with_their_family() -> None:
    config = FeaturesConfig.model_validate(
        {
            "families": ALL,
            "demographic": {
                "attributes": {
                    "children": {"key": "Kidhome", "kind": "numeric"},
                    "marital_status": {"key": "Marital_Status"},
                }
            },
        }
    )
    kinds = {s.name: (s.family, s.kind) for s in feature_schema(config)}
    assert len(kinds) == 9 + 8 + 10
    assert {n for n, (_, k) in kinds.items() if k == "categorical"} == {
        "age_band",
        "gender",
        "country",
        "departement",
        "region",
        "marital_status",
    }
    assert kinds["age"] == ("demographic", "numeric")
    assert kinds["children"] == ("demographic", "numeric")
    assert kinds["weekend_share"] == ("contextual", "numeric")
    assert kinds["recency_days"] == ("behaviour", "numeric")


def test_the_table_joins_the_families_on_the_behaviour_population(engine: Warehouse) -> None:
    load(
        engine,
        [buy("A", MIDNIGHT - timedelta(days=2), "o1"), view("B", MIDNIGHT - timedelta(days=2))],
        [{"customer_id": "C", "gender": "female", "country": "France", "postal_code": "97411"}],
    )
    config = FeaturesConfig(families=ALL)
    table = build_feature_table(engine, date(2025, 2, 1), config)
    assert list(table.index) == ["A", "B", "C"]
    assert list(table.columns) == [s.name for s in feature_schema(config)]
    assert table.loc["C", "region"] == "La Réunion" and table.loc["A", "region"] is None
    assert table.loc["A", "gender"] is None and table.loc["C", "gender"] == "female"
    assert table.loc["A", "winter_share"] == 1.0  # 2025-01-30
    # no order: every contextual share missing, the behaviour features as before
    assert table.loc[["B", "C"], "winter_share"].isna().all()
    assert table.loc["B", "frequency"] == 0.0 and table["age"].isna().all()
    assert table["age_band"].dtype == object and table["age"].dtype == "float64"


def test_the_features_step_builds_the_families_and_accepts_a_categorical_criterion(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    path = _config(write_config, tmp_path, {"families": ALL})
    run = Run(load_config(path), tmp_path / "out", NullProgress())
    with DuckDBWarehouse(run.out_dir / "w.duckdb") as wh:
        ingest_step(run, wh)
        features = features_step(run, wh)
    assert [s.name for s in features.schema] == list(features.table.columns)
    assert features.table.loc["C1", "winter_share"] == 1.0  # 2 January 2025
    check_segmentation_features(run.config, features)
    wanted = [*run.config.segmentation.features, "age_band", "winter_share"]
    config = run.config.model_copy(
        update={"segmentation": run.config.segmentation.model_copy(update={"features": wanted})}
    )
    check_segmentation_features(config, features)  # clustered as a category (mixed grid)
    with pytest.raises(FeatureError, match=r"\['no_such'\] are not computed features"):
        check_segmentation_features(
            config.model_copy(
                update={
                    "segmentation": config.segmentation.model_copy(
                        update={"features": [*wanted, "no_such"]}
                    )
                }
            ),
            features,
        )


def test_segments_are_tested_for_composition_on_the_categorical_features() -> None:
    index = pd.Index(["a", "b", "c"], name="customer_id")
    table = pd.DataFrame(
        {
            "frequency": [1.0, 2.0, 3.0],
            "age_band": ["18-24", None, "65+"],
            "gender": ["female", "female", None],  # one value: nothing to test
            "country": ["FR", "FR", "DE"],
        },
        index=index,
    )
    context = pd.DataFrame({"country": ["France", "Spain", "France"], "channel": "web"}, index)
    schema = (
        FeatureSpec("frequency", "behaviour", "numeric"),
        FeatureSpec("age_band", "demographic", "categorical"),
        FeatureSpec("gender", "demographic", "categorical"),
        FeatureSpec("country", "demographic", "categorical"),
    )
    got = segment_categories(FeatureSet(date(2025, 2, 1), table, context, schema))
    assert list(got) == ["country", "age_band"]
    assert got["country"].tolist() == ["France", "Spain", "France"]  # the context's
    assert got["age_band"].equals(table["age_band"])
    default = segment_categories(FeatureSet(date(2025, 2, 1), table, context))
    assert list(default) == ["country"]


def test_the_spark_pipeline_refuses_the_other_families_before_opening_spark(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    from cible.services.spark_pipeline import run_pipeline_in_spark

    (tmp_path / "orders.csv").write_text(ORDERS_CSV)
    path = write_config(
        {
            "sources": [orders_source()],
            "warehouse": {"engine": "spark", "path": "w.spark"},
            "features": {"families": ["behaviour", "contextual"]},
        }
    )
    with pytest.raises(SegmentationError, match=r"features.families \['contextual'\]: the Spark"):
        run_pipeline_in_spark(load_config(path), tmp_path / "out")
    assert not (tmp_path / "out").exists()
