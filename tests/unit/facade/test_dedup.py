"""cible.dedup: planted duplicates, the notebook view, pandas/polars/Arrow, the CLI's files, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

import cible
from cible.cli.main import app
from cible.exceptions import ConfigError, DedupError, EmptySourceError, MissingColumnError
from tests.conftest import WriteConfig
from tests.unit.facade.data import planted_people

ARGS = {"fields": ["name", "surname"], "id": "rec_id", "blocking": ["postcode"]}


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return planted_people()[0]


@pytest.fixture(scope="module")
def result(people: pd.DataFrame) -> cible.DedupResult:
    return cible.dedup(people, **ARGS)


def test_the_planted_duplicate_pairs_are_found_exactly(result: cible.DedupResult) -> None:
    assert result.matched_pairs() == planted_people()[1]
    summary = result.summary()
    assert (summary["records"], summary["entities"], summary["merged_entities"]) == (13, 10, 2)
    assert summary["records_merged_away"] == 3
    assert summary["input"] == "frame"
    clusters = result.to_pandas().set_index("record_id")["entity_id"]
    assert clusters["d02"] == clusters["d03"] == clusters["p04"]
    assert clusters["p00"] == "p00"


def test_a_pair_scored_exactly_at_the_threshold_matches(
    people: pd.DataFrame, result: cible.DedupResult
) -> None:
    pairs = result.pairs.set_index(["record_id_l", "record_id_r"])
    score = float(pairs.loc[("d01", "p01"), "score"])
    assert 0.85 < score < 1.0
    at = cible.dedup(people, threshold=score, **ARGS)
    above = cible.dedup(people, threshold=float(np.nextafter(score, 1.0)), **ARGS)
    assert ("d01", "p01") in at.matched_pairs()
    assert ("d01", "p01") not in above.matched_pairs()


def test_the_notebook_view_counts_and_lists_the_entities(result: cible.DedupResult) -> None:
    html = result._repr_html_()
    assert '<tr><th class="text">Entities after merging</th><td>10</td></tr>' in html
    assert '<td class="text">d02</td><td>3</td><td class="text">d02, d03, p04</td>' in html
    assert '<td class="text">d01</td><td>2</td><td class="text">d01, p01</td>' in html
    assert html.index(">d02</td>") < html.index(">d01</td>")  # the largest entity first


def test_pandas_polars_and_arrow_give_the_same_entities(
    people: pd.DataFrame, result: cible.DedupResult
) -> None:
    for other in (pl.from_pandas(people), pa.Table.from_pandas(people, preserve_index=False)):
        got = cible.dedup(other, **ARGS)
        pd.testing.assert_frame_equal(got.clusters, result.clusters)
        pd.testing.assert_frame_equal(got.pairs, result.pairs)


def test_numbers_are_read_as_text_like_a_file(people: pd.DataFrame) -> None:
    numeric = people.assign(postcode=people["postcode"].astype(int))
    before = numeric.copy()
    got = cible.dedup(numeric, **ARGS)
    pd.testing.assert_frame_equal(numeric, before)  # the caller's frame is not modified
    assert got.matched_pairs() == planted_people()[1]
    kind = got.to_arrow().schema.field("record_id").type
    assert pa.types.is_string(kind) or pa.types.is_large_string(kind)


def test_save_writes_what_cible_dedup_writes_for_the_same_table(
    tmp_path: Path, write_config: WriteConfig, people: pd.DataFrame, result: cible.DedupResult
) -> None:
    people.to_parquet(tmp_path / "people.parquet", index=False)
    matching = {
        "fields": [{"column": "name"}, {"column": "surname"}],
        "blocking": [{"keys": ["postcode"]}],
    }
    cfg = write_config(
        {
            "dedup": {
                "input": {"path": "people.parquet", "id_column": "rec_id"},
                "matching": matching,
            }
        }
    )
    cli_out, api_out = tmp_path / "cli", tmp_path / "api"
    done = CliRunner().invoke(app, ["dedup", "--config", str(cfg), "--out", str(cli_out)])
    assert done.exit_code == 0, done.output
    written = result.save(api_out)
    names = sorted(p.name for p in written)
    assert names == ["clusters.csv", "dedup.json", "identity_pairs.parquet"]
    assert names == sorted(p.name for p in cli_out.iterdir())
    assert (api_out / "clusters.csv").read_text() == (cli_out / "clusters.csv").read_text()
    pd.testing.assert_frame_equal(
        pd.read_parquet(api_out / "identity_pairs.parquet"),
        pd.read_parquet(cli_out / "identity_pairs.parquet"),
    )
    api, cli = (json.loads((d / "dedup.json").read_text()) for d in (api_out, cli_out))
    different = {k for k in api if api[k] != cli[k]}
    assert different <= {"input", "seconds", "matcher"}
    assert api["input"] == "frame" and cli["input"] == str(tmp_path / "people.parquet")
    api["matcher"].pop("seconds"), cli["matcher"].pop("seconds")
    assert api["matcher"] == cli["matcher"]


def test_a_missing_column_is_named_with_the_setting(people: pd.DataFrame) -> None:
    with pytest.raises(
        MissingColumnError,
        match=r"frame: column 'email' named in dedup.matching.fields\[2\].column",
    ):
        cible.dedup(people, fields=["name", "surname", "email"], id="rec_id", blocking=["postcode"])
    with pytest.raises(MissingColumnError, match=r"id column 'id' .* columns: \['rec_id'"):
        cible.dedup(people, fields=["name"], id="id", blocking=["postcode"])


def test_repeated_ids_an_empty_frame_and_no_blocking_are_refused(people: pd.DataFrame) -> None:
    twice = pd.concat([people, people.iloc[:1]], ignore_index=True)
    with pytest.raises(DedupError, match=r"value 'p00' appears on rows 1, 14"):
        cible.dedup(twice, **ARGS)
    with pytest.raises(EmptySourceError, match=r"cible.dedup\(\): the frame has no row"):
        cible.dedup(people.iloc[:0], **ARGS)
    with pytest.raises(ConfigError, match="give at least one blocking rule"):
        cible.dedup(people, fields=["name"], id="rec_id")
