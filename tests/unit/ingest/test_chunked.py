"""A file read in chunks much smaller than itself, with damage at the chunk borders, gives exactly
the counts and the quarantine of the same file read whole."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from cible.config import SourceConfig, StandardizeConfig, load_config
from cible.exceptions import EmptySourceError, MemoryLimitError
from cible.ingest.chunked import read_chunks
from cible.ingest.engine import SourceResult, map_source
from cible.ingest.readers import read_source
from cible.ingest.staging import Staging
from cible.services.ingest import ingest
from cible.warehouse.duckdb import DuckDBWarehouse
from tests.conftest import WriteConfig, orders_source

HEAD = "order_id,customer_id,order_date,qty,price,status,note\n"


def _orders_csv(n: int) -> str:
    """``n`` good orders with every kind of damage spread over the file: quoted values spanning
    two and three lines, an unclosed quote, a stray quote, a ragged row, identical rows and a
    repeated order id far apart, a bad date, a bad number and an empty line."""
    lines = [HEAD]
    for i in range(1, n + 1):
        note = "plain"
        if i % 7 == 3:
            note = '"first line\nsecond line"'
        if i % 11 == 5:
            note = '"one\ntwo\nthree, with a comma"'
        if i % 13 == 0:
            note = '"say ""hi"""'
        lines.append(
            f"O{i},C{i % 9},2025-01-{1 + i % 27:02d} 10:00:00,{1 + i % 4},2.5,done,{note}\n"
        )
        if i % 17 == 4:
            lines.append(f'O{i}x,C1,2025-01-02 10:00:00,1,1,done,"never closed\n')
        if i % 19 == 8:
            lines.append(f'O{i}y,C1,2025-01-02 10:00:00,1,1,done,a "stray" quote\n')
        if i % 23 == 2:
            lines.append(f"O{i}z,C1,2025-01-02 10:00:00,1,1,done,x,extra\n")
        if i % 29 == 6:
            lines.append(lines[-1])  # an identical row, right after its twin
        if i % 31 == 9:
            lines.append(f"O{i}d,C1,2025-02-30 10:00:00,1,1,done,bad date\n")
        if i % 37 == 1:
            lines.append(f"O{i}q,C1,2025-01-02 10:00:00,two,1,done,bad number\n")
        if i % 41 == 0:
            lines.append("\n")
    lines.append("O5,C1,2025-01-02 10:00:00,1,1,done,the order id of row 5 again\n")
    lines.append(lines[3])  # identical to the third order, at the very end
    return "".join(lines)


def _source(path: Path, **kw: object) -> SourceConfig:
    spec = orders_source(str(path), **kw)
    fields = dict(spec["fields"])  # type: ignore[call-overload]
    fields["event_id"] = "order_id"
    spec["fields"] = fields
    return SourceConfig.model_validate(spec)


def _staged(path: Path, source: SourceConfig, chunk_rows: int) -> tuple[SourceResult, pa.Table]:
    with Staging("512MiB", chunk_rows, path.parent) as staging:
        result = staging.map(source, path, StandardizeConfig())
        return result, result.accepted_table()


def _same(whole: SourceResult, chunked: SourceResult, accepted: pa.Table) -> None:
    assert chunked.read == whole.read
    assert chunked.rule_counts == whole.rule_counts
    assert chunked.quarantine.equals(whole.quarantine)
    assert isinstance(whole.accepted, pa.Table)
    assert accepted.equals(whole.accepted)
    assert chunked.failures == whole.failures


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 5, 8, 13])
def test_a_csv_read_in_tiny_chunks_is_the_csv_read_whole(tmp_path: Path, chunk_rows: int) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(_orders_csv(120), encoding="utf-8")
    source = _source(path)
    whole = map_source(source, read_source(path, source))
    assert whole.rule_counts == {
        "duplicate_key:event_id": 1,
        "duplicate_row": 5,
        "invalid:timestamp": 4,
        "malformed_row": 7 + 6 + 6,  # unclosed quotes, stray quotes, ragged rows
        "type:float": 4,
    }
    # orders, damaged lines, identical rows, bad dates, bad numbers, the two repeats at the end
    assert whole.read == 120 + (7 + 6 + 6) + 4 + 4 + 4 + 2
    q = whole.quarantine.to_pandas()
    again = q[q.rule == "duplicate_key:event_id"].iloc[0]
    assert again.value == "O5"
    # rows 1 to 7: O1 to O4 with a bad number after O1 and a ragged row after O2 (row 8 is O5)
    assert (
        again.message == "orders.csv row 152 column 'event_id': event_id 'O5' already seen at row 8"
    )
    chunks = list(read_chunks(path, source, chunk_rows))
    assert len(chunks) >= 150 // chunk_rows  # several times larger than one chunk
    chunked, accepted = _staged(path, source, chunk_rows)
    _same(whole, chunked, accepted)


def test_a_quoted_value_spanning_the_chunk_border_is_one_record(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        HEAD
        + "O1,C1,2025-01-02 10:00:00,1,1,done,a\n"
        + "O2,C1,2025-01-02 10:00:00,1,1,done,b\n"
        + 'O3,C1,2025-01-02 10:00:00,1,1,done,"starts in chunk 1\nends in chunk 2"\n'
        + "O4,C1,2025-01-02 10:00:00,1,1,done,d\n",
        encoding="utf-8",
    )
    chunks = list(read_chunks(path, _source(path), 3))
    assert [c.table.column("__row").to_pylist() for c in chunks] == [[1, 2, 3], [4]]
    assert chunks[0].table.column("note").to_pylist()[2] == "starts in chunk 1\nends in chunk 2"
    assert chunks[1].table.column("order_id").to_pylist() == ["O4"]


def test_an_unclosed_quote_at_the_border_damages_its_line_only(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        HEAD
        + "O1,C1,2025-01-02 10:00:00,1,1,done,a\n"
        + 'O2,C1,2025-01-02 10:00:00,1,1,done,"never closed\n'
        + "O3,C1,2025-01-02 10:00:00,1,1,done,c\n",
        encoding="utf-8",
    )
    chunks = list(read_chunks(path, _source(path), 2))
    [bad] = chunks[0].malformed
    assert (bad.row, bad.line) == (2, 3)
    assert bad.message.startswith("unbalanced quote: the quote opening field 7 is not closed")
    assert chunks[1].table.column("__row").to_pylist() == [3]


def test_json_lines_whose_types_change_between_chunks(tmp_path: Path) -> None:
    path = tmp_path / "web.jsonl"
    rows = [
        {"id": f"W{i}", "user": f"C{i % 3}", "type": "page_view", "ts": "2025-01-02T10:00:00Z"}
        for i in range(1, 9)
    ]
    rows[5]["score"] = 1.5  # type: ignore[assignment]  # a column first seen in chunk 2, a decimal
    rows[1]["score"] = 2  # type: ignore[assignment]  # ... a whole number in chunk 1
    text = "\n".join(json.dumps(r) for r in rows[:4]) + "\n{not json\n\n"
    text += "\n".join(json.dumps(r) for r in rows[4:]) + "\n" + json.dumps(rows[0]) + "\n"
    path.write_text(text, encoding="utf-8")
    source = SourceConfig.model_validate(
        {
            "name": "web",
            "kind": "events",
            "path": str(path),
            "fields": {
                "event_id": "id",
                "customer_id": "user",
                "event_type": "type",
                "timestamp": "ts",
                "properties": {"columns": ["score"]},
            },
        }
    )
    whole = map_source(source, read_source(path, source))
    assert whole.rule_counts == {"duplicate_row": 1, "malformed_row": 1}
    chunked, accepted = _staged(path, source, 3)
    _same(whole, chunked, accepted)
    assert accepted.column("properties").to_pylist()[1] == '{"score":2.0}'


TS = "2025-01-02T10:00:00Z"


def _web_jsonl(n: int) -> str:
    """``n`` good events with damage spread over the file: broken JSON, a trailing comma and an
    ``Inf`` (read by DuckDB's yyjson, refused by ``json.loads``), an array, blank lines, a
    repeated event id and an identical line far apart, CRLF line ends."""
    lines = []
    for i in range(1, n + 1):
        lines.append(
            json.dumps({"id": f"W{i}", "user": f"C{i % 5}", "type": "page_view", "ts": TS})
        )
        if i % 7 == 2:
            lines.append('{"id": "broken", "user": ')
        if i % 11 == 4:
            lines.append(f'{{"id": "W{i}c", "user": "C1", "type": "page_view", "ts": "{TS}",}}')
        if i % 13 == 6:
            lines.append(f'{{"id": "W{i}i", "user": "C1", "type": "page_view", "n": Inf}}')
        if i % 17 == 1:
            lines.append('["W", "C1"]')
        if i % 19 == 3:
            lines.append("   ")
    lines.append(json.dumps({"id": "W5", "user": "C9", "type": "page_view", "ts": TS}))  # again
    lines.append(lines[2])  # identical to the third line
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 5, 8, 13])
def test_json_lines_read_in_tiny_chunks_are_the_file_read_whole(
    tmp_path: Path, chunk_rows: int
) -> None:
    path = tmp_path / "web.jsonl"
    path.write_bytes(_web_jsonl(100).encode())
    source = SourceConfig.model_validate(
        {
            "name": "web",
            "kind": "events",
            "path": str(path),
            "fields": {
                "event_id": "id",
                "customer_id": "user",
                "event_type": "type",
                "timestamp": "ts",
            },
        }
    )
    whole = map_source(source, read_source(path, source))
    # broken lines, trailing commas, Inf values, arrays: json.loads refuses every one; the rows
    # are the line numbers (line 2 is an array, line 4 broken)
    assert whole.rule_counts == {
        "duplicate_key:event_id": 1,
        "duplicate_row": 1,
        "malformed_row": 15 + 9 + 8 + 6,
    }
    assert whole.read == 100 + 15 + 9 + 8 + 6 + 2
    q = whole.quarantine.to_pandas()
    assert q[q.row == 4].message.iloc[0].startswith("web.jsonl row 4: not valid JSON: Expecting")
    chunked, accepted = _staged(path, source, chunk_rows)
    _same(whole, chunked, accepted)


def test_a_source_with_no_record_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEAD, encoding="utf-8")
    with pytest.raises(EmptySourceError, match=r"orders\.csv has no data rows"):
        _staged(path, _source(path), 2)


def test_the_memory_limit_error_names_the_settings(tmp_path: Path) -> None:
    with Staging("512MiB", 7, tmp_path) as staging:
        err = staging.out_of_memory(RuntimeError("failed to allocate"), "source 'web'")
    assert isinstance(err, MemoryLimitError)
    assert str(err).startswith(
        "source 'web': DuckDB ran out of memory within warehouse.memory_limit = 512MiB "
        "(ingest.chunk_rows = 7); raise warehouse.memory_limit or lower ingest.chunk_rows"
    )


def test_chunked_ingestion_is_idempotent_and_balanced(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    (tmp_path / "orders.csv").write_text(_orders_csv(60), encoding="utf-8")
    cfg = load_config(write_config({"sources": [orders_source()], "ingest": {"chunk_rows": 4}}))
    assert cfg.chunk_rows == 4
    with DuckDBWarehouse(tmp_path / "wh.duckdb") as wh:
        first = ingest(cfg, wh, tmp_path / "out")
        second = ingest(cfg, wh, tmp_path / "out")
        assert wh.count("events") == first.sources[0].inserted
    assert first.balanced and second.balanced
    assert first.sources[0].inserted == first.sources[0].accepted > 0
    assert second.sources[0].inserted == 0
    assert second.sources[0].already_present == first.sources[0].accepted


def test_the_fallback_encoding_is_chosen_from_the_whole_file(tmp_path: Path) -> None:
    """cp1252 lines far apart (in different chunks): the fallback chosen from all four, the same
    counts and the same values as the file read whole."""
    path = tmp_path / "orders.csv"
    body = [HEAD.encode()]
    for i in range(1, 41):
        note = "café crème".encode("cp1252") if i % 9 == 0 else "déjà vu".encode()
        body.append(f"O{i},C{i % 5},2025-01-02 10:00:00,1,2.5,done,".encode() + note + b"\n")
    path.write_bytes(b"".join(body))
    source = _source(path)
    whole_raw = read_source(path, source)
    fallback = whole_raw.fallback_encoding
    assert (whole_raw.encoding, whole_raw.fallback_lines) == ("utf-8", 4)
    assert fallback is not None  # which one is charset-normalizer's call on such short lines
    chunks = list(read_chunks(path, source, 3))
    assert {(c.encoding, c.fallback_encoding, c.fallback_lines) for c in chunks} == {
        ("utf-8", fallback, 4)
    }
    whole = map_source(source, whole_raw)
    chunked, accepted = _staged(path, source, 3)
    _same(whole, chunked, accepted)
    assert chunked.fallback_lines == 4
    assert (
        accepted.column("properties").to_pylist()
        == whole.accepted_table().column("properties").to_pylist()
    )


def test_parquet_in_record_batches_is_the_file_read_whole(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "orders.parquet"
    table = pa.table(
        {
            "order_id": [f"O{i}" for i in range(1, 21)] + ["O3"],
            "customer_id": [f"C{i % 4}" for i in range(1, 22)],
            "order_date": ["2025-01-02 10:00:00"] * 21,
            "qty": ["1"] * 21,
            "price": ["2.5"] * 19 + ["0", "2.5"],
            "status": ["done"] * 21,
        }
    )
    pq.write_table(table, path, row_group_size=4)
    source = _source(path)
    whole = map_source(source, read_source(path, source))
    assert whole.rule_counts == {"duplicate_key:event_id": 1, "zero_price": 1}
    chunked, accepted = _staged(path, source, 3)
    _same(whole, chunked, accepted)


def test_a_failed_streamed_load_reports_its_own_error_and_loads_nothing(tmp_path: Path) -> None:
    """An ``INSERT`` that fails inside the run's transaction (here a column the table lacks)
    is the error raised, not the aborted transaction's refusal to clean up; nothing is loaded."""
    from cible.exceptions import WarehouseError

    schema = pa.schema([("event_id", pa.string()), ("no_such_column", pa.string())])
    rows = pa.RecordBatchReader.from_batches(
        schema, [pa.record_batch([["E1"], ["x"]], schema=schema)]
    )
    with DuckDBWarehouse(tmp_path / "wh.duckdb") as wh:
        with pytest.raises(WarehouseError, match="no_such_column"), wh.transaction():
            wh.load_rows("events", rows, 1)
        assert wh.count("events") == 0
