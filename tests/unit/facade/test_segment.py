"""cible.segment: planted groups, the notebook view, pandas/polars/Arrow, the CLI's files, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from sklearn.metrics import adjusted_rand_score
from typer.testing import CliRunner

import cible
from cible.cli.main import app
from cible.config import load_config
from cible.exceptions import (
    ConfigError,
    EmptySourceError,
    MissingColumnError,
    SegmentationError,
    SourceFormatError,
)
from tests.conftest import WriteConfig
from tests.unit.facade.data import FAST_SEGMENTATION, FEATURES, planted_customers
from tests.unit.services.test_predict_service import _events_source

SEGMENT_FILES = {
    "features.parquet",
    "segments.parquet",
    "profiles.csv",
    "selection.json",
    "validation.json",
    "segment_model.joblib",
    "segment_model.joblib.sha256",
    "report.html",
}


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return planted_customers()


@pytest.fixture(scope="module")
def result(customers: pd.DataFrame) -> cible.SegmentResult:
    return cible.segment(customers.drop(columns="group"), features=FEATURES, **FAST_SEGMENTATION)


def test_three_planted_groups_are_found_exactly(
    customers: pd.DataFrame, result: cible.SegmentResult
) -> None:
    assert result.segmentation.chosen_k == 3
    joined = result.to_pandas().merge(customers[["customer_id", "group"]], on="customer_id")
    assert len(joined) == 120
    assert adjusted_rand_score(joined["group"], joined["segment_id"]) == 1.0
    # ids 1..k by decreasing mean monetary value: the loyal group is segment 1
    first = set(joined.loc[joined["segment_id"] == 1, "group"])
    assert first == {"loyal"}
    assert result.labels.loc["loyal-000"] == 1


def test_the_notebook_view_shows_the_segment_names_without_plotly(
    result: cible.SegmentResult,
) -> None:
    html = result._repr_html_()
    assert result.names == ["Champions", "Low spend, recent orders", "At risk - lapsed"]
    for name in result.names:
        assert f'<td class="text">{name}</td>' in html
    assert '<section id="profiles">' in html and "Segment profiles" in html
    assert "plotly" not in html.lower()
    assert html.startswith('<div class="cible-nb">')


def test_pandas_polars_and_arrow_give_the_same_segments(
    customers: pd.DataFrame, result: cible.SegmentResult
) -> None:
    frame = customers.drop(columns="group")
    for other in (pl.from_pandas(frame), pa.Table.from_pandas(frame, preserve_index=False)):
        got = cible.segment(other, features=FEATURES, **FAST_SEGMENTATION)
        pd.testing.assert_frame_equal(got.to_pandas(), result.to_pandas())
        pd.testing.assert_frame_equal(got.profiles, result.profiles)
        assert got.segmentation.silhouette == result.segmentation.silhouette


def test_tables_and_the_callers_frame(customers: pd.DataFrame, result: cible.SegmentResult) -> None:
    before = customers.copy()
    cible.segment(customers.drop(columns="group"), features=FEATURES, **FAST_SEGMENTATION)
    pd.testing.assert_frame_equal(customers, before)
    arrow = result.to_arrow()
    assert arrow.column_names == ["customer_id", "segment_id", "segment_name"]
    assert arrow.num_rows == 120
    assert result.to_pandas() is not result.segmentation.assignments


def test_without_an_id_rows_are_numbered_from_one(customers: pd.DataFrame) -> None:
    got = cible.segment(
        customers.drop(columns=["group", "customer_id"]),
        features=FEATURES,
        id=None,
        **FAST_SEGMENTATION,
    )
    assert list(got.to_pandas()["customer_id"][:2]) == ["1", "2"]
    assert got.to_pandas()["customer_id"].iloc[-1] == "120"


def test_save_and_report(tmp_path: Path, result: cible.SegmentResult) -> None:
    written = result.save(tmp_path / "seg")
    assert {p.name for p in written} == SEGMENT_FILES
    assert {p.name for p in (tmp_path / "seg").iterdir()} == SEGMENT_FILES
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "seg" / "segments.parquet"), result.to_pandas()
    )
    report = result.report(tmp_path / "r" / "segments.html")
    html = report.read_text(encoding="utf-8")
    assert "Champions" in html and "No ingestion summary was provided." in html


def test_save_writes_what_cible_run_writes_for_the_same_features(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    segmentation = {**FAST_SEGMENTATION, "features": FEATURES, "forward": {"enabled": False}}
    cfg = write_config({"sources": [_events_source(tmp_path)], "segmentation": segmentation})
    cli_out = tmp_path / "cli"
    done = CliRunner().invoke(app, ["run", "--config", str(cfg), "--out", str(cli_out)])
    assert done.exit_code == 0, done.output
    features = pd.read_parquet(cli_out / "features.parquet")
    got = cible.segment(features, config=load_config(cfg).segmentation)
    api_out = tmp_path / "api"
    names = {p.name for p in got.save(api_out)}
    assert names == SEGMENT_FILES
    assert names <= {p.name for p in cli_out.iterdir()}
    for table in ("features.parquet", "segments.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(api_out / table), pd.read_parquet(cli_out / table)
        )
    assert (api_out / "profiles.csv").read_text() == (cli_out / "profiles.csv").read_text()
    chosen = [json.loads((d / "selection.json").read_text())["chosen"] for d in (api_out, cli_out)]
    assert chosen[0] == chosen[1]


def test_a_missing_feature_is_named(customers: pd.DataFrame) -> None:
    with pytest.raises(MissingColumnError, match=r"column 'tenure_days' \(named in features\)"):
        cible.segment(customers, features=["recency_days", "tenure_days"])
    with pytest.raises(MissingColumnError, match=r"column 'cid' \(named in id\) .*'customer_id'"):
        cible.segment(customers, features=FEATURES, id="cid")
    with pytest.raises(
        MissingColumnError,
        match=r"column 'frequency' \(needed by every segmentation: prospects have frequency 0\)",
    ):
        cible.segment(customers.drop(columns="frequency"), features=["recency_days"])


def test_ids_must_be_filled_and_unique(customers: pd.DataFrame) -> None:
    frame = customers.drop(columns="group")
    twice = frame.assign(customer_id=frame["customer_id"].where(frame.index != 5, "loyal-000"))
    with pytest.raises(
        SegmentationError, match=r"value 'loyal-000' appears on rows 1, 6; .*\(1 id"
    ):
        cible.segment(twice, features=FEATURES, **FAST_SEGMENTATION)
    gap = frame.assign(customer_id=frame["customer_id"].where(frame.index != 2, None))
    with pytest.raises(SegmentationError, match=r"id column 'customer_id' is empty on row 3"):
        cible.segment(gap, features=FEATURES, **FAST_SEGMENTATION)


def test_an_empty_frame_and_a_non_frame_are_refused(customers: pd.DataFrame) -> None:
    with pytest.raises(EmptySourceError, match=r"cible.segment\(\): the frame has no row"):
        cible.segment(customers.iloc[:0], features=FEATURES)
    with pytest.raises(EmptySourceError, match="no row"):
        cible.segment(pl.from_pandas(customers).clear(), features=FEATURES)
    with pytest.raises(
        SourceFormatError, match=r"pandas, polars or Arrow data frame is needed, got builtins\.dict"
    ):
        cible.segment({"customer_id": ["a"]}, features=FEATURES)


def test_an_invalid_setting_is_a_config_error(customers: pd.DataFrame) -> None:
    with pytest.raises(
        ConfigError,
        match=r"(?s)cible.segment\(\): invalid configuration.*k_max \(4\) must be >= k_min \(5\)",
    ):
        cible.segment(customers, features=FEATURES, k_min=5, k_max=4)
    with pytest.raises(ConfigError, match="colour: unknown key"):
        cible.segment(customers, features=FEATURES, colour="red")
