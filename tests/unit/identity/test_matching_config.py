"""MatchingConfig: defaults, shorthands, validation messages, loading from YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from cible.exceptions import ConfigError
from cible.identity import BlockingKey, MatchingConfig, load_matching_config

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def minimal(**extra: object) -> dict[str, object]:
    return {"fields": [{"column": "name"}], "blocking": [{"keys": ["zip"]}], **extra}


def test_defaults_and_shorthands() -> None:
    config = MatchingConfig.model_validate(minimal(exact_keys=["email", ["email", "phone"]]))
    assert config.method == "threshold"
    assert config.threshold == 0.85
    assert config.id_column is None
    assert config.exact_keys == [["email"], ["email", "phone"]]
    assert config.blocking[0].keys == [BlockingKey(column="zip")]
    assert config.blocking[0].label == "zip"
    field = config.fields[0]
    assert (field.comparator, field.standardize, field.weight) == ("jaro_winkler", "text", 1.0)
    assert field.cut_offs == (1.0, 0.92, 0.85)
    assert config.columns() == ["name", "email", "phone", "zip"]
    assert config.standardizer_of("name") == "text"
    assert config.standardizer_of("zip") == "text"


def test_rule_labels() -> None:
    config = MatchingConfig.model_validate(
        minimal(
            blocking=[
                {"keys": [{"column": "surname", "transform": "prefix", "length": 3}, "dob"]},
                {"keys": ["surname"], "window": 4},
                {"name": "phonetic", "keys": [{"column": "surname", "transform": "nysiis"}]},
            ]
        )
    )
    assert [r.label for r in config.blocking] == [
        "prefix3(surname)+dob",
        "sorted(surname, window=4)",
        "phonetic",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (minimal(blocking=[]), "at least one blocking rule"),
        (minimal(colour="red"), "Extra inputs are not permitted"),
        (minimal(fields=[{"column": "a", "comparator": "soundex"}]), "'jaro_winkler'"),
        (minimal(fields=[{"column": "a", "levels": [0.8, 0.9]}]), "strictly decreasing"),
        (minimal(fields=[{"column": "a", "levels": [1.5]}]), r"lie in \(0, 1\]"),
        (minimal(fields=[{"column": "a"}, {"column": "a"}]), "repeated: \\['a'\\]"),
        (minimal(blocking=[{"keys": [{"column": "a", "transform": "prefix"}]}]), "needs a length"),
        (minimal(blocking=[{"keys": [{"column": "a", "length": 2}]}]), "only allowed"),
        (minimal(blocking=[{"keys": ["a"], "window": 1}]), "greater than or equal to 2"),
        (minimal(threshold=0), "greater than 0"),
        (minimal(exact_keys=[[]]), "at least one non-empty column"),
    ],
)
def test_invalid_configs_say_what_is_allowed(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MatchingConfig.model_validate(data)


def test_load_reads_the_dedup_section(tmp_path: Path) -> None:
    path = tmp_path / "cible.yaml"
    path.write_text(yaml.safe_dump({"dedup": {"matching": minimal(threshold=0.7)}}))
    assert load_matching_config(path).threshold == 0.7


def test_load_errors_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "cible.yaml"
    with pytest.raises(ConfigError, match="not found"):
        load_matching_config(path)
    path.write_text(yaml.safe_dump({"project": "x"}))
    with pytest.raises(ConfigError, match=r"no dedup\.matching section"):
        load_matching_config(path)
    path.write_text(yaml.safe_dump({"dedup": {"matching": minimal(colour="red")}}))
    with pytest.raises(ConfigError, match=r"dedup\.matching\.colour: unknown key"):
        load_matching_config(path)
    path.write_text(yaml.safe_dump({"dedup": {"matching": ["a"]}}))
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_matching_config(path)
    path.write_text("dedup: [")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_matching_config(path)


@pytest.mark.parametrize("name", ["febrl_dedup", "fake_1000_dedup", "customers_dedup"])
def test_examples_are_valid(name: str) -> None:
    config = load_matching_config(EXAMPLES / f"{name}.yaml")
    assert config.method == "fellegi_sunter"
    assert len(config.blocking) >= 5
