"""Whitespace-separated files and files without a header line (``delimiter: whitespace``,
``columns: [...]``), read whole and in chunks alike: the raw CDNOW log is such a file."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from cible.config import SourceConfig
from cible.ingest.chunked import read_chunks
from cible.ingest.readers import read_source

CDNOW_LIKE = (
    " 00004 0001 19970101  2   29.33\r\n"
    " 00004 0001 19970118  2   29.73\r\n"
    "\t00018 0002\t19970101 \t 2 9.9 \r\n"  # tabs and trailing blanks
    " 00021 0003 19970112  1\r\n"  # a field short: quarantined, not lost
    " 00050 0004 19970101  1   13.97"  # no final line end
)
NAMES = ["master", "customer", "date", "cds", "dollars"]


def _source(path: Path, **kw: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "cdnow",
            "kind": "customers",
            "path": str(path),
            "fields": {"customer_id": "customer"},
            **kw,
        }
    )


@pytest.fixture
def cdnow(tmp_path: Path) -> Path:
    path = tmp_path / "cdnow.txt"
    path.write_bytes(CDNOW_LIKE.encode("ascii"))
    return path


def test_whitespace_without_header_reads_every_line_as_a_record(cdnow: Path) -> None:
    raw = read_source(cdnow, _source(cdnow, delimiter="whitespace", columns=NAMES))
    t = raw.table
    assert t.column_names == [*NAMES, "__row"]
    assert t.column("customer").to_pylist() == ["0001", "0001", "0002", "0004"]
    assert t.column("dollars").to_pylist() == ["29.33", "29.73", "9.9", "13.97"]
    assert t.column("__row").to_pylist() == [1, 2, 3, 5]
    [bad] = raw.malformed
    assert (bad.row, bad.line) == (4, 4)
    assert bad.message == "expected 5 fields separated by '\\t', found 4 (line 4)"
    assert raw.n_read == 5


def test_chunks_give_the_whole_file(cdnow: Path) -> None:
    source = _source(cdnow, delimiter="whitespace", columns=NAMES)
    whole = read_source(cdnow, source)
    chunks = list(read_chunks(cdnow, source, chunk_rows=2))
    assert len(chunks) == 3
    rows = [r for c in chunks for r in c.table.column("__row").to_pylist()]
    dollars = [d for c in chunks for d in c.table.column("dollars").to_pylist()]
    assert rows == whole.table.column("__row").to_pylist()
    assert dollars == whole.table.column("dollars").to_pylist()
    assert [m.row for c in chunks for m in c.malformed] == [4]


def test_a_header_is_still_read_without_columns(tmp_path: Path) -> None:
    path = tmp_path / "h.txt"
    path.write_text("customer   spend\n  7   1.5\n", encoding="utf-8")
    raw = read_source(path, _source(path, delimiter="whitespace"))
    assert raw.table.column_names == ["customer", "spend", "__row"]
    assert raw.table.column("spend").to_pylist() == ["1.5"]


def test_columns_without_header_with_a_comma(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("7,1.5\n8,2\n", encoding="utf-8")
    raw = read_source(path, _source(path, delimiter=",", columns=["customer", "spend"]))
    assert raw.table.column("customer").to_pylist() == ["7", "8"]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"columns": ["a", "a"]}, "must be distinct, non-empty names"),
        ({"columns": ["a", " "]}, "must be distinct, non-empty names"),
        ({"columns": ["a"], "format": "parquet"}, "applies to CSV/text files"),
        ({"columns": []}, "at least 1 item"),
    ],
)
def test_bad_column_lists_are_refused(tmp_path: Path, kw: dict[str, object], message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        _source(tmp_path / "x.txt", **kw)
