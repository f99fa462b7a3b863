"""cible.run: a configuration (object or path) run as `cible run` runs it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest

import cible
from cible.exceptions import ConfigError, SourceNotFoundError
from tests.conftest import WriteConfig
from tests.unit.facade.data import FAST_SEGMENTATION, FEATURES
from tests.unit.services.test_predict_service import _events_source


@pytest.fixture
def config(tmp_path: Path, write_config: WriteConfig) -> Path:
    segmentation = {**FAST_SEGMENTATION, "features": FEATURES, "forward": {"enabled": False}}
    return write_config({"sources": [_events_source(tmp_path)], "segmentation": segmentation})


def test_run_a_config_file_then_save_and_report(tmp_path: Path, config: Path) -> None:
    result = cible.run(config, tmp_path / "out")
    assert result.out_dir == (tmp_path / "out").resolve()
    segments = pd.read_parquet(tmp_path / "out" / "segments.parquet")
    pd.testing.assert_frame_equal(result.to_pandas(), segments)
    assert result.to_arrow().num_rows == len(segments) == 240
    html = result._repr_html_()
    assert result.names and all(f'<td class="text">{n}</td>' in html for n in result.names)
    saved = {p.name for p in result.save(tmp_path / "copy")}
    assert {"report.html", "segments.parquet", "profiles.csv", "run.json"} <= saved
    assert "warehouse.duckdb" not in saved and (tmp_path / "out" / "warehouse.duckdb").is_file()
    report = result.report(tmp_path / "r.html")
    assert report.read_bytes() == (tmp_path / "out" / "report.html").read_bytes()


def test_run_a_config_object_in_a_temporary_folder(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    result = cible.run(cible.load_config(config))
    assert result.out_dir.parent == (tmp_path / "tmp").resolve()
    assert result.out_dir.name.startswith("cible-run-")
    assert (result.out_dir / "report.html").is_file()


def test_a_bad_config_path_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "cible.yaml").write_text("sources: []\n")
    with pytest.raises(ConfigError, match="sources: at least one source is needed"):
        cible.run(tmp_path / "cible.yaml", tmp_path / "out")


def test_a_failed_run_leaves_nothing_behind(tmp_path: Path, config: Path) -> None:
    (tmp_path / "events.csv").unlink()
    with pytest.raises(SourceNotFoundError, match=r"events\.csv"):
        cible.run(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()
