from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cible.config import SourceConfig
from cible.exceptions import EmptySourceError, SourceFormatError, SourceNotFoundError
from cible.ingest.detect import detect_delimiter
from cible.ingest.readers import read_source


def _source(path: Path, **kw: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {"name": "s", "kind": "customers", "path": str(path), "fields": {"customer_id": "id"}, **kw}
    )


@pytest.mark.parametrize(
    ("encoding", "expected"),
    # a file whose every non-ASCII line is Latin-1 is read in the detected single-byte encoding
    # (cp1252 agrees with Latin-1 on every letter and is preferred when they tie)
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("latin-1", "cp1252")],
)
def test_encoding_is_detected_and_accents_survive(
    tmp_path: Path, encoding: str, expected: str
) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id;ville\n1;Sainte-Foy-lès-Lyon\n2;Besançon\n", encoding=encoding)
    raw = read_source(path, _source(path))
    assert raw.encoding == expected
    assert (raw.fallback_encoding, raw.fallback_lines) == (None, 0)
    assert raw.delimiter == ";"
    assert raw.table.column_names == ["id", "ville", "__row"]
    assert raw.table.column("ville").to_pylist() == ["Sainte-Foy-lès-Lyon", "Besançon"]


@pytest.mark.parametrize(("sep", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_delimiter_is_detected(tmp_path: Path, sep: str, name: str) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(sep.join(["id", "a", "b"]) + "\n" + sep.join(["1", '"x, y"', "z"]) + "\n")
    raw = read_source(path, _source(path))
    assert raw.delimiter == sep
    assert raw.table.column("a").to_pylist() == ["x, y"]


def test_detect_delimiter_prefers_consistent_candidate() -> None:
    lines = ["a;b;c\n", "1;2,5;3\n", "4;5,5;6\n"]
    assert detect_delimiter(lines) == ";"
    assert detect_delimiter(["onlyone\n"]) is None


def test_values_stay_text_so_leading_zeros_survive(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,code_postal\n1,01000\n2,\n")
    raw = read_source(path, _source(path))
    assert raw.table.column("code_postal").to_pylist() == ["01000", None]


def test_malformed_csv_rows_are_kept_with_their_row_number(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,a\n1,x\n2,y,extra\n3,z\n4\n")
    raw = read_source(path, _source(path))
    assert raw.table.column("__row").to_pylist() == [1, 3]
    assert [(m.row, m.text) for m in raw.malformed] == [(2, "2,y,extra"), (4, "4")]
    assert raw.malformed[0].message == "expected 2 fields separated by ',', found 3 (line 3)"
    assert [m.line for m in raw.malformed] == [3, 5]
    assert raw.n_read == 4


def test_jsonl_broken_lines_are_malformed_rows(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"id": "a", "n": 1}\n{"id": "b", "n": \n\n{"id": "c", "n": {"x": 1}}\n[1]\n')
    raw = read_source(path, _source(path))
    assert raw.table.column("id").to_pylist() == ["a", "c"]
    assert raw.table.column("__row").to_pylist() == [1, 4]
    assert raw.table.column("n").to_pylist() == ["1", '{"x": 1}']  # mixed types become text
    assert [m.row for m in raw.malformed] == [2, 5]
    assert raw.malformed[0].message.startswith("not valid JSON")


def test_parquet_and_excel(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": ["1", "2"], "spend": [1.5, None]})
    pq_path = tmp_path / "c.parquet"
    frame.to_parquet(pq_path)
    raw = read_source(pq_path, _source(pq_path))
    assert raw.format == "parquet"
    assert raw.table.column("spend").to_pylist() == [1.5, None]
    xl_path = tmp_path / "c.xlsx"
    frame.to_excel(xl_path, index=False, sheet_name="clients")
    raw = read_source(xl_path, _source(xl_path, sheet="clients"))
    assert raw.format == "excel"
    assert raw.table.column("id").to_pylist() == ["1", "2"]
    assert raw.table.column("spend").to_pylist() == ["1.5", None]


def test_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(SourceNotFoundError, match=r"source 's': file not found: .*nope\.csv"):
        read_source(path, _source(path))


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(EmptySourceError, match=r"empty\.csv is empty \(0 bytes\)"):
        read_source(empty, _source(empty))
    header = tmp_path / "header.csv"
    header.write_text("id,a\n")
    with pytest.raises(EmptySourceError, match=r"header\.csv has no data rows"):
        read_source(header, _source(header))


def test_unknown_extension_asks_for_format(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x")
    with pytest.raises(SourceFormatError, match=r"set 'format'"):
        read_source(path, _source(path))


def test_jsonl_timestamps_stay_text_for_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": "a", "ts": "2026-03-01T10:00:00+02:00"}\n{"id": "b", "ts": "2026-03-01 10:00:00"}\n'
    )
    raw = read_source(path, _source(path))
    assert raw.table.column("ts").to_pylist() == [
        "2026-03-01T10:00:00+02:00",
        "2026-03-01 10:00:00",
    ]
