from __future__ import annotations

from pathlib import Path

import pytest

from cible.config import CibleConfig, load_config
from cible.exceptions import ConfigError
from tests.conftest import WriteConfig, orders_source


def test_unknown_key_is_named(write_config: WriteConfig) -> None:
    path = write_config({"sources": [orders_source()], "segmentaton": {"k_max": 5}})
    with pytest.raises(
        ConfigError, match=r"cible\.yaml: invalid configuration .*\n  - segmentaton: unknown key"
    ):
        load_config(path)


def test_unknown_nested_key_is_named(write_config: WriteConfig) -> None:
    path = write_config({"sources": [orders_source(delimeter=";")]})
    with pytest.raises(ConfigError, match=r"sources\.0\.delimeter: unknown key"):
        load_config(path)


def test_unknown_canonical_field(write_config: WriteConfig) -> None:
    src = orders_source()
    src["fields"] = {**src["fields"], "revenue": "price"}  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match=r"unknown events field\(s\) \['revenue'\]"):
        load_config(write_config({"sources": [src]}))


def test_required_field_must_be_mapped(write_config: WriteConfig) -> None:
    src = orders_source()
    src["fields"] = {k: v for k, v in src["fields"].items() if k != "timestamp"}  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=r"required field\(s\) \['timestamp'\] are not mapped"):
        load_config(write_config({"sources": [src]}))


def test_field_needs_exactly_one_origin(write_config: WriteConfig) -> None:
    src = orders_source()
    src["fields"] = {**src["fields"], "quantity": {"column": "qty", "value": "1"}}  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="exactly one of 'column', 'expr', 'value' or 'columns'"):
        load_config(write_config({"sources": [src]}))


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"configuration file not found: .*nope\.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("sources: [\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not valid YAML"):
        load_config(path)


def test_paths_are_relative_to_the_config(write_config: WriteConfig, tmp_path: Path) -> None:
    cfg = load_config(write_config({"sources": [orders_source("data/o.csv")]}))
    assert cfg.source_path(cfg.sources[0]) == tmp_path.resolve() / "data" / "o.csv"
    assert isinstance(cfg, CibleConfig)


def test_segmentation_ranges(write_config: WriteConfig) -> None:
    path = write_config({"sources": [orders_source()], "segmentation": {"k_min": 6, "k_max": 4}})
    with pytest.raises(ConfigError, match=r"k_max \(4\) must be >= k_min \(6\)"):
        load_config(path)


def test_ahp_matrix_accepts_fractions(write_config: WriteConfig) -> None:
    seg = {
        "features": ["recency_days", "frequency", "monetary"],
        "criteria": {"recency": ["recency_days"], "value": ["frequency", "monetary"]},
        "ahp": {"criteria": ["recency", "value"], "matrix": [[1, "1/3"], ["3", 1]]},
    }
    cfg = load_config(write_config({"sources": [orders_source()], "segmentation": seg}))
    assert cfg.segmentation.ahp is not None
    assert cfg.segmentation.ahp.matrix == [[1.0, 1 / 3], [3.0, 1.0]]


def test_criteria_must_cover_the_features(write_config: WriteConfig) -> None:
    seg = {"features": ["recency_days", "frequency"], "criteria": {"a": ["recency_days"]}}
    with pytest.raises(
        ConfigError, match=r"criteria must cover exactly the features: missing \['frequency'\]"
    ):
        load_config(write_config({"sources": [orders_source()], "segmentation": seg}))
