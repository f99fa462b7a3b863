"""CSV records: a stray or unclosed quote damages only its record; multi-line values still work."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from cible.config import SourceConfig
from cible.exceptions import SourceFormatError
from cible.ingest.detect import detect_delimiter
from cible.ingest.readers import RawSource, read_source

HEADER = ["order_id", "customer_id", "order_date", "qty", "note"]
NOTES = ["", "plain", "a, b", 'say "hi"', "two\nlines", "blank\n\nline", '"quoted" start']


def _source(path: Path, **kw: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {"name": "o", "kind": "customers", "path": str(path), "fields": {"customer_id": "id"}, **kw}
    )


def _records(n: int) -> list[list[str]]:
    return [
        [f"O{i:05d}", f"C{i % 97:04d}", "2025-03-01 10:00:00", str(i % 5), NOTES[i % len(NOTES)]]
        for i in range(1, n + 1)
    ]


def _lines(rec: list[str]) -> list[str]:
    """The physical lines csv.writer writes for one record."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(rec)
    return buf.getvalue().removesuffix("\n").split("\n")


def _write(path: Path, records: list[list[str]], damaged: dict[int, list[str]]) -> list[int]:
    """Write the header and the records (record i replaced by the lines ``damaged[i]``); return
    the physical line (1-based) each record starts on."""
    out = [",".join(HEADER)]
    starts = []
    for i, rec in enumerate(records, start=1):
        starts.append(len(out) + 1)
        out += damaged.get(i, _lines(rec))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return starts


def _values(raw: RawSource) -> dict[int, list[str | None]]:
    cols = [raw.table.column(c).to_pylist() for c in HEADER]
    return {r: [c[k] for c in cols] for k, r in enumerate(raw.table.column("__row").to_pylist())}


def _expected(rec: list[str]) -> list[str | None]:
    return [v or None for v in rec]


def test_the_issue_one_unclosed_quote_loses_only_its_record(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    records = _records(3000)
    starts = _write(path, records, {10: ['O00010,"C0010,2025-03-01 10:00:00,2,9.99']})
    assert starts[9] == 14  # rows 4 and 6 hold multi-line notes
    raw = read_source(path, _source(path))
    assert raw.n_read == 3000
    assert raw.table.num_rows == 2999
    [bad] = raw.malformed
    assert (bad.row, bad.line, bad.text) == (10, 14, 'O00010,"C0010,2025-03-01 10:00:00,2,9.99')
    assert bad.message == (
        "unbalanced quote: the quote opening field 2 is not closed into a record of the header's"
        " fields (line 14)"
    )
    values = _values(raw)
    assert sorted(values) == [r for r in range(1, 3001) if r != 10]
    assert all(values[r] == _expected(records[r - 1]) for r in values)


UNCLOSED = 'X1,"C1,2025-03-01 10:00:00,2,9.99'
STRAY = 'X1,C"1,2025-03-01 10:00:00,2,9.99'
AFTER = 'X1,"C1"x,2025-03-01 10:00:00,2,9.99'


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (UNCLOSED, "unbalanced quote: the quote opening field 2 is not closed"),
        (STRAY, "unbalanced quote: a quote inside the unquoted field 2"),
        (AFTER, "unbalanced quote: text after the closing quote of field 2"),
    ],
)
@pytest.mark.parametrize("where", [1, 21, 42])  # first, middle (after multi-line values), last
def test_damaged_record_is_quarantined_alone(
    tmp_path: Path, text: str, reason: str, where: int
) -> None:
    path = tmp_path / "orders.csv"
    records = _records(42)
    starts = _write(path, records, {where: [text]})
    raw = read_source(path, _source(path))
    assert raw.n_read == 42
    [bad] = raw.malformed
    assert (bad.row, bad.line, bad.text) == (where, starts[where - 1], text)
    assert bad.message.startswith(reason)
    assert bad.message.endswith(f"(line {starts[where - 1]})")
    values = _values(raw)
    assert sorted(values) == [r for r in range(1, 43) if r != where]
    assert all(values[r] == _expected(records[r - 1]) for r in values)


def test_unclosed_quote_inside_a_multi_line_value(tmp_path: Path) -> None:
    """The damaged record's two lines are judged one by one: both quarantined, nothing else."""
    path = tmp_path / "orders.csv"
    records = _records(30)
    damaged = ['O00005,C0005,2025-03-01 10:00:00,0,"two', "lines"]  # closing quote lost
    starts = _write(path, records, {5: damaged})
    raw = read_source(path, _source(path))
    assert raw.n_read == 31  # the damaged record counts as its two physical lines
    assert [(m.row, m.line, m.text) for m in raw.malformed] == [
        (5, starts[4], damaged[0]),
        (6, starts[4] + 1, "lines"),
    ]
    assert raw.malformed[0].message.startswith("unbalanced quote: the quote opening field 5")
    assert raw.malformed[1].message == (
        f"expected 5 fields separated by ',', found 1 (line {starts[4] + 1})"
    )
    values = _values(raw)
    assert sorted(values) == [1, 2, 3, 4, *range(7, 32)]
    assert all(values[r] == _expected(records[r - 2 if r > 5 else r - 1]) for r in values)


def test_well_formed_multi_line_values_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        b'id,note,n\r\n1,"a\r\nb",x\r\n2,"line ""one""\n\n""two"", three",y\r\n\r\n3,,z\r\n'
    )
    raw = read_source(path, _source(path))
    assert raw.malformed == []
    assert raw.table.column("note").to_pylist() == ["a\r\nb", 'line "one"\n\n"two", three', None]
    assert raw.table.column("n").to_pylist() == ["x", "y", "z"]
    assert raw.table.column("__row").to_pylist() == [1, 2, 3]


def test_max_record_lines_boundary(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,note\n1,"a\nb\nc"\n2,"a\nb\nc\nd"\n3,z\n')
    raw = read_source(path, _source(path, max_record_lines=3))
    assert raw.table.column("note").to_pylist() == ["a\nb\nc", "z"]
    # 4 lines > 3: only the first line is quarantined, the next ones are judged on their own
    assert [(m.row, m.line, m.text) for m in raw.malformed] == [
        (2, 5, '2,"a'),
        (3, 6, "b"),
        (4, 7, "c"),
        (5, 8, 'd"'),
    ]
    assert raw.table.column("__row").to_pylist() == [1, 6]
    assert raw.n_read == 6
    raw = read_source(path, _source(path, max_record_lines=4))
    assert raw.table.column("note").to_pylist() == ["a\nb\nc", "a\nb\nc\nd", "z"]
    assert raw.malformed == []


def test_multi_line_record_with_the_wrong_field_count_quarantines_its_first_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,note\n1,"a\nb",extra\n2,y\n')
    raw = read_source(path, _source(path))
    assert [(m.row, m.line) for m in raw.malformed] == [(1, 2), (2, 3)]
    assert raw.malformed[0].message.startswith("unbalanced quote")
    assert raw.malformed[1].message == (
        "unbalanced quote: a quote inside the unquoted field 1 (line 3)"
    )
    assert raw.malformed[1].text == 'b",extra'

    assert raw.table.column("id").to_pylist() == ["2"]


def test_ragged_records_with_quotes_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,a\n\n1,"x,y"\n2,"x",z\n\n3\n4,"q"\n')
    raw = read_source(path, _source(path))
    assert raw.table.column("a").to_pylist() == ["x,y", "q"]
    assert raw.table.column("__row").to_pylist() == [1, 4]
    assert [(m.row, m.line, m.message) for m in raw.malformed] == [
        (2, 4, "expected 2 fields separated by ',', found 3 (line 4)"),
        (3, 6, "expected 2 fields separated by ',', found 1 (line 6)"),
    ]


def test_header_with_an_unbalanced_quote_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,"a\n1,x\n')
    with pytest.raises(SourceFormatError, match=r"c\.csv: the header line 1 is not a CSV record"):
        read_source(path, _source(path))


def test_detect_delimiter_parses_quoted_values_like_the_reader() -> None:
    # a quoted value spanning lines, holding the other candidates
    assert detect_delimiter(["a;b;c\n", '1;"x, y\n', 'z, w|v";3\n', "4;5;6\n"]) == ";"
    # an unclosed quote lowers only the consistency of the record it is in
    assert detect_delimiter(["a,b\n", '1,"x\n', "2,y\n", "3,z\n"]) == ","
    assert detect_delimiter(["id\n", "1\n"]) is None
