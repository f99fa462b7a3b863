"""A plain table of records: read as text, checked with errors naming file, column and value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cible.config import DedupInput
from cible.exceptions import DedupError, MissingColumnError, SourceFormatError, SourceNotFoundError
from cible.identity import MatchingConfig
from cible.identity.table_input import column_origins, read_records, read_table, table_format

CONFIG = MatchingConfig.model_validate(
    {
        "id_column": "rec_id",
        "fields": [{"column": "name"}, {"column": "postcode", "comparator": "exact"}],
        "blocking": [{"keys": ["postcode"]}, {"keys": [{"column": "city"}]}],
    }
)


def _values(column: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in column.tolist()]


def _csv(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_cells_are_text_trimmed_and_blank_is_missing(tmp_path: Path) -> None:
    path = _csv(tmp_path, "rec_id, name, postcode, city\n007, Ann , 0800, \n8,Bob,-, Lyon\n")
    frame = read_records(path, DedupInput(path=path, missing_values=["-"]), CONFIG)
    assert list(frame.columns) == ["rec_id", "name", "postcode", "city"]
    assert {c: _values(frame[c]) for c in frame.columns} == {
        "rec_id": ["007", "8"],
        "name": ["Ann", "Bob"],
        "postcode": ["0800", None],
        "city": [None, "Lyon"],
    }


def test_parquet_and_excel_read_as_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"rec_id": [1, 2], "name": ["Ann", None], "postcode": ["1", "2"]})
    frame["city"] = "Lyon"
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_excel(tmp_path / "t.xlsx", index=False)
    for name in ("t.parquet", "t.xlsx"):
        path = tmp_path / name
        got = read_records(path, DedupInput(path=path), CONFIG)
        assert got["rec_id"].tolist() == ["1", "2"] and _values(got["name"]) == ["Ann", None]


def test_missing_id_column_names_the_file_and_the_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,name,postcode,city\n1,a,1,x\n")
    with pytest.raises(MissingColumnError, match=r"people.csv: id column 'rec_id' .* columns: \["):
        read_records(path, DedupInput(path=path), CONFIG)


def test_repeated_id_names_the_value_and_its_rows(tmp_path: Path) -> None:
    path = _csv(tmp_path, "rec_id,name,postcode,city\n1,a,1,x\n2,b,1,x\n1,c,1,x\n")
    with pytest.raises(
        DedupError, match=r"people.csv: id column 'rec_id' value '1' appears on rows 1, 3"
    ):
        read_records(path, DedupInput(path=path), CONFIG)


def test_empty_id_names_the_row(tmp_path: Path) -> None:
    path = _csv(tmp_path, "rec_id,name,postcode,city\n1,a,1,x\n ,b,1,x\n")
    with pytest.raises(DedupError, match=r"people.csv row 2: id column 'rec_id' is empty"):
        read_records(path, DedupInput(path=path), CONFIG)


def test_unknown_matching_column_names_the_setting(tmp_path: Path) -> None:
    path = _csv(tmp_path, "rec_id,name,postcode\n1,a,1\n")
    with pytest.raises(
        MissingColumnError, match=r"column 'city' named in dedup.matching.blocking\[1\].keys"
    ):
        read_records(path, DedupInput(path=path), CONFIG)
    assert column_origins(CONFIG) == {
        "name": "dedup.matching.fields[0].column",
        "postcode": "dedup.matching.fields[1].column",
        "city": "dedup.matching.blocking[1].keys",
    }


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFoundError, match="file not found"):
        read_table(tmp_path / "none.csv", DedupInput(path=Path("none.csv")))
    with pytest.raises(SourceFormatError, match=r"cannot tell the format from the suffix '\.dat'"):
        table_format(Path("x.dat"), "auto")
    assert table_format(Path("x.dat"), "csv") == "csv"
    empty = _csv(tmp_path, "rec_id,name\n", "empty.csv")
    with pytest.raises(SourceFormatError, match=r"empty\.csv: the table has no data row"):
        read_table(empty, DedupInput(path=empty))
    bad = _csv(tmp_path, "not parquet", "bad.parquet")
    with pytest.raises(SourceFormatError, match=r"bad\.parquet: cannot read it as parquet"):
        read_table(bad, DedupInput(path=bad))
